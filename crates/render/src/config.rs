//! The ConfigMap holding neo4j.conf and the Secret holding the admin password.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::PasswordSource;
use sha2::{Digest, Sha256};

use crate::{meta, neo4j_conf};

pub const CONF_FILE: &str = "neo4j.conf";
pub const PASSWORD_ANNOTATION: &str = "neo4j-aks.io/password";

pub fn config_map(cluster: &ValidatedCluster) -> ConfigMap {
    ConfigMap {
        metadata: meta::namespaced(cluster, cluster.config_map_name()),
        data: Some(BTreeMap::from([(
            CONF_FILE.to_string(),
            neo4j_conf::render(cluster),
        )])),
        ..ConfigMap::default()
    }
}

/// sha256 of everything a member reads at start; a change rolls the pods.
pub fn digest(config_map: &ConfigMap) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in config_map.data.iter().flatten() {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// The generated-password Secret, rendered without its value: `neo4j-aks apply` and the
/// operator fill it once with a random password, and nothing ever prints it. A user-supplied
/// Secret is referenced, not rendered.
pub fn secret(cluster: &ValidatedCluster) -> Option<Secret> {
    let PasswordSource::Generated { secret, .. } = &cluster.password else {
        return None;
    };
    let mut metadata = meta::namespaced(cluster, secret.clone());
    metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(PASSWORD_ANNOTATION.to_string(), "generated".to_string());
    Some(Secret {
        metadata,
        type_: Some("Opaque".to_string()),
        ..Secret::default()
    })
}
