//! The committed alert rules on a real Prometheus (issue #16): Prometheus v0.316.0 (built by
//! testenv/prometheus.sh) scrapes the operator's /metrics on loopback every second with
//! `deploy/monitoring/neo4j-aks.rules.yaml` loaded as committed (the file itself, not a copy
//! rendered by the test), and two alerts reach `firing` from conditions the operator observes on
//! the testenv, then resolve when the conditions end:
//!
//! - `Neo4jQuorumLost` (`for: 1m`): two of the three member pods of cluster `db` are made not
//!   Ready; SHOW DATABASES (answered to the operator by the simulated Neo4j, below) shows the
//!   `system` database with one primary online of the two its quorum needs.
//! - `Neo4jClusterDown` (`for: 2m`): the only member pod of the standalone cluster `solo` is
//!   made not Ready. While it fires, `Neo4jMemberDown` (`for: 15m`, not awaited) is pending for
//!   the same cluster.
//!
//! Ending the conditions: the lost pods are deleted, the StatefulSets recreate them, kwok makes
//! them Ready; the alerts leave /api/v1/alerts (Prometheus lists only pending and firing ones).
//!
//! The rules' `for` durations are the committed ones: nothing is shortened for the test, so it
//! takes a little over two minutes (the longest `for` of the two, plus scrape, evaluation and
//! recovery; measured here: both pending 1.6 s after the loss, QuorumLost firing at 61 s,
//! ClusterDown at 122 s, both gone 1.6 s after the lost pods were deleted, 130 s in all). The alerts with a `for` of 5 minutes or more (backups, volumes, heap, lag,
//! unreachable, member down) would make it last that long; their firing is covered by promtool's
//! unit tests (crates/cli/tests/monitoring.rs), which move a simulated clock.
//!
//! What is real: Prometheus (scrape, honor_labels, rule evaluation, alert states), the operator's
//! reconcile loop and its production HTTP router (`neo4j_aks_ops::server`), the apiserver and the
//! StatefulSet controller. SIMULATED: the kubelets (kwok; a pod is made not Ready by writing its
//! status, as `lose` in day2_scale.rs does) and cluster `db`'s Neo4j (the SimulatedNeo4j, whose
//! servers follow the member pods: a member whose pod is not Ready is an unavailable server).
//!
//! Needs the testenv and `NEO4J_AKS_PROMETHEUS` (`eval "$(testenv/prometheus.sh env)"`); skips
//! without either, fails instead with `NEO4J_AKS_REQUIRE_TESTENV=1` /
//! `NEO4J_AKS_REQUIRE_PROMETHEUS=1`.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, PodCondition, PodStatus};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_model::api::metrics as names;
use neo4j_aks_ops::server::{Health, serve_on};
use neo4j_aks_render::monitoring::rules::{ALERTS, GROUP};
use neo4j_aks_testkit::prometheus::{self, AlertState, Config, Prometheus};
use neo4j_aks_testkit::wait_until;
use support::{Harness, WAIT};

const TEST: &str = "ops_prometheus_alerts";
/// Scrape and rule evaluation interval.
const INTERVAL: Duration = Duration::from_secs(1);
/// Slack past an alert's `for` before the test gives up: the operator's reconcile (it requeues
/// every 2 s), one scrape and one evaluation, on a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(60);

const QUORUM_LOST: &str = "Neo4jQuorumLost";
const CLUSTER_DOWN: &str = "Neo4jClusterDown";
const MEMBER_DOWN: &str = "Neo4jMemberDown";

/// A rule's `for` from rules.rs (`1m`, `15m`, `30s`, `1h`).
fn for_of(alert: &str) -> Duration {
    let spec = ALERTS
        .iter()
        .find(|a| a.name == alert)
        .unwrap_or_else(|| panic!("{alert} is not in rules::ALERTS"));
    let text = spec.for_;
    let (number, unit) = text.split_at(text.len() - 1);
    let n: u64 = number
        .parse()
        .unwrap_or_else(|e| panic!("{alert}: for {text}: {e}"));
    Duration::from_secs(match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        other => panic!("{alert}: unit {other} of for {text}"),
    })
}

/// Sets the pod's Ready condition False for good: kwok's pod-ready stage acts only on Pending
/// pods, so a Running pod stays not Ready until it is deleted (see `lose` in day2_scale.rs).
async fn lose(pods: &Api<Pod>, name: &str) {
    let condition = |type_: &str| PodCondition {
        type_: type_.to_string(),
        status: "False".to_string(),
        reason: Some("SimulatedLoss".to_string()),
        ..PodCondition::default()
    };
    let patch = Pod {
        status: Some(PodStatus {
            conditions: Some(vec![condition("Ready"), condition("ContainersReady")]),
            ..PodStatus::default()
        }),
        ..Pod::default()
    };
    pods.patch_status(name, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .unwrap_or_else(|e| panic!("pod {name} made not Ready: {e}"));
}

/// Ready with `n` members (status.readyMembers, phase Ready).
async fn wait_members_ready(clusters: &Api<Neo4jCluster>, name: &str, n: i32) {
    wait_until(WAIT, &format!("{name} Ready with {n} members"), || {
        let api = clusters.clone();
        async move {
            let c = api.get(name).await.map_err(|e| e.to_string())?;
            let s = c.status.unwrap_or_default();
            if s.phase.as_deref() == Some("Ready") && s.ready_members == Some(n) {
                Ok(())
            } else {
                Err(format!("phase {:?}, ready {:?}", s.phase, s.ready_members))
            }
        }
    })
    .await;
}

/// The alerts of this test's namespace, as `name{labels} state` lines for messages.
fn shown(alerts: &[prometheus::Alert]) -> String {
    alerts
        .iter()
        .map(|a| format!("{} {:?} {:?}", a.name(), a.labels, a.state))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committed_rules_fire_and_resolve_on_a_real_prometheus_scraping_the_operator() {
    let Some(binary) = prometheus::binary_from_env(TEST) else {
        return;
    };
    let Some(mut h) = Harness::new(TEST).await else {
        return;
    };
    let ns = h.ns().to_string();

    // The operator, and its /metrics served by the production router on a loopback port.
    let metrics = h.start_operator().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for /metrics");
    let metrics_addr = listener.local_addr().expect("the bound address");
    let server = tokio::spawn(serve_on(
        listener,
        Health {
            metrics,
            ready: Arc::new(AtomicBool::new(true)),
        },
    ));

    // Prometheus with the committed rule file, scraping the operator as
    // deploy/monitoring/operator-servicemonitor.yaml does (path /metrics, honorLabels).
    let rule_file = prometheus::committed_rule_file();
    let config = Config::single_target(
        "neo4j-aks-operator",
        metrics_addr,
        "/metrics",
        &rule_file,
        INTERVAL,
    );
    let prom = Prometheus::start(&binary, &config).await;

    // The committed file is what Prometheus loaded: one group, every alert of rules.rs in
    // order, each with its `for`, each evaluating without error.
    let expected: Vec<(&str, f64)> = ALERTS
        .iter()
        .map(|a| (a.name, for_of(a.name).as_secs_f64()))
        .collect();
    wait_until(WAIT, "the committed rules loaded and evaluated", || async {
        let groups = prom.rules().await?;
        let [group] = groups.as_slice() else {
            return Err(format!("{} groups: {groups:?}", groups.len()));
        };
        let loaded: Vec<(&str, f64)> = group
            .rules
            .iter()
            .map(|r| (r.name.as_str(), r.duration.unwrap_or(-1.0)))
            .collect();
        if group.name != GROUP || group.file != rule_file.display().to_string() {
            return Err(format!("group {} from {}", group.name, group.file));
        }
        assert_eq!(loaded, expected, "the loaded rules differ from rules.rs");
        match group.rules.iter().find(|r| r.health != "ok") {
            None => Ok(()),
            Some(r) => Err(format!(
                "{} is {} {}",
                r.name,
                r.health,
                r.last_error.clone().unwrap_or_default()
            )),
        }
    })
    .await;

    // Two clusters: `db` (three members, the simulated Neo4j) and `solo` (standalone).
    h.create(&h.spec("")).await;
    let mut solo = h.spec("");
    solo.metadata.name = Some("solo".to_string());
    solo.spec.node_count = Some(1);
    if let Some(storage) = solo.spec.storage.as_mut() {
        // Its own StorageClass: deleting `solo` removes it while `db` lives on.
        storage.class_name = Some(format!("{ns}-solo"));
    }
    let clusters = h.clusters();
    clusters
        .create(&PostParams::default(), &solo)
        .await
        .expect("create solo");
    h.wait_ready(3).await;
    wait_members_ready(&clusters, "solo", 1).await;

    // Healthy, as Prometheus sees it: the operator's series, scraped, carry the clusters' own
    // `namespace` (a static target has no `namespace` label of its own to clash with; behind the
    // ServiceMonitor, honorLabels is what keeps it), and no alert of this namespace is pending or
    // firing.
    let ready = format!("{}{{namespace=\"{ns}\"}}", names::MEMBERS_READY);
    wait_until(WAIT, "healthy series scraped, no alert", || async {
        let seen: BTreeMap<String, f64> = prom
            .query(&ready)
            .await?
            .into_iter()
            .filter_map(|s| Some((s.metric.get("cluster")?.clone(), s.number()?)))
            .collect();
        let want = BTreeMap::from([("db".to_string(), 3.0), ("solo".to_string(), 1.0)]);
        if seen != want {
            return Err(format!("{ready}: {seen:?}"));
        }
        let ours: Vec<_> = prom
            .alerts()
            .await?
            .into_iter()
            .filter(|a| a.has(&[("namespace", &ns)]))
            .collect();
        if ours.is_empty() {
            Ok(())
        } else {
            Err(format!("alerts while healthy:\n{}", shown(&ours)))
        }
    })
    .await;

    // The conditions: two of db's three members and solo's only member lose their pods.
    let pods = h.api::<Pod>();
    let lost = ["db-1", "db-2", "solo-0"];
    let started = Instant::now();
    for pod in lost {
        lose(&pods, pod).await;
    }
    let quorum: [(&str, &str); 4] = [
        ("alertname", QUORUM_LOST),
        ("namespace", &ns),
        ("cluster", "db"),
        ("database", "system"),
    ];
    let down: [(&str, &str); 3] = [
        ("alertname", CLUSTER_DOWN),
        ("namespace", &ns),
        ("cluster", "solo"),
    ];
    let member_down: [(&str, &str); 3] = [
        ("alertname", MEMBER_DOWN),
        ("namespace", &ns),
        ("cluster", "solo"),
    ];
    let deadline = for_of(CLUSTER_DOWN).max(for_of(QUORUM_LOST)) + SLACK;
    let mut fired: BTreeMap<&str, Duration> = BTreeMap::new();
    let mut pending_seen: BTreeMap<&str, Duration> = BTreeMap::new();
    let mut member_down_pending = false;
    loop {
        let alerts = prom.alerts().await.unwrap_or_else(|e| panic!("{e}"));
        for (name, labels) in [(QUORUM_LOST, &quorum[..]), (CLUSTER_DOWN, &down[..])] {
            let state = alerts.iter().find(|a| a.has(labels)).map(|a| a.state);
            match state {
                Some(AlertState::Pending) => {
                    pending_seen.entry(name).or_insert(started.elapsed());
                }
                Some(AlertState::Firing) => {
                    fired.entry(name).or_insert(started.elapsed());
                }
                _ => {}
            }
        }
        if fired.contains_key(CLUSTER_DOWN) && !member_down_pending {
            // Checked while solo is down: its MemberDown matched too, and waits for its 15m.
            let state = alerts.iter().find(|a| a.has(&member_down)).map(|a| a.state);
            assert_eq!(
                state,
                Some(AlertState::Pending),
                "{MEMBER_DOWN} for solo while {CLUSTER_DOWN} fires:\n{}",
                shown(&alerts)
            );
            member_down_pending = true;
        }
        if fired.len() == 2 {
            break;
        }
        if started.elapsed() > deadline {
            let ours: Vec<_> = alerts
                .into_iter()
                .filter(|a| a.has(&[("namespace", &ns)]))
                .collect();
            panic!(
                "after {:?}: fired {fired:?}, pending seen {pending_seen:?}; alerts now:\n{}\ntargets: {:?}\nprometheus log:\n{}",
                started.elapsed(),
                shown(&ours),
                prom.targets().await,
                prom.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for name in [QUORUM_LOST, CLUSTER_DOWN] {
        // Pending first, and firing no earlier than the committed `for` after the loss.
        assert!(pending_seen.contains_key(name), "{name} never pending");
        assert!(
            fired[name] >= for_of(name),
            "{name} fired {:?} after the loss, before its for {:?}",
            fired[name],
            for_of(name)
        );
    }
    eprintln!("{TEST}: pending {pending_seen:?}, firing {fired:?} after the loss");

    // The conditions end: the lost pods are replaced and become Ready.
    let recovering = Instant::now();
    for pod in lost {
        pods.delete(pod, &DeleteParams::default())
            .await
            .unwrap_or_else(|e| panic!("delete pod {pod}: {e}"));
    }
    h.wait_ready(3).await;
    wait_members_ready(&clusters, "solo", 1).await;
    let resolved = wait_until(WAIT, "the alerts resolved", || async {
        let alerts = prom.alerts().await?;
        let left: Vec<_> = alerts
            .into_iter()
            .filter(|a| a.has(&[("namespace", &ns)]))
            .filter(|a| [QUORUM_LOST, CLUSTER_DOWN, MEMBER_DOWN].contains(&a.name()))
            .collect();
        if left.is_empty() {
            Ok(recovering.elapsed())
        } else {
            Err(format!("still active:\n{}", shown(&left)))
        }
    })
    .await;
    eprintln!(
        "{TEST}: resolved {resolved:?} after the pods were deleted; whole test {:?}",
        started.elapsed()
    );

    drop(prom);
    server.abort();
    clusters
        .delete("solo", &DeleteParams::default())
        .await
        .expect("delete solo");
    wait_until(WAIT, "solo gone", || {
        let api = clusters.clone();
        async move {
            match api.get_opt("solo").await {
                Ok(None) => Ok(()),
                other => Err(format!("{:?}", other.map(|c| c.map(|c| c.status)))),
            }
        }
    })
    .await;
    h.teardown().await;
}
