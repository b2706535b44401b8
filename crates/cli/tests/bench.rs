//! `neo4j-aks bench` against the real Neo4j Community JVM (testenv/neo4j-harness): the write,
//! read and lag paths measure and report, the committed count matches the database, and the run
//! cleans up after itself. Skips with a note when the harness is not up, and fails instead when
//! NEO4J_AKS_REQUIRE_NEO4J=1. No speed is asserted (speed is measured by the bench, not by tests).
//!
//! The last harness test runs the same workload on the official Neo4j Java driver
//! (testenv/java-bench) right after ours, on the same server, and prints both.
//! One test also needs the local control plane (testenv): the password then comes from the
//! Neo4jCluster's Secret. The argument checks at the end need no server.

mod support;

use std::process::{Command, Output};
use std::time::Duration;

use neo4j_aks_topology::Credentials;
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions};
use neo4j_aks_topology::statements::{ParamValue, Statement};
use serde_json::Value;

struct Neo4j {
    bolt: String,
    bolt_tls: Option<String>,
    ca: Option<String>,
    user: String,
    password: String,
}

fn neo4j(test: &str) -> Option<Neo4j> {
    match std::env::var("NEO4J_AKS_TEST_BOLT") {
        Ok(bolt) => Some(Neo4j {
            bolt,
            bolt_tls: std::env::var("NEO4J_AKS_TEST_BOLT_TLS").ok(),
            ca: std::env::var("NEO4J_AKS_TEST_CA").ok(),
            user: std::env::var("NEO4J_AKS_TEST_USER").unwrap_or_else(|_| "neo4j".into()),
            password: std::env::var("NEO4J_AKS_TEST_PASSWORD").unwrap_or_default(),
        }),
        Err(_) => {
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

/// One bench at a time on the shared server, so runs do not compete with each other.
static SERVER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn bench(password: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neo4j-aks"));
    command.env_remove("NEO4J_AKS_BENCH_PASSWORD");
    if let Some(password) = password {
        command.env("NEO4J_AKS_BENCH_PASSWORD", password);
    }
    command
        .arg("bench")
        .args(args)
        .output()
        .expect("run neo4j-aks")
}

fn report(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "bench failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn number(v: &Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} missing or not a number in {v:#}"))
}

/// Count, min, percentiles and max present and in order.
fn assert_ordered_latency(v: &Value, path: &str) {
    let l = |field: &str| number(v, &format!("{path}/{field}"));
    assert!(l("count") >= 1.0, "{path}: {v:#}");
    let chain = [
        l("min_ms"),
        l("p50_ms"),
        l("p90_ms"),
        l("p95_ms"),
        l("p99_ms"),
        l("p999_ms"),
        l("max_ms"),
    ];
    assert!(
        chain[0] > 0.0,
        "{path}: a latency of zero is not a measurement: {v:#}"
    );
    assert!(
        chain.windows(2).all(|w| w[0] <= w[1]),
        "{path} not ordered: {chain:?}"
    );
}

fn admin(peer: &Neo4j) -> BoltAdminClient {
    let options = BoltOptions::from_uri(&peer.bolt)
        .expect("harness URI")
        .with_timeout(Duration::from_secs(30));
    BoltAdminClient::connect(options, &Credentials::new(&peer.user, &peer.password))
        .expect("connect")
}

/// Nodes of one bench run, counted by this test's own connection.
async fn nodes_of_run(client: &BoltAdminClient, run: &str) -> i64 {
    let statement = Statement {
        text: "MATCH (n:NeoAksBench {run: $run}) RETURN count(n) AS n".to_owned(),
        params: vec![("run", ParamValue::Text(run.to_owned()))],
    };
    let rows = client.query_on("neo4j", &statement).await.expect("count");
    rows[0]["n"].as_i64().expect("count is an integer")
}

#[tokio::test]
async fn a_short_bench_measures_writes_reads_and_lag_and_its_count_matches_the_database() {
    let Some(peer) = neo4j("bench_measures") else {
        return;
    };
    let _server = SERVER.lock().await;
    let output = bench(
        Some(&peer.password),
        &[
            "--bolt",
            &peer.bolt,
            "--user",
            &peer.user,
            "--duration",
            "3s",
            "--writers",
            "2",
            "--readers",
            "2",
            "--seed-nodes",
            "50",
            "--lag-interval",
            "100ms",
            "--keep",
            "-o",
            "json",
        ],
    );
    let v = report(&output);
    assert_eq!(number(&v, "/parameters/duration_seconds"), 3.0);
    assert_eq!(number(&v, "/parameters/writers"), 2.0);
    assert_eq!(number(&v, "/parameters/readers"), 2.0);
    assert_eq!(v["server"]["edition"], "community", "{v:#}");

    let committed = number(&v, "/writes/committed");
    let uncertain = number(&v, "/writes/uncertain");
    assert!(committed > 0.0 && number(&v, "/writes/tps") > 0.0, "{v:#}");
    assert_ordered_latency(&v, "/writes/latency");
    assert_eq!(number(&v, "/writes/latency/count"), committed);

    assert!(number(&v, "/reads/succeeded") > 0.0 && number(&v, "/reads/per_second") > 0.0);
    assert_eq!(number(&v, "/reads/failed"), 0.0, "{v:#}");
    assert_ordered_latency(&v, "/reads/latency");
    // Community: the routing table's single READ entry is the server itself.
    let endpoints = v["reads"]["endpoints"].as_array().expect("endpoints");
    assert_eq!(endpoints.len(), 1, "{v:#}");
    assert_eq!(
        number(&v, "/reads/endpoints/0/reads"),
        number(&v, "/reads/succeeded")
    );

    let probes = number(&v, "/replication_lag/probes_committed");
    assert!(probes > 0.0, "{v:#}");
    assert_eq!(number(&v, "/replication_lag/not_visible"), 0.0, "{v:#}");
    assert_ordered_latency(&v, "/replication_lag/overall");
    assert_ordered_latency(&v, "/replication_lag/per_reader/0/latency");

    let cpu = number(&v, "/client_cpu/user_seconds") + number(&v, "/client_cpu/system_seconds");
    assert!(cpu > 0.0, "the client's CPU was not measured: {v:#}");
    assert!(number(&v, "/client_cpu/wall_seconds") >= 3.0, "{v:#}");
    assert!(v["not_measured"].to_string().contains("failover"), "{v:#}");

    // The database holds exactly the seeds, the committed writes and the lag probes.
    let run = v["parameters"]["run_id"]
        .as_str()
        .expect("run id")
        .to_owned();
    let client = admin(&peer);
    let in_db = nodes_of_run(&client, &run).await as f64;
    assert_eq!(number(&v, "/cleanup/nodes_found"), in_db, "{v:#}");
    assert_eq!(
        number(&v, "/cleanup/nodes_deleted"),
        0.0,
        "--keep deletes nothing"
    );
    let writes_in_db = in_db - 50.0 - probes;
    assert!(
        committed <= writes_in_db && writes_in_db <= committed + uncertain,
        "bench reports {committed} committed (+{uncertain} uncertain), the database holds {writes_in_db}"
    );
    let statement = Statement {
        text: "MATCH (n:NeoAksBench {run: $run}) DETACH DELETE n".to_owned(),
        params: vec![("run", ParamValue::Text(run.clone()))],
    };
    client
        .query_on("neo4j", &statement)
        .await
        .expect("remove the kept nodes");
}

#[tokio::test]
async fn without_keep_the_bench_removes_its_nodes_and_works_over_tls() {
    let Some(peer) = neo4j("bench_cleans_up") else {
        return;
    };
    let _server = SERVER.lock().await;
    // Over TLS when the harness offers it (verified against its CA), plain Bolt otherwise.
    let mut args = vec![
        "--user",
        peer.user.as_str(),
        "--duration",
        "1s",
        "--writers",
        "1",
    ];
    args.extend(["--readers", "1", "--seed-nodes", "20", "-o", "json"]);
    match (&peer.bolt_tls, &peer.ca) {
        (Some(uri), Some(ca)) => args.extend(["--bolt", uri.as_str(), "--ca-file", ca.as_str()]),
        _ => args.extend(["--bolt", peer.bolt.as_str()]),
    }
    let v = report(&bench(Some(&peer.password), &args));
    let found = number(&v, "/cleanup/nodes_found");
    assert!(found >= 20.0 + number(&v, "/writes/committed"), "{v:#}");
    assert_eq!(number(&v, "/cleanup/nodes_deleted"), found, "{v:#}");
    let run = v["parameters"]["run_id"].as_str().expect("run id");
    assert_eq!(
        nodes_of_run(&admin(&peer), run).await,
        0,
        "nodes of run {run} left behind"
    );
}

#[tokio::test]
async fn a_wrong_password_is_an_error_and_the_password_is_not_printed() {
    let Some(peer) = neo4j("bench_wrong_password") else {
        return;
    };
    let output = bench(
        Some("not-the-password-4711"),
        &["--bolt", &peer.bolt, "--duration", "1s"],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bench:"), "{stderr}");
    assert!(
        !stderr.contains("4711") && output.stdout.is_empty(),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_official_java_driver_runs_the_same_workload_side_by_side() {
    let Some(peer) = neo4j("bench_java_side_by_side") else {
        return;
    };
    let script = support_root().join("testenv/java-bench/java-bench.sh");
    let _server = SERVER.lock().await;
    let common = ["--writers", "2", "--readers", "2", "--seed-nodes", "200"];
    let mut ours = vec!["--bolt", peer.bolt.as_str(), "--user", peer.user.as_str()];
    ours.extend(common);
    ours.extend(["--duration", "3s", "-o", "json"]);
    let rust = report(&bench(Some(&peer.password), &ours));

    // The Java driver does client-side routing with neo4j://, as our writes route server-side.
    let routed = peer.bolt.replacen("bolt://", "neo4j://", 1);
    let java = Command::new("bash")
        .arg(&script)
        .args([
            "run",
            "--bolt",
            &routed,
            "--user",
            &peer.user,
            "--duration-ms",
            "3000",
        ])
        .args(common)
        .env("NEO4J_AKS_BENCH_PASSWORD", &peer.password)
        .output()
        .expect("run testenv/java-bench/java-bench.sh");
    let java = report(&java);
    for v in [&rust, &java] {
        assert!(number(v, "/writes/committed") > 0.0, "{v:#}");
        assert_ordered_latency(v, "/writes/latency");
        assert_ordered_latency(v, "/reads/latency");
        assert_eq!(number(v, "/writes/failed"), 0.0, "{v:#}");
        assert_eq!(
            number(v, "/cleanup/nodes_deleted"),
            number(v, "/cleanup/nodes_found")
        );
    }
    assert!(
        java["client"]
            .as_str()
            .is_some_and(|c| c.starts_with("neo4j-java-driver 5.")),
        "{java:#}"
    );
    assert_eq!(
        number(&java, "/cleanup/nodes_found"),
        200.0 + number(&java, "/writes/committed") + number(&java, "/writes/warmup_committed"),
        "{java:#}"
    );
    for (name, v) in [("neo4rs (neo4j-aks bench)", &rust), ("Java driver", &java)] {
        println!(
            "{name}: {:.1} write tx/s (p50 {} ms, p99 {} ms), {:.1} reads/s (p50 {} ms, p99 {} ms), client {:.2} core(s)",
            number(v, "/writes/tps"),
            number(v, "/writes/latency/p50_ms"),
            number(v, "/writes/latency/p99_ms"),
            number(v, "/reads/per_second"),
            number(v, "/reads/latency/p50_ms"),
            number(v, "/reads/latency/p99_ms"),
            number(v, "/client_cpu/cores_used"),
        );
    }
}

fn support_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test]
async fn with_a_cluster_name_the_password_comes_from_its_secret() {
    use k8s_openapi::api::core::v1::Secret;
    use kube::api::{Api, PostParams};
    use neo4j_aks_model::{Neo4jCluster, Neo4jClusterSpec};

    let Some(peer) = neo4j("bench_cluster_secret") else {
        return;
    };
    let Some(env) = neo4j_aks_testkit::TestEnv::connect("bench_cluster_secret").await else {
        return;
    };
    support::install_crd(&env, "neo4j-aks-test-bench").await;
    let ns = env.namespace("bench-secret").await;
    let mut cluster = Neo4jCluster::new(
        "db",
        Neo4jClusterSpec {
            neo4j_version: Some("5.26.16".into()),
            accept_license_agreement: Some("yes".into()),
            node_count: Some(3),
            ..Neo4jClusterSpec::default()
        },
    );
    cluster.metadata.namespace = Some(ns.name().to_owned());
    Api::<Neo4jCluster>::namespaced(env.client(), ns.name())
        .create(&PostParams::default(), &cluster)
        .await
        .expect("create the Neo4jCluster");
    let _server = SERVER.lock().await;
    let run = || {
        support::command_on(
            env.kubeconfig(),
            &[
                "bench",
                "db",
                "-n",
                ns.name(),
                "--bolt",
                &peer.bolt,
                "--duration",
                "1s",
                "--writers",
                "1",
                "--readers",
                "1",
                "--seed-nodes",
                "10",
                "-o",
                "json",
            ],
        )
        .env_remove("NEO4J_AKS_BENCH_PASSWORD")
        .output()
        .expect("neo4j-aks runs")
    };

    // No spec.auth: the generated password Secret <name>-secrets, which does not exist yet.
    let missing = run();
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("db-secrets") && stderr.contains("does not exist"),
        "{stderr}"
    );

    let mut secret = Secret::default();
    secret.metadata.name = Some("db-secrets".to_owned());
    secret.string_data =
        Some([("NEO4J_AUTH".to_owned(), format!("neo4j/{}", peer.password))].into());
    Api::<Secret>::namespaced(env.client(), ns.name())
        .create(&PostParams::default(), &secret)
        .await
        .expect("create the password Secret");
    let v = report(&run());
    assert!(number(&v, "/writes/committed") > 0.0, "{v:#}");
    assert_eq!(
        number(&v, "/cleanup/nodes_deleted"),
        number(&v, "/cleanup/nodes_found")
    );
}

#[test]
fn without_an_address_or_a_password_nothing_runs() {
    let output = bench(None, &["mycluster"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--bolt") && stderr.contains("not implemented"),
        "{stderr}"
    );

    let output = bench(None, &["--bolt", "bolt://127.0.0.1:1"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NEO4J_AKS_BENCH_PASSWORD"), "{stderr}");

    let output = bench(Some("x"), &["--bolt", "http://h:1"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");

    let output = bench(Some("x"), &["--bolt", "bolt://h:1", "--duration", "0s"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
