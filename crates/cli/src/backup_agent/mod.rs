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

mod fetch;
mod result;
mod select_source;
mod upload;
mod verify;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use neo4j_aks_backup::agent::Agent;
use neo4j_aks_backup::catalogue::GraphCounts;
use neo4j_aks_backup::store::ObjectBlobStore;
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions, Tls};
use neo4j_aks_topology::{AdminClient, Credentials};
use serde::{Deserialize, Serialize};

use crate::backup_target::{RetentionArgs, TargetArgs};

use result::report;
pub use result::{StepResult, fitted};

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
    /// The cluster CA's certificate (PEM) when the members' Bolt speaks TLS: connections to the
    /// members then use TLS and verify each member's certificate and host name against it.
    #[arg(long, env = "NEO4J_AKS_BOLT_CA_FILE")]
    pub bolt_ca_file: Option<PathBuf>,
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
        /// A member's Bolt URI (bolt://host:7687 or bolt+s://host:7687); tried in order until
        /// one answers, over TLS verified against --bolt-ca-file when that is set.
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

async fn dispatch(args: &AgentArgs) -> Result<StepResult, String> {
    match &args.command {
        AgentCommand::SelectSource {
            members,
            backup_port,
            databases,
        } => select_source::select_source(args, members, *backup_port, databases).await,
        AgentCommand::Fetch {
            to,
            databases,
            for_verification,
            new_chain_after_days,
        } => {
            fetch::fetch(
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
        } => upload::upload(args, from_dir, *backup_type, &retention.policy()).await,
        AgentCommand::Verify {
            bolt,
            online_timeout_secs,
        } => verify::verify(args, bolt, Duration::from_secs(*online_timeout_secs)).await,
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

/// A connection to a cluster member (`bolt://host:port`, `bolt+s://host:port` or `host:port`):
/// TLS verified against `--bolt-ca-file` when that is set, as the URI says otherwise.
fn connect_member(
    member: &str,
    credentials: &Credentials,
    ca_file: Option<&Path>,
) -> Result<BoltAdminClient, String> {
    let uri = if member.contains("://") {
        member.to_string()
    } else {
        format!("bolt://{member}")
    };
    let mut options = BoltOptions::from_uri(&uri)
        .map_err(|e| e.to_string())?
        .with_timeout(Duration::from_secs(30));
    if let Some(ca) = ca_file {
        options = options.with_tls(Tls::On {
            ca_file: Some(ca.to_path_buf()),
        });
    }
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
    args: &AgentArgs,
    member: &str,
    database: &str,
    credentials: &Credentials,
) -> Result<GraphCounts, String> {
    let client = connect_member(member, credentials, args.bolt_ca_file.as_deref())?;
    count(&client, database).await
}
