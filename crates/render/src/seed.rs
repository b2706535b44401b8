//! What a member pod needs to be seeded from a backup (`spec.bootstrap.fromBackup`,
//! docs/runbooks/restore-cluster.md): a temporary volume and two init containers that put one
//! complete backup artifact per database at the same path on every member, where Neo4j's
//! `FileSeedProvider` reads it when the operator runs `CREATE DATABASE ... seedURI`.
//!
//! 1. `seed-fetch` (the agent) downloads each database's chain, sha256-verified and read-only,
//!    into `/seed/<db>/`, and reports the restore point it chose in its termination message;
//!    the operator seeds only when every member reports the same one.
//! 2. `seed-aggregate` (neo4j-admin of the cluster's own image) folds a FULL+DIFF chain into
//!    one artifact, so the seed is a single backup file, which every seed provider documents,
//!    and moves it to `/seed/<db>.backup`.
//!
//! The volume is a generic ephemeral volume: created with the pod and deleted with it, so a
//! chain never outlives the pod that fetched it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, EphemeralVolumeSource, PersistentVolumeClaimSpec, PersistentVolumeClaimTemplate,
    Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::{BackupCredential, Bootstrap};

use crate::labels;
use crate::pod::{
    agent_container, blob_access, env, key_volume, mount, resources, restricted_with,
};

pub const SEED_VOLUME: &str = "seed";
pub const SEED_DIR: &str = "/seed";
pub use neo4j_aks_model::api::containers::SEED_AGGREGATE as SEED_AGGREGATE_CONTAINER;
/// The init container whose termination message is the seed step's result line.
pub use neo4j_aks_model::api::containers::SEED_FETCH as SEED_FETCH_CONTAINER;
/// The seed providers Neo4j enables while a cluster is being seeded: only local files.
pub const SEED_PROVIDERS: &str = "FileSeedProvider";

/// For each `<db> <artifact count>` line the agent wrote: aggregate a chain of more than one
/// artifact into one (`aggregate-backup` replaces the chain unless `--keep-old-backup`), then
/// move the single artifact left to `/seed/<db>.backup`.
pub const SEED_AGGREGATE_SCRIPT: &str = r#"set -eu
while read -r db count; do
  if [ "$count" -gt 1 ]; then
    echo "aggregating the $count artifacts of $db into one"
    neo4j-admin database aggregate-backup --from-path="$SEED_DIR/$db" "$db"
  fi
  set -- "$SEED_DIR/$db"/*.backup
  if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
    echo "expected exactly one artifact of $db in $SEED_DIR/$db, found: $*" >&2
    exit 1
  fi
  mv "$1" "$SEED_DIR/$db.backup"
  echo "$db ready at $SEED_DIR/$db.backup"
done < "$SEED_DIR/seed.list"
"#;

/// The URI the operator seeds `database` from: the same path on every member.
pub fn seed_uri(database: &str) -> String {
    format!("file://{SEED_DIR}/{database}.backup")
}

/// Whether the members' ServiceAccount must carry the workload identity for the seed step.
pub fn uses_workload_identity(cluster: &ValidatedCluster) -> Option<&str> {
    match &cluster.bootstrap.as_ref()?.blob.credential {
        BackupCredential::WorkloadIdentity { client_id } => Some(client_id),
        BackupCredential::AccountKey { .. } => None,
    }
}

/// The init containers, in order; empty without `spec.bootstrap.fromBackup`.
pub fn init_containers(cluster: &ValidatedCluster) -> Vec<Container> {
    let Some(bootstrap) = &cluster.bootstrap else {
        return Vec::new();
    };
    vec![fetch(bootstrap), aggregate(cluster)]
}

/// The seed volume (and the storage key, when one is used).
pub fn volumes(cluster: &ValidatedCluster) -> Vec<Volume> {
    let Some(bootstrap) = &cluster.bootstrap else {
        return Vec::new();
    };
    let claim = PersistentVolumeClaimSpec {
        access_modes: Some(vec!["ReadWriteOnce".to_string()]),
        storage_class_name: Some(cluster.storage.class_name.clone()),
        resources: Some(VolumeResourceRequirements {
            requests: Some(BTreeMap::from([(
                "storage".to_string(),
                Quantity(format!("{}Gi", bootstrap.seed_size_gi)),
            )])),
            ..VolumeResourceRequirements::default()
        }),
        ..PersistentVolumeClaimSpec::default()
    };
    let mut volumes = vec![Volume {
        name: SEED_VOLUME.to_string(),
        ephemeral: Some(EphemeralVolumeSource {
            volume_claim_template: Some(PersistentVolumeClaimTemplate {
                metadata: Some(ObjectMeta {
                    labels: Some(labels::stable(cluster)),
                    ..ObjectMeta::default()
                }),
                spec: claim,
            }),
        }),
        ..Volume::default()
    }];
    volumes.extend(key_volume(&bootstrap.blob));
    volumes
}

/// Neo4j reads the seed; it never writes it.
pub fn neo4j_mount(cluster: &ValidatedCluster) -> Option<VolumeMount> {
    cluster
        .bootstrap
        .as_ref()
        .map(|_| mount(SEED_VOLUME, SEED_DIR, true))
}

fn fetch(bootstrap: &Bootstrap) -> Container {
    let (mut env_vars, mut mounts) = blob_access(&bootstrap.blob, &bootstrap.source_cluster, true);
    env_vars.push(env("NEO4J_AKS_BACKUP_RUN_DIR", SEED_DIR));
    mounts.push(mount(SEED_VOLUME, SEED_DIR, false));
    let mut args = vec![
        "backup-agent".to_string(),
        "seed".to_string(),
        "--to".to_string(),
        SEED_DIR.to_string(),
    ];
    for database in &bootstrap.databases {
        args.push("--database".to_string());
        args.push(database.clone());
    }
    if let Some(not_after) = &bootstrap.not_after {
        args.push("--not-after".to_string());
        args.push(not_after.clone());
    }
    // The operator reads the chosen restore points from the termination message.
    agent_container(SEED_FETCH_CONTAINER, args, env_vars, mounts)
}

fn aggregate(cluster: &ValidatedCluster) -> Container {
    Container {
        name: SEED_AGGREGATE_CONTAINER.to_string(),
        image: Some(cluster.image.reference.clone()),
        image_pull_policy: Some(cluster.image.pull_policy.clone()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            SEED_AGGREGATE_SCRIPT.to_string(),
        ]),
        env: Some(vec![
            env(
                "NEO4J_ACCEPT_LICENSE_AGREEMENT",
                cluster.license.as_env_value(),
            ),
            env("SEED_DIR", SEED_DIR),
        ]),
        volume_mounts: Some(vec![mount(SEED_VOLUME, SEED_DIR, false)]),
        resources: Some(resources("1", "2Gi")),
        // neo4j-admin writes logs and temporary files under its home directory.
        security_context: Some(restricted_with(false)),
        ..Container::default()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::StatefulSet;
    use k8s_openapi::api::core::v1::{PodSpec, ServiceAccount};
    use neo4j_aks_model::{Neo4jCluster, validate};

    use super::*;
    use crate::Object;

    const KEY: &str =
        "      credentials:\n        accountKeySecretRef:\n          name: storage-key\n";
    const IDENTITY: &str = "      credentials:\n        workloadIdentityClientId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n";

    fn cluster(resolver: &str, bootstrap: Option<&str>) -> ValidatedCluster {
        let mut yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: g\n  namespace: db\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  discovery:\n    resolverType: {resolver}\n"
        );
        if let Some(credentials) = bootstrap {
            yaml.push_str("  bootstrap:\n    fromBackup:\n      sourceCluster: old\n      target:\n        storageAccount: graphbackups01\n");
            yaml.push_str(credentials);
            yaml.push_str("      databases: [neo4j, sales]\n");
        }
        validate(&Neo4jCluster::from_yaml(&yaml).expect("parses")).expect("valid")
    }

    fn rendered(cluster: ValidatedCluster) -> Vec<Object> {
        crate::build(cluster).objects
    }

    fn pod_spec(objects: &[Object]) -> PodSpec {
        objects
            .iter()
            .find_map(|o| match o {
                Object::StatefulSet(StatefulSet { spec: Some(s), .. }) => s.template.spec.clone(),
                _ => None,
            })
            .expect("a StatefulSet with a pod template")
    }

    fn accounts(objects: &[Object]) -> Vec<ServiceAccount> {
        objects
            .iter()
            .filter_map(|o| match o {
                Object::ServiceAccount(a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_member_fetches_then_aggregates_into_its_own_seed_volume() {
        let pod = pod_spec(&rendered(cluster("LIST", Some(KEY))));
        let init = pod.init_containers.expect("init containers");
        let names: Vec<&str> = init.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, [SEED_FETCH_CONTAINER, SEED_AGGREGATE_CONTAINER]);
        assert_eq!(
            init[0].args.as_deref().expect("args"),
            [
                "backup-agent",
                "seed",
                "--to",
                "/seed",
                "--database",
                "neo4j",
                "--database",
                "sales"
            ]
        );
        let env: BTreeMap<&str, &str> = init[0]
            .env
            .iter()
            .flatten()
            .filter_map(|e| Some((e.name.as_str(), e.value.as_deref()?)))
            .collect();
        assert_eq!(
            env["NEO4J_AKS_BACKUP_CLUSTER"], "old",
            "the source cluster's blobs"
        );
        assert_eq!(env["NEO4J_AKS_BACKUP_CONTAINER"], "neo4j-backups-old");
        // The key is a file in the fetch container only; Neo4j never sees it.
        let mounts = |c: &Container| -> Vec<String> {
            c.volume_mounts
                .iter()
                .flatten()
                .map(|m| m.name.clone())
                .collect()
        };
        assert!(mounts(&init[0]).contains(&"storage-key".to_string()));
        assert!(!mounts(&init[1]).contains(&"storage-key".to_string()));
        let neo4j = &pod.containers[0];
        assert!(!mounts(neo4j).contains(&"storage-key".to_string()));
        let seed_mount = neo4j
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.name == SEED_VOLUME)
            .expect("Neo4j mounts the seed");
        assert_eq!(
            (seed_mount.mount_path.as_str(), seed_mount.read_only),
            (SEED_DIR, Some(true))
        );
        let seed = pod
            .volumes
            .iter()
            .flatten()
            .find(|v| v.name == SEED_VOLUME)
            .and_then(|v| v.ephemeral.as_ref())
            .expect("a generic ephemeral volume");
        let claim = &seed.volume_claim_template.as_ref().expect("template").spec;
        assert_eq!(
            claim
                .resources
                .as_ref()
                .and_then(|r| r.requests.as_ref())
                .map(|r| r["storage"].0.as_str()),
            Some("32Gi"),
            "the member disk size by default"
        );
    }

    #[test]
    fn the_seed_provider_is_enabled_only_while_bootstrapping() {
        let with = crate::neo4j_conf::settings(&cluster("LIST", Some(KEY)));
        assert_eq!(
            with.get("dbms.databases.seed_from_uri_providers")
                .map(String::as_str),
            Some(SEED_PROVIDERS)
        );
        let without = crate::neo4j_conf::settings(&cluster("LIST", None));
        assert!(!without.contains_key("dbms.databases.seed_from_uri_providers"));
    }

    #[test]
    fn workload_identity_gives_the_members_an_annotated_account_without_api_rights() {
        let objects = rendered(cluster("LIST", Some(IDENTITY)));
        let members_accounts = accounts(&objects);
        assert_eq!(members_accounts.len(), 1);
        let account = &members_accounts[0];
        assert_eq!(account.metadata.name.as_deref(), Some("g-sa"));
        assert_eq!(
            account
                .metadata
                .annotations
                .as_ref()
                .map(|a| a[crate::pod::WORKLOAD_IDENTITY_CLIENT_ID].as_str()),
            Some("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
        );
        assert_eq!(account.automount_service_account_token, Some(false));
        assert!(
            !objects
                .iter()
                .any(|o| matches!(o, Object::Role(_) | Object::RoleBinding(_)))
        );
        let pod = pod_spec(&objects);
        assert_eq!(pod.service_account_name.as_deref(), Some("g-sa"));
        assert_eq!(pod.automount_service_account_token, Some(false));
        let labels = objects
            .iter()
            .find_map(|o| match o {
                Object::StatefulSet(s) => {
                    s.spec.as_ref()?.template.metadata.as_ref()?.labels.clone()
                }
                _ => None,
            })
            .expect("pod labels");
        assert_eq!(labels[crate::pod::WORKLOAD_IDENTITY_LABEL], "true");

        // With the K8S resolver the same account also gets its Role.
        let objects = rendered(cluster("K8S", Some(IDENTITY)));
        assert_eq!(
            accounts(&objects)[0].automount_service_account_token,
            Some(true)
        );
        assert!(objects.iter().any(|o| matches!(o, Object::Role(_))));
    }

    #[test]
    fn without_a_bootstrap_nothing_of_it_is_rendered() {
        let pod = pod_spec(&rendered(cluster("LIST", None)));
        assert!(pod.init_containers.is_none());
        assert!(!pod.volumes.iter().flatten().any(|v| v.name == SEED_VOLUME));
        assert_eq!(pod.service_account_name.as_deref(), Some("default"));
        assert!(accounts(&rendered(cluster("LIST", None))).is_empty());
    }

    #[test]
    fn seed_uris_point_at_the_file_the_aggregate_step_leaves() {
        assert_eq!(seed_uri("sales"), "file:///seed/sales.backup");
        assert!(SEED_AGGREGATE_SCRIPT.contains(r#"mv "$1" "$SEED_DIR/$db.backup""#));
    }
}
