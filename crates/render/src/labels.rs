//! Labels: which objects belong to which cluster, and which pods a selector picks.

use std::collections::BTreeMap;

use neo4j_aks_model::ValidatedCluster;

pub const MANAGED_BY: &str = "neo4j-aks";
pub const CLUSTER_LABEL: &str = "neo4j-aks.io/cluster";
pub const SERVICE_ROLE_LABEL: &str = "neo4j-aks.io/service";
pub const DISCOVERY_ROLE: &str = "discovery";
pub const CONFIG_DIGEST_ANNOTATION: &str = "neo4j-aks.io/config-digest";
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";

/// Labels that pick the member pods: stable for the life of the cluster (a StatefulSet's
/// selector is immutable), so the version is not among them.
pub fn selector(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "neo4j".to_string()),
        (
            "app.kubernetes.io/instance".to_string(),
            cluster.name.clone(),
        ),
    ])
}

/// Labels on every namespaced object of the cluster.
pub fn common(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let mut labels = cluster.labels.clone();
    labels.extend(selector(cluster));
    labels.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
    labels.insert(
        "app.kubernetes.io/version".into(),
        cluster.version.to_string(),
    );
    labels.insert(CLUSTER_LABEL.into(), cluster.name.clone());
    labels
}

/// Labels that never change for the life of the cluster, for immutable places such as the
/// StatefulSet's volumeClaimTemplates (a version label there would block every upgrade).
pub fn stable(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let mut labels = selector(cluster);
    labels.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
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
