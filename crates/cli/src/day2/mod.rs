//! Day-2 commands: `status`, `scale`, `restart`, `restore --member`.
//!
//! The operator is the only executor of day-2 steps: these commands write intent into the
//! Neo4jCluster (spec.nodeCount and annotations) and then follow `status.operation`,
//! `status.nextStep` and the conditions. Ctrl-C stops following, never the operation; running
//! the same command again follows it again (docs/day2/README.md).

pub mod follow;
pub mod restart;
pub mod restore;
pub mod scale;
pub mod view;

#[cfg(test)]
pub(crate) mod fixtures;

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures::StreamExt;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use neo4j_aks_model::Neo4jCluster;

use crate::Failure;
use follow::{Follower, Goal, Outcome};
use restart::RestartRequest;
use restore::RestoreRequest;
use view::StatusView;

// The operator's planner reads these (docs/day2/README.md, "Annotations").
pub use neo4j_aks_topology::planner::{
    CONFIRM_SCALE_DOWN_ANNOTATION, REPLACE_MEMBER_ANNOTATION, RESTART_REQUESTED_ANNOTATION,
};

/// Field manager of every write these commands make.
pub use neo4j_aks_model::api::managers::CLI as FIELD_MANAGER;

#[derive(Args, Clone, Debug)]
pub struct Target {
    /// Name of the Neo4jCluster.
    pub name: String,
    /// Namespace of the Neo4jCluster (default: the kube context's namespace).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
}

impl Target {
    /// `NAME [-n NAMESPACE]`, for the commands this one suggests.
    pub(crate) fn shown(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} -n {ns}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Args, Clone, Debug)]
pub struct Following {
    /// Follow the operation until it finishes (the default).
    #[arg(long, conflicts_with = "no_wait")]
    pub wait: bool,
    /// Write the request and return; follow later by running the same command again.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to follow before giving up (the operation goes on): `90s`, `30m`, `1h 30m`.
    #[arg(long, default_value = "30m", value_parser = parse_timeout)]
    pub timeout: Duration,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let signed: SignedDuration = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 90s, 30m or 1h 30m: {e}"))?;
    Duration::try_from(signed).map_err(|_| format!("{text:?}: a timeout cannot be negative"))
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

#[derive(Args, Clone, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: Target,
    /// `table` for people; `json` is a stable document for scripts (docs/day2/status.md).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = StatusFormat::Table)]
    pub output: StatusFormat,
}

#[derive(Args, Clone, Debug)]
pub struct ScaleArgs {
    #[command(flatten)]
    pub target: Target,
    /// The new member count: 1 (standalone) or 3 to 10.
    #[arg(long, value_name = "N")]
    pub nodes: i32,
    /// Confirm a scale-down (members are removed; their PVCs are kept).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub following: Following,
}

#[derive(Args, Clone, Debug)]
pub struct RestartArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub following: Following,
}

#[derive(Args, Clone, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub target: Target,
    /// Ordinal of the member to replace (the N of pod NAME-N).
    #[arg(long, value_name = "ORDINAL", value_parser = clap::value_parser!(i32).range(0..))]
    pub member: i32,
    /// Confirm: the member's copy of every database is deleted and re-seeded from the others.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub following: Following,
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::Runtime)
}

async fn api(target: &Target) -> Result<Api<Neo4jCluster>, Failure> {
    client_and_api(target).await.map(|(_, _, api)| api)
}

/// The kube client, the target's namespace and its Neo4jCluster API.
pub(crate) async fn client_and_api(
    target: &Target,
) -> Result<(Client, String, Api<Neo4jCluster>), Failure> {
    let client: Client = crate::cluster::client().await?;
    let namespace = target
        .namespace
        .clone()
        .unwrap_or_else(|| client.default_namespace().to_string());
    let api = Api::namespaced(client.clone(), &namespace);
    Ok((client, namespace, api))
}

pub(crate) async fn fetch(
    api: &Api<Neo4jCluster>,
    target: &Target,
) -> Result<Neo4jCluster, Failure> {
    let name = &target.name;
    api.get_opt(name)
        .await
        .map_err(Failure::kubernetes(format!("cannot read Neo4jCluster {name}")))?
        .ok_or_else(|| {
            Failure::NotFound(format!(
                "no Neo4jCluster {name} in this namespace (pick another with -n; is the CRD installed?)"
            ))
        })
}

pub(crate) async fn write(
    api: &Api<Neo4jCluster>,
    name: &str,
    patch: &serde_json::Value,
) -> Result<Neo4jCluster, Failure> {
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    api.patch(name, &params, &Patch::Merge(patch))
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) if s.code == 409 => Failure::Conflict(name.to_string()),
            e => Failure::kubernetes(format!("cannot update Neo4jCluster {name}"))(e),
        })
}

/// Seconds precision, like the times the operator writes, so "decided after the request"
/// compares like with like.
pub(crate) fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

/// Prints each change of the status once until the goal is reached, the operator refuses or
/// aborts, the timeout passes or the user presses Ctrl-C.
async fn follow(
    api: &Api<Neo4jCluster>,
    target: &Target,
    goal: Goal,
    timeout: Duration,
) -> Result<(), Failure> {
    let name = &target.name;
    let mut follower = Follower::new(goal);
    let started = Instant::now();
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher(api.clone(), config).default_backoff().boxed();
    let deadline = tokio::time::sleep(timeout);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(deadline, interrupted);
    let again = format!(
        "the operator carries on; run the same command again to follow it, or `neo4j-aks status {}`",
        target.shown()
    );
    loop {
        let event = tokio::select! {
            _ = &mut interrupted => {
                return Err(Failure::Unfinished(format!("interrupted: stopped following; {again}")));
            }
            () = &mut deadline => {
                return Err(Failure::Unfinished(format!(
                    "still in progress after {}s; {again}",
                    timeout.as_secs()
                )));
            }
            event = events.next() => event,
        };
        let cluster = match event {
            None => return Err(Failure::WatchEnded(name.clone())),
            Some(Err(e)) => {
                eprintln!("warning: watching {name}: {e}; retrying");
                continue;
            }
            Some(Ok(watcher::Event::Delete(_))) => {
                return Err(Failure::Deleted(name.clone()));
            }
            Some(Ok(watcher::Event::Apply(c) | watcher::Event::InitApply(c))) => c,
            Some(Ok(watcher::Event::Init | watcher::Event::InitDone)) => continue,
        };
        let observation = follower.observe(&cluster);
        for line in &observation.lines {
            println!("[{:>5}s] {line}", started.elapsed().as_secs());
        }
        match observation.outcome {
            None => {}
            Some(Outcome::Reached(message)) => {
                println!("done: {message}");
                return Ok(());
            }
            Some(Outcome::Refused(message)) => {
                return Err(Failure::OperatorRefused(message));
            }
            Some(Outcome::Aborted(message)) => {
                return Err(Failure::OperatorAborted(message));
            }
        }
    }
}

/// `neo4j-aks status NAME`.
pub fn status(args: &StatusArgs) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let api = api(&args.target).await?;
        let cluster = fetch(&api, &args.target).await?;
        let view = StatusView::of(&cluster);
        let text = match args.output {
            StatusFormat::Table => view.to_table(),
            StatusFormat::Json => view.to_json(),
        };
        crate::print(&text)
    })
}

/// `neo4j-aks scale NAME --nodes N`.
pub fn scale(args: &ScaleArgs) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let name = &args.target.name;
        let api = api(&args.target).await?;
        let cluster = fetch(&api, &args.target).await?;
        let request = scale::decide(&cluster, args.nodes)?;
        for warning in &request.warnings {
            eprintln!("warning: {warning}");
        }
        if request.is_scale_down() && !args.yes {
            eprint!("{}", request.explain(name));
            return Err(Failure::Refused(
                "nothing was changed: a scale-down needs --yes".to_string(),
            ));
        }
        let cluster = if request.already_written(&cluster) {
            println!("{name} already asks for {} members", args.nodes);
            cluster
        } else {
            let written = write(
                &api,
                name,
                &request.patch(cluster.resource_version().as_deref()),
            )
            .await?;
            println!(
                "{name}: nodeCount {} -> {}{}",
                request.current,
                request.target,
                if request.is_scale_down() {
                    " (scale-down confirmed)"
                } else {
                    ""
                }
            );
            written
        };
        if args.following.no_wait {
            println!(
                "the operator carries it out; follow with `neo4j-aks status {}`",
                args.target.shown()
            );
            return Ok(());
        }
        let goal = Goal::Scale {
            members: args.nodes,
            generation: cluster.metadata.generation.unwrap_or(0),
        };
        follow(&api, &args.target, goal, args.following.timeout).await
    })
}

/// `neo4j-aks restart NAME`.
pub fn restart(args: &RestartArgs) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let name = &args.target.name;
        let api = api(&args.target).await?;
        let cluster = fetch(&api, &args.target).await?;
        let requested_at = match restart::decide(&cluster, now()) {
            RestartRequest::Resume { requested_at } => {
                println!("{name}: a rolling restart is in flight; following it");
                requested_at
            }
            RestartRequest::New { at } => {
                write(&api, name, &restart::patch(at)).await?;
                println!(
                    "{name}: rolling restart requested at {}",
                    restart::stamp(at)
                );
                Some(at)
            }
        };
        if args.following.no_wait {
            println!(
                "the operator restarts one member at a time; follow with `neo4j-aks status {}`",
                args.target.shown()
            );
            return Ok(());
        }
        let goal = Goal::Restart { requested_at };
        follow(&api, &args.target, goal, args.following.timeout).await
    })
}

/// `neo4j-aks restore NAME --member I --yes`.
pub fn restore(args: &RestoreArgs) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let name = &args.target.name;
        let ordinal = args.member;
        let api = api(&args.target).await?;
        let cluster = fetch(&api, &args.target).await?;
        let decision = restore::decide(&cluster, ordinal)
            .map_err(|refusal| Failure::Refused(format!("nothing was changed: {}", refusal.0)))?;
        let requested_at = match decision {
            RestoreRequest::Resume => {
                println!("{name}: the replacement of member {ordinal} is in flight; following it");
                None
            }
            RestoreRequest::New if !args.yes => {
                eprint!("{}", restore::explain(name, ordinal));
                return Err(Failure::Refused(
                    "nothing was changed: replacing a member needs --yes".to_string(),
                ));
            }
            RestoreRequest::New => {
                let at = now();
                let patch = restore::patch(ordinal, cluster.resource_version().as_deref());
                write(&api, name, &patch).await?;
                println!("{name}: replacement of member {ordinal} requested");
                Some(at)
            }
        };
        if args.following.no_wait {
            println!("follow with `neo4j-aks status {}`", args.target.shown());
            return Ok(());
        }
        let goal = Goal::ReplaceMember {
            ordinal,
            requested_at,
        };
        follow(&api, &args.target, goal, args.following.timeout).await
    })
}

#[cfg(test)]
mod tests {
    use super::parse_timeout;
    use std::time::Duration;

    #[test]
    fn timeouts_read_like_people_write_them() {
        assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_timeout("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_timeout("soon").is_err_and(|e| e.contains("90s, 30m or 1h 30m")));
        assert!(parse_timeout("-5s").is_err_and(|e| e.contains("cannot be negative")));
    }
}
