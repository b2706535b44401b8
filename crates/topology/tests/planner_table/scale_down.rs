//! Scale down: refusals, each stage, resumption, and the DROP of a server that still hosts `system`.
use super::*;

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

pub(crate) fn confirmed(target: u32) -> neo4j_aks_topology::planner::Desired {
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
