//! The admin client the planner's executor and the CLI use, as a trait so both are testable
//! without Neo4j. [`crate::bolt::BoltAdminClient`] is the real implementation.

use std::future::Future;
use std::time::Duration;

use crate::records::{DatabaseRecord, GraphSize, RecordError, ServerRecord, StatusCheckRecord};

/// Everything that can go wrong talking to Neo4j, typed so callers decide (retry, report, stop).
/// No variant carries credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("Neo4j refused the credentials ({code}): {message}")]
    Auth { code: String, message: String },
    #[error("`{statement}` did not finish within {}ms", after.as_millis())]
    Timeout { statement: String, after: Duration },
    #[error("Neo4j is unavailable or the connection was lost: {detail}")]
    Unavailable { detail: String },
    #[error("Neo4j error {code}: {message}")]
    Neo4j { code: String, message: String },
    #[error("not supported by this Neo4j server: {what} ({detail})")]
    Unsupported { what: String, detail: String },
    #[error(transparent)]
    Response(#[from] RecordError),
    #[error("invalid Bolt client configuration: {detail}")]
    Config { detail: String },
    #[error("Bolt driver error: {detail}")]
    Driver { detail: String },
}

impl ClientError {
    /// Worth retrying on a later reconcile (leader change, restart, network), as opposed to a
    /// refusal that needs a person (auth, syntax, a DEALLOCATE Neo4j rejects).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Timeout { .. } | ClientError::Unavailable { .. } => true,
            ClientError::Neo4j { code, .. } => {
                code.starts_with("Neo.TransientError.")
                    || code == "Neo.ClientError.Cluster.NotALeader"
            }
            _ => false,
        }
    }
}

/// Administrative operations on a Neo4j DBMS. Every call is bounded by the client's timeout.
/// Server arguments are a server's `name` or `serverId` as `SHOW SERVERS` prints them.
pub trait AdminClient: Send + Sync {
    /// `SHOW SERVERS YIELD *`.
    fn show_servers(&self) -> impl Future<Output = Result<Vec<ServerRecord>, ClientError>> + Send;
    /// `SHOW DATABASES YIELD *`.
    fn show_databases(
        &self,
    ) -> impl Future<Output = Result<Vec<DatabaseRecord>, ClientError>> + Send;
    /// `CALL dbms.cluster.statusCheck(databases, timeout)`; `Unsupported` before 5.24 and on
    /// servers without the procedure (Community).
    fn status_check(
        &self,
        databases: &[String],
        replication_timeout: Duration,
    ) -> impl Future<Output = Result<Vec<StatusCheckRecord>, ClientError>> + Send;
    /// `ENABLE SERVER`.
    fn enable_server(&self, server: &str) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// `CALL dbms.cluster.cordonServer(server)`: no new allocations; `ENABLE SERVER` undoes it.
    fn cordon_server(&self, server: &str) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// `DEALLOCATE DATABASES FROM SERVER` (irreversible).
    fn deallocate_databases_from_server(
        &self,
        server: &str,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// `DROP SERVER`.
    fn drop_server(&self, server: &str) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// `ALTER DATABASE … SET TOPOLOGY n PRIMARIES m SECONDARIES`.
    fn alter_database_topology(
        &self,
        database: &str,
        primaries: u32,
        secondaries: u32,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// `CREATE DATABASE … TOPOLOGY … OPTIONS {existingData: 'use', seedURI: …}`. Succeeds once
    /// Neo4j accepted the request; the seed is fetched when the database starts, so a bad seed
    /// shows as an offline database in `SHOW DATABASES`.
    fn create_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
        primaries: u32,
        secondaries: u32,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// `CALL dbms.cluster.recreateDatabase(database, {seedURI: …})` (5.24+): the existing
    /// database's store is replaced by the seed; it goes offline and starts again.
    fn recreate_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// Nodes and relationships of `database` (two count queries on that database).
    fn count_graph(
        &self,
        database: &str,
    ) -> impl Future<Output = Result<GraphSize, ClientError>> + Send;
}
