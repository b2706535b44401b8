//! Scheduled backups (issue 6, docs/backup.md): the `N-backup` CronJob that takes an online
//! backup from a non-writer member and uploads it, the `N-backup-verification` CronJob that
//! restores the newest backup into a throw-away Neo4j inside its own pod and checks it, and the
//! ServiceAccount both run as.
//!
//! The pods are the project's `neo4j-aks backup-agent` (select-source, fetch, upload, verify)
//! around `neo4j-admin` in the cluster's own Neo4j image. They share two emptyDirs: the
//! artifacts (`/backups`, sized from the spec) and the run's small hand-over files
//! (`/run/neo4j-aks`: the `--from` list, run metadata, inspect output, check results).

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, ExecAction, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, SeccompProfile, SecretVolumeSource, ServiceAccount, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::api::{self, containers};
use neo4j_aks_model::validated::{Backup, BackupCredential, BackupType};

use crate::pod::{
    NEO4J_UID, WORKLOAD_IDENTITY_CLIENT_ID, WORKLOAD_IDENTITY_LABEL, agent_container, blob_access,
    env, key_volume, mount, resources, restricted_with,
};
use crate::{labels, meta, ports};

/// `app.kubernetes.io/component` of the backup and verification pods.
pub use neo4j_aks_model::api::containers::{BACKUP_COMPONENT, VERIFICATION_COMPONENT};

pub const BACKUPS_DIR: &str = "/backups";
/// With `type: AUTO`, a chain older than this gets no more DIFFs: the next run takes a FULL.
pub const NEW_CHAIN_AFTER_DAYS: u32 = 7;
pub const RUN_DIR: &str = "/run/neo4j-aks";
const BACKUPS_VOLUME: &str = "backups";
const RUN_VOLUME: &str = "run";
const DATA_VOLUME: &str = "restored-data";
const AUTH_VOLUME: &str = "neo4j-auth";
const AUTH_MOUNT: &str = "/run/secrets/neo4j";
const AUTH_FILE: &str = "auth";
/// The cluster CA's certificate, alone (`ca.crt` of `<name>-tls`; no member key reaches the
/// backup pods), when the members' Bolt speaks TLS.
const BOLT_CA_VOLUME: &str = "bolt-ca";
const BOLT_CA_MOUNT: &str = "/run/secrets/neo4j-aks-ca";
/// neo4j-admin's client certificate for the members' backup port (`backup` TLS scope).
const BACKUP_TLS_VOLUME: &str = "backup-tls";

/// Backs up each database from the members select-source chose for it (`sources.list`: one
/// `<database> <host:port>[,<host:port>...]` line each), then records when it finished and, for
/// AUTO, what neo4j-admin made of each artifact (FULL or DIFF).
/// With the `backup` TLS scope, `BACKUP_CLIENT_CONFIG` holds neo4j-admin's client SSL policy,
/// which it reads through `--additional-config` (highest priority: tools/neo4j-admin/index.adoc,
/// "Configuration").
pub const BACKUP_SCRIPT: &str = r#"set -eu
set --
if [ -n "${BACKUP_CLIENT_CONFIG:-}" ]; then
  mkdir -p "$RUN_DIR/revoked"
  printf '%s\n' "$BACKUP_CLIENT_CONFIG" > "$RUN_DIR/backup-client.conf"
  set -- --additional-config="$RUN_DIR/backup-client.conf"
fi
while read -r db from; do
  echo "backing up $db from $from (type $BACKUP_TYPE)"
  neo4j-admin database backup "$@" --from="$from" --type="$BACKUP_TYPE" --to-path="$BACKUPS_DIR" "$db"
done < "$RUN_DIR/sources.list"
date -u +%Y-%m-%dT%H:%M:%SZ > "$RUN_DIR/finished-at"
if [ "$BACKUP_TYPE" = AUTO ]; then
  # INSPECT_FLAGS is one or two fixed words (see inspect_flags): split on purpose.
  # shellcheck disable=SC2086
  neo4j-admin backup inspect "$BACKUPS_DIR" $INSPECT_FLAGS > "$RUN_DIR/inspect.txt"
fi
"#;

/// Restores each fetched chain into the pod's own data volume and checks it. A failed restore
/// or check is recorded for the agent's `verify` (which reports it) rather than stopping here,
/// so every database gets a verdict.
pub const RESTORE_SCRIPT: &str = r#"set -u
while read -r db artifact; do
  echo "restoring $db from $artifact"
  if neo4j-admin database restore --from-path="$artifact" --to-path-data=/data/databases --to-path-txn=/data/transactions "$db"; then
    mkdir -p "$RUN_DIR/check-$db"
    if neo4j-admin database check --report-path="$RUN_DIR/check-$db" --from-path-data=/data/databases --from-path-txn=/data/transactions "$db"; then
      echo ok > "$RUN_DIR/check-$db.status"
    else
      echo "check-failed: neo4j-admin database check exited $?" > "$RUN_DIR/check-$db.status"
    fi
  else
    echo "restore-failed: neo4j-admin database restore exited $?" > "$RUN_DIR/check-$db.status"
  fi
done < "$RUN_DIR/restore.list"
"#;

/// Every backup object of the cluster, in apply order; empty when backups are off.
pub fn build(cluster: &ValidatedCluster) -> (Option<ServiceAccount>, Vec<CronJob>) {
    let Some(backup) = &cluster.backup else {
        return (None, Vec::new());
    };
    let mut jobs = vec![backup_cronjob(cluster, backup)];
    if let Some(schedule) = &backup.verification_schedule {
        jobs.push(verification_cronjob(cluster, backup, schedule));
    }
    (Some(service_account(cluster, backup)), jobs)
}

fn service_account(cluster: &ValidatedCluster, backup: &Backup) -> ServiceAccount {
    let mut metadata = meta::namespaced(cluster, cluster.backup_service_account_name());
    if let BackupCredential::WorkloadIdentity { client_id } = &backup.blob.credential {
        metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(WORKLOAD_IDENTITY_CLIENT_ID.to_string(), client_id.clone());
    }
    ServiceAccount {
        metadata,
        // The agent talks to Neo4j and Azure, never to the Kubernetes API.
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    }
}

/// The labels that pick the pods of one backup CronJob (`component`: [`BACKUP_COMPONENT`] or
/// [`VERIFICATION_COMPONENT`]); every one of them is in [`pod_labels`].
pub fn pod_selector(cluster: &ValidatedCluster, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (api::labels::NAME.into(), BACKUP_APP.into()),
        (api::labels::INSTANCE.into(), cluster.name.clone()),
        (api::labels::COMPONENT.into(), component.into()),
    ])
}

const BACKUP_APP: &str = "neo4j-aks-backup";

/// Labels of the backup pods. Deliberately not the members' selector labels: the cluster's
/// Services and PodDisruptionBudget must never pick a backup pod.
pub fn pod_labels(
    cluster: &ValidatedCluster,
    backup: &Backup,
    component: &str,
) -> BTreeMap<String, String> {
    let mut labels = cluster.labels.clone();
    labels.extend(pod_selector(cluster, component));
    labels.insert(api::labels::MANAGED_BY.into(), labels::MANAGED_BY.into());
    labels.insert(labels::CLUSTER_LABEL.into(), cluster.name.clone());
    if matches!(
        backup.blob.credential,
        BackupCredential::WorkloadIdentity { .. }
    ) {
        labels.insert(WORKLOAD_IDENTITY_LABEL.into(), "true".into());
    }
    labels
}

fn backup_cronjob(cluster: &ValidatedCluster, backup: &Backup) -> CronJob {
    let mut init = vec![agent(
        cluster,
        backup,
        containers::SELECT_SOURCE,
        select_source_args(cluster, backup),
        Access::Neo4j,
    )];
    if backup.backup_type != BackupType::Full {
        // AUTO and DIFF extend the newest stored chain, which must be in --to-path. AUTO starts
        // a new chain weekly: chains are what retention deletes.
        let mut args = vec![containers::FETCH.into(), "--to".into(), BACKUPS_DIR.into()];
        if backup.backup_type == BackupType::Auto {
            args.push("--new-chain-after-days".into());
            args.push(NEW_CHAIN_AFTER_DAYS.to_string());
        }
        args.extend(database_args(backup));
        init.push(agent(
            cluster,
            backup,
            containers::FETCH,
            args,
            Access::Blob,
        ));
    }
    init.push(neo4j_admin_backup(cluster, backup));
    let upload = agent(
        cluster,
        backup,
        containers::UPLOAD,
        vec![
            containers::UPLOAD.into(),
            "--from-dir".into(),
            BACKUPS_DIR.into(),
            "--type".into(),
            backup.backup_type.as_str().into(),
            "--daily".into(),
            backup.retention.daily.to_string(),
            "--weekly".into(),
            backup.retention.weekly.to_string(),
            "--monthly".into(),
            backup.retention.monthly.to_string(),
        ],
        Access::Both,
    );
    let pod = pod_spec(
        cluster,
        backup,
        init,
        vec![upload],
        vec![
            empty_dir(BACKUPS_VOLUME, Some(format!("{}Gi", backup.temp_size_gi))),
            empty_dir(RUN_VOLUME, Some("64Mi".into())),
        ],
    );
    cronjob(
        cluster,
        backup,
        cluster.backup_cronjob_name(),
        &backup.schedule,
        BACKUP_COMPONENT,
        pod,
        // A backup that runs past a day overlaps the next one's slot; Forbid skips it anyway.
        23 * 3600,
    )
}

fn verification_cronjob(cluster: &ValidatedCluster, backup: &Backup, schedule: &str) -> CronJob {
    let mut fetch = vec![
        containers::FETCH.into(),
        "--to".into(),
        BACKUPS_DIR.into(),
        "--for-verification".into(),
    ];
    fetch.extend(database_args(backup));
    let init = vec![
        agent(cluster, backup, containers::FETCH, fetch, Access::Blob),
        neo4j_admin_restore(cluster),
        verification_neo4j(cluster),
    ];
    let verify = agent(
        cluster,
        backup,
        containers::VERIFY,
        vec![
            containers::VERIFY.into(),
            "--bolt".into(),
            format!("bolt://127.0.0.1:{}", ports::BOLT),
        ],
        Access::Both,
    );
    let pod = pod_spec(
        cluster,
        backup,
        init,
        vec![verify],
        vec![
            empty_dir(BACKUPS_VOLUME, Some(format!("{}Gi", backup.temp_size_gi))),
            empty_dir(RUN_VOLUME, Some("64Mi".into())),
            // The throw-away server's store: gone with the pod.
            empty_dir(DATA_VOLUME, Some(format!("{}Gi", backup.temp_size_gi))),
        ],
    );
    cronjob(
        cluster,
        backup,
        cluster.verification_cronjob_name(),
        schedule,
        VERIFICATION_COMPONENT,
        pod,
        23 * 3600,
    )
}

fn cronjob(
    cluster: &ValidatedCluster,
    backup: &Backup,
    name: String,
    schedule: &str,
    component: &str,
    pod: PodSpec,
    active_deadline_seconds: i64,
) -> CronJob {
    let mut metadata = meta::namespaced(cluster, name);
    metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(api::labels::COMPONENT.into(), component.into());
    // The agent containers are read-only; the neo4j-admin and throw-away Neo4j containers keep
    // the image's own conf and logs directories, whose read-only layout cannot be checked
    // without running the image (docs/checkov.md, CKV_K8S_22).
    metadata.annotations.get_or_insert_with(BTreeMap::new).insert(
        "checkov.io/skip1".to_string(),
        "CKV_K8S_22=neo4j-admin and the verification server write into the official image's conf and logs directories".to_string(),
    );
    let pod_labels = pod_labels(cluster, backup, component);
    CronJob {
        metadata,
        spec: Some(CronJobSpec {
            schedule: schedule.to_string(),
            time_zone: Some("Etc/UTC".to_string()),
            suspend: Some(backup.suspend),
            // Never two runs at once: both would extend the same chain.
            concurrency_policy: Some("Forbid".to_string()),
            // A run missed by more than an hour (controller down) is skipped, not started late
            // into the business day.
            starting_deadline_seconds: Some(3600),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(JobSpec {
                    // A failed run is retried once; a second failure is reported, and the
                    // next schedule tries again.
                    backoff_limit: Some(1),
                    active_deadline_seconds: Some(active_deadline_seconds),
                    // Kept a week so the operator and people can read the result.
                    ttl_seconds_after_finished: Some(7 * 24 * 3600),
                    template: PodTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(pod_labels),
                            annotations: (!cluster.annotations.is_empty())
                                .then(|| cluster.annotations.clone()),
                            ..ObjectMeta::default()
                        }),
                        spec: Some(pod),
                    },
                    ..JobSpec::default()
                }),
            },
        }),
        ..CronJob::default()
    }
}

fn pod_spec(
    cluster: &ValidatedCluster,
    backup: &Backup,
    init: Vec<Container>,
    containers: Vec<Container>,
    mut volumes: Vec<Volume>,
) -> PodSpec {
    volumes.push(Volume {
        name: AUTH_VOLUME.to_string(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(cluster.password.secret_name().to_string()),
            items: Some(vec![k8s_openapi::api::core::v1::KeyToPath {
                key: cluster.password.key().to_string(),
                path: AUTH_FILE.to_string(),
                ..Default::default()
            }]),
            default_mode: Some(0o440),
            optional: Some(false),
        }),
        ..Volume::default()
    });
    if bolt_tls(cluster) {
        volumes.push(Volume {
            name: BOLT_CA_VOLUME.to_string(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(crate::tls::secret_name(cluster)),
                items: Some(vec![k8s_openapi::api::core::v1::KeyToPath {
                    key: crate::tls::CA_CERTIFICATE.to_string(),
                    path: crate::tls::CA_CERTIFICATE.to_string(),
                    ..Default::default()
                }]),
                default_mode: Some(0o440),
                optional: Some(false),
            }),
            ..Volume::default()
        });
    }
    volumes.extend(key_volume(&backup.blob));
    volumes.extend(crate::tls::backup_client_volume(cluster, BACKUP_TLS_VOLUME));
    PodSpec {
        service_account_name: Some(cluster.backup_service_account_name()),
        automount_service_account_token: Some(false),
        // The neo4j-admin containers run the image's entrypoint, which turns `NEO4J_*` service
        // link variables into settings (as on the members).
        enable_service_links: Some(false),
        restart_policy: Some("Never".to_string()),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(NEO4J_UID),
            run_as_group: Some(NEO4J_UID),
            fs_group: Some(NEO4J_UID),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".to_string(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        node_selector: (!cluster.scheduling.node_selector.is_empty())
            .then(|| cluster.scheduling.node_selector.clone()),
        tolerations: (!cluster.scheduling.tolerations.is_empty())
            .then(|| cluster.scheduling.tolerations.clone()),
        image_pull_secrets: (!cluster.image.pull_secrets.is_empty())
            .then(|| cluster.image.pull_secrets.clone()),
        init_containers: Some(init),
        containers,
        volumes: Some(volumes),
        ..PodSpec::default()
    }
}

fn database_args(backup: &Backup) -> Vec<String> {
    backup
        .databases
        .iter()
        .flat_map(|d| ["--database".to_string(), d.clone()])
        .collect()
}

/// Whether the agent reaches the members' Bolt over TLS (`spec.tls` with the `bolt` scope).
fn bolt_tls(cluster: &ValidatedCluster) -> bool {
    cluster
        .tls
        .as_ref()
        .is_some_and(|t| t.covers(neo4j_aks_model::validated::TlsScope::Bolt))
}

fn select_source_args(cluster: &ValidatedCluster, backup: &Backup) -> Vec<String> {
    let mut args = vec![containers::SELECT_SOURCE.to_string()];
    let scheme = if bolt_tls(cluster) { "bolt+s" } else { "bolt" };
    for ordinal in 0..cluster.members.rendered() {
        args.push("--member".into());
        args.push(format!(
            "{scheme}://{}:{}",
            cluster.member_fqdn(ordinal),
            ports::BOLT
        ));
    }
    args.push("--backup-port".into());
    args.push(ports::BACKUP.to_string());
    args.extend(database_args(backup));
    args
}

fn empty_dir(name: &str, size: Option<String>) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: size.map(Quantity),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// What an agent step talks to; it gets only those credentials.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Neo4j,
    Blob,
    Both,
}

/// An agent container: target and credentials from the environment the spec fixes, the Neo4j
/// password and the storage key as files, never as values.
fn agent(
    cluster: &ValidatedCluster,
    backup: &Backup,
    name: &str,
    subcommand: Vec<String>,
    access: Access,
) -> Container {
    let mut args = vec!["backup-agent".to_string()];
    args.extend(subcommand);
    let (mut env_vars, mut mounts) =
        blob_access(&backup.blob, &cluster.name, access != Access::Neo4j);
    env_vars.push(env("NEO4J_AKS_BACKUP_RUN_DIR", RUN_DIR));
    mounts.push(mount(BACKUPS_VOLUME, BACKUPS_DIR, false));
    mounts.push(mount(RUN_VOLUME, RUN_DIR, false));
    if access != Access::Blob {
        env_vars.push(env(
            "NEO4J_AKS_NEO4J_AUTH_FILE",
            format!("{AUTH_MOUNT}/{AUTH_FILE}"),
        ));
        mounts.push(mount(AUTH_VOLUME, AUTH_MOUNT, true));
        if bolt_tls(cluster) {
            env_vars.push(env(
                "NEO4J_AKS_BOLT_CA_FILE",
                format!("{BOLT_CA_MOUNT}/{}", crate::tls::CA_CERTIFICATE),
            ));
            mounts.push(mount(BOLT_CA_VOLUME, BOLT_CA_MOUNT, true));
        }
    }
    agent_container(name, args, env_vars, mounts)
}

fn neo4j_env(cluster: &ValidatedCluster) -> Vec<EnvVar> {
    vec![
        env(
            "NEO4J_ACCEPT_LICENSE_AGREEMENT",
            cluster.license.as_env_value(),
        ),
        env("RUN_DIR", RUN_DIR),
        env("BACKUPS_DIR", BACKUPS_DIR),
    ]
}

fn neo4j_admin_backup(cluster: &ValidatedCluster, backup: &Backup) -> Container {
    let command = vec![
        "sh".to_string(),
        "-c".to_string(),
        BACKUP_SCRIPT.to_string(),
    ];
    let mut env_vars = neo4j_env(cluster);
    env_vars.push(env("BACKUP_TYPE", backup.backup_type.as_str()));
    env_vars.push(env("INSPECT_FLAGS", inspect_flags(cluster)));
    let mut mounts = vec![
        mount(BACKUPS_VOLUME, BACKUPS_DIR, false),
        mount(RUN_VOLUME, RUN_DIR, false),
    ];
    let client_settings =
        crate::tls::backup_client_settings(cluster, &format!("{RUN_DIR}/revoked"));
    if !client_settings.is_empty() {
        env_vars.push(env(
            "BACKUP_CLIENT_CONFIG",
            crate::neo4j_conf::lines(client_settings.iter().map(|(k, v)| (k, v))),
        ));
        mounts.push(mount(
            BACKUP_TLS_VOLUME,
            crate::tls::BACKUP_CLIENT_DIR,
            true,
        ));
    }
    Container {
        name: "neo4j-admin-backup".to_string(),
        image: Some(cluster.image.reference.clone()),
        image_pull_policy: Some(cluster.image.pull_policy.clone()),
        command: Some(command),
        env: Some(env_vars),
        volume_mounts: Some(mounts),
        resources: Some(resources("1", "2Gi")),
        security_context: Some(restricted_with(false)),
        ..Container::default()
    }
}

/// `neo4j-admin backup inspect` shows the FULL/DIFF metadata only with `--show-metadata` before
/// 2025.07; from 2025.07 it always shows it and the option is gone from the syntax (Operations
/// Manual, "Inspect the metadata of a backup file").
pub fn inspect_flags(cluster: &ValidatedCluster) -> &'static str {
    if cluster.version.major_minor() >= (2025, 7) {
        "--empty"
    } else {
        "--show-metadata --empty"
    }
}

fn neo4j_admin_restore(cluster: &ValidatedCluster) -> Container {
    Container {
        name: "neo4j-admin-restore".to_string(),
        image: Some(cluster.image.reference.clone()),
        image_pull_policy: Some(cluster.image.pull_policy.clone()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            RESTORE_SCRIPT.to_string(),
        ]),
        env: Some(neo4j_env(cluster)),
        volume_mounts: Some(vec![
            mount(BACKUPS_VOLUME, BACKUPS_DIR, true),
            mount(RUN_VOLUME, RUN_DIR, false),
            mount(DATA_VOLUME, "/data", false),
        ]),
        resources: Some(resources("1", "2Gi")),
        security_context: Some(restricted_with(false)),
        ..Container::default()
    }
}

/// The throw-away standalone server, as a native sidecar (an init container that keeps
/// running): it starts once the restore is done, serves `verify` on loopback only, and the
/// kubelet stops it when `verify` exits.
fn verification_neo4j(cluster: &ValidatedCluster) -> Container {
    let mut env_vars = vec![
        env(
            "NEO4J_ACCEPT_LICENSE_AGREEMENT",
            cluster.license.as_env_value(),
        ),
        // The cluster's password, so `verify` reads one file for both; the restored `system`
        // database is never part of the check.
        env("NEO4J_AUTH_FILE", format!("{AUTH_MOUNT}/{AUTH_FILE}")),
        env("NEO4J_server_default__listen__address", "127.0.0.1"),
        env("NEO4J_server_memory_heap_max__size", "512m"),
        env("NEO4J_server_memory_heap_initial__size", "512m"),
        env("NEO4J_server_memory_pagecache_size", "512m"),
    ];
    env_vars.push(env("NEO4J_server_backup_enabled", "false"));
    Container {
        name: containers::NEO4J.to_string(),
        image: Some(cluster.image.reference.clone()),
        image_pull_policy: Some(cluster.image.pull_policy.clone()),
        restart_policy: Some("Always".to_string()),
        env: Some(env_vars),
        volume_mounts: Some(vec![
            mount(DATA_VOLUME, "/data", false),
            mount(AUTH_VOLUME, AUTH_MOUNT, true),
        ]),
        resources: Some(resources("1", "2Gi")),
        security_context: Some(restricted_with(false)),
        // The server listens on loopback only, which the kubelet's own TCP probe cannot reach
        // (it dials the pod IP); so the probe connects from inside the container.
        startup_probe: Some(Probe {
            exec: Some(ExecAction {
                command: Some(vec![
                    "bash".to_string(),
                    "-c".to_string(),
                    format!(": > /dev/tcp/127.0.0.1/{}", ports::BOLT),
                ]),
            }),
            period_seconds: Some(5),
            timeout_seconds: Some(3),
            // Up to an hour: recovery of a large restored store.
            failure_threshold: Some(720),
            ..Probe::default()
        }),
        ..Container::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::KEY_VOLUME;
    use neo4j_aks_model::{Neo4jCluster, validate};

    /// The pod a CronJob's Jobs run.
    fn pod_of(job: &CronJob) -> &PodSpec {
        job.spec
            .as_ref()
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|j| j.template.spec.as_ref())
            .expect("pod")
    }

    fn cluster(version: &str, extra: &str) -> ValidatedCluster {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: g\n  namespace: db\nspec:\n  neo4jVersion: \"{version}\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: key\n{extra}"
        );
        validate(&Neo4jCluster::from_yaml(&yaml).expect("parses")).expect("valid")
    }

    #[test]
    fn inspect_asks_for_metadata_only_where_the_option_exists() {
        assert_eq!(
            inspect_flags(&cluster("5.26.16", "")),
            "--show-metadata --empty"
        );
        assert_eq!(
            inspect_flags(&cluster("2025.06.2", "")),
            "--show-metadata --empty"
        );
        assert_eq!(inspect_flags(&cluster("2025.07.1", "")), "--empty");
        assert_eq!(inspect_flags(&cluster("2025.10.1", "")), "--empty");
    }

    #[test]
    fn full_backups_skip_the_fetch_and_verification_can_be_off() {
        let (_, jobs) = build(&cluster(
            "5.26.16",
            "    type: FULL\n    verification:\n      enabled: false\n",
        ));
        assert_eq!(jobs.len(), 1);
        let pod = pod_of(&jobs[0]);
        let init: Vec<&str> = pod
            .init_containers
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(init, ["select-source", "neo4j-admin-backup"]);
        // The account key reaches the agent as a file, never as a value.
        let upload = &pod.containers[0];
        assert!(upload.env.iter().flatten().all(|e| e.value_from.is_none()));
        assert!(
            upload
                .env
                .iter()
                .flatten()
                .any(|e| e.name == "NEO4J_AKS_BACKUP_KEY_FILE")
        );
    }

    #[test]
    fn with_the_backup_scope_neo4j_admin_presents_a_client_certificate_and_nothing_else_does() {
        let (_, jobs) = build(&cluster("5.26.16", "  tls:\n    enabled: true\n"));
        let pod = pod_of(&jobs[0]);
        let all: Vec<&Container> = pod
            .init_containers
            .iter()
            .flatten()
            .chain(&pod.containers)
            .collect();
        let admin = all
            .iter()
            .find(|c| c.name == "neo4j-admin-backup")
            .expect("neo4j-admin-backup");
        let config = admin
            .env
            .iter()
            .flatten()
            .find(|e| e.name == "BACKUP_CLIENT_CONFIG")
            .and_then(|e| e.value.clone())
            .expect("the client policy");
        for line in [
            "dbms.ssl.policy.backup.enabled=true",
            "dbms.ssl.policy.backup.client_auth=REQUIRE",
            "dbms.ssl.policy.backup.private_key=/run/secrets/neo4j-aks-backup-tls/backup-client.key",
            "dbms.ssl.policy.backup.public_certificate=/run/secrets/neo4j-aks-backup-tls/backup-client.crt",
            "dbms.ssl.policy.backup.trusted_dir=/run/secrets/neo4j-aks-backup-tls/trusted",
            "dbms.ssl.policy.backup.revoked_dir=/run/neo4j-aks/revoked",
            "dbms.ssl.policy.backup.tls_versions=TLSv1.2,TLSv1.3",
        ] {
            assert!(
                config.lines().any(|l| l == line),
                "{line} missing:\n{config}"
            );
        }
        // Only neo4j-admin mounts the client certificate.
        let mounting: Vec<&str> = all
            .iter()
            .filter(|c| {
                c.volume_mounts
                    .iter()
                    .flatten()
                    .any(|m| m.name == BACKUP_TLS_VOLUME && m.read_only == Some(true))
            })
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(mounting, ["neo4j-admin-backup"]);
        assert!(
            pod.volumes
                .iter()
                .flatten()
                .any(|v| v.name == BACKUP_TLS_VOLUME && v.projected.is_some())
        );
        // Without the backup scope: no client certificate, no policy.
        let (_, jobs) = build(&cluster(
            "5.26.16",
            "  tls:\n    enabled: true\n    scopes: [bolt, cluster]\n",
        ));
        let text = serde_json::to_string(&jobs).expect("json");
        // (The script names the variable; no container sets it.)
        assert!(
            !text.contains("\"name\":\"BACKUP_CLIENT_CONFIG\""),
            "{text}"
        );
        assert!(!text.contains("\"backup-tls\""), "{text}");
    }

    /// The backup script as the container runs it (`sh -c`), with a stand-in for neo4j-admin that
    /// records its arguments (the Enterprise tool cannot run here): with the client policy set,
    /// every backup reads it through `--additional-config`; without, the arguments are as before.
    #[test]
    fn the_backup_script_hands_neo4j_admin_the_client_policy() {
        let dir =
            std::env::temp_dir().join(format!("neo4j-aks-backup-script-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("dir");
        let fake = bin.join("neo4j-admin");
        std::fs::write(&fake, "#!/bin/sh\necho \"$*\" >> \"$RUN_DIR/calls\"\n").expect("write");
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let run = |config: Option<&str>| {
            let run_dir = dir.join(if config.is_some() { "with" } else { "without" });
            std::fs::create_dir_all(&run_dir).expect("dir");
            std::fs::write(
                run_dir.join("sources.list"),
                "neo4j db-1:6362\nsystem db-2:6362\n",
            )
            .expect("write");
            let mut command = std::process::Command::new("sh");
            command
                .args(["-c", BACKUP_SCRIPT])
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .env("RUN_DIR", &run_dir)
                .env("BACKUPS_DIR", "/backups")
                .env("BACKUP_TYPE", "FULL");
            if let Some(config) = config {
                command.env("BACKUP_CLIENT_CONFIG", config);
            }
            let out = command.output().expect("sh runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let calls = std::fs::read_to_string(run_dir.join("calls")).expect("calls");
            let written = std::fs::read_to_string(run_dir.join("backup-client.conf")).ok();
            (run_dir, calls, written)
        };
        let (run_dir, calls, written) = run(Some("a=1\nb=2\n"));
        let flag = format!(
            "--additional-config={}/backup-client.conf",
            run_dir.display()
        );
        assert_eq!(
            calls.lines().collect::<Vec<_>>(),
            [
                format!(
                    "database backup {flag} --from=db-1:6362 --type=FULL --to-path=/backups neo4j"
                ),
                format!(
                    "database backup {flag} --from=db-2:6362 --type=FULL --to-path=/backups system"
                ),
            ]
        );
        assert_eq!(written.as_deref(), Some("a=1\nb=2\n\n"));
        assert!(run_dir.join("revoked").is_dir());
        let (_, calls, written) = run(None);
        assert!(
            calls.lines().all(|l| !l.contains("--additional-config")),
            "{calls}"
        );
        assert!(written.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn with_bolt_tls_the_agent_verifies_members_against_the_cluster_ca_and_sees_no_key() {
        // REQUIRED Bolt (the default level) with backups: the agent speaks TLS to the members.
        let (_, jobs) = build(&cluster(
            "5.26.16",
            "  tls:\n    enabled: true\n    scopes: [bolt, https, cluster]\n",
        ));
        let pod = pod_of(&jobs[0]);
        let container = |name: &str| {
            pod.init_containers
                .iter()
                .flatten()
                .chain(&pod.containers)
                .find(|c| c.name == name)
                .cloned()
                .expect(name)
        };
        let select = container("select-source");
        let members: Vec<&String> = select
            .args
            .iter()
            .flatten()
            .filter(|a| a.contains("://"))
            .collect();
        assert_eq!(members.len(), 3);
        assert!(
            members.iter().all(|m| m.starts_with("bolt+s://")),
            "{members:?}"
        );
        for name in ["select-source", "upload"] {
            let c = container(name);
            assert!(
                c.env
                    .iter()
                    .flatten()
                    .any(|e| e.name == "NEO4J_AKS_BOLT_CA_FILE"
                        && e.value.as_deref() == Some("/run/secrets/neo4j-aks-ca/ca.crt")),
                "{name}"
            );
            assert!(
                c.volume_mounts
                    .iter()
                    .flatten()
                    .any(|m| m.name == BOLT_CA_VOLUME && m.read_only == Some(true)),
                "{name}"
            );
        }
        // Only the CA certificate of <name>-tls, never a member's key.
        let ca = pod
            .volumes
            .iter()
            .flatten()
            .find(|v| v.name == BOLT_CA_VOLUME)
            .and_then(|v| v.secret.clone())
            .expect("the CA volume");
        assert_eq!(ca.secret_name.as_deref(), Some("g-tls"));
        let keys: Vec<String> = ca.items.iter().flatten().map(|i| i.key.clone()).collect();
        assert_eq!(keys, ["ca.crt"]);
        // With certificates the user provides, the CA comes from their Secret.
        let (_, user) = build(&cluster(
            "5.26.16",
            "  tls:\n    enabled: true\n    scopes: [bolt]\n    source: secret\n    secret:\n      name: my-certs\n",
        ));
        let text = serde_json::to_string(&user).expect("json");
        assert!(text.contains("\"secretName\":\"my-certs\"") && !text.contains("g-tls"));
        // Without TLS nothing of it is rendered.
        let (_, plain) = build(&cluster("5.26.16", ""));
        let text = serde_json::to_string(&plain).expect("json");
        assert!(!text.contains("NEO4J_AKS_BOLT_CA_FILE") && !text.contains("bolt+s://"));
    }

    #[test]
    fn each_agent_step_gets_only_the_credentials_it_uses() {
        let (_, jobs) = build(&cluster("5.26.16", ""));
        let pod = pod_of(&jobs[0]);
        let mounts = |name: &str| -> Vec<String> {
            pod.init_containers
                .iter()
                .flatten()
                .chain(&pod.containers)
                .find(|c| c.name == name)
                .and_then(|c| c.volume_mounts.clone())
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.name)
                .collect()
        };
        assert!(mounts("select-source").contains(&AUTH_VOLUME.to_string()));
        assert!(!mounts("select-source").contains(&KEY_VOLUME.to_string()));
        assert!(!mounts("fetch").contains(&AUTH_VOLUME.to_string()));
        assert!(mounts("fetch").contains(&KEY_VOLUME.to_string()));
        assert!(mounts("upload").contains(&AUTH_VOLUME.to_string()));
        assert!(mounts("upload").contains(&KEY_VOLUME.to_string()));
        assert!(!mounts("neo4j-admin-backup").contains(&KEY_VOLUME.to_string()));
    }

    #[test]
    fn the_verification_server_is_a_native_sidecar_on_loopback() {
        let (_, jobs) = build(&cluster("5.26.16", ""));
        let pod = pod_of(&jobs[1]);
        let sidecar = pod
            .init_containers
            .iter()
            .flatten()
            .find(|c| c.name == "neo4j")
            .expect("sidecar");
        assert_eq!(sidecar.restart_policy.as_deref(), Some("Always"));
        assert!(sidecar.startup_probe.is_some());
        assert!(sidecar.env.iter().flatten().any(|e| {
            e.name == "NEO4J_server_default__listen__address"
                && e.value.as_deref() == Some("127.0.0.1")
        }));
        assert_eq!(pod.containers[0].name, "verify");
    }
}
