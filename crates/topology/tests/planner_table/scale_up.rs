//! Scale up: grow the StatefulSet, enable servers, align the default database.
use super::*;

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
