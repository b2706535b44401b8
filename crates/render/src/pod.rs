//! What every rendered pod is made of, whatever builds it (members, backup and verification
//! Jobs, seed steps): the image's `neo4j` user, the restricted security context, env and mount
//! helpers, the agent container, and how an agent reaches Azure Blob.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EnvVar, ResourceRequirements, SeccompProfile, SecretVolumeSource,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use neo4j_aks_model::validated::{BackupCredential, BlobLocation};

/// The uid and gid of the `neo4j` user in the official image.
pub const NEO4J_UID: i64 = 7474;

/// The container security context every rendered container starts from: the Kubernetes
/// "restricted" Pod Security Standard (no privilege escalation, non-root, all capabilities
/// dropped, RuntimeDefault seccomp).
pub fn restricted() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_string()]),
            ..Capabilities::default()
        }),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_string(),
            ..SeccompProfile::default()
        }),
        ..SecurityContext::default()
    }
}

/// The agent image: this repository's `neo4j-aks` binary (Dockerfile), same version as the CLI
/// that rendered it.
pub const AGENT_IMAGE: &str = concat!("ghcr.io/neo4j-aks/neo4j-aks:", env!("CARGO_PKG_VERSION"));

/// Label and annotation of Entra Workload ID (the AKS webhook mutates labelled pods and reads
/// the client ID from the ServiceAccount).
pub use neo4j_aks_model::api::labels::WORKLOAD_IDENTITY_USE as WORKLOAD_IDENTITY_LABEL;

pub use neo4j_aks_model::api::annotations::WORKLOAD_IDENTITY_CLIENT_ID;

pub(crate) const KEY_VOLUME: &str = "storage-key";

pub(crate) const KEY_MOUNT: &str = "/run/secrets/azure-storage";

pub(crate) const KEY_FILE: &str = "key";

pub(crate) fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

pub(crate) fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

pub fn restricted_with(read_only_root: bool) -> SecurityContext {
    SecurityContext {
        read_only_root_filesystem: Some(read_only_root),
        ..restricted()
    }
}

pub(crate) fn resources(cpu: &str, memory: &str) -> ResourceRequirements {
    let amounts = BTreeMap::from([
        ("cpu".to_string(), Quantity(cpu.to_string())),
        ("memory".to_string(), Quantity(memory.to_string())),
    ]);
    ResourceRequirements {
        requests: Some(amounts.clone()),
        limits: Some(amounts),
        ..ResourceRequirements::default()
    }
}

/// The agent's view of a blob location: where (`NEO4J_AKS_BACKUP_*`), under which cluster name,
/// and how to authenticate; with `with_key`, the storage key Secret mounted as a file (never a
/// value in the pod spec). The key volume itself comes from [`key_volume`].
pub(crate) fn blob_access(
    blob: &BlobLocation,
    blob_cluster: &str,
    with_key: bool,
) -> (Vec<EnvVar>, Vec<VolumeMount>) {
    let mut env_vars = vec![
        env("NEO4J_AKS_BACKUP_ACCOUNT", blob.storage_account.clone()),
        env("NEO4J_AKS_BACKUP_CONTAINER", blob.container.clone()),
        env("NEO4J_AKS_BACKUP_PREFIX", blob.prefix.clone()),
        env("NEO4J_AKS_BACKUP_CLUSTER", blob_cluster),
    ];
    let mut mounts = Vec::new();
    match &blob.credential {
        BackupCredential::WorkloadIdentity { .. } => {
            env_vars.push(env("NEO4J_AKS_BACKUP_CREDENTIAL", "workload-identity"));
        }
        BackupCredential::AccountKey { .. } => {
            env_vars.push(env("NEO4J_AKS_BACKUP_CREDENTIAL", "account-key"));
            if with_key {
                env_vars.push(env(
                    "NEO4J_AKS_BACKUP_KEY_FILE",
                    format!("{KEY_MOUNT}/{KEY_FILE}"),
                ));
                mounts.push(mount(KEY_VOLUME, KEY_MOUNT, true));
            }
        }
    }
    (env_vars, mounts)
}

/// The storage key Secret as a volume, when the location uses one.
pub(crate) fn key_volume(blob: &BlobLocation) -> Option<Volume> {
    let BackupCredential::AccountKey { secret, key } = &blob.credential else {
        return None;
    };
    Some(Volume {
        name: KEY_VOLUME.to_string(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.clone()),
            items: Some(vec![k8s_openapi::api::core::v1::KeyToPath {
                key: key.clone(),
                path: KEY_FILE.to_string(),
                ..Default::default()
            }]),
            default_mode: Some(0o440),
            optional: Some(false),
        }),
        ..Volume::default()
    })
}

/// The neo4j-aks image running `args`; its one-line JSON result (docs/backup.md) is the
/// termination message the operator reads.
pub(crate) fn agent_container(
    name: &str,
    args: Vec<String>,
    env_vars: Vec<EnvVar>,
    mounts: Vec<VolumeMount>,
) -> Container {
    Container {
        name: name.to_string(),
        image: Some(AGENT_IMAGE.to_string()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        args: Some(args),
        env: Some(env_vars),
        volume_mounts: Some(mounts),
        resources: Some(resources("500m", "256Mi")),
        security_context: Some(restricted_with(true)),
        termination_message_policy: Some("File".to_string()),
        ..Container::default()
    }
}
