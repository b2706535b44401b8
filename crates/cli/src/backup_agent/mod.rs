//! `neo4j-aks backup-agent ...`: the steps the backup CronJobs' pods run around `neo4j-admin`
//! (docs/backup.md). Each step prints one JSON line (and writes it to the pod's termination
//! message) and exits 0 on success, 1 on failure, so the operator can read the result.
//!
//! Hand-over files in the run directory (an emptyDir shared by the pod's containers):
//! `sources.list` and `run.json` (select-source), `finished-at` and `inspect.txt` (the
//! neo4j-admin backup step), `restore.list` and `verification.json` (fetch
//! --for-verification), `check-<db>.status` (the neo4j-admin restore step). The seed step of a
//! cluster bootstrapped from a backup writes into its `--to` directory instead: `<db>/` with the
//! chain and `seed.list`, read by the seed-aggregate init container.

pub mod seed;
pub mod source;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use neo4j_aks_backup::agent::{Agent, RunMetadata};
use neo4j_aks_backup::catalogue::{
    BackupKind, CountRange, GraphCounts, VerificationCheck, VerificationRecord,
};
use neo4j_aks_backup::retention::RetentionPolicy;
use neo4j_aks_backup::seed::SeededDatabase;
use neo4j_aks_backup::store::ObjectBlobStore;
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions};
use neo4j_aks_topology::statements::{ParamValue, Statement};
use neo4j_aks_topology::{AdminClient, Credentials};
use serde::{Deserialize, Serialize};

use crate::backup_target::{RetentionArgs, TargetArgs};

#[derive(Args, Debug)]
pub struct AgentArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The Neo4jCluster's name (the blob path segment under the prefix).
    #[arg(long, env = "NEO4J_AKS_BACKUP_CLUSTER")]
    pub cluster: String,
    /// Directory shared by the pod's containers for the run's hand-over files.
    #[arg(
        long,
        env = "NEO4J_AKS_BACKUP_RUN_DIR",
        default_value = "/run/neo4j-aks"
    )]
    pub run_dir: PathBuf,
    /// File holding `neo4j/<password>` (the cluster's auth Secret, mounted). Never printed.
    #[arg(long, env = "NEO4J_AKS_NEO4J_AUTH_FILE")]
    pub auth_file: Option<PathBuf>,
    /// The result line is also written here when the file exists (the pod's termination
    /// message, which the operator reads).
    #[arg(long, default_value = "/dev/termination-log")]
    pub termination_log: PathBuf,
    #[command(subcommand)]
    pub command: AgentCommand,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Choose the members each database is backed up from (not its writer when another member
    /// can serve) over Bolt; write `sources.list` and `run.json` (counts before the run).
    SelectSource {
        /// A member's Bolt URI (bolt://host:7687); tried in order until one answers.
        #[arg(long = "member", required = true)]
        members: Vec<String>,
        /// The members' backup port.
        #[arg(long, default_value_t = 6362)]
        backup_port: u16,
        /// Database names or patterns (`*` = all). Repeatable.
        #[arg(long = "database", default_value = "*")]
        databases: Vec<String>,
    },
    /// Download (sha256-verified) the newest restorable chain of each database into a
    /// directory: for a DIFF to extend, or (--for-verification) to restore.
    Fetch {
        #[arg(long)]
        to: PathBuf,
        /// Database names or patterns (`*` = every database with a stored backup).
        #[arg(long = "database", default_value = "*")]
        databases: Vec<String>,
        /// One sub-directory per database, `system` left out, and the restore list written.
        #[arg(long)]
        for_verification: bool,
        /// Leave out a chain whose FULL finished more than this many days ago, so that
        /// `--type=AUTO` (which extends any chain it finds) starts a new chain with a FULL.
        /// Without it chains never end and retention, which deletes whole chains only, could
        /// never delete anything.
        #[arg(long, value_name = "DAYS")]
        new_chain_after_days: Option<u32>,
    },
    /// Upload every new artifact in the directory (marker last), then prune by retention.
    Upload {
        #[arg(long)]
        from_dir: PathBuf,
        /// The run's --type; AUTO reads FULL/DIFF per artifact from inspect.txt.
        #[arg(long = "type", value_enum, default_value_t = TypeArg::Auto)]
        backup_type: TypeArg,
        #[command(flatten)]
        retention: RetentionArgs,
    },
    /// Fetch each database's backup chain for a new cluster to be seeded from: what the
    /// seed-fetch init container of a cluster bootstrapped from a backup runs.
    ///
    /// `--cluster` names the cluster whose backups are read (the source; it may be gone). Per
    /// database: the newest restorable backup finished at or before --not-after (the newest
    /// without it), its chain downloaded FULL first and sha256-verified into DIR/<db>/; then
    /// DIR/seed.list, one line `<db> <number of artifacts>` per database, is written last. The
    /// result line lists each database's restore point (`seeds`) for the operator.
    ///
    /// Read-only: nothing is written to Blob (no verification record), so Storage Blob Data
    /// Reader is enough. Every database is checked before anything is downloaded, and every
    /// problem is reported at once; on failure no artifact and no seed.list is left in DIR.
    Seed {
        /// The directory to fill (the seed volume).
        #[arg(long)]
        to: PathBuf,
        /// A database to seed, by its exact name (no patterns; `system` cannot be seeded).
        /// Repeatable.
        #[arg(long = "database", required = true)]
        databases: Vec<String>,
        /// Seed from the newest backup that finished at or before this time (RFC 3339, e.g.
        /// 2026-11-20T00:00:00Z) instead of the newest one.
        #[arg(long, value_name = "RFC3339")]
        not_after: Option<Timestamp>,
    },
    /// After the restore: count nodes and relationships in the throw-away server, compare with
    /// what the backup recorded, and store the verification record of each artifact.
    Verify {
        /// The throw-away server's Bolt URI.
        #[arg(long, default_value = "bolt://127.0.0.1:7687")]
        bolt: String,
        /// How long a restored database may take to come online.
        #[arg(long, default_value_t = 600)]
        online_timeout_secs: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum TypeArg {
    Auto,
    Full,
    Diff,
}

/// The one-line result every step prints.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub step: String,
    /// `Succeeded` or `Failed`.
    pub result: String,
    pub cluster: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<String>,
    /// The seed step: each database's restore point, for the operator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<SeededDatabase>,
}

/// What select-source hands to upload.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunState {
    pub cluster: String,
    pub started_at: Timestamp,
    pub neo4j_version: String,
    /// Bolt addresses of the members hosting the databases.
    pub members: Vec<String>,
    pub sources: Vec<SourceState>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SourceState {
    pub database: String,
    pub from: Vec<String>,
    pub counting_member: String,
    pub counts_before: Option<GraphCounts>,
}

/// What fetch --for-verification hands to verify.
#[derive(Debug, Serialize, Deserialize)]
pub struct VerificationItem {
    pub database: String,
    pub artifact: String,
}

pub fn run(args: AgentArgs) -> u8 {
    let step = match &args.command {
        AgentCommand::SelectSource { .. } => "select-source",
        AgentCommand::Fetch { .. } => "fetch",
        AgentCommand::Upload { .. } => "upload",
        AgentCommand::Verify { .. } => "verify",
        AgentCommand::Seed { .. } => "seed",
    };
    let outcome = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(dispatch(&args)),
        Err(e) => Err(format!("cannot start the async runtime: {e}")),
    };
    let result = match outcome {
        Ok(r) => r,
        Err(message) => StepResult {
            result: "Failed".into(),
            message,
            ..StepResult::default()
        },
    };
    let result = fitted(&StepResult {
        step: step.into(),
        cluster: args.cluster.clone(),
        ..result
    });
    report(&result, &args.termination_log);
    u8::from(result.result != "Succeeded")
}

/// The kubelet keeps at most 4096 bytes of a termination message; a longer line would reach the
/// operator cut off and unreadable.
const TERMINATION_MESSAGE_LIMIT: usize = 4096;

/// The result line, shortened to fit the termination message (see [`fitted`]).
pub fn result_line(result: &StepResult) -> String {
    // StepResult holds only strings, numbers and timestamps: serializing cannot fail.
    serde_json::to_string(&fitted(result)).unwrap_or_default()
}

/// The result shortened to fit the termination message: first without the artifact list, then
/// with the message cut (at a character boundary, marked with `…`). The seeds are what the
/// operator acts on and are never cut: a result whose seeds alone do not fit becomes a failure
/// that says so.
pub fn fitted(result: &StepResult) -> StepResult {
    let length = |r: &StepResult| serde_json::to_string(r).map_or(usize::MAX, |l| l.len());
    if length(result) <= TERMINATION_MESSAGE_LIMIT {
        return result.clone();
    }
    let mut short = StepResult {
        artifacts: Vec::new(),
        ..result.clone()
    };
    loop {
        let len = length(&short);
        if len <= TERMINATION_MESSAGE_LIMIT {
            return short;
        }
        if short.message.is_empty() {
            return StepResult {
                result: "Failed".into(),
                message: format!(
                    "the result of {} database(s) takes {len} bytes, more than the {TERMINATION_MESSAGE_LIMIT} bytes of a termination message; seed fewer databases",
                    short.seeds.len()
                ),
                seeds: Vec::new(),
                ..short
            };
        }
        let over = len - TERMINATION_MESSAGE_LIMIT + "…".len();
        if over >= short.message.len() {
            // Even `…` alone would not fit.
            short.message.clear();
            continue;
        }
        let mut keep = short.message.len() - over;
        while !short.message.is_char_boundary(keep) {
            keep -= 1;
        }
        short.message.truncate(keep);
        short.message.push('…');
    }
}

fn report(result: &StepResult, termination_log: &Path) {
    let line = result_line(result);
    println!("{line}");
    let _ = std::io::stdout().flush();
    if termination_log.exists()
        && let Err(e) = std::fs::write(termination_log, &line)
    {
        eprintln!("warning: cannot write {}: {e}", termination_log.display());
    }
}

async fn dispatch(args: &AgentArgs) -> Result<StepResult, String> {
    match &args.command {
        AgentCommand::SelectSource {
            members,
            backup_port,
            databases,
        } => select_source(args, members, *backup_port, databases).await,
        AgentCommand::Fetch {
            to,
            databases,
            for_verification,
            new_chain_after_days,
        } => {
            fetch(
                args,
                to,
                databases,
                *for_verification,
                *new_chain_after_days,
            )
            .await
        }
        AgentCommand::Upload {
            from_dir,
            backup_type,
            retention,
        } => upload(args, from_dir, *backup_type, &retention.policy()).await,
        AgentCommand::Verify {
            bolt,
            online_timeout_secs,
        } => verify(args, bolt, Duration::from_secs(*online_timeout_secs)).await,
        AgentCommand::Seed {
            to,
            databases,
            not_after,
        } => seed::seed(args, to, databases, *not_after).await,
    }
}

fn credentials(args: &AgentArgs) -> Result<Credentials, String> {
    let path = args.auth_file.as_ref().ok_or(
        "no Neo4j credentials: pass --auth-file (or NEO4J_AKS_NEO4J_AUTH_FILE), a file holding neo4j/<password>",
    )?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the auth file {}: {e}", path.display()))?;
    Credentials::from_neo4j_auth(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn connect(uri: &str, credentials: &Credentials) -> Result<BoltAdminClient, String> {
    let options = BoltOptions::from_uri(uri)
        .map_err(|e| e.to_string())?
        .with_timeout(Duration::from_secs(30));
    BoltAdminClient::connect(options, credentials).map_err(|e| e.to_string())
}

fn agent(args: &AgentArgs) -> Result<Agent<ObjectBlobStore>, String> {
    args.target.agent(&args.cluster)
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read_file(path: &Path, written_by: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {} (written by {written_by}): {e}",
            path.display()
        )
    })
}

/// Nodes and relationships of one database, read on the member `client` is connected to.
async fn count(client: &BoltAdminClient, database: &str) -> Result<GraphCounts, String> {
    let size = client
        .count_graph(database)
        .await
        .map_err(|e| format!("counting nodes and relationships of {database}: {e}"))?;
    Ok(GraphCounts {
        nodes: size.nodes,
        relationships: size.relationships,
    })
}

/// `system` holds no graph to count.
fn countable(database: &str) -> bool {
    database != "system"
}

async fn counts_on(
    member: &str,
    database: &str,
    credentials: &Credentials,
) -> Result<GraphCounts, String> {
    let client = connect(&format!("bolt://{member}"), credentials)?;
    count(&client, database).await
}

async fn select_source(
    args: &AgentArgs,
    members: &[String],
    backup_port: u16,
    patterns: &[String],
) -> Result<StepResult, String> {
    let started_at = Timestamp::now();
    let credentials = credentials(args)?;
    let mut failures = Vec::new();
    let mut answer = None;
    for uri in members {
        let attempt = async {
            let client = connect(uri, &credentials)?;
            let records = client.show_databases().await.map_err(|e| e.to_string())?;
            let info = client.server_info().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((records, info.version))
        };
        match attempt.await {
            Ok(found) => {
                answer = Some(found);
                break;
            }
            Err(e) => failures.push(format!("{uri}: {e}")),
        }
    }
    let Some((records, version)) = answer else {
        return Err(format!(
            "no member answered SHOW DATABASES: {}",
            failures.join("; ")
        ));
    };
    let chosen = source::choose_sources(&records, patterns, backup_port)?;
    let mut members: Vec<String> = records.iter().filter_map(|r| r.address.clone()).collect();
    members.sort();
    members.dedup();
    let mut notes = Vec::new();
    let mut sources = Vec::new();
    let mut list = String::new();
    for s in chosen {
        if let Some(why) = &s.fallback {
            eprintln!("note: {why}");
            notes.push(why.clone());
        }
        let counts_before = if countable(&s.database) {
            match counts_on(&s.counting_member, &s.database, &credentials).await {
                Ok(c) => Some(c),
                Err(e) => {
                    eprintln!(
                        "warning: {e}; the verification of this backup will only run the consistency check"
                    );
                    None
                }
            }
        } else {
            None
        };
        list.push_str(&format!("{} {}\n", s.database, s.from.join(",")));
        sources.push(SourceState {
            database: s.database,
            from: s.from,
            counting_member: s.counting_member,
            counts_before,
        });
    }
    let state = RunState {
        cluster: args.cluster.clone(),
        started_at,
        neo4j_version: version,
        members,
        sources,
    };
    std::fs::create_dir_all(&args.run_dir)
        .map_err(|e| format!("cannot create {}: {e}", args.run_dir.display()))?;
    write_file(&args.run_dir.join("sources.list"), &list)?;
    write_file(
        &args.run_dir.join("run.json"),
        &serde_json::to_string_pretty(&state).map_err(|e| e.to_string())?,
    )?;
    let summary: Vec<String> = state
        .sources
        .iter()
        .map(|s| format!("{} from {}", s.database, s.from.join(",")))
        .collect();
    let mut message = summary.join("; ");
    if !notes.is_empty() {
        message.push_str(&format!(" (note: {})", notes.join("; ")));
    }
    Ok(StepResult {
        result: "Succeeded".into(),
        message,
        ..StepResult::default()
    })
}

async fn fetch(
    args: &AgentArgs,
    to: &Path,
    patterns: &[String],
    for_verification: bool,
    new_chain_after_days: Option<u32>,
) -> Result<StepResult, String> {
    let agent = agent(args)?;
    agent.check().await.map_err(|e| e.to_string())?;
    let catalogue = agent.catalogue().await.map_err(|e| e.to_string())?;
    let now = Timestamp::now();
    let mut fetched = Vec::new();
    let mut items = Vec::new();
    let mut restore_list = String::new();
    let mut notes = Vec::new();
    let mut size = 0;
    let mut names: Vec<&String> = catalogue
        .chains
        .keys()
        .filter(|d| patterns.iter().any(|p| source::glob_matches(p, d)))
        .collect();
    // Named databases that have nothing stored are worth a note (a first run takes a FULL).
    for p in patterns.iter().filter(|p| !p.contains('*')) {
        if !catalogue.chains.contains_key(p.as_str()) {
            notes.push(format!("nothing stored for {p}"));
        }
    }
    if for_verification {
        names.retain(|d| countable(d));
    }
    for database in names {
        let Some((chain, end)) = catalogue.newest_restore_point(database) else {
            notes.push(format!("no restorable backup of {database}"));
            continue;
        };
        if let (Some(days), Some(full)) = (new_chain_after_days, chain.full()) {
            let age = now.duration_since(full.metadata.finished_at);
            if age > jiff::SignedDuration::from_hours(24 * i64::from(days)) {
                notes.push(format!(
                    "{database}: chain {} is older than {days} day(s); this run starts a new chain with a FULL",
                    chain.chain_id
                ));
                continue;
            }
        }
        let dir = if for_verification {
            to.join(database)
        } else {
            to.to_path_buf()
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let paths = agent
            .fetch_newest_chain(database, &dir, now)
            .await
            .map_err(|e| e.to_string())?;
        for p in &paths {
            size += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            fetched.push(
                p.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            );
        }
        let last = dir.join(&end.metadata.artifact);
        restore_list.push_str(&format!("{database} {}\n", last.display()));
        items.push(VerificationItem {
            database: database.clone(),
            artifact: end.metadata.artifact.clone(),
        });
    }
    if for_verification {
        if items.is_empty() {
            return Err(format!(
                "nothing to verify: no restorable backup of {} ({})",
                patterns.join(", "),
                notes.join("; ")
            ));
        }
        std::fs::create_dir_all(&args.run_dir)
            .map_err(|e| format!("cannot create {}: {e}", args.run_dir.display()))?;
        write_file(&args.run_dir.join("restore.list"), &restore_list)?;
        write_file(
            &args.run_dir.join("verification.json"),
            &serde_json::to_string_pretty(&items).map_err(|e| e.to_string())?,
        )?;
    }
    let mut message = format!(
        "fetched {} artifact(s) of {} database(s), {size} bytes, sha256 verified",
        fetched.len(),
        items.len()
    );
    if !notes.is_empty() {
        message.push_str(&format!(" ({})", notes.join("; ")));
    }
    Ok(StepResult {
        result: "Succeeded".into(),
        message,
        size_bytes: Some(size),
        artifacts: fetched,
        ..StepResult::default()
    })
}

/// When neo4j-admin finished: the time the backup step wrote, else the upload's start.
fn finished_at(run_dir: &Path) -> Timestamp {
    std::fs::read_to_string(run_dir.join("finished-at"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(Timestamp::now)
}

async fn upload(
    args: &AgentArgs,
    from_dir: &Path,
    backup_type: TypeArg,
    policy: &RetentionPolicy,
) -> Result<StepResult, String> {
    let state: RunState = serde_json::from_str(&read_file(
        &args.run_dir.join("run.json"),
        "backup-agent select-source",
    )?)
    .map_err(|e| format!("run.json: {e}"))?;
    let finished_at = finished_at(&args.run_dir);
    let mut run = RunMetadata {
        cluster: args.cluster.clone(),
        neo4j_version: state.neo4j_version.clone(),
        members: state.members.clone(),
        started_at: state.started_at,
        finished_at,
        kinds: BTreeMap::new(),
        default_kind: match backup_type {
            TypeArg::Full => Some(BackupKind::Full),
            TypeArg::Diff => Some(BackupKind::Diff),
            TypeArg::Auto => None,
        },
        counts: BTreeMap::new(),
    };
    if backup_type == TypeArg::Auto {
        let inspect = read_file(
            &args.run_dir.join("inspect.txt"),
            "neo4j-admin backup inspect in the backup step",
        )?;
        run = run
            .with_inspect_output(&inspect)
            .map_err(|e| e.to_string())?;
    }
    // Counts after the run, on the same member as before: the range the restored copy must
    // fall in (docs/backup.md, "Verification").
    if let Some(credentials) = args
        .auth_file
        .as_ref()
        .map(|_| credentials(args))
        .transpose()?
    {
        for s in &state.sources {
            let Some(before) = s.counts_before else {
                continue;
            };
            match counts_on(&s.counting_member, &s.database, &credentials).await {
                Ok(after) => {
                    run.counts
                        .insert(s.database.clone(), CountRange::between(before, after));
                }
                Err(e) => eprintln!(
                    "warning: {e}; no counts recorded for {}, its verification will only run the consistency check",
                    s.database
                ),
            }
        }
    }
    let agent = agent(args)?;
    let report = agent
        .upload_run(from_dir, &run, policy, Timestamp::now())
        .await
        .map_err(|e| e.to_string())?;
    let size: u64 = report.uploaded.iter().map(|m| m.size_bytes).sum();
    let duration = finished_at.duration_since(state.started_at).as_secs_f64();
    Ok(StepResult {
        result: "Succeeded".into(),
        message: format!(
            "uploaded {} artifact(s) ({size} bytes), {} already stored; pruned {} object(s)",
            report.uploaded.len(),
            report.already_stored.len(),
            report.prune.deleted.len()
        ),
        size_bytes: Some(size),
        duration_seconds: Some(duration),
        artifacts: report
            .uploaded
            .iter()
            .map(|m| format!("{} ({})", m.artifact, m.kind))
            .collect(),
        ..StepResult::default()
    })
}

async fn wait_online(
    client: &BoltAdminClient,
    database: &str,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut created = false;
    loop {
        let records = client.show_databases().await.map_err(|e| e.to_string())?;
        let copy = records.iter().find(|r| r.name == database);
        match copy {
            Some(r) if r.is_online() => return Ok(()),
            None if !created => {
                // A restored store other than the default database is registered with
                // CREATE DATABASE (Operations Manual, "Restore a database backup").
                client
                    .run(&Statement {
                        text: "CREATE DATABASE $database IF NOT EXISTS".into(),
                        params: vec![("database", ParamValue::Text(database.into()))],
                    })
                    .await
                    .map_err(|e| format!("CREATE DATABASE {database}: {e}"))?;
                created = true;
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{database} did not come online within {}s (status {})",
                timeout.as_secs(),
                copy.map_or("missing", |r| r.current_status.as_str())
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn verify_one(
    agent: &Agent<ObjectBlobStore>,
    client: &BoltAdminClient,
    run_dir: &Path,
    item: &VerificationItem,
    online_timeout: Duration,
) -> Result<String, String> {
    let status = std::fs::read_to_string(run_dir.join(format!("check-{}.status", item.database)))
        .map_err(
        |_| "no restore/check result (the restore step did not reach this database)",
    )?;
    let status = status.trim();
    if status != "ok" {
        return Err(status.to_string());
    }
    wait_online(client, &item.database, online_timeout).await?;
    let restored = count(client, &item.database).await?;
    let catalogue = agent.catalogue().await.map_err(|e| e.to_string())?;
    let recorded = catalogue
        .all_chains()
        .flat_map(|c| &c.artifacts)
        .find(|a| a.metadata.database == item.database && a.metadata.artifact == item.artifact)
        .ok_or_else(|| format!("{} is no longer stored", item.artifact))?
        .metadata
        .counts;
    match recorded {
        None => Ok(format!(
            "consistency check passed; {} nodes, {} relationships restored (no counts recorded at backup time)",
            restored.nodes, restored.relationships
        )),
        Some(range) => match range.mismatch(restored) {
            None => Ok(format!(
                "consistency check passed; {} nodes, {} relationships restored, within the source's counts",
                restored.nodes, restored.relationships
            )),
            Some(why) => Err(format!("consistency check passed but {why}")),
        },
    }
}

async fn verify(
    args: &AgentArgs,
    bolt: &str,
    online_timeout: Duration,
) -> Result<StepResult, String> {
    let items: Vec<VerificationItem> = serde_json::from_str(&read_file(
        &args.run_dir.join("verification.json"),
        "backup-agent fetch --for-verification",
    )?)
    .map_err(|e| format!("verification.json: {e}"))?;
    let agent = agent(args)?;
    let client = connect(bolt, &credentials(args)?)?;
    let mut lines = Vec::new();
    let mut failed = false;
    for item in &items {
        let outcome = verify_one(&agent, &client, &args.run_dir, item, online_timeout).await;
        let record = VerificationRecord {
            at: Timestamp::now(),
            check: VerificationCheck::RestoreCheck,
            ok: outcome.is_ok(),
            detail: match &outcome {
                Ok(d) | Err(d) => d.clone(),
            },
        };
        agent
            .record_verification(&item.database, &item.artifact, &record)
            .await
            .map_err(|e| e.to_string())?;
        failed |= outcome.is_err();
        lines.push(format!(
            "{} {}: {}",
            item.artifact,
            if record.ok { "ok" } else { "FAILED" },
            record.detail
        ));
    }
    Ok(StepResult {
        result: if failed { "Failed" } else { "Succeeded" }.into(),
        message: lines.join("; "),
        artifacts: items.iter().map(|i| i.artifact.clone()).collect(),
        ..StepResult::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_line_always_fits_the_termination_message() {
        let small = StepResult {
            step: "verify".into(),
            result: "Failed".into(),
            cluster: "g".into(),
            message: "neo4j-x.backup FAILED: check-failed".into(),
            artifacts: vec!["neo4j-x.backup".into()],
            ..StepResult::default()
        };
        assert_eq!(result_line(&small), serde_json::to_string(&small).unwrap());
        let big = StepResult {
            message: "é".repeat(5000),
            artifacts: (0..300)
                .map(|i| format!("db{i}-2026-11-26T02-00-00.backup"))
                .collect(),
            ..small
        };
        let line = result_line(&big);
        assert!(line.len() <= TERMINATION_MESSAGE_LIMIT, "{}", line.len());
        let parsed: StepResult = serde_json::from_str(&line).expect("still JSON");
        assert_eq!(parsed.result, "Failed");
        assert!(parsed.artifacts.is_empty());
        assert!(parsed.message.ends_with('…'));
    }

    /// A seed as the step reports it, with a realistic name and counts.
    fn seeded(i: usize) -> SeededDatabase {
        SeededDatabase {
            database: format!("customers-{i:02}"),
            artifact: format!("customers-{i:02}-2026-11-22T02-00-00.backup"),
            chain_id: format!("customers-{i:02}-2026-11-18T02-00-00.backup"),
            finished_at: "2026-11-22T02:02:13Z".parse().unwrap(),
            artifacts: 4,
            counts: Some(CountRange {
                nodes_min: 12_345_678,
                nodes_max: 12_345_999,
                relationships_min: 98_765_432,
                relationships_max: 98_766_000,
            }),
        }
    }

    fn seed_result(seeds: Vec<SeededDatabase>) -> StepResult {
        StepResult {
            step: "seed".into(),
            result: "Succeeded".into(),
            cluster: "graph-old".into(),
            message: "é".repeat(5000),
            artifacts: (0..300)
                .map(|i| format!("db{i}/db{i}-2026-11-26T02-00-00.backup"))
                .collect(),
            seeds,
            ..StepResult::default()
        }
    }

    #[test]
    fn shortening_keeps_the_seeds_and_drops_the_artifacts_and_the_message_first() {
        let seeds: Vec<SeededDatabase> = (0..8).map(seeded).collect();
        let line = result_line(&seed_result(seeds.clone()));
        assert!(line.len() <= TERMINATION_MESSAGE_LIMIT, "{}", line.len());
        let parsed: neo4j_aks_backup::seed::SeedResultLine =
            serde_json::from_str(&line).expect("the operator's type reads it");
        assert_eq!(parsed.result, "Succeeded");
        assert_eq!(parsed.seeds, seeds);
        assert!(parsed.message.ends_with('…') && parsed.message.len() > 100);
        let parsed: StepResult = serde_json::from_str(&line).expect("still JSON");
        assert!(parsed.artifacts.is_empty());
    }

    #[test]
    fn seeds_that_cannot_fit_become_a_failure_that_says_so() {
        // How many seeds of this size fit next to an empty message.
        let fit = (1..100)
            .take_while(|n| {
                let r = StepResult {
                    message: String::new(),
                    artifacts: Vec::new(),
                    ..seed_result((0..*n).map(seeded).collect())
                };
                serde_json::to_string(&r).unwrap().len() <= TERMINATION_MESSAGE_LIMIT
            })
            .count();
        let one = serde_json::to_string(&seeded(0)).unwrap().len();
        println!("{fit} seeds of {one} bytes fit the termination message");
        assert!(fit >= 10, "{fit}");
        let too_many = seed_result((0..fit + 1).map(seeded).collect());
        let short = fitted(&too_many);
        assert_eq!(short.result, "Failed");
        assert!(short.seeds.is_empty());
        assert!(
            short
                .message
                .starts_with(&format!("the result of {} database(s) takes", fit + 1))
                && short.message.ends_with("seed fewer databases"),
            "{}",
            short.message
        );
        assert!(result_line(&too_many).len() <= TERMINATION_MESSAGE_LIMIT);
        let exactly = seed_result((0..fit).map(seeded).collect());
        assert_eq!(fitted(&exactly).seeds.len(), fit);
    }
}
