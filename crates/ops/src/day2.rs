//! The day-2 executor: each reconcile, after apply and observe, look at Neo4j (SHOW SERVERS,
//! SHOW DATABASES), ask the pure planner for the one next safe step, carry it out, and record
//! the progress in the status so a restarted operator resumes instead of repeating it.
//!
//! Crash windows (the operator may stop between any two lines):
//! * Cordon (`CALL dbms.cluster.cordonServer`, the first step of a member replacement): recorded
//!   *before* it is sent (phase `Cordoned`), after re-reading the Neo4jCluster so a stale cached
//!   annotation never starts a replacement. Recorded but not sent → the server still shows
//!   `Enabled` and the planner sends it. Sent → `Cordoned`, and the record says the cordon is
//!   ours: a withdrawn request is undone with `ENABLE SERVER` (recorded after; sent but not
//!   recorded → the server is `Enabled` again and the record is cleared). Recording after would
//!   leave a cordon the operator cannot tell from one a person set.
//! * `DEALLOCATE`, `ENABLE`, `ALTER … SET TOPOLOGY`: recorded after they were sent. Sent but not
//!   recorded → the next observation shows the server `Deallocating`/`Deallocated` (or enabled,
//!   or the new topology) and the planner continues from that, also when the record still says
//!   `Cordoned` (it never sends a second DEALLOCATE then, and a withdrawal is refused, not
//!   undone); if a stale read still shows `Enabled`/`Cordoned`, sending the same DEALLOCATE again
//!   moves nothing new. A replacement's DEALLOCATE is sent only after re-reading the annotation.
//! * `DROP SERVER`: recorded *before* it is sent (phase `Dropped`). Recorded but not sent → the
//!   server still shows `Deallocated` (or, for a lost server, `Deallocating` and unavailable with
//!   its databases moved) and the planner sends it. Sent → the server shows `Dropped` or has left
//!   SHOW SERVERS, and with the recorded phase the planner knows it is gone and shrinks (or
//!   recreates the member). (Recording after would leave "not listed" ambiguous.)
//! * Shrinking the StatefulSet: after. Sent but not recorded → the recorded member is no longer
//!   below `replicas`, which the planner reads as "this removal is complete".
//! * Restarting a member (deleting its pod): before, with the uid of the pod instance the planner
//!   saw on the old revision; the delete carries that uid as a precondition. Recorded but not
//!   deleted → that instance is still listed and not terminating: the restart never started and
//!   the planner decides it again, with every gate. Deleted → the instance is terminating, gone,
//!   or replaced by one with another uid: the planner waits for that member to come back and
//!   never plans its pod's delete again. A delete that reaches the apiserver after the pod was
//!   recreated (a stale observation, a second operator) names the old uid and is refused (409):
//!   only the observed instance can ever be deleted, never its successor.
//! * Replacing a member (deleting its pod and claim): before (phase `Recreating`). Recorded but
//!   not done → the member still runs the dropped server, which holds nothing, so deleting again
//!   loses nothing. The pod is deleted with the uid this reconcile observed as a precondition,
//!   and nothing is deleted while no instance is observed (its pod is already terminating). The
//!   annotation is removed last; removed but not recorded → the planner sees the new server up
//!   and finishes again (removing an absent annotation is a no-op).
//!
//! Stale copies: every reconcile decides on the Neo4jCluster as stored (controller.rs reads it
//! at the start), so the recorded operation and the spec the StatefulSet is rendered from are
//! the latest ones, never an older watch-cache copy without this operator's last record.
//!
//! Neo4j unreachable (no member Ready, no Secret, DNS, timeouts): ClusterFormed=Unknown with the
//! reason, nothing destructive, the recorded operation kept, and a requeue.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret};
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::events::EventType;
use neo4j_aks_model::operation::REPLACE_MEMBER_ANNOTATION;
use neo4j_aks_model::validated::TlsScope;
use neo4j_aks_model::{Neo4jCluster, ValidatedCluster};
use neo4j_aks_topology::Credentials;
use neo4j_aks_topology::observed::{ObservedTopology, member_identities};
use neo4j_aks_topology::planner::{
    Action, Confirmation, Desired, Operation, Progress, ReplacePhase, Step, plan,
    replace_member_from_annotations, scale_down_refusal,
};
use neo4j_aks_topology::records::DatabaseRecord;
use serde_json::json;
use tracing::{info, warn};

use crate::context::Context;
use crate::error::Day2Error;
use crate::neo4j::{Admin, Target};
use crate::observe::{Observed, desired_revision};

/// Field manager of the day-2 executor's own writes (replicas of a shrink, the annotation).
pub use neo4j_aks_model::api::managers::DAY2 as DAY2_FIELD_MANAGER;
/// How many member hosts one reconcile tries before calling Neo4j unreachable.
const HOSTS_TRIED: usize = 2;

/// What the day-2 part of a reconcile found and did, for the status.
#[derive(Clone)]
pub struct Day2 {
    /// Neo4j's view, when it answered.
    pub topology: Option<ObservedTopology>,
    /// The connection that answered, for the bootstrap's statements in the same reconcile.
    pub admin: Option<Arc<dyn Admin>>,
    /// SHOW DATABASES as Neo4j answered it.
    pub databases: Vec<DatabaseRecord>,
    /// Why Neo4j could not be asked (ClusterFormed=Unknown).
    pub unreachable: Option<Arc<Day2Error>>,
    /// The planner's decision (absent when Neo4j was not reachable).
    pub step: Option<Step>,
    /// The operation to record: `None` keeps what the status says.
    pub operation: Option<Option<Operation>>,
    /// A step that was carried out.
    pub executed: Option<Step>,
    /// A step that failed, and why.
    pub failed: Option<(&'static str, Arc<Day2Error>)>,
    /// `(spec nodeCount, live replicas)` when the spec asks for fewer members than run.
    pub scale_down: Option<(u32, u32)>,
    /// Why a scale-down cannot go ahead even before asking Neo4j (confirmation, below 3, ...).
    pub scale_down_refused: Option<String>,
    /// Members whose pods run an older revision than the StatefulSet's.
    pub stale_members: Vec<u32>,
    /// The status records an operation in flight.
    pub in_flight: bool,
}

impl Day2 {
    pub(crate) fn new() -> Self {
        Day2 {
            topology: None,
            admin: None,
            databases: Vec::new(),
            unreachable: None,
            step: None,
            operation: None,
            executed: None,
            failed: None,
            scale_down: None,
            scale_down_refused: None,
            stale_members: Vec::new(),
            in_flight: false,
        }
    }

    /// More to do soon (requeue quickly): a step that is not `Done`; or, while Neo4j cannot be
    /// asked, work waiting for it (an operation in flight, a pending scale-down, members on an
    /// old revision). A converged cluster the operator cannot reach waits for the normal resync
    /// instead of polling Neo4j every few seconds.
    pub fn busy(&self) -> bool {
        if self.unreachable.is_some() {
            return self.in_flight || self.scale_down.is_some() || !self.stale_members.is_empty();
        }
        // A step that failed for a passing reason is tried again soon.
        if self.failed.as_ref().is_some_and(|(_, e)| e.is_transient()) {
            return true;
        }
        // Refuse and Abort wait for a person, whose change (spec, annotation) triggers a
        // reconcile anyway.
        self.step
            .as_ref()
            .is_some_and(|s| !matches!(s.action, Action::Done | Action::Refuse | Action::Abort))
    }
}

fn now_secs() -> i64 {
    Timestamp::now().as_second()
}

fn recorded_progress(cluster: &Neo4jCluster) -> Result<Progress, String> {
    let Some(status) = cluster.status.as_ref().and_then(|s| s.operation.as_ref()) else {
        return Ok(Progress::default());
    };
    Operation::from_status(status)
        .map(|operation| Progress {
            operation: Some(operation),
        })
        .map_err(|e| e.to_string())
}

pub(crate) async fn credentials(
    ctx: &Context,
    spec: &ValidatedCluster,
) -> Result<Credentials, Day2Error> {
    let name = spec.password.secret_name();
    let problem = |problem: String| Day2Error::Credentials {
        secret: name.to_owned(),
        problem,
    };
    let cached = ctx
        .stores()
        .and_then(|s| s.secret(&spec.namespace, name))
        .filter(|s| {
            s.data
                .as_ref()
                .is_some_and(|d| d.contains_key(spec.password.key()))
        });
    let secret = match cached {
        Some(cached) => Some(cached),
        None => Api::<Secret>::namespaced(ctx.client.clone(), &spec.namespace)
            .get_opt(name)
            .await
            .map_err(|source| Day2Error::SecretUnreadable {
                secret: name.to_owned(),
                source,
            })?,
    }
    .ok_or_else(|| {
            problem(if spec.password.key_vault().is_some() {
                // The driver writes the Secret when a member pod mounts the Key Vault volume.
                "credentials not available yet: the Secrets Store CSI driver creates this Secret once a member pod has mounted the Key Vault volume".to_owned()
            } else {
                "does not exist yet".to_owned()
            })
        })?;
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(spec.password.key()))
        .ok_or_else(|| problem(format!("has no key {}", spec.password.key())))?;
    Credentials::from_secret_bytes(&bytes.0).map_err(|e| problem(e.to_string()))
}

/// The CA that signed the members' Bolt certificates, when Bolt speaks TLS: the executor
/// verifies every member against it (host names included), never trusting blindly.
pub(crate) async fn bolt_ca(
    ctx: &Context,
    spec: &ValidatedCluster,
) -> Result<Option<String>, Day2Error> {
    if !spec.tls.as_ref().is_some_and(|t| t.covers(TlsScope::Bolt)) {
        return Ok(None);
    }
    let name = neo4j_aks_render::tls::secret_name(spec);
    let secret = Api::<Secret>::namespaced(ctx.client.clone(), &spec.namespace)
        .get_opt(&name)
        .await
        .map_err(|source| Day2Error::SecretUnreadable {
            secret: name.clone(),
            source,
        })?;
    // During a CA rotation members present certificates of either CA.
    let pem =
        neo4j_aks_render::tls::trusted_cas_pem(&crate::certificates::text_data(secret.as_ref()))
            .ok_or_else(|| Day2Error::Credentials {
                secret: name,
                problem: "holds no CA certificate yet (the certificate step issues it)".to_owned(),
            })?;
    Ok(Some(pem))
}

/// Ready members first, lowest ordinal first.
fn hosts(spec: &ValidatedCluster, observed: &Observed) -> Vec<String> {
    observed
        .pods
        .iter()
        .filter(|p| p.ready)
        .take(HOSTS_TRIED)
        .map(|p| spec.member_fqdn(i32::try_from(p.ordinal).unwrap_or(i32::MAX)))
        .collect()
}

/// Connects and reads SHOW SERVERS / SHOW DATABASES.
async fn look(
    ctx: &Context,
    spec: &ValidatedCluster,
    observed: &Observed,
    replicas: u32,
) -> Result<(Arc<dyn Admin>, ObservedTopology, Vec<DatabaseRecord>), Day2Error> {
    let hosts = hosts(spec, observed);
    if hosts.is_empty() {
        return Err(Day2Error::NoMemberReady);
    }
    let credentials = credentials(ctx, spec).await?;
    let target = Target {
        namespace: spec.namespace.clone(),
        cluster: spec.name.clone(),
        hosts,
        credentials,
        bolt_ca: bolt_ca(ctx, spec).await?,
    };
    let admin = ctx.connector.connect(&target).await?;
    let servers = admin.show_servers().await?;
    let databases = admin.show_databases().await?;
    let spec_members = u32::try_from(spec.members.asked()).unwrap_or(0);
    let highest_pod = observed
        .pods
        .iter()
        .map(|p| p.ordinal + 1)
        .max()
        .unwrap_or(0);
    let identities = member_identities(spec, replicas.max(spec_members).max(highest_pod));
    let topology = ObservedTopology::build(
        &identities,
        &observed.pods,
        &servers,
        &databases,
        replicas,
        now_secs(),
    );
    Ok((admin, topology, databases))
}

/// The day-2 part of a reconcile for a clustered spec. `spec` is the validated spec as written
/// (its `members` is the nodeCount asked for, not the live count).
pub async fn run(
    ctx: &Context,
    cluster: &Neo4jCluster,
    spec: &ValidatedCluster,
    observed: &Observed,
) -> Day2 {
    let mut day2 = Day2::new();
    let Some(sts) = observed.statefulset.as_ref() else {
        day2.unreachable = Some(Arc::new(Day2Error::NoStatefulSet));
        return day2;
    };
    let replicas = sts
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .and_then(|r| u32::try_from(r).ok())
        .unwrap_or(0);
    let spec_members = u32::try_from(spec.members.asked()).unwrap_or(0);
    let revision = desired_revision(sts);
    if let Some(revision) = &revision {
        day2.stale_members = observed
            .pods
            .iter()
            .filter(|p| &p.revision != revision)
            .map(|p| p.ordinal)
            .collect();
    }
    let annotations = cluster.annotations();
    let confirmation = Confirmation::from_annotations(annotations);
    let mut desired =
        Desired::for_cluster(spec, revision.clone().unwrap_or_default(), confirmation);
    if spec_members < replicas {
        day2.scale_down = Some((spec_members, replicas));
        let nothing = ObservedTopology::build(&[], &[], &[], &[], replicas, now_secs());
        day2.scale_down_refused = scale_down_refusal(&nothing, &desired);
    }
    match replace_member_from_annotations(annotations) {
        Ok(member) => desired.replace_member = member,
        Err(reason) => {
            day2.step = Some(refusal(reason));
        }
    }
    day2.in_flight = cluster
        .status
        .as_ref()
        .is_some_and(|s| s.operation.is_some());
    let progress = match recorded_progress(cluster) {
        Ok(p) => p,
        Err(reason) => {
            day2.step = Some(refusal(format!(
                "cannot resume the recorded operation: {reason}; remove status.operation after checking SHOW SERVERS"
            )));
            return day2;
        }
    };

    let (admin, topology, databases) = match look(ctx, spec, observed, replicas).await {
        Ok(found) => found,
        Err(error) => {
            day2.unreachable = Some(Arc::new(error));
            return day2;
        }
    };
    day2.admin = Some(admin.clone());
    day2.databases = databases;
    if day2.step.is_some() {
        day2.topology = Some(topology);
        return day2;
    }
    let step = if revision.is_none() {
        Step {
            action: Action::Wait,
            member: None,
            reason: "the StatefulSet controller has not observed the latest pod template yet"
                .to_owned(),
            destructive: false,
            progress: progress.clone(),
        }
    } else {
        plan(&topology, &desired, &progress)
    };
    day2.topology = Some(topology);
    execute(
        ctx,
        cluster,
        spec,
        admin.as_ref(),
        &progress,
        &step,
        &mut day2,
    )
    .await;
    day2.step = Some(step);
    day2
}

fn refusal(reason: String) -> Step {
    Step {
        action: Action::Refuse,
        member: None,
        reason,
        destructive: false,
        progress: Progress::default(),
    }
}

/// Carries out `step` and sets what to record.
#[allow(clippy::too_many_arguments)]
async fn execute(
    ctx: &Context,
    cluster: &Neo4jCluster,
    spec: &ValidatedCluster,
    admin: &dyn Admin,
    progress: &Progress,
    step: &Step,
    day2: &mut Day2,
) {
    let result: Result<bool, Day2Error> = match &step.action {
        Action::Done | Action::Wait => {
            day2.operation = Some(step.progress.operation.clone());
            return;
        }
        // Kept as recorded: a person decides.
        Action::Refuse | Action::Abort => return,
        Action::ScaleStatefulSet { replicas, .. } => scale(ctx, spec, *replicas).await,
        Action::EnableServer { server } => admin
            .enable_server(server)
            .await
            .map(|()| true)
            .map_err(Day2Error::from),
        Action::AlignTopology {
            database,
            primaries,
            secondaries,
        } => admin
            .alter_database_topology(database, *primaries, *secondaries)
            .await
            .map(|()| true)
            .map_err(Day2Error::from),
        Action::CordonServer { server } => {
            if !still_asked_to_replace(ctx, cluster).await {
                // A cached copy of the object may still carry an annotation the operator already
                // removed: never start a replacement without reading it fresh.
                return;
            }
            match record(ctx, cluster, &step.progress).await {
                Err(e) => Err(e),
                Ok(()) => {
                    day2.operation = Some(step.progress.operation.clone());
                    admin
                        .cordon_server(server)
                        .await
                        .map(|()| true)
                        .map_err(Day2Error::from)
                }
            }
        }
        Action::DeallocateServer { server } => {
            let replacement_not_yet_deallocating = matches!(
                step.progress.operation,
                Some(Operation::ReplaceMember { .. })
            ) && matches!(
                progress.operation,
                None | Some(Operation::ReplaceMember {
                    phase: ReplacePhase::Cordoned,
                    ..
                })
            );
            if replacement_not_yet_deallocating && !still_asked_to_replace(ctx, cluster).await {
                // As for the cordon: the irreversible step of a replacement only on the
                // annotation as it is now.
                return;
            }
            admin
                .deallocate_databases_from_server(server)
                .await
                .map(|()| true)
                .map_err(Day2Error::from)
        }
        Action::DropServer { server } => match record(ctx, cluster, &step.progress).await {
            Err(e) => Err(e),
            Ok(()) => {
                day2.operation = Some(step.progress.operation.clone());
                admin
                    .drop_server(server)
                    .await
                    .map(|()| true)
                    .map_err(Day2Error::from)
            }
        },
        Action::RestartMember { ordinal, pod_uid } => {
            match record(ctx, cluster, &step.progress).await {
                Err(e) => Err(e),
                Ok(()) => {
                    day2.operation = Some(step.progress.operation.clone());
                    restart_member(ctx, spec, *ordinal, pod_uid).await
                }
            }
        }
        Action::ReplaceMember { ordinal, pod_uid } => {
            match record(ctx, cluster, &step.progress).await {
                Err(e) => Err(e),
                Ok(()) => {
                    day2.operation = Some(step.progress.operation.clone());
                    recreate_member(ctx, spec, *ordinal, pod_uid.as_deref()).await
                }
            }
        }
        Action::FinishReplacement { .. } => remove_replace_annotation(ctx, cluster).await,
    };
    match result {
        Ok(changed) => {
            day2.operation = Some(step.progress.operation.clone());
            if changed {
                info!(
                    cluster = %cluster.name_any(),
                    namespace = cluster.namespace().unwrap_or_default(),
                    action = step.action.name(),
                    reason = %step.reason,
                    "day-2 step"
                );
                ctx.publish(
                    cluster,
                    EventType::Normal,
                    step.action.name(),
                    step.reason.clone(),
                )
                .await;
                day2.executed = Some(step.clone());
            }
        }
        Err(e) => {
            warn!(
                cluster = %cluster.name_any(),
                action = step.action.name(),
                error = %e,
                kind = e.kind(),
                transient = e.is_transient(),
                "day-2 step failed"
            );
            // A passing failure (a timeout, a leader change, a busy API server) is retried on the
            // next reconcile, soon; anything else waits for a person and says so as a warning.
            let (type_, reason) = if e.is_transient() {
                (EventType::Normal, "Day2StepRetrying")
            } else {
                (EventType::Warning, "Day2StepFailed")
            };
            ctx.publish(
                cluster,
                type_,
                reason,
                format!("{} failed: {e}", step.action.name()),
            )
            .await;
            day2.failed = Some((step.action.name(), Arc::new(e)));
        }
    }
}

/// Writes `progress` into `status.operation` now (before a step whose effect observation alone
/// could not tell apart). The status manager owns every status field, so this is its apply.
async fn record(
    ctx: &Context,
    cluster: &Neo4jCluster,
    progress: &Progress,
) -> Result<(), Day2Error> {
    let mut status = cluster.status.clone().unwrap_or_default();
    status.operation = progress.operation.as_ref().map(Operation::to_status);
    crate::context::write_status_now(ctx, cluster, &status)
        .await
        .map_err(|e| Day2Error::NotRecorded(Box::new(e)))
}

fn kubernetes(what: String) -> impl FnOnce(kube::Error) -> Day2Error {
    move |source| Day2Error::Kubernetes { what, source }
}

fn pod_name(spec: &ValidatedCluster, ordinal: u32) -> Result<String, Day2Error> {
    i32::try_from(ordinal)
        .map(|i| spec.pod_name(i))
        .map_err(|_| Day2Error::NoSuchMember(ordinal))
}

async fn still_asked_to_replace(ctx: &Context, cluster: &Neo4jCluster) -> bool {
    let api: Api<Neo4jCluster> =
        Api::namespaced(ctx.client.clone(), &cluster.namespace().unwrap_or_default());
    match api.get_opt(&cluster.name_any()).await {
        Ok(Some(fresh)) => {
            fresh.annotations().get(REPLACE_MEMBER_ANNOTATION)
                == cluster.annotations().get(REPLACE_MEMBER_ANNOTATION)
        }
        _ => false,
    }
}

async fn scale(ctx: &Context, spec: &ValidatedCluster, replicas: u32) -> Result<bool, Day2Error> {
    let api: Api<StatefulSet> = Api::namespaced(ctx.client.clone(), &spec.namespace);
    let name = spec.statefulset_name();
    let live = api
        .get_opt(&name)
        .await
        .map_err(kubernetes(format!("reading StatefulSet {name}")))?
        .and_then(|s| s.spec.and_then(|s| s.replicas));
    let replicas = i32::try_from(replicas).map_err(|_| Day2Error::NoSuchMember(replicas))?;
    if live == Some(replicas) {
        return Ok(false);
    }
    // A merge patch of this one field (a partial server-side apply under the main field manager
    // would drop every other field it owns). The main apply renders the live replica count
    // during a scale-down, so it sends this same value afterwards and never undoes it.
    api.patch(
        &name,
        &PatchParams {
            field_manager: Some(DAY2_FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        },
        &Patch::Merge(json!({"spec": {"replicas": replicas}})),
    )
    .await
    .map(|_| true)
    .map_err(kubernetes(format!(
        "setting StatefulSet {name} to {replicas} replicas"
    )))
}

fn pods(ctx: &Context, spec: &ValidatedCluster) -> Api<Pod> {
    Api::namespaced(ctx.client.clone(), &spec.namespace)
}

async fn restart_member(
    ctx: &Context,
    spec: &ValidatedCluster,
    ordinal: u32,
    uid: &str,
) -> Result<bool, Day2Error> {
    delete_member_pod(&pods(ctx, spec), &pod_name(spec, ordinal)?, uid).await
}

/// Deletes pod `name` only while it is the instance `uid` (a precondition the apiserver checks
/// atomically). `Ok(true)`: that instance is being deleted now. `Ok(false)`: it is gone, or the
/// name now belongs to another instance (a recreated pod, refused with 409), which is never
/// deleted by this call.
pub async fn delete_member_pod(pods: &Api<Pod>, name: &str, uid: &str) -> Result<bool, Day2Error> {
    if uid.is_empty() {
        // Only an observed instance is ever deleted; there is none to name.
        return Ok(false);
    }
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some(uid.to_owned()),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match pods.delete(name, &params).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.is_not_found() || s.is_conflict() => {
            info!(pod = name, uid, reason = %s.message, "the observed pod instance is gone or replaced already; nothing deleted");
            Ok(false)
        }
        Err(e) => Err(kubernetes(format!("deleting pod {name} (uid {uid})"))(e)),
    }
}

/// Deletes the member's claim, then its pod: the claim's protection finalizer keeps it until the
/// pod is gone, and the StatefulSet then creates both again, the claim empty. `observed_uid` is
/// the member's pod instance in this reconcile's observation: without one (its pod is already
/// terminating) nothing is deleted, and only that instance is.
async fn recreate_member(
    ctx: &Context,
    spec: &ValidatedCluster,
    ordinal: u32,
    observed_uid: Option<&str>,
) -> Result<bool, Day2Error> {
    let Some(uid) = observed_uid else {
        return Ok(false);
    };
    let i = i32::try_from(ordinal).map_err(|_| Day2Error::NoSuchMember(ordinal))?;
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), &spec.namespace);
    match claims
        .delete(&spec.pvc_name(i), &DeleteParams::background())
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.is_not_found() => {}
        Err(e) => {
            return Err(kubernetes(format!("deleting claim {}", spec.pvc_name(i)))(
                e,
            ));
        }
    }
    delete_member_pod(&pods(ctx, spec), &spec.pod_name(i), uid)
        .await
        .map(|_| true)
}

async fn remove_replace_annotation(
    ctx: &Context,
    cluster: &Neo4jCluster,
) -> Result<bool, Day2Error> {
    if !cluster
        .annotations()
        .contains_key(REPLACE_MEMBER_ANNOTATION)
    {
        return Ok(false);
    }
    let api: Api<Neo4jCluster> =
        Api::namespaced(ctx.client.clone(), &cluster.namespace().unwrap_or_default());
    let mut annotations = BTreeMap::new();
    annotations.insert(
        REPLACE_MEMBER_ANNOTATION.to_owned(),
        serde_json::Value::Null,
    );
    api.patch(
        &cluster.name_any(),
        &PatchParams {
            field_manager: Some(DAY2_FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        },
        &Patch::Merge(json!({"metadata": {"annotations": annotations}})),
    )
    .await
    .map(|_| true)
    .map_err(kubernetes(format!(
        "removing {REPLACE_MEMBER_ANNOTATION} from Neo4jCluster {}",
        cluster.name_any()
    )))
}
