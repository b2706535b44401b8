//! The operator: a kube-rs Controller over Neo4jCluster and everything it owns.
//!
//! reconcile = read the stored Neo4jCluster → validate → prepare (live state) → build (the
//! renderer) → apply → observe → status.
//! Invalid specs wait for the next change; errors are retried after a pause; events for every
//! change and every error go through one shared Recorder.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, ListParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;
use kube::runtime::finalizer::{self, finalizer};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Resource, ResourceExt};
use neo4j_aks_model::validate::DEFAULT_STORAGE_CLASS;
use neo4j_aks_model::validated::DeletionPolicy;
use neo4j_aks_model::{Invalid, Neo4jCluster, Neo4jClusterStatus, validate};
use neo4j_aks_render::labels::{CLUSTER_LABEL, MANAGED_BY};
use tracing::{info, warn};

use crate::FINALIZER;
use crate::apply::{Change, apply_with};
pub use crate::context::{CONTROLLER_NAME, Context, STATUS_FIELD_MANAGER, Settings};
use crate::context::{write_status, write_status_now};
use crate::day2::Day2;
use crate::error::ReconcileError;
use crate::observe::{observe_with, selector_string};
use crate::prepare::{owned_selector, prepare_with};
use crate::status::{Outcome, compute, is_settled};
use crate::stores::Stores;

/// Checks that the CRD is installed (the controller would otherwise retry silently forever).
pub async fn check_crd(ctx: &Context) -> Result<(), kube::Error> {
    ctx.api::<Neo4jCluster>()
        .list(&ListParams::default().limit(1))
        .await
        .map(|_| ())
}

/// Runs the controller until the stream ends (drop the future to stop it).
pub async fn run(ctx: Arc<Context>) {
    let to_cluster = |labels: &std::collections::BTreeMap<String, String>, ns: Option<String>| {
        labels.get(CLUSTER_LABEL).map(|name| {
            ObjectRef::<Neo4jCluster>::new(name).within(ns.as_deref().unwrap_or_default())
        })
    };
    // The clusters' own cache keeps no managedFields either (several managers write each
    // Neo4jCluster: its author, the status, the day-2 executor): see `stores::strip`.
    let (clusters, cluster_writer) = reflector::store();
    let cluster_stream = reflector::reflector(
        cluster_writer,
        watcher(ctx.api::<Neo4jCluster>(), watcher::Config::default())
            .default_backoff()
            .modify(crate::stores::strip),
    )
    .applied_objects();
    let mut controller = Controller::for_stream(cluster_stream, clusters);
    // One watch per kind both triggers reconciles and fills the cache the reconciles read
    // (crate::stores): every namespaced kind of the renderer's table is owned by its
    // Neo4jCluster, so a change to one (by anyone) reconciles the cluster; pods and claims
    // carry the cluster label.
    let (stores, streams) = Stores::new(&ctx.client, ctx.settings.namespace.as_deref());
    ctx.set_stores(stores);
    for (kind, stream) in streams.owned {
        controller = controller.owns_stream_with(stream, kind.resource());
    }
    controller
        .watches_stream(streams.pods, move |pod: Pod| {
            to_cluster(pod.labels(), pod.namespace())
        })
        .watches_stream(streams.claims, move |claim: PersistentVolumeClaim| {
            to_cluster(claim.labels(), claim.namespace())
        })
        // Polled only to fill the cache: a class is shared, and a change to it is seen at the
        // next reconcile of each cluster (as before it was cached).
        .watches_stream(streams.classes, |_: StorageClass| {
            None::<ObjectRef<Neo4jCluster>>
        })
        .with_config(
            kube::runtime::controller::Config::default()
                .concurrency(ctx.settings.concurrency)
                .debounce(ctx.settings.debounce),
        )
        .run(reconcile, error_policy, ctx.clone())
        .for_each(|result| async move {
            if let Err(e) = result {
                // Reconcile errors were logged and published already.
                tracing::debug!(error = %e, "controller");
            }
        })
        .await;
}

fn error_policy(cluster: Arc<Neo4jCluster>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    warn!(
        cluster = %cluster.name_any(),
        namespace = cluster.namespace().unwrap_or_default(),
        kind = error.kind(),
        error = %error,
        "reconcile failed"
    );
    Action::requeue(ctx.settings.error_requeue)
}

/// One reconcile; public so tests and `apply` can drive it directly.
pub async fn reconcile(
    cluster: Arc<Neo4jCluster>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let ns = cluster
        .namespace()
        .ok_or(ReconcileError::MissingMetadata("namespace"))?;
    let api: Api<Neo4jCluster> = Api::namespaced(ctx.client.clone(), &ns);
    let result = finalizer(&api, FINALIZER, cluster.clone(), |event| async {
        match event {
            finalizer::Event::Apply(c) => apply_cluster(&c, &ctx).await,
            finalizer::Event::Cleanup(c) => cleanup(&c, &ctx).await,
        }
    })
    .await;
    let result = match result {
        Ok(action) => Ok(action),
        Err(finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e)) => Err(e),
        // A reconcile that worked on a cached copy of an object already gone (404) or changed
        // meanwhile (the guarded finalizer patch fails its test, 422/409): nothing is wrong; the
        // watch brings the current object.
        Err(
            finalizer::Error::AddFinalizer(kube::Error::Api(s))
            | finalizer::Error::RemoveFinalizer(kube::Error::Api(s)),
        ) if matches!(s.code, 404 | 409 | 422) => Ok(Action::requeue(Duration::from_secs(1))),
        Err(other) => Err(ReconcileError::FinalizerFailed(other.to_string())),
    };
    ctx.metrics.observe_reconcile(started.elapsed());
    if let Err(e) = &result {
        ctx.metrics.error(e.kind());
        ctx.publish(&cluster, EventType::Warning, e.kind(), e.to_string())
            .await;
    }
    result
}

async fn reject(
    ctx: &Context,
    cluster: &Neo4jCluster,
    invalid: &Invalid,
) -> Result<Action, ReconcileError> {
    let status = compute(
        cluster.metadata.generation,
        cluster.status.as_ref(),
        None,
        Outcome::Invalid(invalid),
    );
    if write_status(ctx, cluster, &status).await? {
        // Only on the first sight of this spec: a quiet resync publishes nothing.
        ctx.publish(
            cluster,
            EventType::Warning,
            "InvalidSpec",
            invalid.to_string(),
        )
        .await;
        ctx.metrics.error("InvalidSpec");
    }
    ctx.metrics
        .set_phase(&key(cluster), status.phase.as_deref());
    Ok(Action::await_change())
}

/// What the health gauges report after this reconcile.
fn cluster_health(
    spec: &neo4j_aks_model::ValidatedCluster,
    observed: &crate::observe::Observed,
    day2: Option<&Day2>,
) -> crate::metrics::ClusterHealth {
    crate::metrics::ClusterHealth {
        members_desired: i64::from(spec.members.asked()),
        members_ready: i64::from(observed.ready_members()),
        neo4j: day2.map(|d| crate::metrics::Neo4jHealth::from_topology(d.topology.as_ref())),
        operation_in_progress: day2
            .is_some_and(|d| d.in_flight || d.operation.as_ref().is_some_and(Option::is_some)),
    }
}

fn key(cluster: &Neo4jCluster) -> String {
    format!(
        "{}/{}",
        cluster.namespace().unwrap_or_default(),
        cluster.name_any()
    )
}

/// The Neo4jCluster as stored, or `None` when the cached copy's object is gone or being deleted
/// (the watch brings what follows). The copy a reconcile is handed comes from the watch cache,
/// which may not hold this operator's last status write yet (the pod events of its own delete
/// can start the next reconcile first): deciding on it could repeat a recorded step or keep a
/// record the operator already replaced, and an older spec would render an older pod template.
async fn stored(
    ctx: &Context,
    cluster: &Neo4jCluster,
) -> Result<Option<Neo4jCluster>, ReconcileError> {
    let ns = cluster
        .namespace()
        .ok_or(ReconcileError::MissingMetadata("namespace"))?;
    let stored = Api::<Neo4jCluster>::namespaced(ctx.client.clone(), &ns)
        .get_opt(&cluster.name_any())
        .await
        .map_err(ReconcileError::ReadFailed)?;
    Ok(stored.filter(|s| {
        s.metadata.uid == cluster.metadata.uid && s.metadata.deletion_timestamp.is_none()
    }))
}

async fn apply_cluster(cached: &Neo4jCluster, ctx: &Context) -> Result<Action, ReconcileError> {
    let Some(stored) = stored(ctx, cached).await? else {
        return Ok(Action::requeue(Duration::from_secs(1)));
    };
    let cluster = &stored;
    let mut validated = match validate(cluster) {
        Ok(v) => v,
        Err(invalid) => return reject(ctx, cluster, &invalid).await,
    };
    let selector = selector_string(&validated);
    // A version change the members cannot take (a downgrade, 5.26 → 2025.x from an older
    // patch or without discovery v2) is refused before anything is applied.
    let stores = ctx.stores();
    match crate::upgrade::preflight(&ctx.client, stores.as_ref(), &validated).await {
        Ok(Ok(upgrade)) => crate::upgrade::mark(&mut validated, upgrade.as_ref()),
        Ok(Err(invalid)) => {
            reject(ctx, cluster, &invalid).await?;
            return Ok(Action::requeue(ctx.settings.error_requeue));
        }
        Err(e) => return Err(ReconcileError::ReadFailed(e)),
    }
    // prepare() renders the live member count during a scale-down; the planner needs the spec's.
    let spec = validated.clone();
    let owner = cluster
        .controller_owner_ref(&())
        .ok_or(ReconcileError::MissingMetadata("uid"))?;
    let prepared = match prepare_with(&ctx.client, stores.as_ref(), validated, Some(owner)).await {
        Ok(Ok(p)) => p,
        Ok(Err(invalid)) => {
            // Refused against the live state (a smaller disk, a user's TLS Secret that is
            // missing or unusable): nothing was applied. What fixes it may be another object
            // (the Secret is not watched), so look again after a pause.
            reject(ctx, cluster, &invalid).await?;
            return Ok(Action::requeue(ctx.settings.error_requeue));
        }
        Err(e) => {
            let status = compute(
                cluster.metadata.generation,
                cluster.status.as_ref(),
                Some(selector),
                Outcome::Failed {
                    kind: e.kind(),
                    message: e.to_string(),
                },
            );
            write_status(ctx, cluster, &status).await?;
            return Err(e.into());
        }
    };
    let (changes, error) = match apply_with(&ctx.client, stores.as_ref(), &prepared).await {
        Ok(changes) => (changes, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    publish_changes(ctx, cluster, &changes).await;
    // Nothing written: the StatefulSet prepare() just read is still what the server holds.
    let unchanged = (error.is_none() && changes.is_empty())
        .then(|| prepared.live_statefulset.clone())
        .flatten();
    let observed = observe_with(
        &ctx.client,
        stores.as_ref(),
        unchanged,
        &prepared.rendered.cluster,
    )
    .await?;
    let day2: Option<Day2> = match (&error, spec.is_cluster()) {
        (None, true) => Some(crate::day2::run(ctx, cluster, &spec, &observed).await),
        _ => None,
    };
    let mut status = compute(
        cluster.metadata.generation,
        cluster.status.as_ref(),
        Some(selector),
        Outcome::Applied {
            findings: &prepared.findings,
            changes: &changes,
            observed: &observed,
            error: error.as_ref().map(|e| (e.kind(), e.to_string())),
            day2: day2.as_ref().map(|d| (d, &spec)),
        },
    );
    status.upgrade = crate::upgrade::progress(&observed, &spec);
    crate::backup_status::update(ctx, cluster, &prepared.rendered.cluster, &mut status).await;
    let mut reload_pending = false;
    match crate::certificates::read_secret(&ctx.client, &prepared.rendered.cluster).await {
        Ok(secret) => {
            status.certificates =
                crate::certificates::inventory(&prepared.rendered.cluster, secret.as_ref());
            if let Some(certificates) = status.certificates.as_mut() {
                reload_pending = crate::member_tls::reconcile(
                    ctx,
                    &prepared.rendered.cluster,
                    &observed.pods,
                    secret.as_ref(),
                    certificates,
                )
                .await;
            }
        }
        // The last known expiry stays in the status; the next reconcile reads again.
        Err(e) => warn!(cluster = %cluster.name_any(), error = %e, "reading the TLS Secret failed"),
    }
    let seeding = if error.is_none() {
        crate::bootstrap::run(
            ctx,
            cluster,
            &spec,
            &observed,
            day2.as_ref(),
            prepared.findings.bootstrap_ignored,
        )
        .await
    } else {
        crate::bootstrap::keep(ctx, cluster).await
    };
    status.bootstrap = seeding.status;
    let acted = seeding.acted
        || day2
            .as_ref()
            .is_some_and(|d| d.executed.is_some() || d.failed.is_some());
    if acted {
        // The executor may have recorded a step mid-reconcile: the stored copy read at the start
        // is older than that record.
        write_status_now(ctx, cluster, &status).await?;
    } else {
        write_status(ctx, cluster, &status).await?;
    }
    publish_decision(ctx, cluster, &status, day2.as_ref()).await;
    ctx.metrics
        .set_phase(&key(cluster), status.phase.as_deref());
    ctx.metrics.health.record(
        &spec.namespace,
        &spec.name,
        &cluster_health(&spec, &observed, day2.as_ref()),
    );
    ctx.metrics
        .certificates
        .record(&spec.namespace, &spec.name, status.certificates.as_ref());
    if let Some(e) = error {
        return Err(e.into());
    }
    info!(
        cluster = %cluster.name_any(),
        namespace = cluster.namespace().unwrap_or_default(),
        phase = status.phase.as_deref().unwrap_or_default(),
        changes = changes.len(),
        "reconciled"
    );
    let day2_busy = day2.as_ref().is_some_and(Day2::busy)
        || status
            .bootstrap
            .as_ref()
            .is_some_and(crate::bootstrap::in_progress);
    Ok(Action::requeue(
        if is_settled(&status) && changes.is_empty() && !day2_busy && !reload_pending {
            ctx.settings.resync
        } else {
            ctx.settings.not_ready_requeue
        },
    ))
}

/// A warning event when the planner newly refuses or aborts (each decision once, not on every
/// resync); executed steps publish their own events.
async fn publish_decision(
    ctx: &Context,
    cluster: &Neo4jCluster,
    status: &Neo4jClusterStatus,
    day2: Option<&Day2>,
) {
    let Some(step) = day2.and_then(|d| d.step.as_ref()) else {
        return;
    };
    let reason = match step.action {
        neo4j_aks_topology::planner::Action::Refuse => "Refused",
        neo4j_aks_topology::planner::Action::Abort => "Aborted",
        _ => return,
    };
    let before = cluster.status.as_ref().and_then(|s| s.next_step.as_ref());
    let now = status.next_step.as_ref();
    if before.map(|b| (&b.action, &b.reason)) != now.map(|n| (&n.action, &n.reason)) {
        ctx.publish(cluster, EventType::Warning, reason, step.reason.clone())
            .await;
    }
}

/// One event per change, sent together: a new cluster's first reconcile has a dozen, and
/// waiting for each in turn made the reconcile twice as long.
async fn publish_changes(ctx: &Context, cluster: &Neo4jCluster, changes: &[Change]) {
    let events = changes.iter().map(|change| {
        info!(
            cluster = %cluster.name_any(),
            namespace = cluster.namespace().unwrap_or_default(),
            change = %change,
            "applied"
        );
        ctx.metrics.change(change.action.reason());
        let type_ = match change.action {
            crate::apply::Action::Conflict(_) => EventType::Warning,
            _ => EventType::Normal,
        };
        ctx.publish(cluster, type_, change.action.reason(), change.to_string())
    });
    futures::future::join_all(events).await;
}

/// The StorageClass name a cluster uses, even when its spec does not validate.
fn storage_class_of(cluster: &Neo4jCluster) -> (String, bool) {
    match validate(cluster) {
        Ok(v) => (v.storage.class_name, v.storage.create_storage_class),
        Err(_) => {
            let storage = cluster.spec.storage.as_ref();
            (
                storage
                    .and_then(|s| s.class_name.clone())
                    .unwrap_or_else(|| DEFAULT_STORAGE_CLASS.to_string()),
                storage.and_then(|s| s.create_storage_class).unwrap_or(true),
            )
        }
    }
}

fn cleanup_error(what: &str) -> impl FnOnce(kube::Error) -> ReconcileError + '_ {
    move |source| ReconcileError::CleanupFailed {
        what: what.to_string(),
        source,
    }
}

/// On deletion: owner references let the garbage collector remove every namespaced child;
/// this handles what it cannot: the claims (kept or deleted by deletionPolicy) and a
/// StorageClass no other Neo4jCluster uses.
async fn cleanup(cluster: &Neo4jCluster, ctx: &Context) -> Result<Action, ReconcileError> {
    let ns = cluster.namespace().unwrap_or_default();
    let name = cluster.name_any();
    let policy = match validate(cluster) {
        Ok(v) => v.deletion_policy,
        Err(_) if cluster.spec.deletion_policy.as_deref() == Some("Delete") => {
            DeletionPolicy::Delete
        }
        Err(_) => DeletionPolicy::Retain,
    };
    let claims_api: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), &ns);
    let claims: Vec<String> = claims_api
        .list(&ListParams::default().labels(&owned_selector(&name)))
        .await
        .map_err(cleanup_error("listing PersistentVolumeClaims"))?
        .items
        .into_iter()
        .filter(|c| c.metadata.deletion_timestamp.is_none())
        .filter_map(|c| c.metadata.name)
        .collect();
    if !claims.is_empty() {
        match policy {
            DeletionPolicy::Delete => {
                for claim in &claims {
                    match claims_api.delete(claim, &DeleteParams::background()).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(s)) if s.is_not_found() => {}
                        Err(e) => return Err(cleanup_error("deleting a PersistentVolumeClaim")(e)),
                    }
                }
                ctx.publish(
                    cluster,
                    EventType::Normal,
                    "PersistentVolumeClaimsDeleted",
                    format!("deletionPolicy Delete: deleted {}", claims.join(", ")),
                )
                .await;
            }
            DeletionPolicy::Retain => {
                ctx.publish(
                    cluster,
                    EventType::Normal,
                    "PersistentVolumeClaimsRetained",
                    format!(
                        "deletionPolicy Retain: kept {} (delete them to release the disks, or create the cluster again to reuse them)",
                        claims.join(", ")
                    ),
                )
                .await;
            }
        }
    }

    let (class, created) = storage_class_of(cluster);
    if created {
        let all: Api<Neo4jCluster> = Api::all(ctx.client.clone());
        let others = all
            .list(&ListParams::default())
            .await
            .map_err(cleanup_error("listing Neo4jClusters"))?;
        let in_use = others.items.iter().any(|other| {
            other.metadata.uid != cluster.metadata.uid
                && other.metadata.deletion_timestamp.is_none()
                && storage_class_of(other).0 == class
        });
        let classes: Api<StorageClass> = Api::all(ctx.client.clone());
        let ours = classes
            .get_opt(&class)
            .await
            .map_err(cleanup_error("reading the StorageClass"))?
            .is_some_and(|c| {
                c.labels()
                    .get(neo4j_aks_model::api::labels::MANAGED_BY)
                    .map(String::as_str)
                    == Some(MANAGED_BY)
            });
        if ours && !in_use {
            match classes.delete(&class, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.is_not_found() => {}
                Err(e) => return Err(cleanup_error("deleting the StorageClass")(e)),
            }
            ctx.publish(
                cluster,
                EventType::Normal,
                "StorageClassDeleted",
                format!("no other Neo4jCluster uses StorageClass {class}"),
            )
            .await;
        }
    }
    ctx.metrics.forget_cluster(
        &cluster.namespace().unwrap_or_default(),
        &cluster.name_any(),
    );
    Ok(Action::await_change())
}
