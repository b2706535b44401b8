//! The day-2 operation in flight and the planner's latest decision, as the status records them.
//!
//! [`Operation`] is the typed form the planner (crate `neo4j-aks-topology`) reads and returns;
//! [`OperationStatus`] is its flat, schema-friendly form in `status.operation` (a CRD schema
//! cannot hold an internally tagged enum whose variants share property names). The two convert
//! both ways, so an operator that restarts resumes from what the status says.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Annotation naming the ordinal of a member to replace with an empty one (single-member
/// restore); the operator removes it when the replacement finished.
pub use crate::api::annotations::REPLACE_MEMBER as REPLACE_MEMBER_ANNOTATION;
/// Annotation on the Neo4jCluster whose RFC 3339 value, when set or changed, rolls every member
/// once: it is copied into the pod template, so it is part of the desired revision.
pub use crate::api::annotations::RESTART_REQUESTED_AT as RESTART_REQUESTED_ANNOTATION;

/// Where the removal of one member's server stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ScaleDownPhase {
    /// `DEALLOCATE DATABASES FROM SERVER` was sent; wait for `Deallocated`.
    Deallocating,
    /// `DROP SERVER` is being (or was) sent; next shrink the StatefulSet.
    Dropped,
}

/// Where the replacement of one member (`neo4j-aks.io/replace-member`) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReplacePhase {
    /// `CALL dbms.cluster.cordonServer` is being (or was) sent for the old server: no new
    /// allocations go to it, and a withdrawn request is undone with `ENABLE SERVER`.
    Cordoned,
    /// `DEALLOCATE DATABASES FROM SERVER` was sent for the old server.
    Deallocating,
    /// `DROP SERVER` is being (or was) sent for the old server.
    Dropped,
    /// The member's pod and claim are being deleted; the StatefulSet recreates them empty.
    Recreating,
}

/// The operation in flight (typed). Serialised as its [`OperationStatus`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "OperationStatus", try_from = "OperationStatus")]
pub enum Operation {
    ScaleDown {
        target: u32,
        member: u32,
        server: String,
        phase: ScaleDownPhase,
        started_at_secs: i64,
    },
    Restart {
        revision: String,
        member: u32,
        started_at_secs: i64,
        /// The pod instance (uid) judged stale and deleted; absent in records of older
        /// operators.
        pod_uid: Option<String>,
    },
    ReplaceMember {
        member: u32,
        /// The server being replaced.
        server: String,
        phase: ReplacePhase,
        started_at_secs: i64,
        /// `Recreating`: the pod instance (uid) whose pod and claim are deleted; a pod with
        /// another uid is the recreated member, never deleted again.
        pod_uid: Option<String>,
    },
}

/// `status.operation.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OperationKind {
    ScaleDown,
    Restart,
    ReplaceMember,
}

/// `status.operation.phase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OperationPhase {
    Cordoned,
    Deallocating,
    Dropped,
    Recreating,
}

/// The day-2 operation in flight, resumed by an operator that restarts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// `ScaleDown`, `Restart` or `ReplaceMember`.
    pub kind: OperationKind,
    /// Ordinal of the member the operation works on now.
    pub member: u32,
    /// ScaleDown: the member count asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<u32>,
    /// ScaleDown, ReplaceMember: the server (SHOW SERVERS serverId) being removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// ScaleDown, ReplaceMember: the stage reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<OperationPhase>,
    /// Restart: the revision the member is moved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Restart, ReplaceMember (`Recreating`): the uid of the member's pod that is deleted
    /// (recorded before it is deleted; a pod with another uid is the new instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_uid: Option<String>,
    /// When the operation's current stage started (its timeout counts from here).
    pub started_at: Time,
}

/// The planner's latest decision (`status.nextStep`), for people and the CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextStepStatus {
    /// `Wait`, `Done`, `Refuse`, `Abort`, `ScaleStatefulSet`, `EnableServer`, `AlignTopology`,
    /// `CordonServer`, `DeallocateServer`, `DropServer`, `RestartMember`, `ReplaceMember` or
    /// `FinishReplacement`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<u32>,
    pub reason: String,
    /// When this decision was first made (unchanged while the planner repeats it).
    pub at: Time,
}

fn time(secs: i64) -> Time {
    Time(Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// Why a recorded `status.operation` cannot be resumed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("status.operation ({kind:?}) lacks `{field}`")]
pub struct IncompleteOperation {
    pub kind: OperationKind,
    pub field: &'static str,
}

impl Operation {
    pub fn kind(&self) -> OperationKind {
        match self {
            Operation::ScaleDown { .. } => OperationKind::ScaleDown,
            Operation::Restart { .. } => OperationKind::Restart,
            Operation::ReplaceMember { .. } => OperationKind::ReplaceMember,
        }
    }

    pub fn member(&self) -> u32 {
        match self {
            Operation::ScaleDown { member, .. }
            | Operation::Restart { member, .. }
            | Operation::ReplaceMember { member, .. } => *member,
        }
    }

    pub fn to_status(&self) -> OperationStatus {
        match self {
            Operation::ScaleDown {
                target,
                member,
                server,
                phase,
                started_at_secs,
            } => OperationStatus {
                kind: OperationKind::ScaleDown,
                member: *member,
                target: Some(*target),
                server: Some(server.clone()),
                phase: Some(match phase {
                    ScaleDownPhase::Deallocating => OperationPhase::Deallocating,
                    ScaleDownPhase::Dropped => OperationPhase::Dropped,
                }),
                revision: None,
                pod_uid: None,
                started_at: time(*started_at_secs),
            },
            Operation::Restart {
                revision,
                member,
                started_at_secs,
                pod_uid,
            } => OperationStatus {
                kind: OperationKind::Restart,
                member: *member,
                target: None,
                server: None,
                phase: None,
                revision: Some(revision.clone()),
                pod_uid: pod_uid.clone(),
                started_at: time(*started_at_secs),
            },
            Operation::ReplaceMember {
                member,
                server,
                phase,
                started_at_secs,
                pod_uid,
            } => OperationStatus {
                kind: OperationKind::ReplaceMember,
                member: *member,
                target: None,
                server: Some(server.clone()),
                phase: Some(match phase {
                    ReplacePhase::Cordoned => OperationPhase::Cordoned,
                    ReplacePhase::Deallocating => OperationPhase::Deallocating,
                    ReplacePhase::Dropped => OperationPhase::Dropped,
                    ReplacePhase::Recreating => OperationPhase::Recreating,
                }),
                revision: None,
                pod_uid: pod_uid.clone(),
                started_at: time(*started_at_secs),
            },
        }
    }

    pub fn from_status(status: &OperationStatus) -> Result<Self, IncompleteOperation> {
        let missing = |field| IncompleteOperation {
            kind: status.kind,
            field,
        };
        let started_at_secs = status.started_at.0.as_second();
        let server = || status.server.clone().ok_or_else(|| missing("server"));
        Ok(match status.kind {
            OperationKind::ScaleDown => Operation::ScaleDown {
                target: status.target.ok_or_else(|| missing("target"))?,
                member: status.member,
                server: server()?,
                phase: match status.phase {
                    Some(OperationPhase::Deallocating) => ScaleDownPhase::Deallocating,
                    Some(OperationPhase::Dropped) => ScaleDownPhase::Dropped,
                    _ => return Err(missing("phase")),
                },
                started_at_secs,
            },
            OperationKind::Restart => Operation::Restart {
                revision: status.revision.clone().ok_or_else(|| missing("revision"))?,
                member: status.member,
                started_at_secs,
                pod_uid: status.pod_uid.clone(),
            },
            OperationKind::ReplaceMember => Operation::ReplaceMember {
                member: status.member,
                server: server()?,
                phase: match status.phase {
                    Some(OperationPhase::Cordoned) => ReplacePhase::Cordoned,
                    Some(OperationPhase::Deallocating) => ReplacePhase::Deallocating,
                    Some(OperationPhase::Dropped) => ReplacePhase::Dropped,
                    Some(OperationPhase::Recreating) => ReplacePhase::Recreating,
                    None => return Err(missing("phase")),
                },
                started_at_secs,
                pod_uid: status.pod_uid.clone(),
            },
        })
    }
}

impl From<Operation> for OperationStatus {
    fn from(operation: Operation) -> Self {
        operation.to_status()
    }
}

impl TryFrom<OperationStatus> for Operation {
    type Error = IncompleteOperation;
    fn try_from(status: OperationStatus) -> Result<Self, Self::Error> {
        Operation::from_status(&status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_survives_the_status_round_trip() {
        let ops = [
            Operation::ScaleDown {
                target: 3,
                member: 4,
                server: "s-4".into(),
                phase: ScaleDownPhase::Dropped,
                started_at_secs: 1_790_000_000,
            },
            Operation::Restart {
                revision: "db-5c9".into(),
                member: 1,
                started_at_secs: 1_790_000_001,
                pod_uid: Some("0b7a4c2e-5d1f-4c8e-9a55-2f1e7d3c9b10".into()),
            },
            Operation::Restart {
                revision: "db-5c9".into(),
                member: 1,
                started_at_secs: 1_790_000_001,
                pod_uid: None,
            },
            Operation::ReplaceMember {
                member: 2,
                server: "s-2".into(),
                phase: ReplacePhase::Recreating,
                started_at_secs: 1_790_000_002,
                pod_uid: Some("5e1d0c3a-2b4f-4d6e-8a90-1c2b3d4e5f60".into()),
            },
            Operation::ReplaceMember {
                member: 1,
                server: "s-1".into(),
                phase: ReplacePhase::Cordoned,
                started_at_secs: 1_790_000_003,
                pod_uid: None,
            },
        ];
        for op in ops {
            let status = op.to_status();
            let json = serde_json::to_value(&status).expect("serialises");
            let back: OperationStatus = serde_json::from_value(json).expect("parses");
            assert_eq!(Operation::from_status(&back), Ok(op));
        }
    }

    #[test]
    fn a_status_without_its_fields_is_not_resumed() {
        let mut status = Operation::ScaleDown {
            target: 3,
            member: 4,
            server: "s".into(),
            phase: ScaleDownPhase::Deallocating,
            started_at_secs: 0,
        }
        .to_status();
        status.server = None;
        assert_eq!(
            Operation::from_status(&status),
            Err(IncompleteOperation {
                kind: OperationKind::ScaleDown,
                field: "server"
            })
        );
    }
}
