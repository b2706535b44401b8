//! The operator's metric names (its /metrics endpoint), which the alert rules and dashboards
//! query. Labels: `namespace` and `cluster` on every cluster series, plus `database` on the
//! per-database ones; nothing else, so a series set is bounded by clusters × databases.

/// Prefix of every operator metric (prometheus-client's registry prefix).
pub const PREFIX: &str = "neo4j_aks";

/// Members the spec asks for (`spec.nodeCount`).
pub const MEMBERS_DESIRED: &str = "neo4j_aks_cluster_members_desired";
/// Member pods that are Ready.
pub const MEMBERS_READY: &str = "neo4j_aks_cluster_members_ready";
/// Servers that SHOW SERVERS lists `Enabled` and `Available`.
pub const MEMBERS_ENABLED: &str = "neo4j_aks_cluster_members_enabled";
/// 1 when the operator's last look at Neo4j (SHOW SERVERS, SHOW DATABASES) got an answer.
pub const NEO4J_REACHABLE: &str = "neo4j_aks_cluster_neo4j_reachable";
/// 1 while a day-2 operation (scale, restart, member replacement) is recorded in flight.
pub const OPERATION_IN_PROGRESS: &str = "neo4j_aks_cluster_operation_in_progress";
/// Primary copies of the database online on an Available server.
pub const PRIMARIES_ONLINE: &str = "neo4j_aks_database_primaries_online";
/// Primaries the database needs for a write quorum (majority of the requested primaries).
pub const PRIMARIES_REQUIRED: &str = "neo4j_aks_database_primaries_required";
/// 1 when some member is the database's writer (leader).
pub const HAS_LEADER: &str = "neo4j_aks_database_has_leader";
/// Largest `replicationLag` of any copy of the database, in transactions (SHOW DATABASES).
pub const REPLICATION_LAG: &str = "neo4j_aks_database_replication_lag_transactions";
/// Unix time the newest successful backup finished.
pub const BACKUP_LAST_SUCCESS: &str = "neo4j_aks_backup_last_success_timestamp_seconds";
/// Unix time the newest successful restore-and-check finished.
pub const VERIFICATION_LAST_SUCCESS: &str =
    "neo4j_aks_backup_last_verification_success_timestamp_seconds";
/// 1 when the newest finished backup run failed.
pub const BACKUP_LAST_FAILED: &str = "neo4j_aks_backup_last_run_failed";
/// 1 when the newest finished restore-and-check run failed.
pub const VERIFICATION_LAST_FAILED: &str = "neo4j_aks_backup_last_verification_failed";

/// Unix time a generated certificate expires: label `certificate` is `ca` (the cluster's CA) or
/// `members` (the earliest member certificate).
pub const CERTIFICATE_EXPIRY: &str = "neo4j_aks_certificate_expiry_timestamp_seconds";

/// The short name prometheus-client registers (the registry adds [`PREFIX`]).
pub fn short(name: &'static str) -> &'static str {
    name.strip_prefix(PREFIX)
        .and_then(|n| n.strip_prefix('_'))
        .unwrap_or(name)
}

/// Every cluster-health series the operator exports (the rules may name only these).
pub const ALL: &[&str] = &[
    MEMBERS_DESIRED,
    MEMBERS_READY,
    MEMBERS_ENABLED,
    NEO4J_REACHABLE,
    OPERATION_IN_PROGRESS,
    PRIMARIES_ONLINE,
    PRIMARIES_REQUIRED,
    HAS_LEADER,
    REPLICATION_LAG,
    BACKUP_LAST_SUCCESS,
    VERIFICATION_LAST_SUCCESS,
    BACKUP_LAST_FAILED,
    VERIFICATION_LAST_FAILED,
    CERTIFICATE_EXPIRY,
];
