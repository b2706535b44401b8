//! Member replacement: cordon, deallocate, drop (from Deallocating for a lost member), recreate.
use super::*;

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
