//! Neo4jCluster objects as the operator leaves them, for the unit tests of this module.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::ObjectMeta;
use neo4j_aks_model::{
    DatabaseStatus, MemberDatabaseStatus, MemberStatus, Neo4jCluster, Neo4jClusterSpec,
    Neo4jClusterStatus, NextStepStatus, OperationStatus,
};

/// A valid `nodes`-member spec named `db` in namespace `prod`, without status.
pub fn cluster(nodes: i32) -> Neo4jCluster {
    let mut c = Neo4jCluster::new(
        "db",
        Neo4jClusterSpec {
            neo4j_version: Some("5.26.16".into()),
            accept_license_agreement: Some("yes".into()),
            node_count: Some(nodes),
            ..Neo4jClusterSpec::default()
        },
    );
    c.metadata = ObjectMeta {
        name: Some("db".into()),
        namespace: Some("prod".into()),
        generation: Some(4),
        resource_version: Some("100".into()),
        ..ObjectMeta::default()
    };
    c
}

fn copy(name: &str, role: &str, writer: bool, lag: u64) -> MemberDatabaseStatus {
    MemberDatabaseStatus {
        name: name.into(),
        role: role.into(),
        writer,
        status: "online".into(),
        lag: Some(lag),
    }
}

/// `nodes` members all ready and Enabled; db-0 leads `neo4j`, db-1 leads `system`.
pub fn healthy(nodes: i32) -> Neo4jCluster {
    let mut c = cluster(nodes);
    let members = (0..nodes)
        .map(|i| MemberStatus {
            pod: format!("db-{i}"),
            ready: true,
            zone: Some(format!("eastus-{}", i % 3 + 1)),
            ordinal: u32::try_from(i).ok(),
            server_id: Some(format!("server-{i}")),
            server_state: Some("Enabled".into()),
            health: Some("Available".into()),
            databases: vec![
                copy(
                    "neo4j",
                    "primary",
                    i == 0,
                    u64::try_from(i).unwrap_or(0) * 2,
                ),
                copy("system", "primary", i == 1, 0),
            ],
            ..MemberStatus::default()
        })
        .collect();
    let count = u32::try_from(nodes).unwrap_or(0);
    let database = |name: &str, leader: &str| DatabaseStatus {
        name: name.into(),
        status: "online".into(),
        primaries: count,
        primaries_available: count,
        quorum: true,
        leader: Some(leader.into()),
    };
    c.status = Some(Neo4jClusterStatus {
        observed_generation: Some(4),
        phase: Some("Ready".into()),
        conditions: vec![condition("Ready", "True", "AllMembersReady", "")],
        members,
        ready_members: Some(nodes),
        replicas: Some(nodes),
        databases: vec![database("neo4j", "db-0"), database("system", "db-1")],
        next_step: Some(step(
            "Done",
            None,
            "observed topology matches the spec",
            "2026-11-26T12:00:00Z",
        )),
        ..Neo4jClusterStatus::default()
    });
    c
}

pub fn condition(type_: &str, status: &str, reason: &str, message: &str) -> Condition {
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: Time(Timestamp::UNIX_EPOCH),
        observed_generation: None,
    }
}

/// A time from RFC 3339 text (fixtures only: anything else is the epoch).
pub fn time(text: &str) -> Time {
    Time(text.parse().unwrap_or(Timestamp::UNIX_EPOCH))
}

pub fn step(action: &str, member: Option<u32>, reason: &str, at: &str) -> NextStepStatus {
    NextStepStatus {
        action: action.into(),
        member,
        reason: reason.into(),
        at: time(at),
    }
}

/// An operation of `kind` (`ScaleDown`, `Restart`, `ReplaceMember`) on `member`.
pub fn operation(kind: &str, member: u32) -> OperationStatus {
    OperationStatus {
        kind: serde_json::from_value(serde_json::Value::from(kind)).expect("a known kind"),
        member,
        target: None,
        server: None,
        phase: None,
        revision: None,
        pod_uid: None,
        started_at: time("2026-11-26T13:00:00Z"),
    }
}

pub fn status(c: &mut Neo4jCluster) -> &mut Neo4jClusterStatus {
    c.status.get_or_insert_with(Neo4jClusterStatus::default)
}
