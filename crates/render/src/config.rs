//! The ConfigMap holding neo4j.conf and the Secret holding the admin password.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::{PasswordSource, Resolver};
use sha2::{Digest, Sha256};

use crate::{meta, neo4j_conf};

pub const CONF_FILE: &str = "neo4j.conf";
/// Key of the member count the SRV wait needs before Neo4j starts (formation only), read by the
/// init container from the ConfigMap so a scale does not change the pod template.
pub const SRV_WAIT_MEMBERS_KEY: &str = "srv-wait-members";
pub use neo4j_aks_model::api::annotations::GENERATED_PASSWORD as PASSWORD_ANNOTATION;

pub fn config_map(cluster: &ValidatedCluster) -> ConfigMap {
    let mut data = BTreeMap::from([(CONF_FILE.to_string(), neo4j_conf::render(cluster))]);
    if let Some(clustering) = &cluster.clustering
        && clustering.resolver == Resolver::Srv
    {
        data.insert(
            SRV_WAIT_MEMBERS_KEY.to_string(),
            clustering.minimum_cluster_size.to_string(),
        );
    }
    ConfigMap {
        metadata: meta::namespaced(cluster, cluster.config_map_name()),
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// sha256 of the neo4j.conf lines a running member acts on; a change is a new revision, which
/// the operator rolls out member by member. Formation-only settings
/// ([`neo4j_conf::formation_only`]) and the SRV wait's member count are left out: they change
/// with `nodeCount` and would otherwise restart every member on every scale.
pub fn digest(config_map: &ConfigMap) -> String {
    let conf = config_map
        .data
        .as_ref()
        .and_then(|d| d.get(CONF_FILE))
        .map(String::as_str)
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    for line in conf.lines() {
        let key = line.split_once('=').map_or("", |(k, _)| k.trim());
        if !neo4j_conf::formation_only(key) {
            hasher.update(line.as_bytes());
            hasher.update([0]);
        }
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
