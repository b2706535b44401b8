//! Dynamic API handles for the kinds the renderer produces (the table is
//! `neo4j_aks_render::kinds`).

use kube::Client;
use kube::api::{Api, DynamicObject};
pub use neo4j_aks_render::{Kind, Scope};

/// A dynamic handle: namespaced kinds in `namespace`, cluster-scoped kinds cluster-wide.
pub trait KindApi {
    fn api(self, client: &Client, namespace: &str) -> Api<DynamicObject>;
}

impl KindApi for Kind {
    fn api(self, client: &Client, namespace: &str) -> Api<DynamicObject> {
        let resource = self.resource();
        match self.scope() {
            Scope::Namespaced => Api::namespaced_with(client.clone(), namespace, &resource),
            Scope::Cluster => Api::all_with(client.clone(), &resource),
        }
    }
}

/// Every namespaced kind, in the table's order: where orphans are looked for, and what the
/// Neo4jCluster owns.
pub fn namespaced() -> impl Iterator<Item = Kind> {
    Kind::ALL
        .iter()
        .copied()
        .filter(|k| k.scope() == Scope::Namespaced)
}
