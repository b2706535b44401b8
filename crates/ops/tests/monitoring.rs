//! spec.monitoring through the operator on the local control plane (real apiserver with the
//! prometheus-operator CRDs; kwok kubelets; the SIMULATED Neo4j answers SHOW SERVERS / SHOW
//! DATABASES): the scrape object and the rules are applied and owned, switch kind and go away
//! with the spec, and the cluster-health gauges follow the cluster and leave with it.

mod support;

use kube::api::DeleteParams;
use neo4j_aks_render::crd::prometheus::{PodMonitor, PrometheusRule, ServiceMonitor};
use support::{Harness, WAIT};

async fn exists<K>(h: &Harness, name: &str) -> bool
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned,
{
    h.api::<K>()
        .get_opt(name)
        .await
        .expect("read")
        .is_some_and(|o| o.meta().deletion_timestamp.is_none())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn monitoring_objects_and_health_gauges_follow_the_spec_and_the_cluster() {
    let Some(mut h) = Harness::new("ops_monitoring").await else {
        return;
    };
    let metrics = h.start_operator().await;
    h.create(&h.spec("  monitoring:\n    enabled: true\n"))
        .await;
    h.wait_ready(3).await;
    let ns = h.ns().to_string();

    let monitor = h
        .api::<ServiceMonitor>()
        .get("db-metrics")
        .await
        .expect("ServiceMonitor");
    assert_eq!(
        monitor.metadata.owner_references.unwrap_or_default()[0].kind,
        "Neo4jCluster"
    );
    assert!(exists::<PrometheusRule>(&h, "db-alerts").await);

    // The health gauges: members from the pods, databases from the simulated Neo4j.
    let ready = format!("neo4j_aks_cluster_members_ready{{namespace=\"{ns}\",cluster=\"db\"}} 3");
    let reachable =
        format!("neo4j_aks_cluster_neo4j_reachable{{namespace=\"{ns}\",cluster=\"db\"}} 1");
    let system = format!(
        "neo4j_aks_database_has_leader{{namespace=\"{ns}\",cluster=\"db\",database=\"system\"}} 1"
    );
    neo4j_aks_testkit::wait_until(WAIT, "health gauges", || {
        let text = metrics.encode();
        let missing: Vec<&String> = [&ready, &reachable, &system]
            .into_iter()
            .filter(|l| !text.contains(l.as_str()))
            .collect();
        async move {
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("missing {missing:?}"))
            }
        }
    })
    .await;

    // PodMonitor instead, no rules: the ServiceMonitor and the PrometheusRule are deleted.
    h.patch_spec(serde_json::json!({"monitoring": {"kind": "PodMonitor", "rules": false}}))
        .await;
    neo4j_aks_testkit::wait_until(WAIT, "PodMonitor only", || async {
        let pod = exists::<PodMonitor>(&h, "db-metrics").await;
        let service = exists::<ServiceMonitor>(&h, "db-metrics").await;
        let rule = exists::<PrometheusRule>(&h, "db-alerts").await;
        if pod && !service && !rule {
            Ok(())
        } else {
            Err(format!("pod {pod}, service {service}, rule {rule}"))
        }
    })
    .await;

    // Deleting the cluster removes its series.
    h.clusters()
        .delete("db", &DeleteParams::default())
        .await
        .expect("delete");
    let label = "cluster=\"db\"".to_string();
    neo4j_aks_testkit::wait_until(WAIT, "series removed", || {
        let left: Vec<String> = metrics
            .encode()
            .lines()
            .filter(|l| l.contains(&format!("namespace=\"{ns}\"")) && l.contains(&label))
            .map(str::to_string)
            .collect();
        async move {
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("left: {left:?}"))
            }
        }
    })
    .await;
    h.teardown().await;
}
