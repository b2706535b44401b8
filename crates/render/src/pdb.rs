//! The PodDisruptionBudget: voluntary evictions (node drains, upgrades) take one member at a
//! time, so a majority of primaries stays up.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use neo4j_aks_model::ValidatedCluster;

use crate::{labels, meta};

/// None for a standalone server: a budget for one pod either blocks every drain or protects nothing.
pub fn build(cluster: &ValidatedCluster) -> Option<PodDisruptionBudget> {
    cluster.is_cluster().then(|| PodDisruptionBudget {
        metadata: meta::namespaced(cluster, cluster.pdb_name()),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(labels::selector(cluster)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}
