//! The StatefulSet: one pod and one disk per member (proposal FR3, R1.2, R2.3).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMapKeySelector, ConfigMapVolumeSource, Container, ContainerPort,
    EmptyDirVolumeSource, EnvVar, EnvVarSource, HTTPGetAction, KeyToPath, ObjectFieldSelector,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PodAffinityTerm, PodAntiAffinity,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, SeccompProfile, SecretVolumeSource,
    SecurityContext, TCPSocketAction, Volume, VolumeMount, VolumeResourceRequirements,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use neo4j_aks_model::validated::{AntiAffinity, Resolver};
use neo4j_aks_model::{ValidatedCluster, api};

use crate::pod::{NEO4J_UID, env};
use crate::{config, key_vault, labels, meta, neo4j_conf, pod, ports, rbac, seed, tls};

pub const DATA_VOLUME: &str = "data";
const CONF_VOLUME: &str = "conf";
const AUTH_VOLUME: &str = "auth";
const AUTH_MOUNT: &str = "/run/secrets/neo4j";
const AUTH_FILE: &str = "auth";
/// Where the Neo4j process writes outside `/data`, each an emptyDir so that the container's root
/// filesystem can be read-only: `(volume, mount path, size limit)`. The entrypoint copies `/conf`
/// into the image's conf directory and rewrites it at every start; Neo4j logs to `/logs` (the
/// image's `logs` link, which the entrypoint also sets as `server.directories.logs`); the JVM and
/// its native libraries use `/tmp`; `run` holds the pid file of `neo4j start`. Logs: Neo4j's
/// default log4j configuration keeps 7 × 20 MiB per log file (debug, query, security, http).
const SCRATCH_VOLUMES: &[(&str, &str, &str)] = &[
    ("neo4j-conf", "/var/lib/neo4j/conf", "64Mi"),
    ("logs", "/logs", "2Gi"),
    ("tmp", "/tmp", "1Gi"),
    ("run", "/var/lib/neo4j/run", "16Mi"),
];
/// The Neo4j container's ephemeral storage: what the scratch volumes above may hold plus the
/// container's own stdout log, which the kubelet rotates.
const EPHEMERAL_REQUEST: &str = "1Gi";
const EPHEMERAL_LIMIT: &str = "4Gi";
/// An image that really contains `nslookup` with SRV support (BusyBox applet).
pub const SRV_WAIT_IMAGE: &str = "busybox:1.37.0";
/// Waits until the SRV record lists enough members, so Neo4j starts with a useful seed list.
pub const SRV_WAIT_SCRIPT: &str = r#"deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
while :; do
  have=$(nslookup -type=SRV "$SRV_NAME" 2>/dev/null | grep -c 'service =' || true)
  if [ "$have" -ge "$MIN_TARGETS" ]; then
    echo "SRV $SRV_NAME lists $have members (need $MIN_TARGETS); starting Neo4j"
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "gave up after ${TIMEOUT_SECONDS}s: SRV $SRV_NAME lists $have members, need $MIN_TARGETS. Check that the member pods are scheduled and that the headless service publishes not-ready addresses." >&2
    exit 1
  fi
  echo "waiting for SRV $SRV_NAME: $have of $MIN_TARGETS members"
  sleep 5
done
"#;

pub fn build(cluster: &ValidatedCluster, config_digest: &str) -> StatefulSet {
    let mut template_annotations = cluster.annotations.clone();
    template_annotations.insert(
        labels::CONFIG_DIGEST_ANNOTATION.to_string(),
        config_digest.to_string(),
    );
    if let Some(at) = &cluster.restart_requested_at {
        // A new value is a new pod template revision: the operator restarts every member once.
        template_annotations.insert(
            neo4j_aks_model::operation::RESTART_REQUESTED_ANNOTATION.to_string(),
            at.clone(),
        );
    }
    if let Some(at) = cluster.tls.as_ref().and_then(|t| t.renewed_at.as_ref())
        && !crate::tls::reloads_without_restart(cluster)
    {
        // Neo4j reads its certificates when it starts (no reload before 2025.03): a renewal is
        // a new revision, which the day-2 executor rolls one member at a time.
        template_annotations.insert(
            neo4j_aks_model::api::annotations::CERTIFICATES_RENEWED_AT.to_string(),
            at.clone(),
        );
    }
    if let Some(at) = cluster
        .tls
        .as_ref()
        .and_then(|t| t.trusted_ca_added_at.as_ref())
    {
        // Neo4j reads its trusted CAs when it starts; the operator cannot see what a running
        // member trusts, so adding a CA restarts every member, on every version.
        template_annotations.insert(
            neo4j_aks_model::api::annotations::TRUSTED_CA_ADDED_AT.to_string(),
            at.clone(),
        );
    }
    let mut metadata = meta::namespaced(cluster, cluster.statefulset_name());
    let mut skips = Vec::new();
    if cluster.resolver() == Some(Resolver::K8s) {
        // Scanners flag any mounted token; this one is the K8S resolver's only way to list
        // Services, and its Role allows nothing else (docs/checkov.md).
        skips.push("CKV_K8S_38=The Neo4j K8S discovery resolver lists Services through the API with this token");
    }
    if cluster.bootstrap.is_some() {
        // Only while restoring: the Neo4j container is read-only, the seed-aggregate init
        // container runs neo4j-admin in the image's own layout (docs/checkov.md, CKV_K8S_22).
        skips.push("CKV_K8S_22=the seed-aggregate init container runs neo4j-admin in the official image's conf and logs directories");
    }
    for (i, skip) in skips.into_iter().enumerate() {
        metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(format!("checkov.io/skip{}", i + 1), skip.to_string());
    }
    StatefulSet {
        metadata,
        spec: Some(StatefulSetSpec {
            replicas: Some(cluster.members.rendered()),
            service_name: Some(cluster.headless_service_name()),
            // Members must start together: with OrderedReady, member 0 waits for a quorum that
            // members 1 and 2 are not allowed to start to provide.
            pod_management_policy: Some("Parallel".to_string()),
            selector: LabelSelector {
                match_labels: Some(labels::selector(cluster)),
                ..LabelSelector::default()
            },
            // Clusters: the operator picks which member restarts next (secondaries first, the
            // busiest leader last, each only while every database keeps its quorum) and deletes
            // that pod; a RollingUpdate would always roll the highest ordinal first. A
            // standalone server has no choice to make. See docs/day2/restart.md.
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some(
                    if cluster.is_cluster() {
                        "OnDelete"
                    } else {
                        "RollingUpdate"
                    }
                    .to_string(),
                ),
                ..Default::default()
            }),
            persistent_volume_claim_retention_policy: Some(
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some("Retain".to_string()),
                    when_scaled: Some("Retain".to_string()),
                },
            ),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels(cluster)),
                    annotations: Some(template_annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(cluster)),
            },
            volume_claim_templates: Some(vec![volume_claim_template(cluster)]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

/// The member labels, plus Entra Workload ID's opt-in while the seed step reads Azure Storage
/// with it (the webhook then projects the token into every container of the pod). Key Vault
/// alone does not opt in: the CSI driver requests the ServiceAccount's token itself (the
/// provider's workload identity mode, whose example pod carries no label), so the Neo4j
/// container holds no Azure token it does not need.
fn pod_labels(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let mut pod_labels = labels::common(cluster);
    if seed::uses_workload_identity(cluster).is_some() {
        pod_labels.insert(pod::WORKLOAD_IDENTITY_LABEL.to_string(), "true".to_string());
    }
    pod_labels
}

fn pod_spec(cluster: &ValidatedCluster) -> PodSpec {
    let k8s_resolver = cluster.resolver() == Some(Resolver::K8s);
    let account = if k8s_resolver || rbac::member_client_id(cluster).is_some() {
        cluster.service_account_name()
    } else {
        "default".to_string()
    };
    PodSpec {
        // Always named, never left out: when a cluster leaves the K8S resolver, an apply that
        // drops the field leaves the API server's deprecated `serviceAccount` alias pointing at
        // the deleted `<name>-sa`, and new pods could not start. Both fields say the same.
        service_account_name: Some(account.clone()),
        service_account: Some(account),
        // Only the K8S resolver talks to the API server; nothing else gets a token.
        automount_service_account_token: Some(k8s_resolver),
        // Service links put `<SERVICE>_SERVICE_HOST`-style variables into the container; every
        // one whose Service name starts with `neo4j` is a `NEO4J_*` variable, which the image
        // writes into neo4j.conf as a setting.
        enable_service_links: Some(false),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(NEO4J_UID),
            run_as_group: Some(NEO4J_UID),
            fs_group: Some(NEO4J_UID),
            fs_group_change_policy: Some("OnRootMismatch".to_string()),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".to_string(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        // Neo4j flushes and checkpoints on shutdown; cutting that short means recovery on start.
        termination_grace_period_seconds: Some(3600),
        affinity: cluster.anti_affinity.as_ref().map(|a| affinity(cluster, a)),
        node_selector: (!cluster.scheduling.node_selector.is_empty())
            .then(|| cluster.scheduling.node_selector.clone()),
        tolerations: (!cluster.scheduling.tolerations.is_empty())
            .then(|| cluster.scheduling.tolerations.clone()),
        priority_class_name: cluster.scheduling.priority_class_name.clone(),
        image_pull_secrets: (!cluster.image.pull_secrets.is_empty())
            .then(|| cluster.image.pull_secrets.clone()),
        init_containers: {
            let init: Vec<Container> = srv_wait(cluster)
                .into_iter()
                .chain(seed::init_containers(cluster))
                .collect();
            (!init.is_empty()).then_some(init)
        },
        containers: vec![neo4j_container(cluster)],
        volumes: Some(member_volumes(cluster)),
        ..PodSpec::default()
    }
}

fn member_volumes(cluster: &ValidatedCluster) -> Vec<Volume> {
    let mut volumes = vec![
        Volume {
            name: CONF_VOLUME.to_string(),
            config_map: Some(ConfigMapVolumeSource {
                name: cluster.config_map_name(),
                // Only neo4j.conf: the official image copies every file under /conf into
                // Neo4j's conf directory.
                items: Some(vec![KeyToPath {
                    key: config::CONF_FILE.to_string(),
                    path: config::CONF_FILE.to_string(),
                    ..KeyToPath::default()
                }]),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
        // From Key Vault, the CSI driver mounts the same file name; otherwise the Secret.
        key_vault::volume(cluster, AUTH_VOLUME).unwrap_or_else(|| Volume {
            name: AUTH_VOLUME.to_string(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(cluster.password.secret_name().to_string()),
                items: Some(vec![KeyToPath {
                    key: cluster.password.key().to_string(),
                    path: AUTH_FILE.to_string(),
                    ..KeyToPath::default()
                }]),
                // Readable by its owner and the neo4j group (fsGroup), nobody else.
                default_mode: Some(0o440),
                optional: Some(false),
            }),
            ..Volume::default()
        }),
    ];
    volumes.extend(SCRATCH_VOLUMES.iter().map(|(name, _, limit)| Volume {
        name: (*name).to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity((*limit).to_string())),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }));
    volumes.extend(seed::volumes(cluster));
    volumes.extend(tls::volumes(cluster));
    volumes
}

/// Soft by default: spread members over nodes (weight 100) and zones (weight 50), but still
/// schedule every member on a short node pool. Hard puts at most one member on a node.
fn affinity(cluster: &ValidatedCluster, anti: &AntiAffinity) -> Affinity {
    let term = |topology_key: &str| PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_labels: Some(labels::selector(cluster)),
            ..LabelSelector::default()
        }),
        topology_key: topology_key.to_string(),
        ..PodAffinityTerm::default()
    };
    let zone = WeightedPodAffinityTerm {
        weight: anti.zone_weight,
        pod_affinity_term: term(api::labels::ZONE),
    };
    let node = WeightedPodAffinityTerm {
        weight: anti.node_weight,
        pod_affinity_term: term(api::labels::HOSTNAME),
    };
    let anti_affinity = if anti.hard {
        PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![term(
                api::labels::HOSTNAME,
            )]),
            preferred_during_scheduling_ignored_during_execution: Some(vec![zone]),
        }
    } else {
        PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![node, zone]),
            ..PodAntiAffinity::default()
        }
    };
    Affinity {
        pod_anti_affinity: Some(anti_affinity),
        ..Affinity::default()
    }
}

fn neo4j_container(cluster: &ValidatedCluster) -> Container {
    let mut env_vars = vec![
        EnvVar {
            name: "POD_NAME".to_string(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.name".to_string(),
                    ..Default::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        },
        // The image (5.24+) reads NEO4J_AUTH from this file, so the password is never in the
        // pod's environment or spec.
        env("NEO4J_AUTH_FILE", format!("{AUTH_MOUNT}/{AUTH_FILE}")),
        env(
            "NEO4J_ACCEPT_LICENSE_AGREEMENT",
            cluster.license.as_env_value(),
        ),
    ];
    env_vars.extend(
        neo4j_conf::member_settings(cluster)
            .into_iter()
            .map(|(setting, value)| env(&neo4j_conf::env_name(&setting), value)),
    );
    let resources = |ephemeral: &str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cluster.resources.cpu.clone())),
            (
                "memory".to_string(),
                Quantity(cluster.resources.memory.clone()),
            ),
            (
                "ephemeral-storage".to_string(),
                Quantity(ephemeral.to_string()),
            ),
        ])
    };
    Container {
        name: api::containers::NEO4J.to_string(),
        image: Some(cluster.image.reference.clone()),
        image_pull_policy: Some(cluster.image.pull_policy.clone()),
        env: Some(env_vars),
        ports: Some(
            ports::member_ports(cluster)
                .into_iter()
                .map(|(name, port)| ContainerPort {
                    name: Some(name),
                    container_port: port,
                    protocol: Some("TCP".to_string()),
                    ..ContainerPort::default()
                })
                .collect(),
        ),
        resources: Some(ResourceRequirements {
            requests: Some(resources(EPHEMERAL_REQUEST)),
            limits: Some(resources(EPHEMERAL_LIMIT)),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            read_only_root_filesystem: Some(true),
            ..pod::restricted()
        }),
        // Cluster formation and store recovery can take long; until the first success the
        // other probes are off, so a forming member is never killed.
        startup_probe: Some(tcp_probe(10, 5, 360)),
        liveness_probe: Some(tcp_probe(10, 10, 30)),
        readiness_probe: Some(readiness(cluster)),
        volume_mounts: Some(
            vec![
                VolumeMount {
                    name: DATA_VOLUME.to_string(),
                    mount_path: "/data".to_string(),
                    ..VolumeMount::default()
                },
                // The image copies /conf/* into its conf directory, then applies NEO4J_* variables.
                VolumeMount {
                    name: CONF_VOLUME.to_string(),
                    mount_path: "/conf".to_string(),
                    read_only: Some(true),
                    ..VolumeMount::default()
                },
                VolumeMount {
                    name: AUTH_VOLUME.to_string(),
                    mount_path: AUTH_MOUNT.to_string(),
                    read_only: Some(true),
                    ..VolumeMount::default()
                },
            ]
            .into_iter()
            .chain(SCRATCH_VOLUMES.iter().map(|(name, path, _)| VolumeMount {
                name: (*name).to_string(),
                mount_path: (*path).to_string(),
                ..VolumeMount::default()
            }))
            .chain(seed::neo4j_mount(cluster))
            .chain(tls::mounts(cluster))
            .collect(),
        ),
        ..Container::default()
    }
}

fn tcp_probe(period: i32, timeout: i32, failures: i32) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::String("bolt".to_string()),
            ..TCPSocketAction::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(timeout),
        failure_threshold: Some(failures),
        ..Probe::default()
    }
}

/// A clustered member is Ready when it serves the `system` database, which every member hosts;
/// discovery never depends on readiness (not-ready addresses are published). A standalone server
/// is Ready once its HTTP server answers the unauthenticated discovery document (`GET /`), which
/// Neo4j starts after the DBMS; liveness stays the cheaper bolt socket check, so a server that
/// is alive but not serving is taken out of the Service without being restarted.
fn readiness(cluster: &ValidatedCluster) -> Probe {
    let path = if cluster.is_cluster() {
        "/db/system/cluster/available"
    } else {
        "/"
    };
    // The kubelet does not verify the certificate of an HTTPS probe, so the generated CA need
    // not be known to it.
    let (port, scheme) = if ports::https(cluster) {
        ("https", "HTTPS")
    } else {
        ("http", "HTTP")
    };
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_string()),
            port: IntOrString::String(port.to_string()),
            scheme: Some(scheme.to_string()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

fn srv_wait(cluster: &ValidatedCluster) -> Option<Container> {
    let clustering = cluster
        .clustering
        .as_ref()
        .filter(|c| c.resolver == Resolver::Srv)?;
    let small = BTreeMap::from([
        ("cpu".to_string(), Quantity("50m".to_string())),
        ("memory".to_string(), Quantity("32Mi".to_string())),
    ]);
    Some(Container {
        name: "wait-for-srv".to_string(),
        image: Some(SRV_WAIT_IMAGE.to_string()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            SRV_WAIT_SCRIPT.to_string(),
        ]),
        env: Some(vec![
            env("SRV_NAME", cluster.srv_record_name().unwrap_or_default()),
            EnvVar {
                name: "MIN_TARGETS".to_string(),
                value_from: Some(EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name: cluster.config_map_name(),
                        key: config::SRV_WAIT_MEMBERS_KEY.to_string(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }),
                ..EnvVar::default()
            },
            env(
                "TIMEOUT_SECONDS",
                clustering.srv_wait_timeout_seconds.to_string(),
            ),
        ]),
        resources: Some(ResourceRequirements {
            requests: Some(small.clone()),
            limits: Some(small),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            read_only_root_filesystem: Some(true),
            ..pod::restricted()
        }),
        ..Container::default()
    })
}

fn volume_claim_template(cluster: &ValidatedCluster) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(DATA_VOLUME.to_string()),
            labels: Some(labels::stable(cluster)),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: Some(cluster.storage.class_name.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(format!("{}Gi", cluster.storage.disk_size_gi)),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}
