//! One table test per planner step: scale up, scale down (refusals, each stage, resumption),
//! rolling restart (order, gates, timeout).

#[path = "../support/mod.rs"]
mod support;

mod replace_member;
mod restart;
mod scale_down;
mod scale_up;
mod system_database;

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
