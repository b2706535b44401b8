//! Observed state, written by the operator only.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Neo4jClusterStatus {
    /// The `metadata.generation` this status describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Creating` (first bring-up), `Ready`, `Updating` (rollout, scale-up or volume expansion),
    /// `Degraded` (see the `Degraded` condition) or `Invalid` (see `SpecValid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// `Ready`, `Progressing`, `Degraded` and `SpecValid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// One entry per member pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberStatus>,
    /// Members whose pod is Ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_members: Option<i32>,
    /// Current member pods (scale subresource).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Label selector of the member pods (scale subresource).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// One entry per database (`SHOW DATABASES`), when Neo4j is reachable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<DatabaseStatus>,
    /// The day-2 operation in flight; an operator that restarts resumes it from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationStatus>,
    /// The planner's latest decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStepStatus>,
    /// Results of the scheduled backups and verifications (from the CronJobs' Jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupStatus>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    /// The newest finished backup run, whatever its result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<BackupRun>,
    /// The newest backup run that succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_successful_backup: Option<BackupRun>,
    /// The newest finished restore-and-check run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_verification: Option<BackupRun>,
}

/// One finished Job of a backup CronJob.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupRun {
    /// When the Job finished (RFC 3339).
    pub time: String,
    /// `Succeeded` or `Failed`.
    pub result: String,
    /// The Job's name.
    pub job: String,
    /// Bytes uploaded by the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// From the start of the backup to the end of neo4j-admin (backup) or of the Job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// The agent's result message, or why the Job failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberStatus {
    pub pod: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    pub ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pvc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pvc_capacity: Option<String>,
    /// The pod's StatefulSet ordinal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<i32>,
    /// `serverId` from `SHOW SERVERS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    /// `Free`, `Enabled`, `Deallocating`, `Deallocated`, `Cordoned` or `Dropped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_state: Option<String>,
    /// `Available`, `Unavailable` or `Unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// The database copies this member hosts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<MemberDatabaseStatus>,
}

/// One database copy on one member.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberDatabaseStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `primary` or `secondary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Whether this copy accepts writes (the database's leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<bool>,
    /// `currentStatus` of this copy, e.g. `online`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Replication lag in transactions behind the leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag: Option<i64>,
}

/// One database across the cluster.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The worst `currentStatus` across its copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Desired primaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primaries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primaries_available: Option<i32>,
    /// Whether more than half of the desired primaries are available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<bool>,
    /// Pod of the writer, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
}

/// The day-2 operation in flight.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// `ScaleDown`, `Restart` or `ReplaceMember`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Member count a scale-down ends at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<i32>,
    /// Ordinal of the member being worked on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<i32>,
    /// Neo4j server ID of that member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Revision a restart moves members to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// The planner's latest decision.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextStepStatus {
    /// `Wait`, `Done`, `Refuse`, `Abort` or the action carried out next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Ordinal of the member the step acts on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the planner decided it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}
