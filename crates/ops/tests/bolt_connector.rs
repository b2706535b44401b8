//! The operator's production connector ([`BoltConnector`]): an unresolvable member fails fast
//! (no Neo4j needed), and against a REAL Neo4j Community 5.26 server (the neo4j-harness; set
//! `NEO4J_AKS_TEST_BOLT` by `eval "$(testenv/neo4j-harness/neo4j.sh env)"`) it connects and
//! authenticates, and reports Community's refusal of SHOW SERVERS, or a wrong password, as such.
//! Without `NEO4J_AKS_TEST_BOLT` the harness test prints a note and passes, unless
//! `NEO4J_AKS_REQUIRE_NEO4J=1`.

use std::sync::Arc;
use std::time::Instant;

use neo4j_aks_ops::neo4j::{Admin, BoltConnector, Connector, Target};
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions};
use neo4j_aks_topology::{ClientError, Credentials};

fn target(hosts: Vec<String>, password: &str) -> Target {
    Target {
        namespace: "ns".to_owned(),
        cluster: "db".to_owned(),
        hosts,
        credentials: Credentials::new("neo4j", password),
        bolt_ca: None,
    }
}

/// Every operator test on the testenv reaches this path (kwok runs no Neo4j): it must fail as
/// `Unavailable`, quickly. The time is printed, not asserted (speed is measured, not tested).
#[tokio::test]
async fn an_unresolvable_member_is_unavailable_without_retries() {
    let connector = BoltConnector::default();
    let hosts = vec![
        "db-0.db-headless.no-such-namespace.svc.cluster.local".to_owned(),
        "db-1.db-headless.no-such-namespace.svc.cluster.local".to_owned(),
    ];
    let started = Instant::now();
    let result = connector.connect(&target(hosts, "whatever-1234")).await;
    let elapsed = started.elapsed();
    println!("unresolvable members: failed after {elapsed:?}");
    match result {
        Err(ClientError::Unavailable { detail }) => {
            assert!(!detail.contains("whatever-1234"), "{detail}");
        }
        Err(other) => panic!("expected Unavailable, got {other}"),
        Ok(_) => panic!("connected to a host that does not exist"),
    }
}

fn harness() -> Option<(String, u16, String)> {
    match std::env::var("NEO4J_AKS_TEST_BOLT") {
        Ok(uri) if !uri.is_empty() => {
            let o = BoltOptions::from_uri(&uri).expect("NEO4J_AKS_TEST_BOLT is a Bolt URI");
            let password = std::env::var("NEO4J_AKS_TEST_PASSWORD").unwrap_or_default();
            Some((o.host, o.port, password))
        }
        _ => {
            assert!(
                std::env::var("NEO4J_AKS_REQUIRE_NEO4J").as_deref() != Ok("1"),
                "NEO4J_AKS_REQUIRE_NEO4J=1 but NEO4J_AKS_TEST_BOLT is unset"
            );
            println!("skipped: no Neo4j (NEO4J_AKS_TEST_BOLT unset)");
            None
        }
    }
}

#[tokio::test]
async fn connector_authenticates_against_real_neo4j_and_reports_community_as_unsupported() {
    let Some((host, port, password)) = harness() else {
        return;
    };
    let connector = BoltConnector {
        port,
        ..BoltConnector::default()
    };
    let started = Instant::now();
    match connector
        .connect(&target(vec![host.clone()], &password))
        .await
    {
        Err(ClientError::Unsupported { what, .. }) => assert_eq!(what, "SHOW SERVERS"),
        Err(other) => panic!("expected Community to refuse SHOW SERVERS, got {other}"),
        Ok(_) => panic!("Community answered SHOW SERVERS"),
    }
    println!(
        "real Neo4j: connect + SHOW SERVERS in {:?}",
        started.elapsed()
    );
    match connector
        .connect(&target(vec![host], "certainly-not-the-password"))
        .await
    {
        Err(ClientError::Auth { .. }) => {}
        Err(other) => panic!("expected Auth, got {other}"),
        Ok(_) => panic!("a wrong password was accepted"),
    }
}

/// The seed statements through the operator's object-safe [`Admin`] (what the bootstrap step
/// holds), against the real Community server: both refused as `Unsupported` (Enterprise-only),
/// and `count_graph` answers for the default database.
#[tokio::test]
async fn seed_statements_and_counts_through_the_object_safe_admin() {
    let Some((host, port, password)) = harness() else {
        return;
    };
    let options = BoltOptions::new(host, port).with_timeout(std::time::Duration::from_secs(20));
    let client = BoltAdminClient::connect(options, &Credentials::new("neo4j", &password))
        .expect("client builds");
    let admin: Arc<dyn Admin> = Arc::new(client);
    let create = admin
        .create_database_from_seed("sales", "file:///seed/sales.backup", 3, 0)
        .await;
    assert!(
        matches!(&create, Err(ClientError::Unsupported { .. })),
        "{create:?}"
    );
    let recreate = admin
        .recreate_database_from_seed("neo4j", "file:///seed/neo4j.backup")
        .await;
    assert!(
        matches!(&recreate, Err(ClientError::Unsupported { .. })),
        "{recreate:?}"
    );
    // Other tests write to this server's graph: only that it counts is checked here (exact
    // counts: crates/topology/tests/bolt_real.rs, on a private server).
    let size = admin.count_graph("neo4j").await.expect("count neo4j");
    println!("neo4j: {size:?}");
    let missing = admin.count_graph("no-such-database").await;
    assert!(
        matches!(&missing, Err(ClientError::Neo4j { code, .. }) if code == "Neo.ClientError.Database.DatabaseNotFound"),
        "{missing:?}"
    );
}

/// With the cluster's CA the connector speaks TLS and verifies the member's certificate and
/// name: against the harness's TLS listener (its certificate names `localhost`, signed by the
/// harness CA) it authenticates (Community then refuses SHOW SERVERS, which proves a session);
/// with another CA it never gets that far.
#[tokio::test]
async fn connector_verifies_members_against_the_cluster_ca() {
    let Some((_, port, password)) = harness() else {
        return;
    };
    let ca_path = std::env::var("NEO4J_AKS_TEST_CA").expect("the harness env names its CA");
    let ca = std::fs::read_to_string(&ca_path).expect("harness CA readable");
    let connector = BoltConnector {
        port,
        ..BoltConnector::default()
    };
    let with_ca = |pem: &str, cluster: &str| Target {
        cluster: cluster.to_owned(),
        bolt_ca: Some(pem.to_owned()),
        ..target(vec!["localhost".to_owned()], &password)
    };
    match connector.connect(&with_ca(&ca, "tls-right-ca")).await {
        Err(ClientError::Unsupported { what, .. }) => assert_eq!(what, "SHOW SERVERS"),
        Err(other) => {
            panic!("expected a TLS session that Community refuses SHOW SERVERS on, got {other}")
        }
        Ok(_) => panic!("Community answered SHOW SERVERS"),
    }
    let other_ca = neo4j_aks_render::certificates::issue_ca(
        "other",
        "ns",
        time::OffsetDateTime::now_utc(),
        30,
    )
    .expect("a CA");
    match connector
        .connect(&with_ca(&other_ca.certificate_pem, "tls-wrong-ca"))
        .await
    {
        Err(ClientError::Unavailable { detail }) => {
            assert!(!detail.contains(&password), "{detail}");
        }
        Err(other) => panic!("expected the handshake to fail, got {other}"),
        Ok(_) => panic!("connected although the certificate is signed by another CA"),
    }
}
