//! `neo4j-aks backup-agent ...` and `neo4j-aks backup list|prune` as the CronJob pods and people
//! run them: the real binary against Azurite (testenv/azurite) and the Neo4j Community harness
//! (testenv/neo4j-harness). Each test skips with a note when its peer is absent, and fails when
//! NEO4J_AKS_REQUIRE_AZURITE=1 / NEO4J_AKS_REQUIRE_NEO4J=1.
//!
//! What only AKS runs is neo4j-admin (Enterprise): its place in these tests is taken by files
//! written the way the pod's neo4j-admin steps write them (artifacts, `inspect.txt` in the
//! manual's table format, `check-<db>.status`), and the tests say so where they do it.

mod support;

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

#[tokio::test]
async fn upload_fetch_list_and_prune_through_the_binary() {
    let test = "upload_fetch_list_and_prune_through_the_binary";
    let Some(az) = Azurite::from_env(test) else {
        return;
    };
    let t = Target::new(az, test).await;
    let backups = t.run_dir.parent().expect("parent").join("backups");
    std::fs::create_dir_all(&backups).expect("backups dir");

    // Run 1 (AUTO → FULL), as select-source and the neo4j-admin step leave it; select-source
    // itself needs Neo4j and is tested below.
    std::fs::write(t.run_dir.join("run.json"), run_state(None)).expect("run.json");
    std::fs::write(t.run_dir.join("finished-at"), "2026-11-20T02:03:30Z\n").expect("finished");
    let full = "neo4j-2026-11-20T02-00-00.backup";
    write_artifact(&backups, full, 9 * 1024 * 1024 + 17, 1);
    std::fs::write(
        t.run_dir.join("inspect.txt"),
        inspect_output(&[(full, true)]),
    )
    .expect("inspect");
    let dir = backups.display().to_string();
    let up = t.run(&[], &["upload", "--from-dir", &dir, "--type", "AUTO"]);
    let r = result(&up);
    assert_eq!(up.status.code(), Some(0), "{r}\n{}", stderr(&up));
    assert_eq!(r["result"], "Succeeded");
    assert_eq!(r["step"], "upload");
    assert_eq!(r["sizeBytes"], 9 * 1024 * 1024 + 17);
    assert_eq!(r["durationSeconds"], 210.0);
    assert_eq!(r["artifacts"][0], format!("{full} (FULL)"));
    // The operator reads the same line from the termination message.
    let logged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&t.termination_log).expect("log"))
            .expect("JSON in the termination log");
    assert_eq!(logged, r);

    // A chain older than --new-chain-after-days is not fetched: AUTO then takes a FULL.
    std::fs::remove_dir_all(&backups).expect("fresh pod volume");
    std::fs::create_dir_all(&backups).expect("backups dir");
    let old = t.run(&[], &["fetch", "--to", &dir, "--new-chain-after-days", "0"]);
    let r = result(&old);
    assert_eq!(old.status.code(), Some(0), "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("this run starts a new chain with a FULL"),
        "{r}"
    );
    assert_eq!(std::fs::read_dir(&backups).expect("dir").count(), 0);

    // Run 2: fetch seeds an empty --to-path with the chain (sha256-verified), so AUTO can take
    // a DIFF; the DIFF then chains onto the FULL.
    let fetched = t.run(
        &[],
        &[
            "fetch",
            "--to",
            &dir,
            "--database",
            "*",
            "--new-chain-after-days",
            "3650",
        ],
    );
    let r = result(&fetched);
    assert_eq!(fetched.status.code(), Some(0), "{r}");
    assert_eq!(r["artifacts"][0], full);
    assert_eq!(
        std::fs::metadata(backups.join(full))
            .expect("fetched")
            .len(),
        9 * 1024 * 1024 + 17
    );
    let diff = "neo4j-2026-11-21T02-00-00.backup";
    write_artifact(&backups, diff, 4096, 2);
    std::fs::write(
        t.run_dir.join("inspect.txt"),
        inspect_output(&[(full, true), (diff, false)]),
    )
    .expect("inspect");
    std::fs::write(t.run_dir.join("finished-at"), "2026-11-21T02:01:00Z\n").expect("finished");
    let up = t.run(&[], &["upload", "--from-dir", &dir]);
    let r = result(&up);
    assert_eq!(up.status.code(), Some(0), "{r}");
    assert_eq!(r["artifacts"][0], format!("{diff} (DIFF)"));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1 already stored"),
        "{r}"
    );

    // People: list (text and JSON) and prune --dry-run, from flags alone.
    let list = t.people(&["backup", "list", "graph", "-o", "json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).expect("JSON");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1]["artifact"], diff);
    assert_eq!(rows[1]["chain_id"], full);
    assert_eq!(rows[1]["kind"], "DIFF");
    assert_eq!(rows[1]["restorable"], true);
    // The fetch verified the FULL's checksum and recorded it.
    assert_eq!(rows[0]["verification"], "checksum-ok");
    let text = t.people(&["backup", "list", "graph"]);
    assert!(stdout(&text).contains(diff) && stdout(&text).contains("DIFF"));

    // Freshness check straight from Blob: the DIFF of 2026-11-21 is the newest restore point.
    let fresh = t.people(&[
        "backup",
        "check",
        "graph",
        "--databases",
        "neo4j",
        "--max-age-hours",
        "876000",
    ]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    let line = stdout(&fresh);
    assert!(
        line.starts_with(&format!(
            "neo4j\tok\tnewest DIFF {diff} at 2026-11-21T02:01:00Z\t"
        )) && line.contains(&format!("checksum ok on {full}"))
            && line.contains("2 artifacts"),
        "{line}"
    );
    // A day's limit (the artifacts are from 2026-11-21) and a database never backed up: exit 1,
    // each named.
    let late = t.people(&[
        "backup",
        "check",
        "graph",
        "--databases",
        "neo4j,sales",
        "-o",
        "json",
    ]);
    assert_eq!(late.status.code(), Some(1), "{}", stderr(&late));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&late)).expect("json");
    assert_eq!(doc["overdue"], serde_json::json!(["neo4j", "sales"]));
    assert_eq!(doc["databases"]["neo4j"]["artifacts"], 2);
    assert!(
        stderr(&late).contains("no restorable backup younger than 24h of graph (neo4j, sales)")
    );

    let dry = t.people(&["backup", "prune", "graph", "--dry-run", "--daily", "1"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("keep neo4j chain") && text.contains("nothing to delete"),
        "{text}"
    );

    // A key in the environment is never printed, in success or failure.
    for output in [&up, &fetched, &list, &fresh, &late, &dry] {
        assert!(!stdout(output).contains(&t.az.key) && !stderr(output).contains(&t.az.key));
    }
    t.cleanup().await;
}

#[tokio::test]
async fn wrong_key_and_missing_container_fail_with_a_clear_result_line() {
    let test = "wrong_key_and_missing_container_fail";
    let Some(az) = Azurite::from_env(test) else {
        return;
    };
    let t = Target::new(az, test).await;
    let backups = t.run_dir.parent().expect("parent").join("backups");
    std::fs::create_dir_all(&backups).expect("backups dir");
    let dir = backups.display().to_string();

    let wrong = t.run_dir.parent().expect("parent").join("wrong-key");
    std::fs::write(&wrong, "d3Jvbmcga2V5IHdyb25nIGtleSB3cm9uZyBrZXk=").expect("wrong key");
    let wrong = wrong.display().to_string();
    let out = t.run(
        &[("NEO4J_AKS_BACKUP_KEY_FILE", wrong.as_str())],
        &["fetch", "--to", &dir],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r["result"], "Failed");
    let message = r["message"].as_str().unwrap_or_default();
    assert!(message.contains("rejected the credentials"), "{message}");
    assert!(!stdout(&out).contains("d3Jvbmcga2V5"));

    let out = t.run(
        &[("NEO4J_AKS_BACKUP_CONTAINER", "no-such-container")],
        &["fetch", "--to", &dir],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not exist"),
        "{r}"
    );

    // Upload without select-source's run.json: says which step should have written it.
    let out = t.run(&[], &["upload", "--from-dir", &dir]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("written by backup-agent select-source"),
        "{r}"
    );

    let list = agent(
        &[],
        &[
            "backup",
            "list",
            "graph",
            "--account",
            &t.az.account,
            "--endpoint",
            &t.az.endpoint,
        ],
    );
    assert_eq!(list.status.code(), Some(1));
    assert!(
        stderr(&list).contains("AZURE_STORAGE_KEY"),
        "{}",
        stderr(&list)
    );
    t.cleanup().await;
}

/// The whole pod sequence with both real peers: select-source and verify talk to Neo4j over
/// Bolt, fetch/upload/verify to Azurite. The neo4j-admin steps between them (backup, inspect,
/// restore, check) are Enterprise-only; their output files are written here instead.
#[tokio::test]
async fn select_source_upload_and_verify_against_neo4j_and_azurite() {
    let test = "select_source_upload_and_verify";
    let Some(neo) = neo4j(test) else { return };
    let Some(az) = Azurite::from_env(test) else {
        return;
    };
    let t = Target::new(az, test).await;
    let auth_file = t.run_dir.parent().expect("parent").join("auth");
    std::fs::write(&auth_file, &neo.auth).expect("auth file");
    let auth = auth_file.display().to_string();
    let with_auth = [("NEO4J_AKS_NEO4J_AUTH_FILE", auth.as_str())];

    // An unreachable member first: select-source moves on to the next.
    let out = t.run(
        &with_auth,
        &[
            "select-source",
            "--member",
            "bolt://127.0.0.1:1",
            "--member",
            &neo.uri,
            "--database",
            "neo4j",
        ],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}\n{}", stderr(&out));
    // A standalone server is the writer of everything: the fallback is taken and said.
    let message = r["message"].as_str().unwrap_or_default();
    assert!(message.contains("neo4j from "), "{message}");
    assert!(message.contains("from the writer"), "{message}");
    let list = std::fs::read_to_string(t.run_dir.join("sources.list")).expect("sources.list");
    assert!(
        list.starts_with("neo4j ") && list.trim_end().ends_with(":6362"),
        "{list}"
    );
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.run_dir.join("run.json")).expect("run"))
            .expect("run.json");
    let before = &state["sources"][0]["counts_before"];
    assert!(before["nodes"].is_u64(), "{state}");
    assert!(
        state["neo4j_version"]
            .as_str()
            .unwrap_or_default()
            .starts_with('5')
    );

    // neo4j-admin database backup --type=FULL (AKS only): one artifact.
    let backups = t.run_dir.parent().expect("parent").join("backups");
    std::fs::create_dir_all(&backups).expect("backups dir");
    let full = "neo4j-2026-11-20T02-00-00.backup";
    write_artifact(&backups, full, 2048, 3);
    let dir = backups.display().to_string();
    let out = t.run(
        &with_auth,
        &["upload", "--from-dir", &dir, "--type", "FULL"],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}\n{}", stderr(&out));

    // Verification pod: fetch for verification writes the restore list...
    let restore = t.run_dir.parent().expect("parent").join("restore");
    let restore_dir = restore.display().to_string();
    let out = t.run(&[], &["fetch", "--to", &restore_dir, "--for-verification"]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}");
    let list = std::fs::read_to_string(t.run_dir.join("restore.list")).expect("restore.list");
    assert_eq!(
        list,
        format!("neo4j {}\n", restore.join("neo4j").join(full).display())
    );
    // ...neo4j-admin database restore + check pass (AKS only)...
    std::fs::write(t.run_dir.join("check-neo4j.status"), "ok\n").expect("status");
    // ...and verify counts the "restored" database (the harness's own neo4j, unchanged since
    // select-source counted it) and records the verdict.
    let out = t.run(&with_auth, &["verify", "--bolt", &neo.uri]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}\n{}", stderr(&out));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("within the source's counts"),
        "{r}"
    );
    let rows = t.people(&["backup", "list", "graph", "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&rows.stdout).expect("JSON");
    assert_eq!(rows[0]["verification"], "restore-check-ok", "{rows}");

    // A failed consistency check is recorded as such and fails the step.
    std::fs::write(
        t.run_dir.join("check-neo4j.status"),
        "check-failed: neo4j-admin database check exited 1\n",
    )
    .expect("status");
    let out = t.run(&with_auth, &["verify", "--bolt", &neo.uri]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1), "{r}");
    assert_eq!(r["result"], "Failed");
    let rows = t.people(&["backup", "list", "graph", "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&rows.stdout).expect("JSON");
    assert_eq!(rows[0]["verification"], "restore-check-failed", "{rows}");
    assert!(!stdout(&out).contains(&neo.auth));
    t.cleanup().await;
}

// --- seed: the seed-fetch init container of a cluster bootstrapped from a backup ---

const NF1: &str = "neo4j-2026-11-18T02-00-00.backup";
const ND1: &str = "neo4j-2026-11-19T02-00-00.backup";
const ND2: &str = "neo4j-2026-11-22T02-00-00.backup";
const SF1: &str = "sales-2026-11-18T02-00-00.backup";
const SF2: &str = "sales-2026-11-21T02-00-00.backup";

fn counts_of(database: &str) -> CountRange {
    let n = if database == "neo4j" { 1_000 } else { 20 };
    CountRange {
        nodes_min: n,
        nodes_max: n + 5,
        relationships_min: 3 * n,
        relationships_max: 3 * n + 9,
    }
}

impl Target {
    /// The agent library on the test's container, with the account key.
    fn library_agent(&self) -> Agent<ObjectBlobStore> {
        let mut target = AzureTarget::new(
            &self.az.account,
            &self.container,
            Credential::AccountKey(Secret::new(&self.az.key)),
        );
        target.endpoint = Some(self.az.endpoint.clone());
        let store = target.connect().expect("client builds");
        Agent::new(store, BlobLayout::new("prod").expect("prefix"), "graph").expect("agent")
    }

    /// Every blob name in the container.
    async fn blob_names(&self) -> Vec<String> {
        let listing = self
            .library_agent()
            .store()
            .list("")
            .await
            .expect("list the container");
        listing.into_iter().map(|o| o.key).collect()
    }

    /// The source cluster's backups, stored as its backup runs stored them (through the agent
    /// library: a run records counts only against Neo4j, and these runs need fixed times):
    /// neo4j FULL 11-18 + DIFF 11-19 + DIFF 11-22 (one chain); sales FULL 11-18 and FULL 11-21
    /// (two chains). Returns the bytes of each artifact.
    async fn store_source_backups(&self) -> BTreeMap<String, Vec<u8>> {
        let agent = self.library_agent();
        let runs: [(&str, &[(&str, BackupKind)]); 4] = [
            (
                "2026-11-18T02:03:00Z",
                &[(NF1, BackupKind::Full), (SF1, BackupKind::Full)],
            ),
            ("2026-11-19T02:02:00Z", &[(ND1, BackupKind::Diff)]),
            ("2026-11-21T02:05:00Z", &[(SF2, BackupKind::Full)]),
            ("2026-11-22T02:02:00Z", &[(ND2, BackupKind::Diff)]),
        ];
        let mut bytes = BTreeMap::new();
        for (i, (finished, artifacts)) in runs.iter().enumerate() {
            let dir = self
                .run_dir
                .parent()
                .expect("parent")
                .join(format!("run-{i}"));
            std::fs::create_dir_all(&dir).expect("run dir");
            let finished_at: Timestamp = finished.parse().expect("time");
            let mut run = RunMetadata {
                cluster: "graph".into(),
                neo4j_version: "5.26.16".into(),
                members: vec!["graph-0".into()],
                started_at: finished_at - jiff::SignedDuration::from_mins(3),
                finished_at,
                kinds: BTreeMap::new(),
                default_kind: None,
                counts: BTreeMap::new(),
            };
            for (j, (artifact, kind)) in artifacts.iter().enumerate() {
                write_artifact(&dir, artifact, 3000 + 1000 * i + j, (10 * i + j) as u8);
                bytes.insert(
                    artifact.to_string(),
                    std::fs::read(dir.join(artifact)).expect("artifact"),
                );
                run.kinds.insert(artifact.to_string(), *kind);
                let database = &artifact[..5];
                run.counts.insert(database.into(), counts_of(database));
            }
            let report = agent
                .upload_run(&dir, &run, &RetentionPolicy::default(), finished_at)
                .await
                .expect("upload");
            assert_eq!(report.uploaded.len(), artifacts.len());
            assert!(report.prune.deleted.is_empty());
        }
        bytes
    }

    fn seed_dir(&self) -> PathBuf {
        self.run_dir.parent().expect("parent").join("seed")
    }

    /// `backup-agent seed --to <seed dir> ARGS` (split at white space), with its result line
    /// read back the way the operator reads the termination message.
    fn seed(&self, extra_env: &[(&str, &str)], args: &str) -> (Output, SeedResultLine) {
        let dir = self.seed_dir().display().to_string();
        let mut full = vec!["seed", "--to", dir.as_str()];
        full.extend(args.split_whitespace());
        let out = self.run(extra_env, &full);
        let text = stdout(&out);
        let line = text.lines().last().unwrap_or_default();
        assert_eq!(
            std::fs::read_to_string(&self.termination_log).expect("termination log"),
            line,
            "the termination message is the printed line"
        );
        let parsed = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a seed result line ({e}): {text}\n{}", stderr(&out)));
        (out, parsed)
    }
}

/// A fresh container holding the source backups, the bytes of each artifact and the
/// container's blob names.
async fn with_source_backups(
    test: &str,
) -> Option<(Target, BTreeMap<String, Vec<u8>>, Vec<String>)> {
    let az = Azurite::from_env(test)?;
    let t = Target::new(az, test).await;
    let stored = t.store_source_backups().await;
    let names = t.blob_names().await;
    Some((t, stored, names))
}

fn seeded(database: &str, artifact: &str, chain: &str, at: &str, n: u32) -> SeededDatabase {
    SeededDatabase {
        database: database.into(),
        artifact: artifact.into(),
        chain_id: chain.into(),
        finished_at: at.parse().expect("time"),
        artifacts: n,
        counts: Some(counts_of(database)),
    }
}

/// Names of the files under `dir` (recursively, relative), sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path.strip_prefix(base).expect("under base");
                out.push(relative.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn seed_fetches_each_chain_read_only_with_a_reader_sas() {
    let Some((t, stored, before)) = with_source_backups("seed_fetches_each_chain_read_only").await
    else {
        return;
    };
    // What an earlier attempt left behind is replaced; what is not an artifact stays.
    let to = t.seed_dir();
    std::fs::create_dir_all(to.join("neo4j")).expect("seed dir");
    std::fs::write(to.join("neo4j").join(NF1.replace("18", "01")), "stale").expect("stale");
    std::fs::write(to.join("neo4j").join(format!("{ND1}.partial")), "stale").expect("stale");
    std::fs::write(to.join("neo4j").join("notes.txt"), "kept").expect("notes");
    std::fs::write(to.join("seed.list"), "neo4j 9\n").expect("stale list");

    // Storage Blob Data Reader's rights: read and list only.
    let sas = t.run_dir.parent().expect("parent").join("reader-sas");
    std::fs::write(&sas, t.az.account_sas("rl")).expect("sas file");
    let sas = sas.display().to_string();
    let (out, r) = t.seed(
        &[
            ("NEO4J_AKS_BACKUP_CREDENTIAL", "sas"),
            ("NEO4J_AKS_BACKUP_KEY_FILE", sas.as_str()),
        ],
        "--database neo4j --database sales",
    );
    assert_eq!(out.status.code(), Some(0), "{r:?}\n{}", stderr(&out));
    assert_eq!((r.step.as_str(), r.result.as_str()), ("seed", "Succeeded"));
    assert_eq!(
        r.seeds,
        vec![
            seeded("neo4j", ND2, NF1, "2026-11-22T02:02:00Z", 3),
            seeded("sales", SF2, SF2, "2026-11-21T02:05:00Z", 1),
        ]
    );
    assert!(
        r.message.contains("nothing written to Blob"),
        "{}",
        r.message
    );
    assert_eq!(
        files_under(&to),
        vec![
            format!("neo4j/{NF1}"),
            format!("neo4j/{ND1}"),
            format!("neo4j/{ND2}"),
            "neo4j/notes.txt".to_string(),
            format!("sales/{SF2}"),
            "seed.list".to_string(),
        ]
    );
    for (db, artifact) in [
        ("neo4j", NF1),
        ("neo4j", ND1),
        ("neo4j", ND2),
        ("sales", SF2),
    ] {
        assert!(
            std::fs::read(to.join(db).join(artifact)).expect("fetched") == stored[artifact],
            "{artifact} is byte-identical"
        );
    }
    assert_eq!(
        std::fs::read_to_string(to.join("seed.list")).expect("seed.list"),
        "neo4j 3\nsales 1\n"
    );
    assert_eq!(t.blob_names().await, before, "seed wrote nothing to Blob");
    assert!(!stdout(&out).contains("sig=") && !stderr(&out).contains("sig="));
    t.cleanup().await;
}

#[tokio::test]
async fn seed_not_after_picks_an_older_restore_point() {
    let Some((t, _, before)) =
        with_source_backups("seed_not_after_picks_an_older_restore_point").await
    else {
        return;
    };
    // With the account key (write rights), seed still writes nothing.
    let (out, r) = t.seed(
        &[],
        "--database sales --database neo4j --not-after 2026-11-20T00:00:00Z",
    );
    assert_eq!(out.status.code(), Some(0), "{r:?}\n{}", stderr(&out));
    // sales: the older chain; neo4j: its chain cut before the 11-22 DIFF.
    assert_eq!(
        r.seeds,
        vec![
            seeded("sales", SF1, SF1, "2026-11-18T02:03:00Z", 1),
            seeded("neo4j", ND1, NF1, "2026-11-19T02:02:00Z", 2),
        ]
    );
    let to = t.seed_dir();
    assert_eq!(
        files_under(&to),
        vec![
            format!("neo4j/{NF1}"),
            format!("neo4j/{ND1}"),
            format!("sales/{SF1}"),
            "seed.list".to_string(),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(to.join("seed.list")).expect("seed.list"),
        "sales 1\nneo4j 2\n"
    );
    assert_eq!(t.blob_names().await, before, "seed wrote nothing to Blob");
    t.cleanup().await;
}

#[tokio::test]
async fn seed_reports_every_database_it_cannot_seed_and_downloads_nothing() {
    let Some((t, _, before)) =
        with_source_backups("seed_reports_every_database_it_cannot_seed").await
    else {
        return;
    };
    let (out, r) = t.seed(
        &[],
        "--database neo4j --database sales --database orders --database system --not-after 2026-11-18T12:00:00Z",
    );
    assert_eq!(out.status.code(), Some(1), "{r:?}");
    assert_eq!(r.result, "Failed");
    assert!(r.seeds.is_empty());
    let m = &r.message;
    assert!(m.starts_with("nothing downloaded; 2 problem(s)"), "{m}");
    assert!(
        m.contains("--database \"system\" cannot be seeded")
            && m.contains("orders: no backup of this database is stored (stored: neo4j, sales)"),
        "{m}"
    );
    // neo4j and sales both have a FULL of 11-18 within the bound: no problem there.
    assert!(!m.contains("neo4j:") && !m.contains("sales:"), "{m}");
    let (out, r) = t.seed(
        &[],
        "--database sales --database neo4j --not-after 2026-11-01T00:00:00Z",
    );
    assert_eq!(out.status.code(), Some(1), "{r:?}");
    assert!(
        r.message.contains(&format!(
            "sales: no restorable backup finished at or before 2026-11-01T00:00:00Z; the oldest restore point is {SF1} at 2026-11-18T02:03:00Z, the newest {SF2} at 2026-11-21T02:05:00Z"
        )) && r.message.contains(&format!(
            "neo4j: no restorable backup finished at or before 2026-11-01T00:00:00Z; the oldest restore point is {NF1}"
        )),
        "{}",
        r.message
    );
    let to = t.seed_dir();
    assert!(files_under(&to).is_empty(), "{:?}", files_under(&to));
    assert_eq!(t.blob_names().await, before);

    let help = agent(&[], &["backup-agent", "seed", "--help"]);
    assert!(
        stdout(&help).contains("seed-fetch init container")
            && stdout(&help).contains("nothing is written to Blob"),
        "{}",
        stdout(&help)
    );
    t.cleanup().await;
}

#[tokio::test]
async fn seed_of_a_corrupt_artifact_fails_and_leaves_no_files() {
    let Some((t, stored, _)) = with_source_backups("seed_of_a_corrupt_artifact_fails").await else {
        return;
    };
    // One byte of sales' newest FULL flipped in place, same size: only the sha256 tells.
    let key = BlobLayout::new("prod")
        .expect("prefix")
        .artifact_key("graph", "sales", SF2)
        .expect("key");
    let mut corrupt = stored[SF2].clone();
    corrupt[100] ^= 0xff;
    t.library_agent()
        .store()
        .put_bytes(&key, corrupt, &BlobMetadata::new())
        .await
        .expect("overwrite");
    let before = t.blob_names().await;

    // neo4j comes first and is fetched completely before sales fails.
    let (out, r) = t.seed(&[], "--database neo4j --database sales");
    assert_eq!(out.status.code(), Some(1), "{r:?}");
    assert_eq!(r.result, "Failed");
    assert!(r.seeds.is_empty());
    assert!(
        r.message.contains("checksum mismatch") && r.message.contains(&key),
        "{}",
        r.message
    );
    let to = t.seed_dir();
    assert!(files_under(&to).is_empty(), "{:?}", files_under(&to));
    // Unlike `fetch`, no checksum-failed record is written.
    assert_eq!(t.blob_names().await, before);
    t.cleanup().await;
}
