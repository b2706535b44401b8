//! ServiceAccount, Role and RoleBinding for the K8S resolver (proposal R3.1–R3.3): reading
//! Services in the cluster's own namespace, and nothing else.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::Resolver;

use crate::meta;

pub fn build(cluster: &ValidatedCluster) -> Option<(ServiceAccount, Role, RoleBinding)> {
    if cluster.resolver() != Some(Resolver::K8s) {
        return None;
    }
    let account = ServiceAccount {
        metadata: meta::namespaced(cluster, cluster.service_account_name()),
        automount_service_account_token: Some(true),
        ..ServiceAccount::default()
    };
    let role = Role {
        metadata: meta::namespaced(cluster, cluster.role_name()),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["services".to_string()]),
            verbs: vec!["get".to_string(), "list".to_string(), "watch".to_string()],
            ..PolicyRule::default()
        }]),
    };
    let binding = RoleBinding {
        metadata: meta::namespaced(cluster, cluster.role_binding_name()),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_string(),
            kind: "Role".to_string(),
            name: cluster.role_name(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_string(),
            name: cluster.service_account_name(),
            namespace: Some(cluster.namespace.clone()),
            ..Subject::default()
        }]),
    };
    Some((account, role, binding))
}
