//! The checks that need Bolt to the cluster (`routing`, `tls-plaintext-rejected`): the address
//! and CA from --bolt / --ca-file or found from the Neo4jCluster as `bench` finds them, the
//! password from the cluster's Secret (or the variable --password-env names).

use std::path::PathBuf;
use std::time::Duration;

use neo4j_aks_topology::Credentials;
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions, Tls};
use neo4rs::Query;

use super::VerifyArgs;
use super::judge::{self, Route};
use super::matrix::Outcome;

/// Where the Bolt checks connect, with what.
pub struct Endpoint {
    pub options: BoltOptions,
    pub credentials: Credentials,
    /// The CA file this run wrote (removed at the end).
    pub written_ca: Option<PathBuf>,
}

/// The endpoint, or why the Bolt checks cannot run (their skip reason).
pub async fn endpoint(args: &VerifyArgs) -> Result<Endpoint, String> {
    let (uri, found_ca) = match &args.bolt {
        Some(uri) => (uri.clone(), None),
        None => {
            let found = crate::bench::discovered_for(&args.target)
                .await
                .map_err(|e| format!("no Bolt address: {e}"))?;
            (found.uri, found.ca_pem)
        }
    };
    let mut options = BoltOptions::from_uri(&uri)
        .map_err(|e| e.to_string())?
        .with_timeout(Duration::from_secs(15));
    // The password before the CA file is written, so that no early return leaves that behind.
    let credentials = match std::env::var(&args.password_env) {
        Ok(password) if !password.is_empty() => Credentials::new("neo4j", password),
        _ => crate::bench::admin_credentials(&args.target)
            .await
            .map_err(|e| format!("no Neo4j password: {e}"))?,
    };
    let written_ca = match (&args.ca_file, found_ca) {
        (None, Some(pem)) => Some(crate::bench::write_ca(&pem).map_err(|e| e.to_string())?),
        _ => None,
    };
    if let Some(ca) = args.ca_file.clone().or_else(|| written_ca.clone()) {
        options.tls = Tls::On { ca_file: Some(ca) };
    }
    Ok(Endpoint {
        options,
        credentials,
        written_ca,
    })
}

/// `CALL dbms.routing.getRoutingTable` for `database`, judged against the members' names.
pub async fn routing(endpoint: &Endpoint, database: &str, member_hosts: &[String]) -> Outcome {
    let options = &endpoint.options;
    let graph =
        match crate::bench::graph(&options.uri(), options, &endpoint.credentials, database, 1) {
            Ok(g) => g,
            Err(e) => return Outcome::Skipped(format!("{}: {e}", options.uri())),
        };
    let query = Query::new(
        "CALL dbms.routing.getRoutingTable({}, $database) YIELD servers \
         UNWIND servers AS server RETURN server.role AS role, server.addresses AS addresses"
            .to_owned(),
    )
    .param("database", database);
    let mut table = Vec::new();
    let work = async {
        let mut rows = graph.execute(query).await?;
        while let Some(row) = rows.next().await? {
            if let (Ok(role), Ok(addresses)) = (
                row.get::<String>("role"),
                row.get::<Vec<String>>("addresses"),
            ) {
                table.push(Route { role, addresses });
            }
        }
        Ok(())
    };
    match crate::bench::bounded("reading the routing table", options.timeout, work).await {
        Ok(()) => judge::routing(database, &table, member_hosts),
        // Unreachable or refused: nothing was judged.
        Err(e) => Outcome::Skipped(e.to_string()),
    }
}

async fn answers(options: BoltOptions, credentials: &Credentials) -> Result<(), String> {
    let client = BoltAdminClient::connect(options, credentials).map_err(|e| e.to_string())?;
    client
        .server_info()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The same host and port over TLS, then plaintext, each a direct connection to that server.
pub async fn plaintext(endpoint: &Endpoint) -> Outcome {
    let options = endpoint.options.clone().direct();
    let address = format!("{}:{}", options.host, options.port);
    let tls_options = match &options.tls {
        Tls::On { .. } => options.clone(),
        Tls::Off => options.clone().with_tls(Tls::On { ca_file: None }),
    };
    let tls = answers(tls_options, &endpoint.credentials).await;
    let plain = answers(options.with_tls(Tls::Off), &endpoint.credentials).await;
    judge::plaintext_rejected(&address, &tls, &plain)
}
