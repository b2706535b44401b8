//! How the operator reaches Neo4j: a [`Connector`] in the controller's `Context` hands out an
//! admin client for one cluster. Production uses [`BoltConnector`] (crate
//! `neo4j-aks-topology`'s Bolt client, credentials from the cluster's Secret); tests put a
//! simulated Neo4j behind the same trait.
//!
//! The topology crate's `AdminClient` returns `impl Future`, which cannot sit behind `dyn`;
//! [`Admin`] is its object-safe mirror (boxed futures), implemented for every `AdminClient`.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions, Tls};
use neo4j_aks_topology::records::{DatabaseRecord, GraphSize, ServerRecord};
use neo4j_aks_topology::{AdminClient, ClientError, Credentials};

/// Bolt port every member listens on.
pub const BOLT_PORT: u16 = 7687;
/// Bound for opening the connection and for each statement. Connection setup is never retried
/// by neo4rs (its `RetryableQuery::connect` treats a failure to get a connection as permanent),
/// so an unreachable cluster costs at most this per reconcile.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Which cluster to reach and how.
#[derive(Clone, Debug)]
pub struct Target {
    pub namespace: String,
    pub cluster: String,
    /// Member host names to try, Ready members first (`N-i.N-headless.NS.svc.DOMAIN`).
    pub hosts: Vec<String>,
    pub credentials: Credentials,
    /// PEM of the CA that signed the members' Bolt certificates; `None` when Bolt is plain.
    pub bolt_ca: Option<String>,
}

/// The administrative statements the executor uses, object-safe.
pub trait Admin: Send + Sync {
    fn show_servers(&self) -> BoxFuture<'_, Result<Vec<ServerRecord>, ClientError>>;
    fn show_databases(&self) -> BoxFuture<'_, Result<Vec<DatabaseRecord>, ClientError>>;
    fn enable_server<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<(), ClientError>>;
    fn cordon_server<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<(), ClientError>>;
    fn deallocate_databases_from_server<'a>(
        &'a self,
        server: &'a str,
    ) -> BoxFuture<'a, Result<(), ClientError>>;
    fn drop_server<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<(), ClientError>>;
    fn alter_database_topology<'a>(
        &'a self,
        database: &'a str,
        primaries: u32,
        secondaries: u32,
    ) -> BoxFuture<'a, Result<(), ClientError>>;
    fn create_database_from_seed<'a>(
        &'a self,
        database: &'a str,
        seed_uri: &'a str,
        primaries: u32,
        secondaries: u32,
    ) -> BoxFuture<'a, Result<(), ClientError>>;
    fn recreate_database_from_seed<'a>(
        &'a self,
        database: &'a str,
        seed_uri: &'a str,
    ) -> BoxFuture<'a, Result<(), ClientError>>;
    fn count_graph<'a>(
        &'a self,
        database: &'a str,
    ) -> BoxFuture<'a, Result<GraphSize, ClientError>>;
}

impl<T: AdminClient> Admin for T {
    fn show_servers(&self) -> BoxFuture<'_, Result<Vec<ServerRecord>, ClientError>> {
        AdminClient::show_servers(self).boxed()
    }
    fn show_databases(&self) -> BoxFuture<'_, Result<Vec<DatabaseRecord>, ClientError>> {
        AdminClient::show_databases(self).boxed()
    }
    fn enable_server<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<(), ClientError>> {
        AdminClient::enable_server(self, server).boxed()
    }
    fn cordon_server<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<(), ClientError>> {
        AdminClient::cordon_server(self, server).boxed()
    }
    fn deallocate_databases_from_server<'a>(
        &'a self,
        server: &'a str,
    ) -> BoxFuture<'a, Result<(), ClientError>> {
        AdminClient::deallocate_databases_from_server(self, server).boxed()
    }
    fn drop_server<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<(), ClientError>> {
        AdminClient::drop_server(self, server).boxed()
    }
    fn alter_database_topology<'a>(
        &'a self,
        database: &'a str,
        primaries: u32,
        secondaries: u32,
    ) -> BoxFuture<'a, Result<(), ClientError>> {
        AdminClient::alter_database_topology(self, database, primaries, secondaries).boxed()
    }
    fn create_database_from_seed<'a>(
        &'a self,
        database: &'a str,
        seed_uri: &'a str,
        primaries: u32,
        secondaries: u32,
    ) -> BoxFuture<'a, Result<(), ClientError>> {
        AdminClient::create_database_from_seed(self, database, seed_uri, primaries, secondaries)
            .boxed()
    }
    fn recreate_database_from_seed<'a>(
        &'a self,
        database: &'a str,
        seed_uri: &'a str,
    ) -> BoxFuture<'a, Result<(), ClientError>> {
        AdminClient::recreate_database_from_seed(self, database, seed_uri).boxed()
    }
    fn count_graph<'a>(
        &'a self,
        database: &'a str,
    ) -> BoxFuture<'a, Result<GraphSize, ClientError>> {
        AdminClient::count_graph(self, database).boxed()
    }
}

/// Hands out an admin client for a cluster.
pub trait Connector: Send + Sync {
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Arc<dyn Admin>, ClientError>>;
}

/// A function from target to client is a connector that answers at once: an in-process client
/// (the tests' simulated Neo4j) or one connected beforehand.
impl<F> Connector for F
where
    F: Fn(&Target) -> Result<Arc<dyn Admin>, ClientError> + Send + Sync,
{
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Arc<dyn Admin>, ClientError>> {
        futures::future::ready(self(target)).boxed()
    }
}

/// The production connector: Bolt to the first host that answers `SHOW SERVERS`.
#[derive(Clone, Debug)]
pub struct BoltConnector {
    pub port: u16,
    pub timeout: Duration,
}

impl Default for BoltConnector {
    fn default() -> Self {
        BoltConnector {
            port: BOLT_PORT,
            timeout: CONNECT_TIMEOUT,
        }
    }
}

impl Connector for BoltConnector {
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Arc<dyn Admin>, ClientError>> {
        async move {
            let mut last = ClientError::Unavailable {
                detail: "no member is Ready".to_owned(),
            };
            let tls = match &target.bolt_ca {
                None => Tls::Off,
                Some(pem) => Tls::On {
                    ca_file: Some(ca_file(target, pem)?),
                },
            };
            for host in &target.hosts {
                let options = BoltOptions::new(host.clone(), self.port)
                    .with_timeout(self.timeout)
                    .with_tls(tls.clone());
                let client = BoltAdminClient::connect(options, &target.credentials)?;
                // The client connects lazily: one cheap statement proves the connection.
                match AdminClient::show_servers(&client).await {
                    Ok(_) => return Ok(Arc::new(client) as Arc<dyn Admin>),
                    // Wrong credentials are the same on every member: stop here.
                    Err(e @ ClientError::Auth { .. }) => return Err(e),
                    Err(e) => last = e,
                }
            }
            Err(last)
        }
        .boxed()
    }
}

/// The Bolt driver reads a CA from a file: the cluster's CA certificate (public) is written to
/// the temporary directory, one file per cluster, replaced when it changes.
pub(crate) fn ca_file(target: &Target, pem: &str) -> Result<std::path::PathBuf, ClientError> {
    let path = std::env::temp_dir().join(format!(
        "neo4j-aks-ca-{}-{}.crt",
        target.namespace, target.cluster
    ));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(pem) {
        std::fs::write(&path, pem).map_err(|e| ClientError::Unavailable {
            detail: format!("cannot write the cluster CA to {}: {e}", path.display()),
        })?;
    }
    Ok(path)
}
