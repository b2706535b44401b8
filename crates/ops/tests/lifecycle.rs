//! The operator against the local control plane (testenv): real apiserver, controller-manager,
//! scheduler; kwok plays the kubelets (pods reach Running/Ready, no Neo4j runs) and a simulated
//! Azure disk provisioner binds and expands claims.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::Api;
use support::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_a_three_member_cluster_ready_across_three_zones_then_resyncs_without_writes() {
    let Some(mut h) = Harness::new("ops_create").await else {
        return;
    };
    let metrics = h.start_operator().await;
    h.create(&h.spec("")).await;
    let cluster = h.wait_ready(3).await;
    let status = cluster.status.expect("status");

    // Every object exists, owned by the Neo4jCluster (controller=true).
    let uid = cluster.metadata.uid.clone().expect("uid");
    let owned =
        |refs: Option<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>>| {
            refs.unwrap_or_default()
                .iter()
                .any(|r| r.uid == uid && r.controller == Some(true))
        };
    let sts = h.api::<StatefulSet>().get("db").await.expect("statefulset");
    assert!(owned(sts.metadata.owner_references));
    for name in [
        "db-headless",
        "db-lb",
        "db-0-discovery",
        "db-1-discovery",
        "db-2-discovery",
    ] {
        let svc = h.api::<Service>().get(name).await.expect(name);
        assert!(owned(svc.metadata.owner_references), "{name} owned");
    }
    assert!(owned(
        h.api::<ConfigMap>()
            .get("db-config")
            .await
            .expect("cm")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<ServiceAccount>()
            .get("db-sa")
            .await
            .expect("sa")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<Role>()
            .get("db-service-reader")
            .await
            .expect("role")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<RoleBinding>()
            .get("db-service-reader-binding")
            .await
            .expect("rb")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<PodDisruptionBudget>()
            .get("db-pdb")
            .await
            .expect("pdb")
            .metadata
            .owner_references
    ));
    let class = format!("{}-premium", h.ns());
    Api::<StorageClass>::all(h.client())
        .get(&class)
        .await
        .expect("storage class");

    // The generated password: filled once, neo4j/<32 chars>, owned by its own field manager.
    let secret = h.api::<Secret>().get("db-secrets").await.expect("secret");
    let auth = secret
        .data
        .as_ref()
        .and_then(|d| d.get("NEO4J_AUTH"))
        .expect("NEO4J_AUTH filled");
    let auth = String::from_utf8(auth.0.clone()).expect("utf8");
    assert!(auth.starts_with("neo4j/") && auth.len() == "neo4j/".len() + 32);
    let managers: Vec<String> = secret
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert!(
        managers.contains(&"neo4j-aks-password".to_string()),
        "{managers:?}"
    );

    // Status: three members Running/Ready on three zones, each with its claim and capacity.
    assert_eq!(status.ready_members, Some(3));
    assert_eq!(status.replicas, Some(3));
    assert_eq!(
        status.selector.as_deref(),
        Some("app.kubernetes.io/instance=db,app.kubernetes.io/name=neo4j")
    );
    let zones: BTreeSet<_> = status
        .members
        .iter()
        .filter_map(|m| m.zone.clone())
        .collect();
    assert_eq!(zones.len(), 3, "members {:?}", status.members);
    for (i, m) in status.members.iter().enumerate() {
        assert_eq!(m.pod, format!("db-{i}"));
        assert_eq!(m.phase.as_deref(), Some("Running"));
        assert!(m.ready && m.node.is_some());
        assert_eq!(m.pvc.as_deref(), Some(format!("data-db-{i}").as_str()));
        assert_eq!(m.pvc_capacity.as_deref(), Some("32Gi"));
    }
    for (t, s) in [
        ("Ready", "True"),
        ("SpecValid", "True"),
        ("Progressing", "False"),
        ("Degraded", "False"),
    ] {
        let c = status.conditions.iter().find(|c| c.type_ == t).expect(t);
        assert_eq!(c.status, s, "{t}: {}", c.message);
    }

    // Steady state: several resyncs (every 2 s) and no write request at all.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let writes_before = metrics.writes();
    let reconciles_before = metrics.reconciles.get();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let reconciles = metrics.reconciles.get() - reconciles_before;
    assert!(reconciles >= 3, "only {reconciles} resyncs in 8 s");
    assert_eq!(
        metrics.writes() - writes_before,
        0,
        "write requests during {reconciles} quiet resyncs:\n{}",
        metrics.encode()
    );
    h.teardown().await;
}
