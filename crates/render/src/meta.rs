//! Object metadata shared by every builder.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use neo4j_aks_model::ValidatedCluster;

use crate::labels;

/// Metadata of a namespaced object of the cluster.
pub fn namespaced(cluster: &ValidatedCluster, name: String) -> ObjectMeta {
    with_labels(cluster, name, labels::common(cluster))
}

pub fn with_labels(
    cluster: &ValidatedCluster,
    name: String,
    labels: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(cluster.namespace.clone()),
        labels: Some(labels),
        annotations: (!cluster.annotations.is_empty()).then(|| cluster.annotations.clone()),
        ..ObjectMeta::default()
    }
}
