//! The operator while the API server is slow, then unavailable (issue #20): it converges late
//! but without a reconcile storm, sends a bounded number of requests while nothing answers, and
//! afterwards has lost no change and duplicated no object. Only this test's operator goes
//! through the proxy (support::flaky_proxy); the shared testenv API server is never stopped.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod};
use kube::api::ListParams;
use neo4j_aks_ops::metrics::Metrics;
use neo4j_aks_testkit::wait_until;
use support::Harness;
use support::flaky_proxy::FlakyProxy;

/// Reconciles one 3 -> 5 scale may take while every request crawls (measured: 1 or 2, the
/// debounce folds the events). With one reconcile per cluster at a time they cannot pile up; a
/// storm would be hundreds.
const MAX_SLOW_RECONCILES: u64 = 20;
/// Requests of every verb in 10 s of outage (measured: 26). Each watch retries with
/// kube-runtime's exponential backoff (0.8 s doubling, jittered) and the failing reconcile is
/// retried every error_requeue (2 s here); a client retrying in a loop would send thousands.
const MAX_OUTAGE_REQUESTS: u64 = 100;
const OUTAGE: Duration = Duration::from_secs(10);

fn requests(metrics: &Metrics) -> u64 {
    ["GET", "POST", "PUT", "PATCH", "DELETE", "WATCH"]
        .iter()
        .map(|verb| metrics.requests_with(verb))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_then_unavailable_api_server_delays_the_operator_without_a_storm_or_a_lost_change() {
    let Some(mut h) = Harness::new("ops_slow_api").await else {
        return;
    };
    let proxy = FlakyProxy::start(h.api_server_addr().await).await;
    let metrics = h.start_operator_through(&proxy).await;
    h.create(&h.spec("")).await;
    h.wait_ready(3).await;

    // Slow: every chunk either way waits 300 ms (a request takes 0.6 s or more).
    proxy.set_delay(Duration::from_millis(300));
    let reconciles_before = metrics.reconciles.get();
    let started = std::time::Instant::now();
    h.patch_spec(serde_json::json!({"nodeCount": 5})).await;
    h.wait_ready(5).await;
    let slow = metrics.reconciles.get() - reconciles_before;
    eprintln!(
        "slow API server: 3 -> 5 members in {:.1} s, {slow} reconciles",
        started.elapsed().as_secs_f64()
    );
    assert!(
        slow <= MAX_SLOW_RECONCILES,
        "{slow} reconciles for one scale-up against a slow API server:\n{}",
        metrics.encode()
    );

    // Unavailable: open connections (the watches) are cut, new ones reset. The spec changes
    // meanwhile; the operator can only see it once the API server is back.
    proxy.set_delay(Duration::ZERO);
    let requests_before = requests(&metrics);
    let reconciles_before = metrics.reconciles.get();
    proxy.set_down(true);
    h.patch_spec(serde_json::json!({"config": {"db.transaction.timeout": "45s"}}))
        .await;
    tokio::time::sleep(OUTAGE).await;
    let sent = requests(&metrics) - requests_before;
    let reconciled = metrics.reconciles.get() - reconciles_before;
    proxy.set_down(false);
    let started = std::time::Instant::now();
    eprintln!("API server unavailable for {OUTAGE:?}: {sent} requests, {reconciled} reconciles");
    assert!(
        sent <= MAX_OUTAGE_REQUESTS,
        "{sent} requests in {OUTAGE:?} of outage:\n{}",
        metrics.encode()
    );

    // Back: the change made during the outage arrives, and nothing exists twice.
    let configs = h.api::<ConfigMap>();
    wait_until(
        support::WAIT,
        "the config change made during the outage",
        || {
            let configs = configs.clone();
            async move {
                let conf = configs
                    .get("db-config")
                    .await
                    .map_err(|e| e.to_string())?
                    .data
                    .unwrap_or_default()
                    .into_values()
                    .collect::<String>();
                conf.contains("db.transaction.timeout=45s")
                    .then_some(())
                    .ok_or_else(|| "not in neo4j.conf yet".to_string())
            }
        },
    )
    .await;
    h.wait_ready(5).await;
    eprintln!(
        "recovered {:.1} s after the API server came back",
        started.elapsed().as_secs_f64()
    );
    let all = ListParams::default();
    let statefulsets = h.api::<StatefulSet>().list(&all).await.expect("list").items;
    assert_eq!(statefulsets.len(), 1, "one StatefulSet");
    assert_eq!(
        statefulsets[0].spec.as_ref().and_then(|s| s.replicas),
        Some(5)
    );
    let pods = h.api::<Pod>().list(&all).await.expect("list").items;
    assert_eq!(pods.len(), 5, "five member pods");
    let claims = h
        .api::<PersistentVolumeClaim>()
        .list(&all)
        .await
        .expect("list")
        .items;
    assert_eq!(
        claims.len(),
        5,
        "one claim per member, none duplicated or lost"
    );
    assert_eq!(h.discovery_services().await.len(), 5);

    // And quiet again: resyncs (every 2 s here) write nothing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let writes = metrics.writes();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        metrics.writes() - writes,
        0,
        "writes after recovery:\n{}",
        metrics.encode()
    );
    h.teardown().await;
}
