//! The built `neo4j-aks operator` against the testenv: it reconciles a cluster to Ready, serves
//! /healthz, /readyz and /metrics, and exits cleanly on SIGTERM.

mod support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use kube::api::{Api, PostParams};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_testkit::{TestEnv, wait_until};
use support::command_on;

fn http_get(port: u16, path: &str) -> Result<String, String> {
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut out = String::new();
    stream.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_binary_reconciles_serves_metrics_and_stops_on_sigterm() {
    let Some(env) = TestEnv::connect("cli_operator").await else {
        return;
    };
    support::install_crd(&env, "neo4j-aks-test").await;
    let ns = env.namespace("cli_operator").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let args = [
        "operator",
        "--namespace",
        ns.name(),
        "--metrics-addr",
        &metrics_addr,
    ];
    let mut child = command_on(env.kubeconfig(), &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("operator starts");

    let yaml = format!(
        "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: db\n  namespace: {ns}\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 1\n  storage:\n    className: {ns}-premium\n",
        ns = ns.name()
    );
    let cluster = Neo4jCluster::from_yaml(&yaml).expect("spec");
    let clusters: Api<Neo4jCluster> = Api::namespaced(env.client(), ns.name());
    clusters
        .create(&PostParams::default(), &cluster)
        .await
        .expect("create");
    wait_until(Duration::from_secs(90), "the cluster Ready", || {
        let api = clusters.clone();
        async move {
            let c = api.get("db").await.map_err(|e| e.to_string())?;
            match c.status.and_then(|s| s.phase) {
                Some(p) if p == "Ready" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    let secret: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(env.client(), ns.name());
    let auth = secret
        .get("db-secrets")
        .await
        .expect("secret")
        .data
        .expect("data")["NEO4J_AUTH"]
        .0
        .clone();
    let password = String::from_utf8(auth).expect("utf-8")["neo4j/".len()..].to_string();
    assert!(
        http_get(port, "/healthz")
            .expect("healthz")
            .starts_with("HTTP/1.1 200")
    );
    assert!(
        http_get(port, "/readyz")
            .expect("readyz")
            .starts_with("HTTP/1.1 200")
    );
    let metrics = http_get(port, "/metrics").expect("metrics");
    for needle in [
        "neo4j_aks_clusters{phase=\"Ready\"} 1",
        "neo4j_aks_reconciles_total",
        "neo4j_aks_changes_total{action=\"Created\"}",
        "neo4j_aks_kube_requests_total{verb=\"PATCH\"}",
        "neo4j_aks_leader 1",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }

    // Delete while the operator runs (its finalizer removes the test StorageClass), then stop it.
    clusters
        .delete("db", &Default::default())
        .await
        .expect("delete");
    wait_until(Duration::from_secs(60), "the cluster gone", || {
        let api = clusters.clone();
        async move {
            match api.get_opt("db").await {
                Ok(None) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("operator exits");
    let mut logs = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut logs);
    }
    assert!(status.success(), "exit {status:?}\n{logs}");
    // Structured logs: every line is a JSON object.
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    assert!(logs.contains("\"operator started\""), "{logs}");
    assert!(!logs.contains(&password), "the password was logged");
    assert!(!metrics.contains(&password));
    ns.cleanup().await;
}
