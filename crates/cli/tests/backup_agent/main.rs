//! `neo4j-aks backup-agent ...` and `neo4j-aks backup list|prune` as the CronJob pods and people
//! run them: the real binary against Azurite (testenv/azurite) and the Neo4j Community harness
//! (testenv/neo4j-harness). Each test skips with a note when its peer is absent, and fails when
//! NEO4J_AKS_REQUIRE_AZURITE=1 / NEO4J_AKS_REQUIRE_NEO4J=1.
//!
//! What only AKS runs is neo4j-admin (Enterprise): its place in these tests is taken by files
//! written the way the pod's neo4j-admin steps write them (artifacts, `inspect.txt` in the
//! manual's table format, `check-<db>.status`), and the tests say so where they do it.

#[path = "../support/mod.rs"]
mod support;

mod seed;
mod steps;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiff::Timestamp;
use neo4j_aks_backup::agent::{Agent, RunMetadata};
use neo4j_aks_backup::azure::{AzureTarget, Credential};
use neo4j_aks_backup::catalogue::{BackupKind, CountRange};
use neo4j_aks_backup::layout::BlobLayout;
use neo4j_aks_backup::retention::RetentionPolicy;
use neo4j_aks_backup::secret::Secret;
use neo4j_aks_backup::seed::{SeedResultLine, SeededDatabase};
use neo4j_aks_backup::store::{BlobMetadata, BlobStore, ObjectBlobStore};
use neo4j_aks_testkit::azurite::Azurite;
use support::{repo_root, stderr, stdout};

struct Neo4j {
    uri: String,
    auth: String,
}

fn neo4j(test: &str) -> Option<Neo4j> {
    match std::env::var("NEO4J_AKS_TEST_BOLT") {
        Ok(uri) if !uri.is_empty() => Some(Neo4j {
            uri,
            auth: format!(
                "{}/{}",
                std::env::var("NEO4J_AKS_TEST_USER").unwrap_or_else(|_| "neo4j".into()),
                std::env::var("NEO4J_AKS_TEST_PASSWORD").unwrap_or_default()
            ),
        }),
        _ => {
            assert!(
                std::env::var("NEO4J_AKS_REQUIRE_NEO4J").as_deref() != Ok("1"),
                "{test}: NEO4J_AKS_REQUIRE_NEO4J=1 but NEO4J_AKS_TEST_BOLT is unset"
            );
            println!("{test}: skipped: no Neo4j (NEO4J_AKS_TEST_BOLT unset)");
            None
        }
    }
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs the binary with a clean backup environment (nothing inherited from the caller's shell).
fn agent(envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neo4j-aks"));
    command.current_dir(repo_root());
    for (name, _) in std::env::vars() {
        if name.starts_with("NEO4J_AKS_BACKUP") || name.starts_with("AZURE_") {
            command.env_remove(name);
        }
    }
    command.envs(envs.iter().copied()).args(args);
    command.output().expect("neo4j-aks runs")
}

/// The one JSON line a backup-agent step prints.
fn result(output: &Output) -> serde_json::Value {
    let text = stdout(output);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "not a JSON result line ({e}): {text}\nstderr: {}",
            stderr(output)
        )
    })
}

struct Target {
    az: Azurite,
    container: String,
    run_dir: PathBuf,
    key_file: PathBuf,
    termination_log: PathBuf,
}

impl Target {
    async fn new(az: Azurite, test: &str) -> Target {
        let container = az.fresh_container(test).await;
        let dir = scratch(test);
        let key_file = dir.join("storage-key");
        std::fs::write(&key_file, &az.key).expect("key file");
        let run_dir = dir.join("run");
        std::fs::create_dir_all(&run_dir).expect("run dir");
        let termination_log = dir.join("termination-log");
        std::fs::write(&termination_log, "").expect("termination log");
        Target {
            az,
            container,
            run_dir,
            key_file,
            termination_log,
        }
    }

    async fn cleanup(self) {
        self.az.delete_container(&self.container).await;
        if let Some(dir) = self.run_dir.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// The environment the rendered CronJob sets (plus the Azurite endpoint).
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NEO4J_AKS_BACKUP_ACCOUNT", self.az.account.clone()),
            ("NEO4J_AKS_BACKUP_CONTAINER", self.container.clone()),
            ("NEO4J_AKS_BACKUP_PREFIX", "prod".into()),
            ("NEO4J_AKS_BACKUP_CLUSTER", "graph".into()),
            ("NEO4J_AKS_BACKUP_ENDPOINT", self.az.endpoint.clone()),
            ("NEO4J_AKS_BACKUP_CREDENTIAL", "account-key".into()),
            (
                "NEO4J_AKS_BACKUP_KEY_FILE",
                self.key_file.display().to_string(),
            ),
            (
                "NEO4J_AKS_BACKUP_RUN_DIR",
                self.run_dir.display().to_string(),
            ),
        ]
    }

    fn run(&self, extra_env: &[(&str, &str)], args: &[&str]) -> Output {
        let env = self.env();
        let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(extra_env);
        let log = self.termination_log.display().to_string();
        let mut full = vec!["backup-agent", "--termination-log", log.as_str()];
        full.extend_from_slice(args);
        agent(&all, &full)
    }

    /// `backup list|prune NAME` as a person runs it: flags and AZURE_STORAGE_KEY.
    fn people(&self, args: &[&str]) -> Output {
        let mut full: Vec<&str> = args.to_vec();
        full.extend_from_slice(&[
            "--account",
            &self.az.account,
            "--container",
            &self.container,
            "--prefix",
            "prod",
            "--endpoint",
            &self.az.endpoint,
        ]);
        agent(&[("AZURE_STORAGE_KEY", &self.az.key)], &full)
    }
}

/// Stand-in for what `neo4j-admin database backup --to-path=DIR` leaves (an opaque file per
/// database); neo4j-admin itself is Enterprise-only and runs only on AKS.
fn write_artifact(dir: &Path, name: &str, len: usize, seed: u8) {
    let bytes: Vec<u8> = (0..len)
        .map(|i| {
            (i as u64)
                .wrapping_mul(2654435761)
                .wrapping_add(u64::from(seed)) as u8
        })
        .collect();
    std::fs::write(dir.join(name), bytes).expect("artifact");
}

/// `neo4j-admin backup inspect DIR --show-metadata --empty` output in the manual's format, for
/// the given (artifact, full) rows.
fn inspect_output(rows: &[(&str, bool)]) -> String {
    let mut text = String::from(
        "| FILE | DATABASE | DATABASE ID | TIME (UTC) | FULL | COMPRESSED | LOWEST TX | HIGHEST TX |\n",
    );
    for (i, (artifact, full)) in rows.iter().enumerate() {
        text.push_str(&format!(
            "| file:///backups/{artifact} | neo4j | 7dcb3f5e-9b4a-4c2e-a1d5-0123456789ab | 2026-11-2{i}T02:00:00 | {full} | true | {} | {} |\n",
            i * 10 + 1,
            i * 10 + 9
        ));
    }
    text
}

fn run_state(counts: Option<(u64, u64)>) -> String {
    serde_json::json!({
        "cluster": "graph",
        "started_at": "2026-11-20T02:00:00Z",
        "neo4j_version": "5.26.16",
        "members": ["graph-0.graph-headless.graph.svc.cluster.local:7687"],
        "sources": [{
            "database": "neo4j",
            "from": ["graph-1.graph-headless.graph.svc.cluster.local:6362"],
            "counting_member": "graph-1.graph-headless.graph.svc.cluster.local:7687",
            "counts_before": counts.map(|(n, r)| serde_json::json!({"nodes": n, "relationships": r})),
        }],
    })
    .to_string()
}
