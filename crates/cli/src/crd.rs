//! The CustomResourceDefinition, generated from the model's types.

use kube::CustomResourceExt;
use neo4j_aks_model::Neo4jCluster;

pub fn yaml() -> Result<String, String> {
    let crd = Neo4jCluster::crd();
    serde_saphyr::to_string(&crd).map_err(|e| format!("cannot write the CRD as YAML: {e}"))
}
