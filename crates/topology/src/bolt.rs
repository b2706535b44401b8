//! [`AdminClient`] over Bolt with neo4rs.
//!
//! * Connects with `neo4j://` (or `neo4j+s://`): the driver then sends a routing context in
//!   HELLO, and a server with `dbms.routing.enabled=true` forwards administrative writes to the
//!   `system` database's leader (server-side routing). neo4rs's own client-side routing stays
//!   off (it is behind an unstable feature).
//! * Every statement runs under `tokio::time::timeout`; the Bolt connect timeout is the same.
//!   neo4rs retries transient failures (leader switch, `NotALeader`) with backoff inside that
//!   bound; a timed-out connection is not reused mid-exchange (tested against a real server).
//! * neo4rs logs "Client-side routing is in experimental mode" (via `log`) for `neo4j://`:
//!   harmless here, client-side routing is not compiled in.
//! * Server and database names are parameters (see [`crate::statements`]).
//! * The password is only handed to neo4rs; `Debug` shows the address and user.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use neo4rs::{ConfigBuilder, Graph, Query};
use serde_json::Value;

use crate::client::{AdminClient, ClientError};
use crate::credentials::Credentials;
use crate::records::{
    COUNT_NODES, COUNT_RELATIONSHIPS, DatabaseRecord, GraphSize, Record, SHOW_DATABASES,
    SHOW_SERVERS, ServerRecord, StatusCheckRecord, count_from_rows,
};
use crate::statements::{ParamValue, Statement};

/// Administrative statements run against the `system` database.
const SYSTEM: &str = "system";

/// TLS for the Bolt connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tls {
    Off,
    /// Verify the server certificate against the system roots, or against the CA in this PEM
    /// file (the cluster's own CA). The certificate must carry the host name as a SAN.
    On {
        ca_file: Option<PathBuf>,
    },
}

/// Where and how to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoltOptions {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    /// Bound for connecting and for each statement (including reading all rows).
    pub timeout: Duration,
    /// `neo4j` routing (the default) or a direct `bolt` connection to this one server, for
    /// statements that act on the server they run on.
    pub routing: bool,
}

impl BoltOptions {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        BoltOptions {
            host: host.into(),
            port,
            tls: Tls::Off,
            timeout: Duration::from_secs(10),
            routing: true,
        }
    }

    /// A direct connection to this server only (`bolt` / `bolt+s`).
    pub fn direct(mut self) -> Self {
        self.routing = false;
        self
    }

    /// Reads `scheme://host[:port]` with scheme bolt, bolt+s, neo4j or neo4j+s. The scheme
    /// only chooses TLS: the client always connects with `neo4j` routing.
    pub fn from_uri(uri: &str) -> Result<Self, ClientError> {
        let bad = |why: &str| ClientError::Config {
            detail: format!("Bolt URI `{uri}`: {why}"),
        };
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://host:port"))?;
        let tls = match scheme {
            "bolt" | "neo4j" => Tls::Off,
            "bolt+s" | "neo4j+s" => Tls::On { ca_file: None },
            other => return Err(bad(&format!("unsupported scheme `{other}`"))),
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(bad("expected only host[:port] after the scheme"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad(&format!("port `{port}` is not a number")))?,
            ),
            _ => (authority, 7687),
        };
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        let mut options = BoltOptions::new(host, port);
        options.tls = tls;
        Ok(options)
    }

    pub fn with_tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The URI handed to the driver: `neo4j` (server-side routing) unless [`Self::direct`].
    pub fn uri(&self) -> String {
        let scheme = match (&self.tls, self.routing) {
            (Tls::Off, true) => "neo4j",
            (Tls::On { .. }, true) => "neo4j+s",
            (Tls::Off, false) => "bolt",
            (Tls::On { .. }, false) => "bolt+s",
        };
        format!("{scheme}://{}:{}", self.host, self.port)
    }
}

/// The real [`AdminClient`].
pub struct BoltAdminClient {
    graph: Graph,
    options: BoltOptions,
    user: String,
}

impl fmt::Debug for BoltAdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoltAdminClient")
            .field("uri", &self.options.uri())
            .field("user", &self.user)
            .field("timeout", &self.options.timeout)
            .finish_non_exhaustive()
    }
}

/// Maps a neo4rs error to ours. Auth, Neo4j codes and connection trouble are told apart.
pub fn classify(error: neo4rs::Error) -> ClientError {
    use neo4rs::Error as E;
    match error {
        E::Neo4j(e) => {
            let code = e.code().to_owned();
            let message = e.message().to_owned();
            if code.starts_with("Neo.ClientError.Security.Unauthorized")
                || code == "Neo.ClientError.Security.AuthenticationRateLimit"
                || code == "Neo.ClientError.Security.CredentialsExpired"
            {
                ClientError::Auth { code, message }
            } else {
                ClientError::Neo4j { code, message }
            }
        }
        E::AuthenticationError(message) => ClientError::Auth {
            code: "Neo.ClientError.Security.Unauthorized".to_owned(),
            message,
        },
        E::IOError { detail } => ClientError::Unavailable {
            detail: detail.to_string(),
        },
        e @ (E::ConnectionError
        | E::ConnectionTimedOut
        | E::IncompleteBoltExchange
        | E::ServerUnavailableError(_)
        | E::RoutingTableError(_)
        | E::RoutingTableRefreshFailed(_)
        | E::RequestIgnoredError
        | E::Ignored(_)) => ClientError::Unavailable {
            detail: e.to_string(),
        },
        e @ (E::UrlParseError(_)
        | E::UnsupportedScheme(_)
        | E::InvalidDnsName(_)
        | E::InvalidConfig) => ClientError::Config {
            detail: e.to_string(),
        },
        other => ClientError::Driver {
            detail: other.to_string(),
        },
    }
}

fn to_query(statement: &Statement) -> Query {
    let mut query = Query::new(statement.text.clone());
    for (name, value) in &statement.params {
        query = match value {
            ParamValue::Text(text) => query.param(name, text.as_str()),
            ParamValue::Texts(texts) => query.param(name, texts.clone()),
            ParamValue::Int(n) => query.param(name, *n),
        };
    }
    query
}

/// A Bolt row as a column → JSON map. Temporal values (`creationTime`, …) do not map to JSON
/// and are left out; nothing this crate decides reads them.
fn to_record(row: &neo4rs::Row) -> Record {
    let mut record = Record::new();
    for key in row.keys() {
        let key = key.value.clone();
        if let Ok(value) = row.get::<Value>(&key) {
            record.insert(key, value);
        }
    }
    record
}

/// Parses `5.26.30`, `2025.10.1`, `5.26.0-SNAPSHOT` into (major, minor).
pub fn version_major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `dbms.cluster.statusCheck` exists from 5.24 on (and in every 2025.x / 2026.x release).
pub fn has_status_check(version: &str) -> bool {
    version_major_minor(version).is_some_and(|v| v >= (5, 24))
}

/// What `CALL dbms.components()` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    pub version: String,
    pub edition: String,
}

impl BoltAdminClient {
    /// Builds the client; the first statement opens the first connection (and reports a wrong
    /// password as [`ClientError::Auth`]).
    pub fn connect(options: BoltOptions, credentials: &Credentials) -> Result<Self, ClientError> {
        let mut config = ConfigBuilder::default()
            .uri(options.uri())
            .user(credentials.user())
            .password(credentials.expose_password())
            .db(SYSTEM)
            .max_connections(2)
            .connection_timeout(options.timeout);
        if let Tls::On {
            ca_file: Some(path),
        } = &options.tls
        {
            config = config.with_client_certificate(path);
        }
        let config = config.build().map_err(classify)?;
        let graph = Graph::connect(config).map_err(classify)?;
        Ok(BoltAdminClient {
            graph,
            user: credentials.user().to_owned(),
            options,
        })
    }

    pub fn options(&self) -> &BoltOptions {
        &self.options
    }

    /// Runs a statement on `system` and returns every row, all within the timeout.
    pub async fn query(&self, statement: &Statement) -> Result<Vec<Record>, ClientError> {
        self.query_on(SYSTEM, statement).await
    }

    /// Runs a statement on the named database and returns every row, all within the timeout.
    pub async fn query_on(
        &self,
        database: &str,
        statement: &Statement,
    ) -> Result<Vec<Record>, ClientError> {
        let work = async {
            let mut stream = self
                .graph
                .execute_on(database, to_query(statement))
                .await
                .map_err(classify)?;
            let mut rows = Vec::new();
            while let Some(row) = stream.next().await.map_err(classify)? {
                rows.push(to_record(&row));
            }
            Ok(rows)
        };
        self.bounded(statement, work).await
    }

    /// `CALL dbms.security.reloadTLS()` on the server this client reaches, in a read transaction:
    /// with a direct connection ([`BoltOptions::direct`]) it reloads that member's certificates
    /// whatever the member leads; a write would be refused on a follower.
    pub async fn reload_tls(&self) -> Result<(), ClientError> {
        let statement = Statement::reload_tls();
        let work = async {
            let mut stream = self
                .graph
                .execute_read(to_query(&statement))
                .await
                .map_err(classify)?;
            while stream.next().await.map_err(classify)?.is_some() {}
            Ok(())
        };
        self.bounded(&statement, work).await
    }

    /// Runs a statement on `system` for its effect (auto-commit, as a write).
    pub async fn run(&self, statement: &Statement) -> Result<(), ClientError> {
        let work = async {
            self.graph
                .run_on(SYSTEM, to_query(statement))
                .await
                .map_err(classify)
        };
        self.bounded(statement, work).await
    }

    async fn bounded<T>(
        &self,
        statement: &Statement,
        work: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(self.options.timeout, work).await {
            Ok(result) => {
                if let Err(e) = &result {
                    tracing::debug!(statement = %statement, error = %e, "Neo4j statement failed");
                }
                result
            }
            Err(_) => Err(ClientError::Timeout {
                statement: statement.text.clone(),
                after: self.options.timeout,
            }),
        }
    }

    /// `CALL dbms.components()`: Neo4j version and edition.
    pub async fn server_info(&self) -> Result<ServerInfo, ClientError> {
        let statement =
            Statement::plain("CALL dbms.components() YIELD name, versions, edition RETURN *");
        let rows = self.query(&statement).await?;
        let row = rows
            .iter()
            .find(|r| r.get("name").and_then(Value::as_str) == Some("Neo4j Kernel"))
            .or(rows.first())
            .ok_or_else(|| ClientError::Driver {
                detail: "dbms.components() returned no row".to_owned(),
            })?;
        let version = row
            .get("versions")
            .and_then(Value::as_array)
            .and_then(|v| v.first())
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let edition = row
            .get("edition")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok(ServerInfo { version, edition })
    }
}

/// Neo4j codes meaning "this server (edition/version) cannot do that".
fn unsupported(what: &str, error: ClientError) -> ClientError {
    match error {
        ClientError::Neo4j { code, message }
            if code == "Neo.ClientError.Procedure.ProcedureNotFound"
                // Community 5.26 answers SHOW SERVERS with this code and
                // "Unsupported administration command: …".
                || (code == "Neo.ClientError.Statement.NotSystemDatabaseError"
                    && message.starts_with("Unsupported administration command"))
                || code == "Neo.ClientError.Statement.UnsupportedAdministrationCommand"
                || code == "Neo.DatabaseError.Statement.NotSupported"
                || code == "Neo.ClientError.Statement.NotSupported" =>
        {
            ClientError::Unsupported {
                what: what.to_owned(),
                detail: format!("{code}: {message}"),
            }
        }
        other => other,
    }
}

impl AdminClient for BoltAdminClient {
    async fn show_servers(&self) -> Result<Vec<ServerRecord>, ClientError> {
        let rows = self
            .query(&Statement::plain(SHOW_SERVERS))
            .await
            .map_err(|e| unsupported("SHOW SERVERS", e))?;
        rows.iter()
            .map(|r| ServerRecord::from_record(r).map_err(ClientError::from))
            .collect()
    }

    async fn show_databases(&self) -> Result<Vec<DatabaseRecord>, ClientError> {
        let rows = self.query(&Statement::plain(SHOW_DATABASES)).await?;
        rows.iter()
            .map(|r| DatabaseRecord::from_record(r).map_err(ClientError::from))
            .collect()
    }

    async fn status_check(
        &self,
        databases: &[String],
        replication_timeout: Duration,
    ) -> Result<Vec<StatusCheckRecord>, ClientError> {
        let info = self.server_info().await?;
        if !has_status_check(&info.version) {
            return Err(ClientError::Unsupported {
                what: "dbms.cluster.statusCheck".to_owned(),
                detail: format!("Neo4j {} has it from 5.24 on", info.version),
            });
        }
        let ms = i64::try_from(replication_timeout.as_millis()).unwrap_or(i64::MAX);
        let rows = self
            .query(&Statement::status_check(databases, ms))
            .await
            .map_err(|e| unsupported("dbms.cluster.statusCheck", e))?;
        rows.iter()
            .map(|r| StatusCheckRecord::from_record(r).map_err(ClientError::from))
            .collect()
    }

    async fn enable_server(&self, server: &str) -> Result<(), ClientError> {
        self.run(&Statement::enable_server(server))
            .await
            .map_err(|e| unsupported("ENABLE SERVER", e))
    }

    async fn cordon_server(&self, server: &str) -> Result<(), ClientError> {
        self.run(&Statement::cordon_server(server))
            .await
            .map_err(|e| unsupported("dbms.cluster.cordonServer", e))
    }

    async fn deallocate_databases_from_server(&self, server: &str) -> Result<(), ClientError> {
        self.run(&Statement::deallocate_databases_from_server(server))
            .await
            .map_err(|e| unsupported("DEALLOCATE DATABASES FROM SERVER", e))
    }

    async fn drop_server(&self, server: &str) -> Result<(), ClientError> {
        self.run(&Statement::drop_server(server))
            .await
            .map_err(|e| unsupported("DROP SERVER", e))
    }

    async fn alter_database_topology(
        &self,
        database: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Result<(), ClientError> {
        self.run(&Statement::alter_database_topology(
            database,
            primaries,
            secondaries,
        ))
        .await
        .map_err(|e| unsupported("ALTER DATABASE … SET TOPOLOGY", e))
    }

    async fn create_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Result<(), ClientError> {
        self.run(&Statement::create_database_from_seed(
            database,
            seed_uri,
            primaries,
            secondaries,
        ))
        .await
        .map_err(|e| unsupported("CREATE DATABASE … OPTIONS {seedURI}", e))
    }

    async fn recreate_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
    ) -> Result<(), ClientError> {
        self.run(&Statement::recreate_database_from_seed(database, seed_uri))
            .await
            .map_err(|e| unsupported("dbms.cluster.recreateDatabase", e))
    }

    async fn count_graph(&self, database: &str) -> Result<GraphSize, ClientError> {
        let nodes = self
            .query_on(database, &Statement::plain(COUNT_NODES))
            .await?;
        let relationships = self
            .query_on(database, &Statement::plain(COUNT_RELATIONSHIPS))
            .await?;
        Ok(GraphSize {
            nodes: count_from_rows(COUNT_NODES, &nodes)?,
            relationships: count_from_rows(COUNT_RELATIONSHIPS, &relationships)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_parsing_keeps_host_port_and_tls() {
        let o = BoltOptions::from_uri("bolt://127.0.0.1:7688").expect("valid");
        assert_eq!(
            (o.host.as_str(), o.port, &o.tls),
            ("127.0.0.1", 7688, &Tls::Off)
        );
        assert_eq!(o.uri(), "neo4j://127.0.0.1:7688");
        assert_eq!(o.clone().direct().uri(), "bolt://127.0.0.1:7688");
        assert_eq!(
            o.with_tls(Tls::On { ca_file: None }).direct().uri(),
            "bolt+s://127.0.0.1:7688"
        );
        let o =
            BoltOptions::from_uri("neo4j+s://n-0.n-headless.ns.svc.cluster.local").expect("valid");
        assert_eq!(o.port, 7687);
        assert_eq!(
            o.uri(),
            "neo4j+s://n-0.n-headless.ns.svc.cluster.local:7687"
        );
        for bad in [
            "http://x:1",
            "x:1",
            "bolt://",
            "bolt://u:p@host:1",
            "bolt://h:notaport",
        ] {
            assert!(BoltOptions::from_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_with_status_check() {
        assert!(has_status_check("5.26.30"));
        assert!(has_status_check("5.24.0"));
        assert!(has_status_check("2025.10.1"));
        assert!(!has_status_check("5.23.0"));
        assert!(!has_status_check("4.4.40"));
        assert!(!has_status_check("garbage"));
    }

    #[test]
    fn debug_does_not_show_the_password() {
        let creds = Credentials::new("neo4j", "not-for-logs-123");
        let client = BoltAdminClient::connect(BoltOptions::new("127.0.0.1", 1), &creds)
            .expect("lazy connect");
        let shown = format!("{client:?}");
        assert!(!shown.contains("not-for-logs"), "{shown}");
        assert!(shown.contains("neo4j://127.0.0.1:1"), "{shown}");
    }

    #[test]
    fn auth_codes_classify_as_auth() {
        let e = classify(neo4rs::Error::AuthenticationError("bad".to_owned()));
        assert!(matches!(e, ClientError::Auth { .. }));
        let e = classify(neo4rs::Error::ConnectionError);
        assert!(matches!(e, ClientError::Unavailable { .. }));
        assert!(e.is_transient());
    }
}
