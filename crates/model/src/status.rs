//! Observed state, written by the operator only.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::operation::{NextStepStatus, OperationStatus};

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
    /// One entry per database `SHOW DATABASES` reports (absent while Neo4j is not reachable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<DatabaseStatus>,
    /// The day-2 operation in flight (scale-down, rolling restart, member replacement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationStatus>,
    /// The day-2 planner's latest decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStepStatus>,
    /// Results of the scheduled backups and verifications (from the CronJobs' Jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupStatus>,
    /// Seeding a new cluster from a backup (`spec.bootstrap.fromBackup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapStatus>,
    /// The members' TLS certificates (`spec.tls`), as the Secret `<name>-tls` holds them (or the
    /// user's Secret, `source: secret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificates: Option<CertificatesStatus>,
    /// A `spec.neo4jVersion` change rolling out: members move one at a time, as a rolling
    /// restart (docs/runbooks/upgrade.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeStatus>,
}

/// What the members' TLS Secret holds. One certificate per member serves every scope, so a
/// scope expires when the earliest member certificate does.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificatesStatus {
    /// When the CA certificate expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_expires_at: Option<String>,
    /// When the CA certificate was issued (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_issued_at: Option<String>,
    /// Step 1 of a CA rotation: a new CA the members are being restarted to trust, which signs
    /// their certificates once all of them do; when it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_ca_expires_at: Option<String>,
    /// After a CA rotation: the previous CA, still trusted until it expires (then removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_ca_expires_at: Option<String>,
    /// When a second CA was last added to what the members trust (its pod template restarts
    /// every member once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_ca_added_at: Option<String>,
    /// When the earliest member certificate expires (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Each TLS scope and when its certificates expire (the earliest member's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<ScopeCertificateStatus>,
    /// When running members' certificates were last replaced (their restart loads them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewed_at: Option<String>,
    /// One entry per member certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberCertificateStatus>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeCertificateStatus {
    /// `bolt`, `https`, `cluster` or `backup`.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberCertificateStatus {
    pub pod: String,
    /// When it was issued (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// When it expires (RFC 3339); absent when the Secret holds no readable certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Neo4j 2025.03+ with Bolt on TLS: whether the member presents this certificate on Bolt
    /// (`Current`), still an older one after a reload (`Outdated`), or could not be asked
    /// (`Unknown`). Absent where renewals restart the members instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presented: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BootstrapStatus {
    /// `Pending` (waiting for the cluster to form and every member to fetch its seed),
    /// `Seeding`, `Done`, or `Refused` (see `message`; nothing was changed by the refusal).
    pub phase: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// One entry per database once its seed statement was sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<BootstrapDatabaseStatus>,
    /// When every database was seeded and checked (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BootstrapDatabaseStatus {
    pub name: String,
    /// The backup artifact (restore point) it was seeded from.
    pub artifact: String,
    /// `Requested` (the seed statement was sent) or `Seeded` (online, counts checked).
    pub state: String,
    /// When the seed statement was sent (RFC 3339).
    pub requested_at: String,
    /// Counted once online.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationships: Option<i64>,
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
    /// StatefulSet ordinal of the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u32>,
    /// `serverId` of the member's Neo4j server (SHOW SERVERS).
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
    /// The Neo4j version the member's pod runs (its `app.kubernetes.io/version` label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A version change in progress.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeStatus {
    /// The versions members still run, oldest first.
    pub from: Vec<String>,
    /// `spec.neo4jVersion`.
    pub to: String,
    /// Member pods already running `to`.
    #[serde(default)]
    pub upgraded: Vec<String>,
    /// Member pods still on an older version.
    #[serde(default)]
    pub remaining: Vec<String>,
    /// From 5.26 to a calendar version: the configuration keeps the 5.26 names until every
    /// member runs the new line.
    #[serde(default)]
    pub crosses_lines: bool,
}

/// One database copy on a member.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberDatabaseStatus {
    pub name: String,
    /// `primary`, `secondary` or `unknown`.
    pub role: String,
    /// This copy accepts writes (the leader).
    pub writer: bool,
    /// `currentStatus`: online, offline, starting, store copying, ...
    pub status: String,
    /// Transactions behind the writer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag: Option<u64>,
}

/// One database over the whole cluster.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseStatus {
    pub name: String,
    /// The worst `currentStatus` across its copies.
    pub status: String,
    /// Primaries the database asks for.
    pub primaries: u32,
    /// Primary copies online on an available server.
    pub primaries_available: u32,
    /// A majority of the primaries is available (writes possible).
    pub quorum: bool,
    /// Pod of the writer, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
}
