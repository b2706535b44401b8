//! The system database: a primary on every server, counted from its rows.
use super::*;
use crate::scale_down::confirmed;

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
