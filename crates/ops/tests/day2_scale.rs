//! Day-2 operations end to end: the operator against the real testenv API server, with the
//! Neo4j side played by [`SimulatedNeo4j`] — an in-process SIMULATION, because the testenv's
//! kwok nodes run no containers, so no Neo4j server can answer Bolt there. The simulation is
//! not a stub: its servers appear only for member pods that exist and are Ready on the testenv,
//! `system` is a primary on every server (as Neo4j hosts it with the settings neo4j-aks
//! renders), it applies ENABLE / cordon / DEALLOCATE / DROP / ALTER as the Operations Manual
//! describes them (DEALLOCATE refused when the remaining servers cannot hold a topology or the
//! server is neither Enabled nor Cordoned, DROP only for a Deallocated server or an unavailable
//! Deallocating one whose databases moved, Deallocating lasting a few observations), it records
//! every statement, and it checks at every observation that at most one member is down and that
//! every database, `system` included, keeps its primaries' quorum.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::ResourceExt;
use kube::api::{ListParams, Patch, PatchParams};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_ops::neo4j::Connector;
use support::{Harness, sim_connector};

fn status_of(c: &Neo4jCluster) -> neo4j_aks_model::Neo4jClusterStatus {
    c.status.clone().unwrap_or_default()
}

fn condition(c: &Neo4jCluster, t: &str) -> Option<(String, String, String)> {
    status_of(c)
        .conditions
        .iter()
        .find(|x| x.type_ == t)
        .map(|x| (x.status.clone(), x.reason.clone(), x.message.clone()))
}

fn next_step(c: &Neo4jCluster) -> String {
    status_of(c)
        .next_step
        .map(|n| format!("{} {:?}: {}", n.action, n.member, n.reason))
        .unwrap_or_else(|| "-".to_owned())
}

async fn annotate(h: &Harness, key: &str, value: Option<&str>) {
    h.clusters()
        .patch(
            &h.name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"annotations": {key: value}}})),
        )
        .await
        .expect("annotate");
}

async fn replicas(h: &Harness) -> Option<i32> {
    h.api::<StatefulSet>()
        .get("db")
        .await
        .ok()
        .and_then(|s| s.spec.and_then(|s| s.replicas))
}

/// Polls the cluster and restarts the operator (a fresh controller and Context, the same
/// simulated Neo4j) every time its decision, its recorded operation or the replica count
/// changes, until `done`. Returns how many restarts happened.
async fn drive_with_restarts(
    h: &mut Harness,
    connector: &Arc<dyn Connector>,
    what: &str,
    done: impl Fn(&Neo4jCluster, Option<i32>) -> bool,
) -> u32 {
    let api = h.clusters();
    let mut last = String::new();
    let mut restarts = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not finish; statements {:?}",
            h.sim.statements()
        );
        let c = api.get("db").await.expect("get");
        let s = status_of(&c);
        let live = replicas(h).await;
        let seen = format!(
            "{} | {:?} | {live:?}",
            next_step(&c),
            s.operation.as_ref().map(|o| (o.kind, o.member, o.phase)),
        );
        if seen != last {
            last = seen;
            h.stop_operators();
            h.start_operator_with(connector.clone()).await;
            restarts += 1;
        }
        if done(&c, live) {
            return restarts;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Ready with `n` members, Neo4j's view formed, the planner done.
async fn wait_settled(h: &Harness, n: i32) -> Neo4jCluster {
    h.wait_status(&format!("{n} members, ClusterFormed, planner Done"), |c| {
        let s = status_of(c);
        let formed = condition(c, "ClusterFormed").map(|x| x.0);
        let ok = s.phase.as_deref() == Some("Ready")
            && s.ready_members == Some(n)
            && formed.as_deref() == Some("True")
            && s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
            && s.observed_generation == c.metadata.generation;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "phase {:?}, ready {:?}, formed {formed:?}, next {}",
                s.phase,
                s.ready_members,
                next_step(c)
            ))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_3_to_5_to_3_with_an_operator_restart_at_every_step() {
    let Some(mut h) = Harness::new("day2_scale").await else {
        return;
    };
    let sim = h.sim.clone();
    let connector: Arc<dyn Connector> = h.connector();
    h.start_operator_with(connector.clone()).await;
    h.create(&h.spec("")).await;
    let c = wait_settled(&h, 3).await;
    let s = status_of(&c);
    assert!(
        s.members
            .iter()
            .all(|m| m.server_state.as_deref() == Some("Enabled")
                && m.health.as_deref() == Some("Available")
                && m.server_id.is_some()),
        "{:#?}",
        s.members
    );
    let neo4j = s
        .databases
        .iter()
        .find(|d| d.name == "neo4j")
        .expect("neo4j reported");
    assert!(neo4j.quorum && neo4j.primaries == 3 && neo4j.primaries_available == 3);
    assert_eq!(neo4j.leader.as_deref(), Some("db-0"));

    // Scale up: the StatefulSet grows by apply, the planner aligns neo4j to 3 + 2.
    h.patch_spec(serde_json::json!({"nodeCount": 5})).await;
    wait_settled(&h, 5).await;
    assert!(
        sim.statements()
            .contains(&"ALTER DATABASE neo4j SET TOPOLOGY 3 2".to_owned()),
        "{:?}",
        sim.statements()
    );
    let servers_before: BTreeMap<u32, String> =
        status_of(&h.clusters().get("db").await.expect("get"))
            .members
            .iter()
            .filter_map(|m| Some((m.ordinal?, m.server_id.clone()?)))
            .collect();

    // Scale down without confirmation: refused, with exactly what to set; nothing removed.
    h.patch_spec(serde_json::json!({"nodeCount": 3})).await;
    let c = h
        .wait_status("ScaleDownPending=True Refused", |c| {
            match condition(c, "ScaleDownPending") {
                Some((s, r, _)) if s == "True" && r == "Refused" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let (_, _, message) = condition(&c, "ScaleDownPending").expect("condition");
    assert!(
        message.contains("spec.nodeCount is 3 but 5 members run")
            && message.contains("neo4j-aks.io/confirm-scale-down: \"3\""),
        "{message}"
    );
    let events: Vec<k8s_openapi::api::events::v1::Event> = h
        .api::<k8s_openapi::api::events::v1::Event>()
        .list(&ListParams::default())
        .await
        .expect("events")
        .items;
    assert!(
        events.iter().any(|e| e.reason.as_deref() == Some("Refused")
            && e.type_.as_deref() == Some("Warning")
            && e.note
                .as_deref()
                .is_some_and(|n| n.contains("neo4j-aks.io/confirm-scale-down: \"3\""))),
        "no Refused event naming the annotation: {:?}",
        events
            .iter()
            .map(|e| (e.reason.clone(), e.note.clone()))
            .collect::<Vec<_>>()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(replicas(&h).await, Some(5));
    assert!(
        !sim.statements().iter().any(|s| s.starts_with("DEALLOCATE")),
        "{:?}",
        sim.statements()
    );

    // Confirm, and restart the operator at every change of its decision or record.
    annotate(&h, "neo4j-aks.io/confirm-scale-down", Some("3")).await;
    let restarts = drive_with_restarts(&mut h, &connector, "the scale-down", |c, replicas| {
        let s = status_of(c);
        s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
            && s.ready_members == Some(3)
            && replicas == Some(3)
            && s.operation.is_none()
    })
    .await;
    assert!(restarts >= 6, "only {restarts} operator restarts");
    let c = wait_settled(&h, 3).await;

    // Each removed server: one DEALLOCATE and one DROP, highest ordinal first.
    let statements = sim.statements();
    let count = |s: &str| statements.iter().filter(|x| *x == s).count();
    for ordinal in [4u32, 3] {
        let id = &servers_before[&ordinal];
        assert_eq!(count(&format!("DEALLOCATE {id}")), 1, "{statements:?}");
        assert_eq!(count(&format!("DROP {id}")), 1, "{statements:?}");
    }
    let order: Vec<&String> = statements
        .iter()
        .filter(|s| s.starts_with("DEALLOCATE") || s.starts_with("DROP"))
        .collect();
    assert_eq!(
        order,
        [
            &format!("DEALLOCATE {}", servers_before[&4]),
            &format!("DROP {}", servers_before[&4]),
            &format!("DEALLOCATE {}", servers_before[&3]),
            &format!("DROP {}", servers_before[&3]),
        ],
        "{statements:?}"
    );
    assert!(
        statements.contains(&"ALTER DATABASE neo4j SET TOPOLOGY 3 0".to_owned()),
        "{statements:?}"
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());

    // The claims of removed members stay and are reported.
    let claims: Vec<String> = h
        .api::<PersistentVolumeClaim>()
        .list(&ListParams::default())
        .await
        .expect("claims")
        .items
        .iter()
        .map(|c| c.name_any())
        .collect();
    for claim in ["data-db-3", "data-db-4"] {
        assert!(claims.contains(&claim.to_owned()), "{claims:?}");
    }
    let (status, _, message) = condition(&c, "ScaleDownPending").expect("condition");
    assert_eq!(status, "False");
    assert!(
        message.contains("data-db-3") && message.contains("data-db-4"),
        "{message}"
    );
    let s = status_of(&c);
    assert_eq!(s.members.len(), 3);
    assert!(s.operation.is_none());
    assert!(
        s.databases.iter().all(|d| d.quorum && d.status == "online"),
        "{:#?}",
        s.databases
    );
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_annotation_rolls_every_member_one_at_a_time() {
    let Some(mut h) = Harness::new("day2_restart").await else {
        return;
    };
    let sim = h.sim.clone();
    h.start_operator_with(sim_connector(sim.clone())).await;
    h.create(&h.spec("")).await;
    wait_settled(&h, 3).await;
    let pods = h.api::<Pod>();
    let uids = |list: Vec<Pod>| -> BTreeMap<String, String> {
        list.into_iter()
            .map(|p| (p.name_any(), p.uid().unwrap_or_default()))
            .collect()
    };
    let before = uids(pods.list(&ListParams::default()).await.expect("pods").items);
    assert_eq!(before.len(), 3);
    let sts = h.api::<StatefulSet>().get("db").await.expect("sts");
    assert_eq!(
        sts.spec
            .and_then(|s| s.update_strategy)
            .and_then(|u| u.type_)
            .as_deref(),
        Some("OnDelete")
    );

    sim.lock().ready_history.clear();
    annotate(
        &h,
        "neo4j-aks.io/restart-requested-at",
        Some("2026-11-26T13:00:00Z"),
    )
    .await;
    let api = h.clusters();
    let c = neo4j_aks_testkit::wait_until(
        Duration::from_secs(120),
        "every pod recreated and the planner done",
        || {
            let (api, pods, before) = (api.clone(), pods.clone(), before.clone());
            async move {
                let c = api.get("db").await.map_err(|e| e.to_string())?;
                let after = pods
                    .list(&ListParams::default())
                    .await
                    .map_err(|e| e.to_string())?;
                let after: BTreeMap<String, String> = after
                    .items
                    .into_iter()
                    .map(|p| (p.name_any(), p.uid().unwrap_or_default()))
                    .collect();
                let same: Vec<&String> = before
                    .iter()
                    .filter(|(name, uid)| after.get(*name) == Some(*uid))
                    .map(|(name, _)| name)
                    .collect();
                let s = status_of(&c);
                let done = s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
                    && s.operation.is_none()
                    && s.ready_members == Some(3);
                if same.is_empty() && done {
                    Ok(c)
                } else {
                    Err(format!(
                        "not restarted yet: {same:?}; next {}",
                        next_step(&c)
                    ))
                }
            }
        },
    )
    .await;
    // Never two members missing at once at any observation of the simulated Neo4j.
    let history = sim.lock().ready_history.clone();
    assert!(history.iter().all(|ready| ready.len() >= 2), "{history:?}");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert_eq!(
        condition(&c, "ClusterFormed").map(|x| x.0).as_deref(),
        Some("True")
    );
    // A bad timestamp is refused with the field and an example.
    annotate(&h, "neo4j-aks.io/restart-requested-at", Some("yesterday")).await;
    h.wait_status("SpecValid=False for the annotation", |c| {
        match condition(c, "SpecValid") {
            Some((s, _, m)) if s == "False" && m.contains("RFC 3339") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replace_member_gives_one_member_an_empty_disk_and_a_new_server() {
    let Some(mut h) = Harness::new("day2_replace").await else {
        return;
    };
    let sim = h.sim.clone();
    h.start_operator().await;
    h.create(&h.spec("  topology:\n    primaries: 3\n    secondaries: 0\n"))
        .await;
    h.patch_spec(serde_json::json!({"nodeCount": 4})).await;
    let c = wait_settled(&h, 4).await;
    let old_server = status_of(&c)
        .members
        .iter()
        .find(|m| m.ordinal == Some(1))
        .and_then(|m| m.server_id.clone())
        .expect("member 1 has a server");
    let claims = h.api::<PersistentVolumeClaim>();
    let old_claim = claims.get("data-db-1").await.expect("claim").uid();

    // Replace member 1, restarting the operator at every change of its decision or record.
    annotate(&h, "neo4j-aks.io/replace-member", Some("1")).await;
    let connector = h.connector();
    let restarts = drive_with_restarts(&mut h, &connector, "the replacement", |c, _| {
        let s = status_of(c);
        let new_server = s
            .members
            .iter()
            .find(|m| m.ordinal == Some(1))
            .and_then(|m| m.server_id.clone());
        !c.annotations().contains_key("neo4j-aks.io/replace-member")
            && s.operation.is_none()
            && new_server.is_some()
            && new_server.as_deref() != Some(old_server.as_str())
            && s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
    })
    .await;
    assert!(restarts >= 4, "only {restarts} operator restarts");
    let c = h.clusters().get("db").await.expect("get");
    let statements = sim.statements();
    let count = |s: String| statements.iter().filter(|x| **x == s).count();
    assert_eq!(count(format!("CORDON {old_server}")), 1, "{statements:?}");
    assert_eq!(
        count(format!("DEALLOCATE {old_server}")),
        1,
        "{statements:?}"
    );
    assert_eq!(count(format!("DROP {old_server}")), 1, "{statements:?}");
    assert_ne!(
        claims
            .get("data-db-1")
            .await
            .expect("claim recreated")
            .uid(),
        old_claim,
        "the member's claim was not replaced"
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert_eq!(status_of(&c).members.len(), 4);
    h.teardown().await;
}

/// Makes the member's pod not Ready for good, as for a lost disk or a pod that cannot start:
/// kwok's pod-ready stage only acts on Pending pods, so a Running pod whose Ready condition is
/// set False stays that way until it is deleted; the pod the StatefulSet creates next is Pending
/// and becomes Ready again.
async fn lose(h: &Harness, pod: &str) {
    h.api::<Pod>()
        .patch_status(
            pod,
            &PatchParams::default(),
            &Patch::Strategic(serde_json::json!({"status": {"conditions": [
                {"type": "Ready", "status": "False", "reason": "SimulatedLoss"},
                {"type": "ContainersReady", "status": "False", "reason": "SimulatedLoss"},
            ]}})),
        )
        .await
        .expect("pod status patched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replace_a_lost_member_cordons_deallocates_drops_and_recreates_it() {
    let Some(mut h) = Harness::new("day2_lost").await else {
        return;
    };
    let sim = h.sim.clone();
    h.start_operator().await;
    h.create(&h.spec("  topology:\n    primaries: 3\n    secondaries: 0\n"))
        .await;
    h.patch_spec(serde_json::json!({"nodeCount": 4})).await;
    let c = wait_settled(&h, 4).await;
    let old_server = status_of(&c)
        .members
        .iter()
        .find(|m| m.ordinal == Some(1))
        .and_then(|m| m.server_id.clone())
        .expect("member 1 has a server");
    let claims = h.api::<PersistentVolumeClaim>();
    let old_claim = claims.get("data-db-1").await.expect("claim").uid();

    // Member 1 is lost: its pod never becomes Ready again, so its server is Unavailable and its
    // copies show role unknown. Before the fix the replacement waited for them forever.
    lose(&h, "db-1").await;
    h.wait_status("member 1 unavailable", |c| {
        let s = status_of(c);
        let m = s.members.iter().find(|m| m.ordinal == Some(1));
        match m.map(|m| (m.ready, m.health.as_deref())) {
            Some((false, Some("Unavailable"))) => Ok(()),
            other => Err(format!("{other:?}; next {}", next_step(c))),
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !sim.statements().iter().any(|s| s.contains(&old_server)),
        "nothing is done to a lost member without the annotation: {:?}",
        sim.statements()
    );

    annotate(&h, "neo4j-aks.io/replace-member", Some("1")).await;
    let connector = h.connector();
    let restarts = drive_with_restarts(
        &mut h,
        &connector,
        "the replacement of a lost member",
        |c, _| {
            let s = status_of(c);
            let new_server = s
                .members
                .iter()
                .find(|m| m.ordinal == Some(1))
                .and_then(|m| m.server_id.clone());
            !c.annotations().contains_key("neo4j-aks.io/replace-member")
                && s.operation.is_none()
                && new_server.is_some()
                && new_server.as_deref() != Some(old_server.as_str())
                && s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
        },
    )
    .await;
    assert!(restarts >= 5, "only {restarts} operator restarts");
    let c = wait_settled(&h, 4).await;

    // Exactly one cordon, one DEALLOCATE and one DROP of the old server, in that order, and no
    // ENABLE of it (nothing was withdrawn).
    let statements = sim.statements();
    let about_old: Vec<&String> = statements
        .iter()
        .filter(|s| s.ends_with(&format!(" {old_server}")))
        .collect();
    assert_eq!(
        about_old,
        [
            &format!("CORDON {old_server}"),
            &format!("DEALLOCATE {old_server}"),
            &format!("DROP {old_server}"),
        ],
        "{statements:?}"
    );
    assert_ne!(
        claims
            .get("data-db-1")
            .await
            .expect("claim recreated")
            .uid(),
        old_claim,
        "the member's claim was not replaced"
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let s = status_of(&c);
    assert_eq!(s.members.len(), 4);
    assert!(
        s.members.iter().all(|m| m.ready
            && m.server_state.as_deref() == Some("Enabled")
            && m.health.as_deref() == Some("Available")),
        "{:#?}",
        s.members
    );
    assert!(
        s.databases.iter().all(|d| d.quorum && d.status == "online"),
        "{:#?}",
        s.databases
    );
    h.teardown().await;
}
