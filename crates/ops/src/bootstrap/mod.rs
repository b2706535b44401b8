//! Seeding a new cluster from a backup (`spec.bootstrap.fromBackup`,
//! docs/runbooks/restore-cluster.md). The members' seed init containers put one backup artifact
//! per database at `/seed/<db>.backup` before Neo4j starts (render::seed); once the cluster has
//! formed, this module decides and carries out, one step per reconcile:
//!
//! 1. wait until every member is Ready and Enabled, no day-2 operation runs, and every member's
//!    seed step reported the same restore point per database (a member that fetched another
//!    one would hold a different store: refused, nothing sent);
//! 2. per database, in the order of the spec: a database that does not exist is created from its
//!    seed (`CREATE DATABASE ... seedURI`); the default database, which a new cluster already
//!    has, is recreated from its seed (`dbms.cluster.recreateDatabase`) only while it holds no
//!    node; any other existing database is refused (bootstrap never replaces data);
//! 3. once online on every allocation, its node and relationship counts are compared with what
//!    the source held around the backup (the marker's range), and the database is `Seeded`;
//! 4. every database seeded: `Done`, for good.
//!
//! Stale copies: while seeding, every decision is taken on the Neo4jCluster as stored (one GET
//! per reconcile), not on the watch cache, which may not hold the last status write yet; an older
//! copy would send a statement again. Transitions are recorded before their event is published.
//!
//! Crash windows: a seed statement is recorded (`Requested`) *before* it is sent. Recorded but
//! not sent: a created database is absent, so CREATE is sent again (nothing to lose); a recreated
//! default database stays empty, its counts do not match the backup's, and after the grace time
//! the bootstrap is refused with that message (it never recreates a database twice by itself).
//!
//! The bootstrap acts only on a cluster that was created with it, which its StatefulSet shows:
//! the members of a cluster created with `spec.bootstrap` carry the seed containers. Added to a
//! cluster whose StatefulSet runs without them, `spec.bootstrap` is refused for good (prepare
//! does not render it, so no member restarts) and nothing is sent. Removed before `Done`, the
//! bootstrap is refused for good too.

mod decide;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::events::EventType;
use neo4j_aks_model::api::backup::GraphCounts;
use neo4j_aks_model::validated::Bootstrap;
use neo4j_aks_model::{BootstrapDatabaseStatus, BootstrapStatus, Neo4jCluster, ValidatedCluster};
use neo4j_aks_topology::planner::Action;
use neo4j_aks_topology::records::DatabaseRecord;
use tracing::{info, warn};

pub use decide::{
    DONE, Decision, MemberSeed, PENDING, REFUSED, REQUESTED, SEED_GRACE, SEEDED, SEEDING, View,
    decide,
};

use crate::context::Context;
use crate::day2::Day2;
use crate::neo4j::Admin;
use crate::observe::Observed;

/// The bootstrap status to record at this reconcile, and whether a statement was sent.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub status: Option<BootstrapStatus>,
    pub acted: bool,
}

impl Outcome {
    /// Nothing sent; `status` is what to record.
    fn status_only(status: Option<BootstrapStatus>) -> Self {
        Self {
            status,
            acted: false,
        }
    }
}

/// Why a bootstrap added to a running cluster is refused, for good.
pub const ADDED_TO_A_RUNNING_CLUSTER: &str = "spec.bootstrap was added to a cluster that already exists; it only seeds a new cluster. Nothing was changed: remove spec.bootstrap, or restore into a new Neo4jCluster";

/// The status a cluster starts with: `Pending` when the operator creates it with a bootstrap,
/// `Refused` when `spec.bootstrap` appears on a cluster that already runs.
pub fn initial_status(created_now: bool) -> BootstrapStatus {
    if created_now {
        BootstrapStatus {
            phase: PENDING.to_string(),
            ..BootstrapStatus::default()
        }
    } else {
        BootstrapStatus {
            phase: REFUSED.to_string(),
            message: Some(ADDED_TO_A_RUNNING_CLUSTER.to_string()),
            ..BootstrapStatus::default()
        }
    }
}

/// A refusal that no later reconcile reconsiders.
fn is_final_refusal(status: &BootstrapStatus) -> bool {
    status.phase == REFUSED
        && matches!(
            status.message.as_deref(),
            Some(ADDED_TO_A_RUNNING_CLUSTER | REMOVED_BEFORE_DONE)
        )
}

/// `Done` or refused for good: nothing is decided again.
fn finished(status: &BootstrapStatus) -> bool {
    status.phase == DONE || is_final_refusal(status)
}

/// Seeding is under way or waiting (requeue soon); `Done` and refusals wait for a change.
pub fn in_progress(status: &BootstrapStatus) -> bool {
    status.phase == PENDING || status.phase == SEEDING
}

/// Why seeding stopped when `spec.bootstrap` was removed before it finished.
pub const REMOVED_BEFORE_DONE: &str = "spec.bootstrap was removed before every database was seeded; nothing more is seeded. Databases already seeded stay as they are; restore the others with the manual runbook (docs/runbooks/restore-cluster.md)";

/// The bootstrap part of a reconcile. `ignored`: the cluster already ran without
/// `spec.bootstrap`, so its members were rendered without seed containers.
pub async fn run(
    ctx: &Context,
    cluster: &Neo4jCluster,
    spec: &ValidatedCluster,
    observed: &Observed,
    day2: Option<&Day2>,
    ignored: bool,
) -> Outcome {
    let recorded = cluster.status.as_ref().and_then(|s| s.bootstrap.clone());
    let (bootstrap, recorded) = match (&spec.bootstrap, recorded) {
        (None, Some(r)) if in_progress(&r) => {
            return Outcome::status_only(Some(BootstrapStatus {
                phase: REFUSED.to_string(),
                message: Some(REMOVED_BEFORE_DONE.to_string()),
                ..r
            }));
        }
        // Removing spec.bootstrap keeps the record of what was seeded.
        (None, recorded) => {
            return Outcome::status_only(recorded);
        }
        (Some(_), None) => {
            if ignored {
                ctx.publish(
                    cluster,
                    EventType::Warning,
                    "BootstrapRefused",
                    ADDED_TO_A_RUNNING_CLUSTER.to_string(),
                )
                .await;
            }
            return Outcome::status_only(Some(initial_status(!ignored)));
        }
        (Some(bootstrap), Some(recorded)) => (bootstrap, recorded),
    };
    if finished(&recorded) {
        return Outcome::status_only(Some(recorded));
    }
    let Some(stored) = stored(ctx, cluster).await else {
        return Outcome::status_only(Some(recorded));
    };
    let cluster = &stored;
    let recorded = cluster
        .status
        .as_ref()
        .and_then(|s| s.bootstrap.clone())
        .unwrap_or(recorded);
    if finished(&recorded) {
        return Outcome::status_only(Some(recorded));
    }
    let (unsettled, admin) = settled(spec, observed, day2);
    let seeds: BTreeMap<u32, MemberSeed> = observed
        .seed_messages
        .iter()
        .map(|(ordinal, message)| (*ordinal, MemberSeed::parse(message)))
        .collect();
    let databases: Vec<DatabaseRecord> = day2.map(|d| d.databases.clone()).unwrap_or_default();
    let counts = match (&admin, &unsettled) {
        (Some(admin), None) => count_online(admin.as_ref(), bootstrap, &databases).await,
        _ => BTreeMap::new(),
    };
    let clustering = spec.clustering.as_ref();
    let view = View {
        wanted: &bootstrap.databases,
        members: u32::try_from(spec.members.rendered()).unwrap_or(0),
        unsettled,
        seeds: &seeds,
        databases: &databases,
        counts: &counts,
        recorded: &recorded,
        primaries: clustering.map_or(1, |c| u32::try_from(c.primaries).unwrap_or(1)),
        secondaries: clustering.map_or(0, |c| u32::try_from(c.secondaries).unwrap_or(0)),
        now: Timestamp::now(),
    };
    let decision = decide(&view);
    carry_out(ctx, cluster, admin, recorded, decision).await
}

/// The Neo4jCluster as stored. The watch cache may not hold this operator's last status write
/// yet: a seed statement, an event or a transition is decided on the stored status, never on an
/// older copy of it.
async fn stored(ctx: &Context, cluster: &Neo4jCluster) -> Option<Neo4jCluster> {
    let api = Api::<Neo4jCluster>::namespaced(
        ctx.client.clone(),
        &cluster.namespace().unwrap_or_default(),
    );
    match api.get(&cluster.name_any()).await {
        Ok(stored) => Some(stored),
        Err(e) => {
            warn!(cluster = %cluster.name_any(), error = %e, "cannot read the stored bootstrap status; seeding waits");
            None
        }
    }
}

/// The bootstrap status to write back from a reconcile that did not get to seeding (an apply
/// error): the stored one while seeding is under way, so that an older copy never replaces it.
pub async fn keep(ctx: &Context, cluster: &Neo4jCluster) -> Outcome {
    let cached = cluster.status.as_ref().and_then(|s| s.bootstrap.clone());
    let status = match &cached {
        Some(b) if in_progress(b) => stored(ctx, cluster)
            .await
            .and_then(|c| c.status.and_then(|s| s.bootstrap))
            .or(cached),
        _ => cached,
    };
    Outcome::status_only(status)
}

/// Why seeding must wait, and the admin connection the day-2 part opened.
fn settled(
    spec: &ValidatedCluster,
    observed: &Observed,
    day2: Option<&Day2>,
) -> (Option<String>, Option<Arc<dyn Admin>>) {
    let Some(day2) = day2 else {
        return (Some("Neo4j has not been asked yet".to_string()), None);
    };
    if let Some(why) = &day2.unreachable {
        return (Some(format!("Neo4j is not reachable: {why}")), None);
    }
    let ready = observed.pods.iter().filter(|p| p.ready).count();
    if ready < usize::try_from(spec.members.rendered()).unwrap_or(usize::MAX) {
        return (
            Some(format!(
                "{ready} of {} members are Ready",
                spec.members.rendered()
            )),
            day2.admin.clone(),
        );
    }
    match day2.step.as_ref().map(|s| &s.action) {
        Some(Action::Done) => (None, day2.admin.clone()),
        Some(_) => (
            Some(format!(
                "the cluster is not settled yet: {}",
                day2.step
                    .as_ref()
                    .map(|s| s.reason.as_str())
                    .unwrap_or_default()
            )),
            day2.admin.clone(),
        ),
        None => (Some("Neo4j has not been asked yet".to_string()), None),
    }
}

/// Counts of the wanted databases that are online on every allocation.
async fn count_online(
    admin: &dyn Admin,
    bootstrap: &Bootstrap,
    databases: &[DatabaseRecord],
) -> BTreeMap<String, GraphCounts> {
    let mut counts = BTreeMap::new();
    for database in &bootstrap.databases {
        let rows: Vec<&DatabaseRecord> = databases.iter().filter(|r| &r.name == database).collect();
        if rows.is_empty() || rows.iter().any(|r| !r.is_online()) {
            continue;
        }
        match admin.count_graph(database).await {
            Ok(size) => {
                counts.insert(
                    database.clone(),
                    GraphCounts {
                        nodes: size.nodes,
                        relationships: size.relationships,
                    },
                );
            }
            Err(e) => warn!(database = %database, error = %e, "cannot count a seeded database"),
        }
    }
    counts
}

async fn carry_out(
    ctx: &Context,
    cluster: &Neo4jCluster,
    admin: Option<Arc<dyn Admin>>,
    mut status: BootstrapStatus,
    decision: Decision,
) -> Outcome {
    let now = Timestamp::now();
    match decision {
        Decision::Wait(why) => {
            status.message = Some(why);
            if status.phase == REFUSED {
                status.phase = if status.databases.is_empty() {
                    PENDING
                } else {
                    SEEDING
                }
                .to_string();
            }
            Outcome::status_only(Some(status))
        }
        Decision::Refuse(why) => {
            if status.phase != REFUSED || status.message.as_deref() != Some(why.as_str()) {
                ctx.publish(cluster, EventType::Warning, "BootstrapRefused", why.clone())
                    .await;
            }
            status.phase = REFUSED.to_string();
            status.message = Some(why);
            Outcome::status_only(Some(status))
        }
        Decision::Seeded { database, counts } => {
            let before = status.clone();
            if let Some(entry) = status.databases.iter_mut().find(|d| d.name == database) {
                entry.state = SEEDED.to_string();
                entry.nodes = i64::try_from(counts.nodes).ok();
                entry.relationships = i64::try_from(counts.relationships).ok();
            }
            let message = format!(
                "{database} seeded: {} nodes, {} relationships, as the backup recorded",
                counts.nodes, counts.relationships
            );
            status.phase = SEEDING.to_string();
            status.message = Some(message.clone());
            announce(ctx, cluster, before, status, "DatabaseSeeded", message).await
        }
        Decision::Done => {
            if status.phase == DONE {
                return Outcome::status_only(Some(status));
            }
            let before = status.clone();
            let message = format!(
                "every database seeded: {}",
                status
                    .databases
                    .iter()
                    .map(|d| format!("{} from {}", d.name, d.artifact))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            status.phase = DONE.to_string();
            status.message = Some(message.clone());
            status.completed_at = Some(now.to_string());
            announce(ctx, cluster, before, status, "BootstrapDone", message).await
        }
        Decision::Create {
            database,
            artifact,
            seed_uri,
            primaries,
            secondaries,
        } => {
            let Some(admin) = admin else {
                return Outcome::status_only(Some(status));
            };
            let statement =
                admin.create_database_from_seed(&database, &seed_uri, primaries, secondaries);
            send(ctx, cluster, status, &database, &artifact, now, statement).await
        }
        Decision::Recreate {
            database,
            artifact,
            seed_uri,
        } => {
            let Some(admin) = admin else {
                return Outcome::status_only(Some(status));
            };
            let statement = admin.recreate_database_from_seed(&database, &seed_uri);
            send(ctx, cluster, status, &database, &artifact, now, statement).await
        }
    }
}

/// Writes `status` as the stored bootstrap status now (the rest of the status as stored).
async fn record(
    ctx: &Context,
    cluster: &Neo4jCluster,
    status: &BootstrapStatus,
) -> Result<(), crate::error::ReconcileError> {
    let mut whole = cluster.status.clone().unwrap_or_default();
    whole.bootstrap = Some(status.clone());
    crate::context::write_status_now(ctx, cluster, &whole).await
}

/// Records a transition, then publishes its event: the next reconcile sees it recorded, so the
/// event is never published twice (an operator stopped in between loses it; the status keeps the
/// transition). A transition that cannot be recorded publishes nothing and is tried again.
async fn announce(
    ctx: &Context,
    cluster: &Neo4jCluster,
    before: BootstrapStatus,
    after: BootstrapStatus,
    reason: &str,
    message: String,
) -> Outcome {
    if let Err(e) = record(ctx, cluster, &after).await {
        warn!(cluster = %cluster.name_any(), error = %e, reason, "recording the bootstrap status failed");
        return Outcome::status_only(Some(before));
    }
    ctx.publish(cluster, EventType::Normal, reason, message)
        .await;
    Outcome {
        status: Some(after),
        acted: true,
    }
}

/// Records the seed statement as `Requested`, then sends it.
async fn send(
    ctx: &Context,
    cluster: &Neo4jCluster,
    mut status: BootstrapStatus,
    database: &str,
    artifact: &str,
    now: Timestamp,
    statement: impl Future<Output = Result<(), neo4j_aks_topology::ClientError>>,
) -> Outcome {
    let entry = BootstrapDatabaseStatus {
        name: database.to_string(),
        artifact: artifact.to_string(),
        state: REQUESTED.to_string(),
        requested_at: now.to_string(),
        nodes: None,
        relationships: None,
    };
    match status.databases.iter_mut().find(|d| d.name == database) {
        Some(existing) => *existing = entry,
        None => status.databases.push(entry),
    }
    status.phase = SEEDING.to_string();
    status.message = Some(format!("seeding {database} from {artifact}"));
    if let Err(e) = record(ctx, cluster, &status).await {
        warn!(database, error = %e, "not sent: recording the seed step failed");
        return Outcome::status_only(cluster.status.as_ref().and_then(|s| s.bootstrap.clone()));
    }
    match statement.await {
        Ok(()) => {
            info!(cluster = %cluster.name_any(), database, artifact, "seed statement sent");
            ctx.publish(
                cluster,
                EventType::Normal,
                "SeedingDatabase",
                format!("seeding {database} from backup {artifact}"),
            )
            .await;
        }
        Err(e) => {
            let message = format!("seeding {database} failed: {e}");
            if !e.is_transient() {
                // Neo4j refused it, so nothing happened: the next reconcile tries again. After a
                // timeout it may have happened, and the entry stays.
                status.databases.retain(|d| d.name != database);
            }
            warn!(cluster = %cluster.name_any(), database, error = %e, "seed statement failed");
            ctx.publish(cluster, EventType::Warning, "SeedFailed", message.clone())
                .await;
            status.message = Some(message);
        }
    }
    Outcome {
        status: Some(status),
        acted: true,
    }
}
