//! `neo4j-aks`: render, validate and plan Neo4j Enterprise clusters for AKS.

mod azure;
mod backup_agent;
mod backup_cmd;
mod backup_target;
mod bench;
mod certs;
mod cluster;
mod crd;
mod day2;
mod failure;

use failure::Failure;
mod input;
mod monitoring;
mod operator_chart;
mod plan;
mod reference;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use neo4j_aks_model::Invalid;
use neo4j_aks_render::{Rendered, output};

use crate::input::SpecArgs;

#[derive(Parser)]
#[command(name = "neo4j-aks", version = VERSION, about = "Neo4j Enterprise clusters on Azure Kubernetes Service", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--version`: the crate version and the commit the binary was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("NEO4J_AKS_GIT_COMMIT"),
    ")"
);

/// The name kubectl runs a plugin by: `kubectl neo4j ARGS` executes `kubectl-neo4j ARGS` from
/// PATH (docs/install.md), which is this binary under that name.
const KUBECTL_PLUGIN: &str = "kubectl-neo4j";

#[derive(Subcommand)]
enum Command {
    /// Print every Kubernetes object of the cluster (multi-document YAML, or a JSON List).
    ///
    /// No cluster access is needed. Flags override the file; without -f the spec is built from
    /// the flags alone. Same input, same bytes. Secrets are never printed: the generated
    /// password Secret is rendered empty and filled once by `apply` or the operator.
    Render {
        #[command(flatten)]
        spec: SpecArgs,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Yaml)]
        output: Format,
    },
    /// Summarise what `render` would create: objects, members and their addresses, discovery,
    /// warnings.
    Plan {
        #[command(flatten)]
        spec: SpecArgs,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = PlanFormat::Text)]
        output: PlanFormat,
    },
    /// Check a spec; print nothing but warnings when it is valid.
    Validate {
        #[command(flatten)]
        spec: SpecArgs,
    },
    /// Print the Neo4jCluster CustomResourceDefinition (YAML).
    Crd,
    /// Print the spec reference (Markdown) generated from the CRD schema.
    Reference,
    /// Server-side apply the cluster's objects to the current kube context (field manager
    /// neo4j-aks), fill the generated password once, delete objects no longer rendered, expand
    /// claims; print what changed. The same code path as the operator, without owner references.
    Apply {
        #[command(flatten)]
        spec: SpecArgs,
    },
    /// Show what `apply` would change against the live cluster, as unified diffs.
    /// Exit 0: no differences; 1: differences; 2: invalid spec; 3: error.
    Diff {
        #[command(flatten)]
        spec: SpecArgs,
    },
    /// Run the operator: reconcile every Neo4jCluster (or one namespace's) until SIGTERM.
    Operator(cluster::OperatorArgs),
    /// Print the operator's install manifests (namespace, RBAC, Deployment, Service); committed
    /// as deploy/operator/operator.yaml.
    OperatorManifests,
    /// Write the operator's Helm chart into DIR (Chart.yaml, values.yaml, crds/, templates/);
    /// committed as deploy/helm/neo4j-aks-operator. With its default values it renders the
    /// same objects as `operator-manifests`.
    OperatorChart {
        /// The chart directory (created; stale generated files in it are removed).
        dir: std::path::PathBuf,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    ///
    /// bash: `neo4j-aks completions bash > ~/.local/share/bash-completion/completions/neo4j-aks`;
    /// zsh: write `_neo4j-aks` into a directory of your $fpath (docs/install.md).
    Completions { shell: clap_complete::Shell },
    /// Print the generated monitoring artifacts (alert rules, their promtool tests, the
    /// operator's ServiceMonitor, the Grafana dashboard, the Azure Monitor workbook); committed
    /// under deploy/monitoring/.
    #[command(subcommand)]
    Monitoring(monitoring::MonitoringCommand),
    /// Show a running cluster as the operator sees it (members, databases, operation in flight).
    ///
    /// Members with zone, readiness, Neo4j server state and health, roles per database and lag;
    /// databases with quorum and leader; the operation in flight, the planner's next step and the
    /// conditions that need attention. Reads the Neo4jCluster's status through the current kube
    /// context; values the operator does not know (Neo4j unreachable, say) show as `-` (`null`
    /// in JSON).
    Status(day2::StatusArgs),
    /// Change the member count; the operator does it, this command follows.
    ///
    /// The new count is checked against every rule of the spec first (nothing changes on an
    /// error). A scale-down removes the highest ordinals first, one member at a time
    /// (deallocate, drop, shrink), keeps their PVCs, never goes below 3 members and needs
    /// --yes. Ctrl-C stops following, not the operation; run the command again to follow it.
    ///
    /// Exit 0: done (or requested, with --no-wait); 1: error, or the operator refused or
    /// aborted; 2: refused before anything changed; 3: still in progress (timeout, Ctrl-C).
    Scale(day2::ScaleArgs),
    /// Restart every member once, one at a time; the operator does it, this command follows.
    ///
    /// Like `kubectl rollout restart`, keeping every database's quorum. Sets the annotation
    /// neo4j-aks.io/restart-requested-at; when a restart is already rolling it only follows that
    /// one. Exit codes as for `scale`.
    Restart(day2::RestartArgs),
    /// Replace one member with an empty one that Neo4j re-seeds from the other members.
    ///
    /// For a member whose disk was lost or whose store is damaged; the operator carries it out
    /// and this command follows it. Destructive for that member's copy, hence --yes; refused for
    /// a standalone server, a member that does not exist, or while another operation is in
    /// flight. Runbook: docs/runbooks/restore-member.md. Exit codes as for `scale`.
    Restore(day2::RestoreArgs),
    /// Azure infrastructure (deploy/azure/ Bicep): parameters from a spec, and `up` from an
    /// empty resource group to a running cluster (docs/azure.md).
    #[command(subcommand)]
    Azure(azure::AzureCommand),
    /// The generated TLS certificates: when they expire, and rotating them (docs/security/tls.md).
    #[command(subcommand)]
    Certs(certs::CertsCommand),
    /// Backups in Azure Blob: start one now, list them, prune by retention (docs/backup.md).
    Backup(backup_cmd::BackupArgs),
    /// The steps the backup CronJobs' pods run (select-source, fetch, upload, verify); each
    /// prints one JSON line and exits 0 on success, 1 on failure.
    BackupAgent(backup_agent::AgentArgs),
    /// Benchmark a cluster: write TPS and latency (HDR histogram), reads spread over the reader
    /// servers, replication lag, and the client's own CPU beside the numbers (docs/bench.md).
    ///
    /// Writes nodes labelled NeoAksBench (with this run's id) and deletes them at the end unless
    /// --keep. Failover time is not measured yet. Use -o json for every number and the
    /// parameters.
    Bench(bench::BenchArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Yaml,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
}

/// Exit code for a spec that cannot be rendered (clap uses 2 for bad flags, too).
const INVALID: u8 = 2;

/// Exit code of `diff` when differences were found (as `kubectl diff`).
const DIFFERENT: u8 = 1;
/// Exit code of `diff` when it failed (1 means "differences").
const DIFF_FAILED: u8 = 3;
/// Exit code of a day-2 command that stopped following an operation still in progress.
const UNFINISHED: u8 = 3;

/// The command line, named `kubectl neo4j` in help and errors when kubectl runs this binary as
/// its plugin (the binary's file name is kubectl-neo4j).
fn command_line() -> clap::Command {
    use clap::CommandFactory;
    let invoked = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let command = Cli::command();
    match invoked.as_deref() {
        Some(KUBECTL_PLUGIN) => command.bin_name("kubectl neo4j"),
        _ => command,
    }
}

fn main() -> ExitCode {
    use clap::FromArgMatches;
    let cli = match Cli::from_arg_matches(&command_line().get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let cli = match cli.command {
        Command::BackupAgent(args) => return ExitCode::from(backup_agent::run(args)),
        command => Cli { command },
    };
    if let Command::Diff { spec } = &cli.command {
        return match cluster::diff(spec) {
            Ok(false) => ExitCode::SUCCESS,
            Ok(true) => ExitCode::from(DIFFERENT),
            Err(Failure::Invalid(invalid)) => report_invalid(&invalid),
            Err(failure) => {
                let _ = report(failure);
                ExitCode::from(DIFF_FAILED)
            }
        };
    }
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(failure),
    }
}

fn report(failure: Failure) -> ExitCode {
    match failure {
        Failure::Invalid(invalid) => report_invalid(&invalid),
        Failure::Refused(message) => {
            eprintln!("refused: {message}");
            ExitCode::from(INVALID)
        }
        Failure::Unfinished(message) => {
            eprintln!("{message}");
            ExitCode::from(UNFINISHED)
        }
        other => {
            eprintln!("error: {other}");
            ExitCode::FAILURE
        }
    }
}

fn report_invalid(invalid: &Invalid) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    for problem in &invalid.problems {
        let _ = writeln!(stderr, "error: {problem}");
    }
    ExitCode::from(INVALID)
}

fn render(spec: &SpecArgs) -> Result<Rendered, Failure> {
    let cluster = spec.load()?;
    let rendered = neo4j_aks_render::render(&cluster)?;
    for warning in &rendered.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(rendered)
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Render { spec, output } => {
            let rendered = render(&spec)?;
            let text = match output {
                Format::Yaml => output::to_yaml(&rendered)
                    .map_err(|e| Failure::output("YAML")(e.to_string()))?,
                Format::Json => output::to_json_list(&rendered),
            };
            print(&text)
        }
        Command::Plan { spec, output } => {
            let rendered = render(&spec)?;
            let summary = plan::Summary::of(&rendered);
            let text = match output {
                PlanFormat::Text => summary.to_text(),
                PlanFormat::Json => summary.to_json(),
            };
            print(&text)
        }
        Command::Validate { spec } => {
            let rendered = render(&spec)?;
            eprintln!(
                "{} is valid: {} member(s), Neo4j {}",
                rendered.cluster.name,
                rendered.cluster.members.rendered(),
                rendered.cluster.version
            );
            Ok(())
        }
        Command::Crd => print(&crd::yaml().map_err(Failure::output("the CRD as YAML"))?),
        Command::Reference => print(&reference::markdown()),
        Command::Apply { spec } => cluster::apply(&spec),
        // Handled in main (its own exit codes).
        Command::Diff { spec } => cluster::diff(&spec).map(|_| ()),
        Command::Operator(args) => cluster::operator(args),
        Command::OperatorManifests => print(
            &neo4j_aks_ops::deploy::manifests()
                .map_err(Failure::output("the operator manifests"))?,
        ),
        Command::OperatorChart { dir } => {
            let written = operator_chart::write(&dir).map_err(Failure::output("the chart"))?;
            eprintln!("wrote {} files into {}", written.len(), dir.display());
            Ok(())
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Completions complete the `neo4j-aks` command (a name with a space, as `kubectl
            // neo4j`, is not a command a shell can register).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "neo4j-aks", &mut script);
            print(&String::from_utf8_lossy(&script))
        }
        Command::Monitoring(command) => print(&monitoring::run(&command)?),
        Command::Status(args) => day2::status(&args),
        Command::Scale(args) => day2::scale(&args),
        Command::Restart(args) => day2::restart(&args),
        Command::Restore(args) => day2::restore(&args),
        Command::Certs(command) => certs::run(&command),
        Command::Azure(command) => azure::run(command),
        Command::Backup(args) => backup_cmd::run(args),
        Command::Bench(args) => bench::run(&args),
        // Handled in main (its own exit codes and JSON result line).
        Command::BackupAgent(args) => {
            backup_agent::run(args);
            Ok(())
        }
    }
}

pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::output("to stdout")(e.to_string()))
}

#[cfg(test)]
#[path = "../build_commit.rs"]
mod build_commit;

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::build_commit::resolve;

    #[test]
    fn the_commit_comes_from_the_variable_then_git_then_unknown() {
        let git = || Some("abc123".to_string());
        assert_eq!(resolve(Some("def456\n".to_string()), git), "def456");
        assert_eq!(resolve(Some("  ".to_string()), git), "abc123");
        assert_eq!(resolve(None, git), "abc123");
        assert_eq!(resolve(None, || None), "unknown");
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
