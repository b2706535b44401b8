//! One table test per planner step: scale up, scale down (refusals, each stage, resumption),
//! rolling restart (order, gates, timeout).

mod support;

use neo4j_aks_topology::planner::{
    Action, Confirmation, Desired, Operation, Progress, ReplacePhase, ScaleDownPhase, Step, plan,
};
use neo4j_aks_topology::records::{Health, ServerState};
use support::{Sim, desired, pod_uid, server_id};

fn none() -> Progress {
    Progress::default()
}

fn scale_down(target: u32, member: u32, phase: ScaleDownPhase, started: i64) -> Progress {
    Progress {
        operation: Some(Operation::ScaleDown {
            target,
            member,
            server: server_id(member),
            phase,
            started_at_secs: started,
        }),
    }
}

/// A restart recorded by an operator that did not record the pod instance.
fn restarting(member: u32, started: i64) -> Progress {
    Progress {
        operation: Some(Operation::Restart {
            revision: "r2".to_owned(),
            member,
            started_at_secs: started,
            pod_uid: None,
        }),
    }
}

/// A restart of instance `instance` of `member`'s pod, recorded before it was deleted.
fn restarting_instance(member: u32, instance: u32, started: i64) -> Progress {
    Progress {
        operation: Some(Operation::Restart {
            revision: "r2".to_owned(),
            member,
            started_at_secs: started,
            pod_uid: Some(pod_uid(member, instance)),
        }),
    }
}

fn restart(ordinal: u32, instance: u32) -> Action {
    Action::RestartMember {
        ordinal,
        pod_uid: pod_uid(ordinal, instance),
    }
}

fn check(step: &Step, action: Action, member: Option<u32>, destructive: bool) {
    assert_eq!(step.action, action, "{step:#?}");
    assert_eq!(step.member, member, "{step:#?}");
    assert_eq!(step.destructive, destructive, "{step:#?}");
}

#[test]
fn steady_state_is_done() {
    let step = plan(&Sim::healthy(3, "r1").build(), &desired(3, "r1"), &none());
    check(&step, Action::Done, None, false);
    assert_eq!(step.progress, none());
}

// ---- scale up -------------------------------------------------------------------------

#[test]
fn scale_up_grows_the_statefulset_first() {
    let step = plan(&Sim::healthy(3, "r1").build(), &desired(5, "r1"), &none());
    check(
        &step,
        Action::ScaleStatefulSet {
            replicas: 5,
            kept_pvc_ordinal: None,
        },
        None,
        false,
    );
}

#[test]
fn scale_up_waits_for_new_pods_and_servers() {
    let mut sim = Sim::healthy(5, "r1");
    sim.member(3).pod = None;
    sim.member(3).server = None;
    let step = plan(&sim.build(), &desired(5, "r1"), &none());
    check(&step, Action::Wait, Some(3), false);
    sim.member(3).pod = Some((true, "r1".into()));
    let step = plan(&sim.build(), &desired(5, "r1"), &none());
    check(&step, Action::Wait, Some(3), false);
    assert!(step.reason.contains("SHOW SERVERS"), "{}", step.reason);
}

#[test]
fn scale_up_enables_free_servers_when_auto_enable_is_off() {
    let mut sim = Sim::healthy(5, "r1");
    sim.member(4).server = Some((ServerState::Free, Health::Available));
    sim.evacuate(4);
    let step = plan(&sim.build(), &desired(5, "r1"), &none());
    check(
        &step,
        Action::EnableServer {
            server: server_id(4),
        },
        Some(4),
        false,
    );
    let mut auto = desired(5, "r1");
    auto.auto_enable_servers = true;
    check(
        &plan(&sim.build(), &auto, &none()),
        Action::Wait,
        Some(4),
        false,
    );
}

#[test]
fn scale_up_then_aligns_the_default_database_topology() {
    let mut sim = Sim::healthy(5, "r1");
    sim.db("neo4j").requested = (3, 0);
    sim.db("neo4j").secondaries.clear();
    let step = plan(&sim.build(), &desired(5, "r1"), &none());
    check(
        &step,
        Action::AlignTopology {
            database: "neo4j".into(),
            primaries: 3,
            secondaries: 2,
        },
        None,
        false,
    );
}

#[test]
fn scale_up_onto_a_kept_pvc_of_a_dropped_server_is_refused() {
    let mut sim = Sim::healthy(4, "r1");
    sim.member(3).server = Some((ServerState::Dropped, Health::Available));
    sim.evacuate(3);
    let step = plan(&sim.build(), &desired(4, "r1"), &none());
    check(&step, Action::Refuse, Some(3), false);
    assert!(step.reason.contains("PVC"), "{}", step.reason);
}

// ---- scale down: refusals --------------------------------------------------------------

#[test]
fn scale_down_without_confirmation_is_refused_and_says_how_to_confirm() {
    let step = plan(&Sim::healthy(5, "r1").build(), &desired(3, "r1"), &none());
    check(&step, Action::Refuse, None, false);
    assert!(
        step.reason
            .contains("neo4j-aks.io/confirm-scale-down: \"3\""),
        "{}",
        step.reason
    );
    let mut wrong = desired(3, "r1");
    wrong.confirmation = Confirmation::Annotation("4".into());
    check(
        &plan(&Sim::healthy(5, "r1").build(), &wrong, &none()),
        Action::Refuse,
        None,
        false,
    );
}

#[test]
fn scale_down_below_three_members_is_refused_even_with_yes() {
    let mut d = desired(2, "r1");
    d.confirmation = Confirmation::Cli;
    let step = plan(&Sim::healthy(3, "r1").build(), &d, &none());
    check(&step, Action::Refuse, None, false);
    assert!(step.reason.contains("below 3"), "{}", step.reason);
}

#[test]
fn scale_down_below_a_databases_primaries_is_refused() {
    let mut sim = Sim::healthy(5, "r1");
    let db = sim.db("neo4j");
    db.primaries = vec![0, 1, 2, 3, 4];
    db.secondaries.clear();
    db.requested = (5, 0);
    let mut d = desired(3, "r1");
    d.confirmation = Confirmation::Cli;
    let step = plan(&sim.build(), &d, &none());
    check(&step, Action::Refuse, None, false);
    assert!(step.reason.contains("5 primaries"), "{}", step.reason);
}

// ---- scale down: stages ----------------------------------------------------------------

fn confirmed(target: u32) -> neo4j_aks_topology::planner::Desired {
    let mut d = desired(target, "r1");
    d.confirmation = Confirmation::Annotation(target.to_string());
    d
}

#[test]
fn scale_down_first_shrinks_a_topology_that_would_not_fit() {
    // 5 members: neo4j runs 3 primaries + 2 secondaries; 3 members cannot hold 5 copies.
    let step = plan(&Sim::healthy(5, "r1").build(), &confirmed(3), &none());
    check(
        &step,
        Action::AlignTopology {
            database: "neo4j".into(),
            primaries: 3,
            secondaries: 0,
        },
        None,
        false,
    );
}

fn five_fitting_three() -> Sim {
    let mut sim = Sim::healthy(5, "r1");
    for db in ["neo4j", "system"] {
        sim.db(db).requested = (3, 0);
    }
    sim
}

#[test]
fn scale_down_deallocates_the_highest_ordinal_first() {
    let step = plan(&five_fitting_three().build(), &confirmed(3), &none());
    check(
        &step,
        Action::DeallocateServer {
            server: server_id(4),
        },
        Some(4),
        true,
    );
    assert_eq!(
        step.progress,
        scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000)
    );
}

#[test]
fn scale_down_waits_while_another_member_is_down() {
    let mut sim = five_fitting_three();
    sim.member(1).pod = Some((false, "r1".into()));
    let step = plan(&sim.build(), &confirmed(3), &none());
    check(&step, Action::Wait, Some(4), false);
    assert!(step.reason.contains("member 1"), "{}", step.reason);
}

#[test]
fn recorded_deallocate_is_never_reissued() {
    // Neo4j has not reflected DEALLOCATE yet (still Enabled): wait, do not send it again.
    let progress = scale_down(3, 4, ScaleDownPhase::Deallocating, 900);
    let step = plan(&five_fitting_three().build(), &confirmed(3), &progress);
    check(&step, Action::Wait, Some(4), false);
    assert_eq!(step.progress, progress);
}

#[test]
fn deallocation_that_takes_too_long_aborts() {
    let mut sim = five_fitting_three();
    sim.member(4).server = Some((ServerState::Deallocating, Health::Available));
    sim.now = 2_000;
    let progress = scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000);
    let step = plan(&sim.build(), &confirmed(3), &progress);
    check(&step, Action::Abort, Some(4), false);
    assert_eq!(
        step.progress, progress,
        "progress is kept for a person to look at"
    );
}

#[test]
fn deallocated_server_still_hosting_is_not_dropped() {
    let mut sim = five_fitting_three();
    sim.member(4).server = Some((ServerState::Deallocated, Health::Available));
    let progress = scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000);
    let step = plan(&sim.build(), &confirmed(3), &progress);
    check(&step, Action::Wait, Some(4), false);
}

#[test]
fn deallocated_empty_server_is_dropped() {
    let mut sim = five_fitting_three();
    sim.member(4).server = Some((ServerState::Deallocated, Health::Available));
    sim.evacuate(4);
    let progress = scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000);
    let step = plan(&sim.build(), &confirmed(3), &progress);
    check(
        &step,
        Action::DropServer {
            server: server_id(4),
        },
        Some(4),
        true,
    );
    assert_eq!(
        step.progress,
        scale_down(3, 4, ScaleDownPhase::Dropped, 1_000)
    );
}

#[test]
fn dropped_server_shrinks_the_statefulset_and_keeps_the_pvc() {
    let mut sim = five_fitting_three();
    sim.member(4).server = Some((ServerState::Dropped, Health::Available));
    sim.evacuate(4);
    let progress = scale_down(3, 4, ScaleDownPhase::Dropped, 1_000);
    let step = plan(&sim.build(), &confirmed(3), &progress);
    check(
        &step,
        Action::ScaleStatefulSet {
            replicas: 4,
            kept_pvc_ordinal: Some(4),
        },
        Some(4),
        true,
    );
    assert!(step.reason.contains("PVC is kept"), "{}", step.reason);
    assert_eq!(step.progress, none());
}

#[test]
fn after_a_shrink_the_next_member_follows() {
    let mut sim = five_fitting_three();
    sim.members.truncate(4);
    sim.replicas = 4;
    sim.evacuate(4);
    let stale = scale_down(3, 4, ScaleDownPhase::Dropped, 1_000);
    let step = plan(&sim.build(), &confirmed(3), &stale);
    check(
        &step,
        Action::DeallocateServer {
            server: server_id(3),
        },
        Some(3),
        true,
    );
}

#[test]
fn a_restarted_operator_without_progress_resumes_from_what_neo4j_reports() {
    let mut sim = five_fitting_three();
    sim.member(4).server = Some((ServerState::Deallocating, Health::Available));
    let step = plan(&sim.build(), &confirmed(3), &none());
    check(&step, Action::Wait, Some(4), false);
    assert!(matches!(
        step.progress.operation,
        Some(Operation::ScaleDown {
            phase: ScaleDownPhase::Deallocating,
            member: 4,
            ..
        })
    ));
}

#[test]
fn withdrawn_confirmation_stops_an_inflight_scale_down() {
    let mut sim = five_fitting_three();
    sim.member(4).server = Some((ServerState::Deallocated, Health::Available));
    sim.evacuate(4);
    let progress = scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000);
    let step = plan(&sim.build(), &desired(3, "r1"), &progress);
    check(&step, Action::Refuse, None, false);
}

// ---- rolling restart -------------------------------------------------------------------

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

// ---- system database on a deallocated server; DROP recorded before it is sent ----------

#[test]
fn deallocated_server_that_still_hosts_system_is_dropped() {
    // "When a server is in the deallocated state it no longer hosts any databases besides
    // system" (Operations Manual, clustering/servers.adoc): system must not block DROP SERVER.
    let mut sim = five_fitting_three();
    sim.db("system").requested = (3, 2);
    sim.evacuate_user_databases(4);
    sim.member(4).server = Some((ServerState::Deallocated, Health::Available));
    let step = plan(
        &sim.build(),
        &confirmed(3),
        &scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000),
    );
    check(
        &step,
        Action::DropServer {
            server: server_id(4),
        },
        Some(4),
        true,
    );
}

#[test]
fn recorded_drop_of_a_server_that_left_show_servers_shrinks() {
    let mut sim = five_fitting_three();
    sim.evacuate(4);
    sim.member(4).server = None;
    let step = plan(
        &sim.build(),
        &confirmed(3),
        &scale_down(3, 4, ScaleDownPhase::Dropped, 1_000),
    );
    check(
        &step,
        Action::ScaleStatefulSet {
            replicas: 4,
            kept_pvc_ordinal: Some(4),
        },
        Some(4),
        true,
    );
}

// ---- member replacement ------------------------------------------------------------------

fn replacing(member: u32, phase: ReplacePhase) -> Progress {
    Progress {
        operation: Some(Operation::ReplaceMember {
            member,
            server: server_id(member),
            phase,
            started_at_secs: 1_000,
            pod_uid: None,
        }),
    }
}

/// Recorded as recreating: the pod and claim of this pod instance are (being) deleted.
fn recreating(member: u32, instance: u32) -> Progress {
    Progress {
        operation: Some(Operation::ReplaceMember {
            member,
            server: server_id(member),
            phase: ReplacePhase::Recreating,
            started_at_secs: 1_000,
            pod_uid: Some(pod_uid(member, instance)),
        }),
    }
}

fn recreate(ordinal: u32, instance: u32) -> Action {
    Action::ReplaceMember {
        ordinal,
        pod_uid: Some(pod_uid(ordinal, instance)),
    }
}

/// `members` members, 3 primaries and no secondaries, replacing `ordinal`.
fn replace_wanted(members: u32, ordinal: u32) -> Desired {
    let mut d = desired(members, "r1");
    d.secondaries = 0;
    d.replace_member = Some(ordinal);
    d
}

/// Four members, every database asking for 3 copies: one server can go.
fn four_fitting_three() -> Sim {
    let mut sim = Sim::healthy(4, "r1");
    for db in ["neo4j", "system"] {
        sim.db(db).requested = (3, 0);
    }
    sim
}

#[test]
fn replacement_needs_the_annotation() {
    let mut d = replace_wanted(4, 1);
    d.replace_member = None;
    let step = plan(&four_fitting_three().build(), &d, &none());
    check(&step, Action::Done, None, false);
}

#[test]
fn replacement_starts_by_cordoning_and_records_it() {
    let step = plan(
        &four_fitting_three().build(),
        &replace_wanted(4, 1),
        &none(),
    );
    check(
        &step,
        Action::CordonServer {
            server: server_id(1),
        },
        Some(1),
        false,
    );
    assert_eq!(step.progress, replacing(1, ReplacePhase::Cordoned));

    // Cordoned: next the DEALLOCATE, recorded with its own start time.
    let mut sim = four_fitting_three();
    sim.member(1).server = Some((ServerState::Cordoned, Health::Available));
    sim.now = 1_050;
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Cordoned),
    );
    check(
        &step,
        Action::DeallocateServer {
            server: server_id(1),
        },
        Some(1),
        true,
    );
    assert_eq!(
        step.progress,
        Progress {
            operation: Some(Operation::ReplaceMember {
                member: 1,
                server: server_id(1),
                phase: ReplacePhase::Deallocating,
                started_at_secs: 1_050,
                pod_uid: None,
            }),
        }
    );
}

#[test]
fn a_server_someone_else_cordoned_is_deallocated_without_cordoning_again() {
    let mut sim = four_fitting_three();
    sim.member(1).server = Some((ServerState::Cordoned, Health::Available));
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    check(
        &step,
        Action::DeallocateServer {
            server: server_id(1),
        },
        Some(1),
        true,
    );
    assert_eq!(step.progress, replacing(1, ReplacePhase::Deallocating));
}

#[test]
fn replacement_is_refused_without_a_spare_server_and_says_how_to_get_one() {
    // Three members and three primaries: Neo4j could not place the copies elsewhere.
    let step = plan(
        &Sim::healthy(3, "r1").build(),
        &replace_wanted(3, 1),
        &none(),
    );
    check(&step, Action::Refuse, Some(1), false);
    for needle in [
        "spare server",
        "database neo4j wants 3 copies",
        "add a member first (spec.nodeCount 4)",
        "lower spec.topology of neo4j to at most 2",
        "ALTER DATABASE",
    ] {
        assert!(step.reason.contains(needle), "{needle}: {}", step.reason);
    }
    // The same with the member lost: still refused, never cordoned.
    let mut lost = Sim::healthy(3, "r1");
    lost.member(1).pod = Some((false, "r1".into()));
    lost.member(1).server = Some((ServerState::Enabled, Health::Unavailable));
    let step = plan(&lost.build(), &replace_wanted(3, 1), &none());
    check(&step, Action::Refuse, Some(1), false);
    // Another database than the default one is lowered with ALTER DATABASE.
    let mut sales = four_fitting_three();
    let mut db = sales.db("neo4j").clone();
    db.name = "sales".into();
    db.primaries = vec![0, 1, 2];
    db.secondaries = vec![3];
    db.requested = (3, 1);
    sales.dbs.push(db);
    let step = plan(&sales.build(), &replace_wanted(4, 1), &none());
    check(&step, Action::Refuse, Some(1), false);
    assert!(
        step.reason.contains("ALTER DATABASE sales SET TOPOLOGY")
            && step.reason.contains("(spec.nodeCount 5)"),
        "{}",
        step.reason
    );
}

#[test]
fn replacement_waits_while_another_member_is_down() {
    let mut sim = four_fitting_three();
    sim.member(3).pod = Some((false, "r1".into()));
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    assert_eq!(step.action, Action::Wait, "{step:#?}");
    assert!(step.reason.contains("member 3"), "{}", step.reason);
}

#[test]
fn replacement_never_breaks_a_quorum() {
    // neo4j's primaries are on 0 and 1 only (2 of 3 requested available): losing 1 breaks it.
    let mut sim = four_fitting_three();
    let db = sim.db("neo4j");
    db.primaries = vec![0, 1];
    db.secondaries = vec![];
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    check(&step, Action::Wait, Some(1), false);
    assert!(step.reason.contains("quorum"), "{}", step.reason);
}

#[test]
fn replacement_drops_then_recreates_then_finishes() {
    let mut sim = four_fitting_three();
    sim.evacuate_user_databases(1);
    sim.member(1).server = Some((ServerState::Deallocating, Health::Available));
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Deallocating),
    );
    check(&step, Action::Wait, Some(1), false);

    sim.member(1).server = Some((ServerState::Deallocated, Health::Available));
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Deallocating),
    );
    check(
        &step,
        Action::DropServer {
            server: server_id(1),
        },
        Some(1),
        true,
    );
    assert_eq!(step.progress, replacing(1, ReplacePhase::Dropped));

    sim.member(1).server = Some((ServerState::Dropped, Health::Available));
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Dropped),
    );
    check(&step, recreate(1, 0), Some(1), true);
    assert_eq!(step.progress, recreating(1, 0));

    // Recorded before the deletion, still the old identity and pod: deleting again loses
    // nothing.
    let again = plan(&sim.build(), &replace_wanted(4, 1), &recreating(1, 0));
    check(&again, recreate(1, 0), Some(1), true);

    // The pod was recreated (another instance) while SHOW SERVERS still lists the dropped
    // server: the new member is never deleted again.
    sim.member(1).instance = 1;
    let step = plan(&sim.build(), &replace_wanted(4, 1), &recreating(1, 0));
    check(&step, Action::Wait, Some(1), false);
    assert!(step.reason.contains("was recreated"), "{step:#?}");

    // The new server appears Free; with auto-enable off the planner enables it.
    sim.new_identity.push(1);
    sim.member(1).server = Some((ServerState::Free, Health::Available));
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Recreating),
    );
    check(
        &step,
        Action::EnableServer {
            server: "server-1-new".into(),
        },
        Some(1),
        false,
    );

    sim.member(1).server = Some((ServerState::Enabled, Health::Available));
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Recreating),
    );
    check(
        &step,
        Action::FinishReplacement { ordinal: 1 },
        Some(1),
        false,
    );
    assert_eq!(step.progress, none());
}

#[test]
fn replacement_picks_up_a_deallocate_that_was_not_recorded() {
    let mut sim = four_fitting_three();
    sim.evacuate_user_databases(1);
    sim.member(1).server = Some((ServerState::Deallocated, Health::Available));
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    check(
        &step,
        Action::DropServer {
            server: server_id(1),
        },
        Some(1),
        true,
    );
}

#[test]
fn recorded_recreation_of_a_server_that_is_not_dropped_aborts() {
    let step = plan(
        &four_fitting_three().build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Recreating),
    );
    check(&step, Action::Abort, Some(1), false);
}

/// Four members, neo4j with 3 primaries on 0, 1, 2 and nothing else; member 1 is gone: its pod
/// is not Ready and its server Unavailable (a lost disk, a pod that cannot start).
fn four_with_member_1_lost() -> Sim {
    let mut sim = four_fitting_three();
    sim.db("neo4j").secondaries.clear();
    sim.member(1).pod = Some((false, "r1".into()));
    sim.member(1).server = Some((ServerState::Enabled, Health::Unavailable));
    sim
}

#[test]
fn the_members_replacement_exists_for_are_cordoned_first() {
    type Break = Box<dyn Fn(&mut Sim)>;
    let cases: Vec<(&str, Break)> = vec![
        (
            "pod not Ready",
            Box::new(|s: &mut Sim| s.member(1).pod = Some((false, "r1".into()))),
        ),
        (
            "pod missing, server Unavailable",
            Box::new(|s: &mut Sim| {
                s.member(1).pod = None;
                s.member(1).server = Some((ServerState::Enabled, Health::Unavailable));
            }),
        ),
        (
            "server Unavailable",
            Box::new(|s: &mut Sim| {
                s.member(1).server = Some((ServerState::Enabled, Health::Unavailable))
            }),
        ),
        (
            "neo4j dirty on the member",
            Box::new(|s: &mut Sim| s.db("neo4j").status_on = vec![(1, "dirty".into())]),
        ),
        (
            "neo4j quarantined on the member",
            Box::new(|s: &mut Sim| s.db("neo4j").status_on = vec![(1, "quarantined".into())]),
        ),
    ];
    for (what, break_it) in cases {
        let mut sim = four_fitting_three();
        sim.db("neo4j").secondaries.clear();
        break_it(&mut sim);
        let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
        check(
            &step,
            Action::CordonServer {
                server: server_id(1),
            },
            Some(1),
            false,
        );
        assert_eq!(
            step.progress,
            replacing(1, ReplacePhase::Cordoned),
            "{what}"
        );
    }
}

#[test]
fn a_lost_member_is_cordoned_deallocated_dropped_from_deallocating_and_recreated() {
    let mut sim = four_with_member_1_lost();
    let d = replace_wanted(4, 1);
    let step = plan(&sim.build(), &d, &none());
    check(
        &step,
        Action::CordonServer {
            server: server_id(1),
        },
        Some(1),
        false,
    );

    sim.member(1).server = Some((ServerState::Cordoned, Health::Unavailable));
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Cordoned));
    check(
        &step,
        Action::DeallocateServer {
            server: server_id(1),
        },
        Some(1),
        true,
    );
    assert_eq!(step.progress, replacing(1, ReplacePhase::Deallocating));

    // Deallocating: a server that cannot be reached never reports Deallocated. While its
    // requestedHosting still names neo4j: wait.
    sim.member(1).server = Some((ServerState::Deallocating, Health::Unavailable));
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Deallocating));
    check(&step, Action::Wait, Some(1), false);
    assert!(step.reason.contains("requestedHosting"), "{}", step.reason);

    // No longer requested there, but the other members run only 2 of neo4j's 3 primaries.
    sim.evacuate_user_databases(1);
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Deallocating));
    check(&step, Action::Wait, Some(1), false);
    assert!(
        step.reason.contains("runs 2 primaries / 2 copies"),
        "{}",
        step.reason
    );

    // The new copy is online on member 3: drop, recorded before it is sent.
    sim.db("neo4j").primaries = vec![0, 2, 3];
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Deallocating));
    check(
        &step,
        Action::DropServer {
            server: server_id(1),
        },
        Some(1),
        true,
    );
    assert_eq!(step.progress, replacing(1, ReplacePhase::Dropped));

    // Recorded, not sent (still Deallocating): send it again.
    let again = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Dropped));
    check(
        &again,
        Action::DropServer {
            server: server_id(1),
        },
        Some(1),
        true,
    );

    // Dropped (or gone from SHOW SERVERS): recreate; then the new server finishes it.
    sim.member(1).server = None;
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Dropped));
    check(&step, recreate(1, 0), Some(1), true);
    sim.new_identity.push(1);
    sim.member(1).pod = Some((true, "r1".into()));
    sim.member(1).server = Some((ServerState::Enabled, Health::Available));
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Recreating));
    check(
        &step,
        Action::FinishReplacement { ordinal: 1 },
        Some(1),
        false,
    );
}

#[test]
fn a_reachable_deallocating_server_is_not_dropped_before_deallocated() {
    let mut sim = four_fitting_three();
    sim.db("neo4j").secondaries.clear();
    sim.evacuate_user_databases(1);
    sim.db("neo4j").primaries = vec![0, 2, 3];
    sim.member(1).server = Some((ServerState::Deallocating, Health::Available));
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Deallocating),
    );
    check(&step, Action::Wait, Some(1), false);
}

#[test]
fn a_lost_member_is_not_replaced_while_another_member_is_down() {
    let mut sim = four_with_member_1_lost();
    sim.member(3).pod = Some((false, "r1".into()));
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    check(&step, Action::Wait, Some(1), false);
    assert!(step.reason.contains("member 3"), "{}", step.reason);
    // The same after the cordon: no DEALLOCATE.
    sim.member(1).server = Some((ServerState::Cordoned, Health::Unavailable));
    let step = plan(
        &sim.build(),
        &replace_wanted(4, 1),
        &replacing(1, ReplacePhase::Cordoned),
    );
    check(&step, Action::Wait, Some(1), false);
    assert_eq!(step.progress, replacing(1, ReplacePhase::Cordoned));
}

#[test]
fn a_lost_member_is_not_replaced_when_a_database_has_no_quorum_on_the_others() {
    // neo4j's primaries are on 0 and 1 only: with 1 gone, one of 3 is left.
    let mut sim = four_with_member_1_lost();
    sim.db("neo4j").primaries = vec![0, 1];
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    check(&step, Action::Wait, Some(1), false);
    assert!(
        step.reason.contains(
            "database neo4j has 1 primaries online on the other members, below its quorum of 2"
        ),
        "{}",
        step.reason
    );
    // A copy on another member that is not online blocks it too, as does lag on the others.
    let mut sim = four_with_member_1_lost();
    sim.db("neo4j").status_on = vec![(2, "quarantined".into())];
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    check(&step, Action::Wait, Some(1), false);
    assert!(step.reason.contains("not online"), "{}", step.reason);
    let mut sim = four_with_member_1_lost();
    sim.db("neo4j").lag = 50;
    let step = plan(&sim.build(), &replace_wanted(4, 1), &none());
    check(&step, Action::Wait, Some(1), false);
    assert!(step.reason.contains("lags 50"), "{}", step.reason);
}

#[test]
fn withdrawing_after_the_cordon_uncordons() {
    let mut sim = four_with_member_1_lost();
    sim.member(1).server = Some((ServerState::Cordoned, Health::Unavailable));
    let mut d = replace_wanted(4, 1);
    d.replace_member = None;
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Cordoned));
    check(
        &step,
        Action::EnableServer {
            server: server_id(1),
        },
        Some(1),
        false,
    );
    assert_eq!(step.progress, none());
    // ENABLE sent but not recorded: the server is Enabled again, nothing is left to undo.
    let mut healthy = four_fitting_three();
    healthy.member(1).server = Some((ServerState::Enabled, Health::Available));
    let step = plan(&healthy.build(), &d, &replacing(1, ReplacePhase::Cordoned));
    check(&step, Action::Done, None, false);
    assert_eq!(step.progress, none());
    // Withdrawn once the DEALLOCATE reached Neo4j (recorded or not): refused, not undone.
    sim.member(1).server = Some((ServerState::Deallocating, Health::Unavailable));
    for phase in [ReplacePhase::Cordoned, ReplacePhase::Deallocating] {
        let step = plan(&sim.build(), &d, &replacing(1, phase));
        check(&step, Action::Refuse, Some(1), false);
        assert!(step.reason.contains("cannot be undone"), "{}", step.reason);
    }
}

#[test]
fn a_recorded_cordon_that_did_not_arrive_is_sent_again_and_a_sent_deallocate_is_not() {
    let d = replace_wanted(4, 1);
    let step = plan(
        &four_with_member_1_lost().build(),
        &d,
        &replacing(1, ReplacePhase::Cordoned),
    );
    check(
        &step,
        Action::CordonServer {
            server: server_id(1),
        },
        Some(1),
        false,
    );
    assert_eq!(step.progress, replacing(1, ReplacePhase::Cordoned));
    // DEALLOCATE sent, the operator stopped before recording it: wait, never send it again.
    let mut sim = four_with_member_1_lost();
    sim.member(1).server = Some((ServerState::Deallocating, Health::Unavailable));
    let step = plan(&sim.build(), &d, &replacing(1, ReplacePhase::Cordoned));
    check(&step, Action::Wait, Some(1), false);
}

// ---- the system database: a primary on every server ------------------------------------

#[test]
fn system_primaries_are_counted_from_its_rows_not_from_requested_counts() {
    let mut sim = Sim::healthy(5, "r1");
    // Whatever Neo4j prints in requestedPrimariesCount for system, it is not used.
    sim.db("system").requested = (3, 2);
    let q = sim.build().system().cloned().expect("system");
    assert_eq!(
        (q.requested_primaries, q.required, q.primaries_available),
        (5, 3, 5)
    );
    // An unavailable server's row (role unknown) still counts as a primary.
    sim.member(1).server = Some((ServerState::Enabled, Health::Unavailable));
    let q = sim.build().system().cloned().expect("system");
    assert_eq!(
        (q.requested_primaries, q.required, q.primaries_available),
        (5, 3, 4)
    );
    // Servers configured with system_database_mode=SECONDARY are not primaries.
    let mut mixed = Sim::healthy(5, "r1");
    let system = mixed.db("system");
    system.primaries = vec![0, 1, 2];
    system.secondaries = vec![3, 4];
    system.requested = (7, 0);
    let q = mixed.build().system().cloned().expect("system");
    assert_eq!(
        (q.requested_primaries, q.requested_secondaries, q.required),
        (3, 2, 2)
    );
}

#[test]
fn scale_down_5_to_3_proceeds_with_system_a_primary_on_every_server() {
    // system: 5 primaries, one per server; neo4j: 3 primaries + 2 secondaries.
    let sim = Sim::healthy(5, "r1");
    let step = plan(&sim.build(), &confirmed(3), &none());
    check(
        &step,
        Action::AlignTopology {
            database: "neo4j".into(),
            primaries: 3,
            secondaries: 0,
        },
        None,
        false,
    );
    let mut fitting = sim.clone();
    fitting.db("neo4j").requested = (3, 0);
    fitting.db("neo4j").secondaries.clear();
    let step = plan(&fitting.build(), &confirmed(3), &none());
    check(
        &step,
        Action::DeallocateServer {
            server: server_id(4),
        },
        Some(4),
        true,
    );
    // Refused up front only for a user database.
    assert_eq!(
        neo4j_aks_topology::planner::scale_down_refusal(&fitting.build(), &confirmed(3)),
        None
    );
}

#[test]
fn a_drop_that_would_leave_system_without_quorum_waits() {
    // Member 4 is deallocated and empty; members 2 and 3 are down: system has 3 of 5 primaries
    // available, and without member 4 it would have 2 of 4.
    let mut sim = Sim::healthy(5, "r1");
    sim.db("neo4j").requested = (3, 0);
    sim.db("neo4j").secondaries.clear();
    sim.evacuate_user_databases(4);
    sim.member(4).server = Some((ServerState::Deallocated, Health::Available));
    for o in [2, 3] {
        sim.member(o).server = Some((ServerState::Enabled, Health::Unavailable));
    }
    let progress = scale_down(3, 4, ScaleDownPhase::Deallocating, 1_000);
    let step = plan(&sim.build(), &confirmed(3), &progress);
    check(&step, Action::Wait, Some(4), false);
    assert!(step.reason.contains("database system"), "{}", step.reason);
    // With one of them back it goes ahead: 3 of 4.
    sim.member(3).server = Some((ServerState::Enabled, Health::Available));
    let step = plan(&sim.build(), &confirmed(3), &progress);
    check(
        &step,
        Action::DropServer {
            server: server_id(4),
        },
        Some(4),
        true,
    );
}

#[test]
fn rolling_restart_takes_user_secondaries_first_although_system_is_primary_everywhere() {
    // neo4j: primaries on 0, 2, 3, a secondary on 1; system a primary on all four.
    let mut sim = Sim::healthy(4, "r1");
    let neo4j = sim.db("neo4j");
    neo4j.primaries = vec![0, 2, 3];
    neo4j.secondaries = vec![1];
    let step = plan(&sim.build(), &desired(4, "r2"), &none());
    check(&step, restart(1, 0), Some(1), false);
}
