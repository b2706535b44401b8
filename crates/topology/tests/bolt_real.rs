//! The Bolt admin client against a REAL Neo4j Community 5.26 server (neo4j-harness from Maven
//! Central; start it with `testenv/neo4j-harness/neo4j.sh up` and `eval` its output).
//!
//! Without `NEO4J_AKS_TEST_BOLT` these tests print "skipped: no Neo4j" and pass, unless
//! `NEO4J_AKS_REQUIRE_NEO4J=1`, where they fail.
//!
//! Community runs the read-side statements for real (SHOW SERVERS, SHOW DATABASES,
//! dbms.components). The Enterprise-only statements are sent too: Community must *parse* them
//! with their `$server`/`$database` parameters and refuse them as unsupported, which proves the
//! parameterised forms are valid Cypher. Their responses on Enterprise are covered by
//! tests/documented_responses.rs.

use std::process::Stdio;
use std::time::{Duration, Instant};

use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions, Tls, has_status_check};
use neo4j_aks_topology::records::{DatabaseRole, GraphSize, Health, ServerState};
use neo4j_aks_topology::statements::Statement;
use neo4j_aks_topology::{AdminClient, ClientError, Credentials};

struct Peer {
    uri: String,
    user: String,
    password: String,
}

fn peer(test: &str) -> Option<Peer> {
    match std::env::var("NEO4J_AKS_TEST_BOLT") {
        Ok(uri) if !uri.is_empty() => Some(Peer {
            uri,
            user: std::env::var("NEO4J_AKS_TEST_USER").unwrap_or_else(|_| "neo4j".to_owned()),
            password: std::env::var("NEO4J_AKS_TEST_PASSWORD").unwrap_or_default(),
        }),
        _ => {
            assert!(
                std::env::var("NEO4J_AKS_REQUIRE_NEO4J").as_deref() != Ok("1"),
                "{test}: NEO4J_AKS_REQUIRE_NEO4J=1 but NEO4J_AKS_TEST_BOLT is unset; \
                 start it with testenv/neo4j-harness/neo4j.sh up"
            );
            println!("{test}: skipped: no Neo4j (NEO4J_AKS_TEST_BOLT unset)");
            None
        }
    }
}

fn client(peer: &Peer, timeout: Duration) -> BoltAdminClient {
    let options = BoltOptions::from_uri(&peer.uri)
        .expect("NEO4J_AKS_TEST_BOLT is a Bolt URI")
        .with_timeout(timeout);
    BoltAdminClient::connect(options, &Credentials::new(&peer.user, &peer.password))
        .expect("client builds")
}

/// Surprise: Community 5.26 refuses `SHOW SERVERS` (code NotSystemDatabaseError, message
/// "Unsupported administration command: SHOW SERVERS YIELD *"); the client reports it as
/// `Unsupported`. Its rows are tested from the manual in tests/documented_responses.rs.
#[tokio::test]
async fn show_servers_is_enterprise_only_and_reported_as_unsupported() {
    let Some(peer) = peer("show_servers_is_enterprise_only_and_reported_as_unsupported") else {
        return;
    };
    let c = client(&peer, Duration::from_secs(20));
    let info = c.server_info().await.expect("dbms.components()");
    let result = c.show_servers().await;
    println!("{info:?}: {result:?}");
    if info.edition == "community" {
        assert!(
            matches!(&result, Err(ClientError::Unsupported { what, .. }) if what == "SHOW SERVERS"),
            "{result:?}"
        );
    } else {
        let servers = result.expect("SHOW SERVERS YIELD *");
        assert!(
            servers.iter().all(|s| s.health == Health::Available),
            "{servers:?}"
        );
        assert!(
            servers.iter().any(|s| s.state == ServerState::Enabled),
            "{servers:?}"
        );
    }
}

#[tokio::test]
async fn show_databases_on_a_real_server() {
    let Some(peer) = peer("show_databases_on_a_real_server") else {
        return;
    };
    let databases = client(&peer, Duration::from_secs(20))
        .show_databases()
        .await
        .expect("SHOW DATABASES YIELD *");
    println!("{databases:#?}");
    let neo4j = databases
        .iter()
        .find(|d| d.name == "neo4j")
        .expect("default database");
    assert!(
        neo4j.default && neo4j.writer && neo4j.is_online(),
        "{neo4j:?}"
    );
    assert_eq!(neo4j.role, DatabaseRole::Primary);
    assert_eq!(neo4j.requested_status, "online");
    // Community fills replicationLag (0) and the current counts, but leaves lastCommittedTxn and
    // the requested counts null.
    assert_eq!(neo4j.lag(), 0, "{neo4j:?}");
    assert_eq!(neo4j.current_primaries, Some(1), "{neo4j:?}");
    let port = peer.uri.rsplit(':').next().expect("port");
    assert!(
        neo4j
            .address
            .as_deref()
            .is_some_and(|a| a.ends_with(&format!(":{port}"))),
        "{neo4j:?}"
    );
    let system = databases
        .iter()
        .find(|d| d.name == "system")
        .expect("system database");
    assert!(system.is_online() && system.writer, "{system:?}");
}

#[tokio::test]
async fn status_check_is_reported_as_unsupported_on_community() {
    let Some(peer) = peer("status_check_is_reported_as_unsupported_on_community") else {
        return;
    };
    let c = client(&peer, Duration::from_secs(20));
    let info = c.server_info().await.expect("dbms.components()");
    println!("{info:?}");
    assert!(info.version.starts_with("5.26."), "{info:?}");
    assert!(has_status_check(&info.version));
    match c.status_check(&[], Duration::from_millis(500)).await {
        Err(ClientError::Unsupported { what, detail }) => {
            assert_eq!(what, "dbms.cluster.statusCheck");
            println!("statusCheck on {}: {detail}", info.edition);
        }
        Ok(rows) if info.edition != "community" => println!("{rows:?}"),
        other => panic!("statusCheck on {}: {other:?}", info.edition),
    }
}

#[tokio::test]
async fn enterprise_statements_parse_with_parameters_and_are_refused_as_unsupported() {
    let Some(peer) = peer("enterprise_statements_parse_with_parameters_and_are_refused") else {
        return;
    };
    let c = client(&peer, Duration::from_secs(20));
    let evil = "x' `y` \"z\" //";
    let results = [
        ("ENABLE SERVER", c.enable_server(evil).await),
        ("DEALLOCATE", c.deallocate_databases_from_server(evil).await),
        ("DROP SERVER", c.drop_server(evil).await),
        (
            "ALTER TOPOLOGY",
            c.alter_database_topology(evil, 3, 1).await,
        ),
    ];
    for (what, result) in results {
        println!("{what}: {result:?}");
        match result {
            Err(ClientError::Unsupported { .. }) => {}
            other => panic!("{what}: expected Unsupported, got {other:?}"),
        }
    }
    // Sanity: a real syntax error is not mistaken for "unsupported".
    let syntax = c.run(&Statement::plain("ENABLE SERVERS NOW")).await;
    assert!(
        matches!(&syntax, Err(ClientError::Neo4j { code, .. }) if code.contains("Syntax")),
        "{syntax:?}"
    );
}

/// `CALL dbms.cluster.cordonServer($server)`, the first step of a member replacement: Community
/// has no such procedure (Enterprise only, Operations Manual, procedures,
/// `dbms.cluster.cordonServer()`), so it must answer ProcedureNotFound, which the client reports
/// as `Unsupported` — not a syntax error, not a parameter problem.
#[tokio::test]
async fn cordon_server_is_a_procedure_call_refused_as_unsupported_on_community() {
    let Some(peer) = peer("cordon_server_is_a_procedure_call_refused_as_unsupported") else {
        return;
    };
    let c = client(&peer, Duration::from_secs(20));
    let evil = "x' `y` \"z\" //";
    let raw = c.run(&Statement::cordon_server(evil)).await;
    println!("{}: {raw:?}", Statement::cordon_server(evil));
    assert!(
        matches!(&raw, Err(ClientError::Neo4j { code, .. }) if code == "Neo.ClientError.Procedure.ProcedureNotFound"),
        "{raw:?}"
    );
    match c.cordon_server(evil).await {
        Err(ClientError::Unsupported { what, .. }) => assert_eq!(what, "dbms.cluster.cordonServer"),
        other => panic!("cordon: expected Unsupported, got {other:?}"),
    }
    // A broken call is a syntax error, never taken for "unsupported".
    let broken = c
        .run(&Statement::plain("CALL dbms.cluster.cordonServer($server"))
        .await;
    assert!(
        matches!(&broken, Err(ClientError::Neo4j { code, .. }) if code.contains("Syntax")),
        "{broken:?}"
    );
}

/// The seed statements of the full-cluster restore: Community must parse them, including the
/// `$seedURI` parameter inside the OPTIONS map and the procedure call, and refuse them as
/// Enterprise-only (not as a syntax error); the client reports that as `Unsupported`.
#[tokio::test]
async fn seed_statements_parse_with_parameters_and_are_refused_as_unsupported() {
    let Some(peer) = peer("seed_statements_parse_with_parameters_and_are_refused") else {
        return;
    };
    let c = client(&peer, Duration::from_secs(20));
    let evil_db = "x' `y` \"z\" //";
    let evil_uri = "file:///seed/x'}) DROP DATABASE neo4j //.backup";
    // What Community answers, verbatim, for the report and for the classification below.
    for statement in [
        Statement::create_database_from_seed(evil_db, evil_uri, 3, 1),
        Statement::create_database_from_seed(evil_db, evil_uri, 1, 0),
        Statement::recreate_database_from_seed(evil_db, evil_uri),
    ] {
        let raw = c.run(&statement).await;
        println!("{statement}: {raw:?}");
        assert!(
            matches!(&raw, Err(ClientError::Neo4j { code, .. }) if !code.contains("Syntax")),
            "{statement}: {raw:?}"
        );
    }
    let results = [
        (
            "CREATE DATABASE … seedURI",
            c.create_database_from_seed(evil_db, evil_uri, 3, 0).await,
        ),
        (
            "recreateDatabase",
            c.recreate_database_from_seed(evil_db, evil_uri).await,
        ),
    ];
    for (what, result) in results {
        println!("{what}: {result:?}");
        assert!(
            matches!(&result, Err(ClientError::Unsupported { .. })),
            "{what}: expected Unsupported, got {result:?}"
        );
    }
    // Community parses the whole statement before refusing it: a broken one is a syntax error.
    for broken in [
        "CREATE DATABASE $database TOPOLOGY 3 PRIMARIEZ OPTIONS {existingData: 'use', seedURI: $seedURI}",
        "CREATE DATABASE $database TOPOLOGY 3 PRIMARIES OPTIONS {existingData: 'use', seedURI: }",
    ] {
        let raw = c.run(&Statement::plain(broken)).await;
        println!("{broken}: {raw:?}");
        assert!(
            matches!(&raw, Err(ClientError::Neo4j { code, .. }) if code.contains("Syntax")),
            "{broken}: {raw:?}"
        );
    }
    // The database was not created, nothing was dropped.
    let names: Vec<String> = c
        .show_databases()
        .await
        .expect("SHOW DATABASES")
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert!(names.contains(&"neo4j".to_owned()), "{names:?}");
    assert!(!names.contains(&evil_db.to_owned()), "{names:?}");
}

/// `count_graph` on a private server (so no other test's writes interfere): an empty graph,
/// then one with a known number of nodes and relationships; an unknown database is an error
/// with Neo4j's code, and so is a stopped one.
#[tokio::test]
async fn count_graph_counts_nodes_and_relationships() {
    let Some(peer) = peer("count_graph_counts_nodes_and_relationships") else {
        return;
    };
    let Ok(script) = std::env::var("NEO4J_AKS_TEST_HARNESS") else {
        panic!(
            "NEO4J_AKS_TEST_HARNESS (printed by neo4j.sh env) is needed to start a second server"
        );
    };
    let (private, _pid, _down) = private_server(&peer, &script, "count").await;
    let c = client(&private, Duration::from_secs(60));
    let empty = c.count_graph("neo4j").await.expect("count an empty graph");
    assert_eq!(
        empty,
        GraphSize {
            nodes: 0,
            relationships: 0
        }
    );
    // 7 nodes: a chain of 5 (4 relationships) plus 2 loose nodes; one self-loop: 5 relationships.
    let write = Statement::plain(
        "CREATE (a:T)-[:R]->(b:T)-[:R]->(c:T)-[:R]->(d:T)-[:R]->(e:T), (:T), (f:T)-[:R]->(f)",
    );
    c.query_on("neo4j", &write).await.expect("create the graph");
    let counted = c.count_graph("neo4j").await.expect("count");
    println!("{counted:?}");
    assert_eq!(
        counted,
        GraphSize {
            nodes: 7,
            relationships: 5
        }
    );

    let unknown = c.count_graph("no-such-database").await;
    println!("unknown database: {unknown:?}");
    assert!(
        matches!(&unknown, Err(ClientError::Neo4j { code, .. }) if code == "Neo.ClientError.Database.DatabaseNotFound"),
        "{unknown:?}"
    );

    let system = c.count_graph("system").await;
    println!("system database: {system:?}");
    assert!(system.is_err(), "{system:?}");

    let stop = c.run(&Statement::plain("STOP DATABASE neo4j")).await;
    println!("STOP DATABASE neo4j: {stop:?}");
    if stop.is_ok() {
        let stopped = c.count_graph("neo4j").await;
        println!("stopped database: {stopped:?}");
        assert!(stopped.is_err(), "{stopped:?}");
    }
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let Some(peer) = peer("wrong_password_is_an_auth_error") else {
        return;
    };
    let wrong = Peer {
        password: "definitely-not-the-password".to_owned(),
        ..peer
    };
    let started = Instant::now();
    let result = client(&wrong, Duration::from_secs(20))
        .show_databases()
        .await;
    println!("{result:?} after {:?}", started.elapsed());
    let err = result.expect_err("wrong password must fail");
    assert!(matches!(err, ClientError::Auth { .. }), "{err:?}");
    assert!(!err.to_string().contains("definitely-not"), "{err}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn slow_statement_times_out_and_the_client_recovers() {
    let Some(peer) = peer("slow_statement_times_out_and_the_client_recovers") else {
        return;
    };
    let c = client(&peer, Duration::from_millis(300));
    // Warm the pool so the timeout measures the query, not the first connect.
    let warm = client(&peer, Duration::from_secs(20));
    warm.show_databases().await.expect("warm");
    let slow = Statement::plain(
        "UNWIND range(1, 300000000) AS x WITH x WHERE x % 7 = 13 RETURN count(x) AS n",
    );
    let started = Instant::now();
    let result = c.query_on("neo4j", &slow).await;
    let took = started.elapsed();
    println!("{result:?} after {took:?}");
    assert!(
        matches!(&result, Err(ClientError::Timeout { after, .. }) if *after == Duration::from_millis(300)),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(3), "timeout took {took:?}");
    assert!(result.expect_err("timeout").is_transient());
    // The same client still works afterwards: the interrupted connection is not handed out
    // again in the middle of its old exchange.
    c.show_databases().await.expect("after a timeout");
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let Some(peer) = peer("nothing_listening_is_unavailable") else {
        return;
    };
    // A port that was just free: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let gone = Peer {
        uri: format!("bolt://127.0.0.1:{port}"),
        ..peer
    };
    let result = client(&gone, Duration::from_secs(5)).show_databases().await;
    println!("{result:?}");
    assert!(
        matches!(result, Err(ClientError::Unavailable { .. })),
        "{result:?}"
    );
}

/// Stops a private harness instance (neo4j.sh down, by its recorded PID) however a test ends.
struct Down {
    script: String,
    state: std::path::PathBuf,
}

impl Drop for Down {
    fn drop(&mut self) {
        let _ = std::process::Command::new(&self.script)
            .arg("down")
            .env("NEO4J_AKS_HARNESS_STATE", &self.state)
            .status();
    }
}

/// Starts a second, private harness instance (own state directory, own port): for tests that
/// kill the server or need a graph no other test writes to. Returns its peer and JVM PID.
async fn private_server(peer: &Peer, script: &str, tag: &str) -> (Peer, i32, Down) {
    let state =
        std::env::temp_dir().join(format!("neo4j-aks-harness-{tag}-{}", std::process::id()));
    let down = Down {
        script: script.to_owned(),
        state: state.clone(),
    };
    let up = tokio::process::Command::new(script)
        .arg("up")
        .env("NEO4J_AKS_HARNESS_STATE", &state)
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("run neo4j.sh up");
    let stdout = String::from_utf8_lossy(&up.stdout).to_string();
    assert!(
        up.status.success(),
        "second harness did not start: {stdout}"
    );
    let uri = stdout
        .lines()
        .find_map(|l| l.strip_prefix("export NEO4J_AKS_TEST_BOLT="))
        .expect("bolt line")
        .to_owned();
    let pid: i32 = std::fs::read_to_string(state.join("pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    let private = Peer {
        uri,
        user: peer.user.clone(),
        password: peer.password.clone(),
    };
    (private, pid, down)
}

/// A second, private harness instance is started and killed (SIGKILL) while a slow query runs:
/// the client must report the lost connection as `Unavailable`, promptly, not hang to the timeout.
#[tokio::test]
async fn server_killed_mid_query_is_unavailable() {
    let Some(peer) = peer("server_killed_mid_query_is_unavailable") else {
        return;
    };
    let Ok(script) = std::env::var("NEO4J_AKS_TEST_HARNESS") else {
        panic!(
            "NEO4J_AKS_TEST_HARNESS (printed by neo4j.sh env) is needed to start a second server"
        );
    };
    let (victim, pid, _down) = private_server(&peer, &script, "kill").await;
    let c = client(&victim, Duration::from_secs(60));
    c.show_databases().await.expect("second server answers");
    let slow = Statement::plain(
        "UNWIND range(1, 3000000000) AS x WITH x WHERE x % 7 = 13 RETURN count(x) AS n",
    );
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // SIGKILL the JVM we started above (by its recorded PID).
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    });
    let started = Instant::now();
    let result = c.query_on("neo4j", &slow).await;
    let took = started.elapsed();
    let _ = killer.await;
    println!("{result:?} after {took:?}");
    assert!(
        matches!(result, Err(ClientError::Unavailable { .. })),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// `neo4j+s` with the cluster's own CA (a PEM file path), against the harness's Bolt TLS
/// (encryption OPTIONAL, certificate for localhost signed by a throw-away CA).
#[tokio::test]
async fn tls_with_a_custom_ca_file() {
    let Some(peer) = peer("tls_with_a_custom_ca_file") else {
        return;
    };
    let (Ok(uri), Ok(ca)) = (
        std::env::var("NEO4J_AKS_TEST_BOLT_TLS"),
        std::env::var("NEO4J_AKS_TEST_CA"),
    ) else {
        panic!(
            "NEO4J_AKS_TEST_BOLT_TLS and NEO4J_AKS_TEST_CA come with NEO4J_AKS_TEST_BOLT (neo4j.sh env)"
        );
    };
    let credentials = Credentials::new(&peer.user, &peer.password);
    let options = BoltOptions::from_uri(&uri)
        .expect("TLS URI")
        .with_timeout(Duration::from_secs(20));
    assert_eq!(options.uri(), uri);
    let trusted = BoltAdminClient::connect(
        options.clone().with_tls(Tls::On {
            ca_file: Some(ca.into()),
        }),
        &credentials,
    )
    .expect("client");
    let databases = trusted.show_databases().await.expect("over TLS");
    assert!(databases.iter().any(|d| d.name == "system"));

    // The platform roots do not know the test CA: the handshake fails, typed as unavailable.
    let untrusted = BoltAdminClient::connect(options, &credentials).expect("client");
    let result = untrusted.show_databases().await;
    println!("{result:?}");
    assert!(
        matches!(&result, Err(ClientError::Unavailable { detail }) if detail.to_lowercase().contains("certificate")),
        "{result:?}"
    );
}
