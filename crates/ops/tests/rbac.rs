//! The generated ClusterRole is enough: an operator that impersonates a service account bound
//! only to `deploy::cluster_rules()` creates, changes (resolver switch, volume expansion) and
//! deletes a cluster without a single error, and may not do what it does not need.

mod support;

use std::time::Duration;

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};
use neo4j_aks_ops::deploy::cluster_rules;
use support::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_generated_cluster_role_is_sufficient_and_narrow() {
    let Some(mut h) = Harness::new("ops_rbac").await else {
        return;
    };
    let ns = h.ns().to_string();
    let name = format!("{ns}-operator");
    let roles: Api<ClusterRole> = Api::all(h.client());
    let bindings: Api<ClusterRoleBinding> = Api::all(h.client());
    let meta = ObjectMeta {
        name: Some(name.clone()),
        ..ObjectMeta::default()
    };
    roles
        .create(
            &PostParams::default(),
            &ClusterRole {
                metadata: meta.clone(),
                rules: Some(cluster_rules().into_iter().map(|(_, r)| r).collect()),
                ..ClusterRole::default()
            },
        )
        .await
        .expect("cluster role");
    bindings
        .create(
            &PostParams::default(),
            &ClusterRoleBinding {
                metadata: meta,
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "ClusterRole".into(),
                    name: name.clone(),
                },
                subjects: Some(vec![Subject {
                    kind: "ServiceAccount".into(),
                    name: "operator".into(),
                    namespace: Some(ns.clone()),
                    ..Subject::default()
                }]),
            },
        )
        .await
        .expect("binding");
    let user = format!("system:serviceaccount:{ns}:operator");
    let groups = vec![
        "system:serviceaccounts".to_string(),
        format!("system:serviceaccounts:{ns}"),
        "system:authenticated".to_string(),
    ];
    // Narrow: no reading of Secrets' neighbours' deletion, no cluster-wide node listing.
    for (verb, group, resource) in [
        ("delete", "", "secrets"),
        ("list", "", "nodes"),
        ("create", "", "pods"),
        ("delete", "apps", "deployments"),
    ] {
        assert!(
            !h.env
                .can_i(&user, &groups, verb, group, resource, Some(&ns))
                .await,
            "the operator may {verb} {resource}"
        );
    }

    let metrics = h.start_operator_as(&user, groups).await;
    h.create(&h.spec("  deletionPolicy: Delete\n  discovery:\n    resolverType: K8S\n"))
        .await;
    h.wait_ready(3).await;
    h.patch_spec(
        serde_json::json!({"discovery": {"resolverType": "SRV"}, "storage": {"diskSizeGi": 40}}),
    )
    .await;
    h.wait_status("SRV applied and volumes expanded", |c| {
        let s = c.status.clone().unwrap_or_default();
        if s.observed_generation == c.metadata.generation
            && s.members
                .iter()
                .all(|m| m.pvc_capacity.as_deref() == Some("40Gi"))
        {
            Ok(())
        } else {
            Err(format!("{:?}", s.members))
        }
    })
    .await;
    assert!(h.discovery_services().await.is_empty());
    let text = metrics.encode();
    assert!(
        !text.contains("neo4j_aks_reconcile_errors_total{"),
        "errors under the generated RBAC:\n{text}"
    );
    // Deletion (finalizer: claims, StorageClass, listing other clusters) under the same RBAC.
    h.clusters()
        .delete("db", &DeleteParams::default())
        .await
        .expect("delete");
    neo4j_aks_testkit::wait_until(Duration::from_secs(60), "the cluster gone", || {
        let api = h.clusters();
        async move {
            match api.get_opt("db").await {
                Ok(None) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    let text = metrics.encode();
    assert!(
        !text.contains("neo4j_aks_reconcile_errors_total{"),
        "errors while deleting under the generated RBAC:\n{text}"
    );
    h.stop_operators();
    let _ = roles.delete(&name, &DeleteParams::default()).await;
    let _ = bindings.delete(&name, &DeleteParams::default()).await;
    h.teardown().await;
}
