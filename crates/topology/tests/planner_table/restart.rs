//! Rolling restart: order, gates, pod instances, timeout.
use super::*;

/// 4 members: 0 leads neo4j and system, 1 and 2 follow, 3 is a secondary only.
fn four() -> Sim {
    Sim::healthy(4, "r1")
}

#[test]
fn restart_goes_secondaries_then_followers_then_the_leader() {
    let mut sim = four();
    let mut order = Vec::new();
    let d = desired(4, "r2");
    for _ in 0..4 {
        let step = plan(&sim.build(), &d, &none());
        let Action::RestartMember { ordinal, pod_uid } = step.action else {
            panic!("{step:#?}");
        };
        assert!(!step.destructive);
        assert_eq!(
            step.progress.operation,
            Some(Operation::Restart {
                revision: "r2".into(),
                member: ordinal,
                started_at_secs: sim.now,
                pod_uid: Some(pod_uid),
            })
        );
        order.push(ordinal);
        sim.recreate_pod(ordinal, true, "r2");
    }
    assert_eq!(order, [3, 2, 1, 0]);
    check(&plan(&sim.build(), &d, &none()), Action::Done, None, false);
}

#[test]
fn the_member_leading_most_databases_goes_last() {
    let mut sim = Sim::healthy(3, "r1");
    sim.db("neo4j").leader = Some(2);
    sim.db("system").leader = Some(1);
    let mut extra = sim.dbs[1].clone();
    extra.name = "foo".into();
    extra.leader = Some(2);
    sim.dbs.push(extra);
    let step = plan(&sim.build(), &desired(3, "r2"), &none());
    check(&step, restart(0, 0), Some(0), false);
    sim.member(0).pod = Some((true, "r2".into()));
    let step = plan(&sim.build(), &desired(3, "r2"), &none());
    check(&step, restart(1, 0), Some(1), false);
}

#[test]
fn restart_waits_while_the_member_is_away_and_aborts_after_the_bound() {
    let mut sim = four();
    sim.member(3).pod = Some((false, "r2".into()));
    let d = desired(4, "r2");
    sim.now = 1_100;
    let step = plan(&sim.build(), &d, &restarting(3, 1_000));
    check(&step, Action::Wait, Some(3), false);
    sim.now = 1_700;
    let step = plan(&sim.build(), &d, &restarting(3, 1_000));
    check(&step, Action::Abort, Some(3), false);
    assert!(step.reason.contains("did not come back"), "{}", step.reason);
}

#[test]
fn restart_moves_on_once_the_member_is_back() {
    let mut sim = four();
    sim.member(3).pod = Some((true, "r2".into()));
    let step = plan(&sim.build(), &desired(4, "r2"), &restarting(3, 1_000));
    check(&step, restart(2, 0), Some(2), false);
}

#[test]
fn a_restart_names_the_pod_instance_it_saw_on_the_old_revision() {
    let mut sim = four();
    sim.member(3).instance = 4;
    let step = plan(&sim.build(), &desired(4, "r2"), &none());
    check(&step, restart(3, 4), Some(3), false);
    assert_eq!(step.progress, restarting_instance(3, 4, sim.now));
}

#[test]
fn a_restarted_instance_is_never_restarted_again() {
    let d = desired(4, "r2");
    let recorded = restarting_instance(3, 0, 1_000);
    // Deleted: not observed while it terminates, then the StatefulSet's new instance comes up.
    let mut sim = four();
    sim.member(3).pod = None;
    check(
        &plan(&sim.build(), &d, &recorded),
        Action::Wait,
        Some(3),
        false,
    );
    sim.recreate_pod(3, false, "r2");
    check(
        &plan(&sim.build(), &d, &recorded),
        Action::Wait,
        Some(3),
        false,
    );
    sim.member(3).pod = Some((true, "r2".into()));
    check(
        &plan(&sim.build(), &d, &recorded),
        restart(2, 0),
        Some(2),
        false,
    );
}

#[test]
fn a_restarted_instance_on_a_newer_revision_is_back() {
    // The spec changed between the record and the delete: the StatefulSet created the new
    // instance on r3. It is the restarted member all the same; it moves on, no abort later.
    let mut sim = four();
    sim.recreate_pod(3, true, "r3");
    sim.now = 1_700;
    let step = plan(
        &sim.build(),
        &desired(4, "r3"),
        &restarting_instance(3, 0, 1_000),
    );
    check(&step, restart(2, 0), Some(2), false);
}

#[test]
fn a_restart_recorded_but_not_deleted_is_decided_again() {
    // The record is written before the delete; the operator stopped in between. The recorded
    // instance still runs, not terminating: nothing was deleted, and every gate is asked again.
    let mut sim = four();
    sim.now = 1_030;
    let recorded = restarting_instance(3, 0, 1_000);
    let step = plan(&sim.build(), &desired(4, "r2"), &recorded);
    check(&step, restart(3, 0), Some(3), false);
    assert_eq!(step.progress, restarting_instance(3, 0, 1_030));
    sim.member(1).server = Some((ServerState::Enabled, Health::Unavailable));
    let step = plan(&sim.build(), &desired(4, "r2"), &recorded);
    check(&step, Action::Wait, Some(3), false);
    assert_eq!(
        step.progress,
        none(),
        "nothing is down: no restart in flight"
    );
}

#[test]
fn restart_is_gated_on_lag_online_databases_and_other_members() {
    let d = desired(4, "r2");
    let mut lagging = four();
    lagging.db("neo4j").lag = 50;
    let step = plan(&lagging.build(), &d, &none());
    check(&step, Action::Wait, Some(3), false);
    assert!(step.reason.contains("lags 50"), "{}", step.reason);

    let mut offline = four();
    offline.db("neo4j").offline_on = vec![1];
    let step = plan(&offline.build(), &d, &none());
    check(&step, Action::Wait, Some(3), false);
    assert!(step.reason.contains("not online"), "{}", step.reason);

    let mut down = four();
    down.member(2).server = Some((ServerState::Enabled, Health::Unavailable));
    let step = plan(&down.build(), &d, &none());
    assert_eq!(step.action, Action::Wait, "{step:#?}");
}

#[test]
fn restart_never_takes_a_primary_whose_loss_breaks_quorum() {
    // neo4j asks for 3 primaries but only members 0 and 1 hold one (member 2 is a secondary):
    // 2 available meets the quorum of 2, and losing either primary would leave 1.
    let mut sim = Sim::healthy(3, "r1");
    let db = sim.db("neo4j");
    db.primaries = vec![0, 1];
    db.secondaries = vec![2];
    db.requested = (3, 0);
    sim.member(2).pod = Some((true, "r2".into()));
    let step = plan(&sim.build(), &desired(3, "r2"), &none());
    check(&step, Action::Wait, Some(1), false);
    assert!(step.reason.contains("quorum"), "{}", step.reason);
}

#[test]
fn progress_round_trips_through_status_json() {
    let progress = scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000);
    let json = serde_json::to_value(&progress).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({"operation": {"kind": "ScaleDown", "target": 3, "member": 4,
            "server": "server-4", "phase": "Deallocating", "startedAt": "1970-01-01T00:16:40Z"}})
    );
    let back: Progress = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, progress);
    let empty: Progress = serde_json::from_value(serde_json::json!({})).expect("empty");
    assert_eq!(empty, none());
}
