//! Typed rows of `SHOW SERVERS YIELD *`, `SHOW DATABASES YIELD *` and
//! `CALL dbms.cluster.statusCheck(...)`, parsed from a column → value map.
//!
//! Columns and values follow the Operations Manual (5.26 and 2025.x):
//! `clustering/monitoring/show-servers-monitoring.adoc`,
//! `clustering/monitoring/show-databases-monitoring.adoc`,
//! `clustering/monitoring/status-check.adoc`. A column the manual documents as "may be null" is
//! an `Option`; a column missing from the row (an older or the Community edition) is `None` or
//! empty where that is safe, and an error where the decision needs it (`name`, `state`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One result row: column name → value (Bolt values mapped to JSON; temporal columns the
/// client cannot map are left out).
pub type Record = serde_json::Map<String, Value>;

/// A row that does not have the documented shape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unexpected `{statement}` response: column `{column}` {problem}")]
pub struct RecordError {
    pub statement: &'static str,
    pub column: &'static str,
    pub problem: String,
}

/// `state` of `SHOW SERVERS` (show-servers-monitoring.adoc, "Possible values of state").
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ServerState {
    Free,
    Enabled,
    Cordoned,
    Deallocating,
    Deallocated,
    Dropped,
    /// A value this code does not know (a newer Neo4j); never treated as safe.
    Other(String),
}

impl ServerState {
    pub fn parse(text: &str) -> Self {
        match text {
            "Free" => Self::Free,
            "Enabled" => Self::Enabled,
            "Cordoned" => Self::Cordoned,
            "Deallocating" => Self::Deallocating,
            "Deallocated" => Self::Deallocated,
            "Dropped" => Self::Dropped,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// `health` of `SHOW SERVERS`: as seen by the member answering the query.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Health {
    Available,
    Unavailable,
    Other(String),
}

impl Health {
    pub fn parse(text: &str) -> Self {
        match text {
            "Available" => Self::Available,
            "Unavailable" => Self::Unavailable,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// One row of `SHOW SERVERS YIELD *`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    /// `serverId`: the UUID. Community and old versions may omit it; then `name` stands in.
    pub server_id: String,
    /// `name`: the friendly name, or the UUID if none was set.
    pub name: String,
    /// `address`: Bolt address (`host:port`); may be null.
    pub address: Option<String>,
    pub state: ServerState,
    pub health: Health,
    /// `hosting`: databases the server runs now.
    pub hosting: Vec<String>,
    /// `requestedHosting`: databases it is supposed to run.
    pub requested_hosting: Vec<String>,
    /// `modeConstraint`: `NONE`, `PRIMARY` or `SECONDARY`.
    pub mode_constraint: Option<String>,
    pub version: Option<String>,
}

/// `role` of `SHOW DATABASES`: "primary", "secondary" or "unknown".
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DatabaseRole {
    Primary,
    Secondary,
    Unknown,
}

/// `type` of `SHOW DATABASES`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DatabaseType {
    Standard,
    System,
    Composite,
    Other(String),
}

/// One row of `SHOW DATABASES YIELD *`: one database on one hosting server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseRecord {
    pub name: String,
    pub db_type: DatabaseType,
    /// `address`: Bolt address of the hosting server; NULL when that server is offline.
    pub address: Option<String>,
    /// `serverID`: "the friendly name or UUID of the server hosting this database".
    pub server_id: Option<String>,
    pub role: DatabaseRole,
    /// `writer`: true on the leader (or a standalone server).
    pub writer: bool,
    /// `requestedStatus`: online/offline.
    pub requested_status: String,
    /// `currentStatus`: online, offline, starting, stopping, store copying, initial,
    /// deallocating, dirty, quarantined, unknown.
    pub current_status: String,
    pub status_message: String,
    pub default: bool,
    pub requested_primaries: Option<u32>,
    pub requested_secondaries: Option<u32>,
    pub current_primaries: Option<u32>,
    pub current_secondaries: Option<u32>,
    /// `lastCommittedTxn` on this server.
    pub last_committed_txn: Option<i64>,
    /// `replicationLag`: transactions between this server and the writer. Neo4j reports it as
    /// `this - writer` (0 or negative); [`DatabaseRecord::lag`] gives the magnitude.
    pub replication_lag: Option<i64>,
}

impl DatabaseRecord {
    pub fn is_online(&self) -> bool {
        self.current_status == "online"
    }

    /// How many transactions this copy is behind the writer (0 when unknown or ahead).
    pub fn lag(&self) -> u64 {
        self.replication_lag.map_or(0, i64::unsigned_abs)
    }
}

/// `memberStatus` of `dbms.cluster.statusCheck`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberStatus {
    Applying,
    Replicating,
    Unavailable,
    Other(String),
}

/// One row of `CALL dbms.cluster.statusCheck(databases, timeoutMilliseconds)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCheckRecord {
    pub database: String,
    pub server_id: String,
    pub server_name: Option<String>,
    pub address: Option<String>,
    pub replication_successful: bool,
    pub member_status: MemberStatus,
    pub recognised_leader: Option<String>,
    pub recognised_leader_term: Option<i64>,
    pub requester: bool,
    pub error: Option<String>,
}

/// How big a database's graph is: `MATCH (n) RETURN count(n)` and
/// `MATCH ()-[r]->() RETURN count(r)` on that database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GraphSize {
    pub nodes: u64,
    pub relationships: u64,
}

struct Columns<'a> {
    statement: &'static str,
    record: &'a Record,
}

impl<'a> Columns<'a> {
    fn err(&self, column: &'static str, problem: impl Into<String>) -> RecordError {
        RecordError {
            statement: self.statement,
            column,
            problem: problem.into(),
        }
    }

    fn value(&self, column: &str) -> Option<&'a Value> {
        self.record.get(column).filter(|v| !v.is_null())
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>, RecordError> {
        match self.value(column) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(column, format!("is not a string: {other}"))),
        }
    }

    fn text(&self, column: &'static str) -> Result<String, RecordError> {
        self.opt_text(column)?
            .ok_or_else(|| self.err(column, "is missing or null"))
    }

    fn opt_bool(&self, column: &'static str) -> Result<Option<bool>, RecordError> {
        match self.value(column) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.err(column, format!("is not a boolean: {other}"))),
        }
    }

    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, RecordError> {
        match self.value(column) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.err(column, format!("is not an integer: {n}"))),
            Some(other) => Err(self.err(column, format!("is not an integer: {other}"))),
        }
    }

    fn opt_count(&self, column: &'static str) -> Result<Option<u32>, RecordError> {
        match self.opt_int(column)? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| self.err(column, format!("is not a count: {n}"))),
        }
    }

    fn texts(&self, column: &'static str) -> Result<Vec<String>, RecordError> {
        match self.value(column) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.err(column, format!("has a non-string item: {other}"))),
                })
                .collect(),
            Some(other) => Err(self.err(column, format!("is not a list: {other}"))),
        }
    }
}

pub const SHOW_SERVERS: &str = "SHOW SERVERS YIELD *";
pub const SHOW_DATABASES: &str = "SHOW DATABASES YIELD *";
pub const COUNT_NODES: &str = "MATCH (n) RETURN count(n) AS count";
pub const COUNT_RELATIONSHIPS: &str = "MATCH ()-[r]->() RETURN count(r) AS count";
pub const STATUS_CHECK: &str =
    "CALL dbms.cluster.statusCheck($databases, $timeoutMilliseconds) YIELD *";

impl ServerRecord {
    pub fn from_record(record: &Record) -> Result<Self, RecordError> {
        let c = Columns {
            statement: SHOW_SERVERS,
            record,
        };
        let name = c.text("name")?;
        let server_id = c.opt_text("serverId")?.unwrap_or_else(|| name.clone());
        Ok(ServerRecord {
            server_id,
            name,
            address: c.opt_text("address")?,
            state: ServerState::parse(&c.text("state")?),
            health: Health::parse(&c.text("health")?),
            hosting: c.texts("hosting")?,
            requested_hosting: c.texts("requestedHosting")?,
            mode_constraint: c.opt_text("modeConstraint")?,
            version: c.opt_text("version")?,
        })
    }
}

impl DatabaseRecord {
    pub fn from_record(record: &Record) -> Result<Self, RecordError> {
        let c = Columns {
            statement: SHOW_DATABASES,
            record,
        };
        let role = match c.opt_text("role")?.as_deref() {
            Some("primary") => DatabaseRole::Primary,
            Some("secondary") => DatabaseRole::Secondary,
            _ => DatabaseRole::Unknown,
        };
        let db_type = match c.text("type")?.as_str() {
            "standard" => DatabaseType::Standard,
            "system" => DatabaseType::System,
            "composite" => DatabaseType::Composite,
            other => DatabaseType::Other(other.to_owned()),
        };
        Ok(DatabaseRecord {
            name: c.text("name")?,
            db_type,
            address: c.opt_text("address")?,
            server_id: c.opt_text("serverID")?,
            role,
            writer: c.opt_bool("writer")?.unwrap_or(false),
            requested_status: c.text("requestedStatus")?,
            current_status: c.text("currentStatus")?,
            status_message: c.opt_text("statusMessage")?.unwrap_or_default(),
            default: c.opt_bool("default")?.unwrap_or(false),
            requested_primaries: c.opt_count("requestedPrimariesCount")?,
            requested_secondaries: c.opt_count("requestedSecondariesCount")?,
            current_primaries: c.opt_count("currentPrimariesCount")?,
            current_secondaries: c.opt_count("currentSecondariesCount")?,
            last_committed_txn: c.opt_int("lastCommittedTxn")?,
            replication_lag: c.opt_int("replicationLag")?,
        })
    }
}

/// The `count` column of the single row a [`COUNT_NODES`] or [`COUNT_RELATIONSHIPS`] query
/// returns.
pub fn count_from_rows(statement: &'static str, rows: &[Record]) -> Result<u64, RecordError> {
    let row = rows.first().ok_or_else(|| RecordError {
        statement,
        column: "count",
        problem: "is missing: no row returned".to_owned(),
    })?;
    let c = Columns {
        statement,
        record: row,
    };
    let n = c
        .opt_int("count")?
        .ok_or_else(|| c.err("count", "is missing or null"))?;
    u64::try_from(n).map_err(|_| c.err("count", format!("is negative: {n}")))
}

impl StatusCheckRecord {
    pub fn from_record(record: &Record) -> Result<Self, RecordError> {
        let c = Columns {
            statement: STATUS_CHECK,
            record,
        };
        let member_status = match c.text("memberStatus")?.as_str() {
            "APPLYING" => MemberStatus::Applying,
            "REPLICATING" => MemberStatus::Replicating,
            "UNAVAILABLE" => MemberStatus::Unavailable,
            other => MemberStatus::Other(other.to_owned()),
        };
        Ok(StatusCheckRecord {
            database: c.text("database")?,
            server_id: c.text("serverId")?,
            server_name: c.opt_text("serverName")?,
            address: c.opt_text("address")?,
            replication_successful: c
                .opt_bool("replicationSuccessful")?
                .ok_or_else(|| c.err("replicationSuccessful", "is missing or null"))?,
            member_status,
            recognised_leader: c.opt_text("recognisedLeader")?,
            recognised_leader_term: c.opt_int("recognisedLeaderTerm")?,
            requester: c.opt_bool("requester")?.unwrap_or(false),
            error: c.opt_text("error")?.filter(|e| !e.is_empty()),
        })
    }
}
