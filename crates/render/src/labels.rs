//! Labels: which objects belong to which cluster, and which pods a selector picks.

use std::collections::BTreeMap;

use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::api::labels::{INSTANCE, MANAGED_BY as MANAGED_BY_KEY, NAME, VERSION};

pub use neo4j_aks_model::api::annotations::CONFIG_DIGEST as CONFIG_DIGEST_ANNOTATION;
pub use neo4j_aks_model::api::labels::CLUSTER as CLUSTER_LABEL;
pub use neo4j_aks_model::api::labels::DISCOVERY_ROLE;
pub use neo4j_aks_model::api::labels::MANAGED_BY_NEO4J_AKS as MANAGED_BY;
pub use neo4j_aks_model::api::labels::POD_NAME as POD_NAME_LABEL;
pub use neo4j_aks_model::api::labels::SERVICE_ROLE as SERVICE_ROLE_LABEL;
pub use neo4j_aks_model::api::labels::VERSION as VERSION_LABEL;

/// Labels that pick the member pods: stable for the life of the cluster (a StatefulSet's
/// selector is immutable), so the version is not among them.
pub fn selector(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    BTreeMap::from([
        (NAME.to_string(), "neo4j".to_string()),
        (INSTANCE.to_string(), cluster.name.clone()),
    ])
}

/// Labels on every namespaced object of the cluster.
pub fn common(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let mut labels = cluster.labels.clone();
    labels.extend(selector(cluster));
    labels.insert(MANAGED_BY_KEY.into(), MANAGED_BY.into());
    labels.insert(VERSION.into(), cluster.version.to_string());
    labels.insert(CLUSTER_LABEL.into(), cluster.name.clone());
    labels
}

/// Labels that never change for the life of the cluster, for immutable places such as the
/// StatefulSet's volumeClaimTemplates (a version label there would block every upgrade).
pub fn stable(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let mut labels = selector(cluster);
    labels.insert(MANAGED_BY_KEY.into(), MANAGED_BY.into());
    labels.insert(CLUSTER_LABEL.into(), cluster.name.clone());
    labels
}

/// Labels of the per-member discovery Services; the K8S resolver's selector matches exactly these.
pub fn discovery(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let mut labels = common(cluster);
    labels.insert(SERVICE_ROLE_LABEL.into(), DISCOVERY_ROLE.into());
    labels
}

/// `dbms.kubernetes.label_selector`: the cluster's discovery Services and nothing else.
pub fn discovery_selector(cluster: &ValidatedCluster) -> String {
    format!(
        "{CLUSTER_LABEL}={},{SERVICE_ROLE_LABEL}={DISCOVERY_ROLE}",
        cluster.name
    )
}
