//! The members' ServiceAccount, Role and RoleBinding. The K8S resolver (proposal R3.1–R3.3)
//! reads Services in the cluster's own namespace, and nothing else. A cluster seeded from a
//! backup with workload identity, or reading its password from Key Vault, needs the account
//! (with the identity's client ID) but no Role.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::Resolver;

use crate::{meta, seed};

/// The workload identity the member ServiceAccount is federated with: the seed step's (reading
/// Azure Storage) or Key Vault's (the CSI driver requests the account's token for it); validation
/// makes them agree when both are set.
pub fn member_client_id(cluster: &ValidatedCluster) -> Option<&str> {
    seed::uses_workload_identity(cluster).or_else(|| {
        cluster
            .password
            .key_vault()
            .map(|vault| vault.client_id.as_str())
    })
}

pub fn build(cluster: &ValidatedCluster) -> (Option<ServiceAccount>, Option<(Role, RoleBinding)>) {
    let k8s_resolver = cluster.resolver() == Some(Resolver::K8s);
    let identity = member_client_id(cluster);
    if !k8s_resolver && identity.is_none() {
        return (None, None);
    }
    let mut metadata = meta::namespaced(cluster, cluster.service_account_name());
    if let Some(client_id) = identity {
        metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(
                crate::pod::WORKLOAD_IDENTITY_CLIENT_ID.to_string(),
                client_id.to_string(),
            );
    }
    let account = ServiceAccount {
        metadata,
        automount_service_account_token: Some(k8s_resolver),
        ..ServiceAccount::default()
    };
    if !k8s_resolver {
        return (Some(account), None);
    }
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
    (Some(account), Some((role, binding)))
}
