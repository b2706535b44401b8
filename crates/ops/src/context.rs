//! What every reconcile shares (the client, the event recorder, the metrics, the settings, the
//! way to Neo4j) and the status writers every part of a reconcile uses.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Client, Resource, ResourceExt};
use neo4j_aks_model::{Neo4jCluster, Neo4jClusterStatus};
use serde_json::json;
use tracing::warn;

use crate::error::ReconcileError;
use crate::member_tls::{BoltMemberTls, MemberTls};
use crate::metrics::Metrics;
use crate::neo4j::{BoltConnector, Connector};
use crate::stores::Stores;

/// `reportingController` of our events.
pub use neo4j_aks_model::api::managers::CONTROLLER_NAME;
/// Field manager of the status subresource.
pub use neo4j_aks_model::api::managers::STATUS as STATUS_FIELD_MANAGER;

/// The default [`Settings::debounce`], in milliseconds (docs/operator.md says why).
pub const DEFAULT_DEBOUNCE_MS: u64 = 500;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Watch one namespace only (None: every namespace).
    pub namespace: Option<String>,
    /// Re-check a converged cluster this often.
    pub resync: Duration,
    /// Re-check a cluster whose members are still coming up this often (watches on pods,
    /// claims and the StatefulSet usually trigger sooner).
    pub not_ready_requeue: Duration,
    /// Retry a failed reconcile after this long.
    pub error_requeue: Duration,
    /// Reconciles run at the same time.
    pub concurrency: u16,
    /// A cluster's reconcile starts only after its watches were quiet this long (trailing edge):
    /// the burst of events one apply causes (every owned object, then each pod and claim
    /// changing state) becomes one reconcile instead of one per event.
    pub debounce: Duration,
    /// This replica's name in events (the pod name).
    pub instance: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            namespace: None,
            resync: Duration::from_secs(300),
            not_ready_requeue: Duration::from_secs(10),
            error_requeue: Duration::from_secs(15),
            concurrency: 8,
            debounce: Duration::from_millis(DEFAULT_DEBOUNCE_MS),
            instance: "neo4j-aks-operator".into(),
        }
    }
}

/// What every reconcile shares.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    pub settings: Settings,
    /// How the day-2 executor reaches Neo4j (Bolt in production).
    pub connector: Arc<dyn Connector>,
    /// How renewed certificates reach running members without a restart (2025.03+).
    pub member_tls: Arc<dyn MemberTls>,
    /// The watch caches of the running controller (none before `controller::run`: reads go to
    /// the API server).
    stores: std::sync::RwLock<Option<Stores>>,
}

impl Context {
    pub fn new(client: Client, metrics: Arc<Metrics>, settings: Settings) -> Arc<Context> {
        Self::with_connector(
            client,
            metrics,
            settings,
            Arc::new(BoltConnector::default()),
        )
    }

    /// A context whose day-2 executor reaches Neo4j through `connector`.
    pub fn with_connector(
        client: Client,
        metrics: Arc<Metrics>,
        settings: Settings,
        connector: Arc<dyn Connector>,
    ) -> Arc<Context> {
        Self::with_peers(
            client,
            metrics,
            settings,
            connector,
            Arc::new(BoltMemberTls::default()),
        )
    }

    /// A context whose day-2 executor reaches Neo4j through `connector` and the members'
    /// certificates through `member_tls`.
    pub fn with_peers(
        client: Client,
        metrics: Arc<Metrics>,
        settings: Settings,
        connector: Arc<dyn Connector>,
        member_tls: Arc<dyn MemberTls>,
    ) -> Arc<Context> {
        let recorder = Recorder::new(
            client.clone(),
            Reporter {
                controller: CONTROLLER_NAME.into(),
                instance: Some(settings.instance.clone()),
            },
        );
        Arc::new(Context {
            client,
            recorder,
            metrics,
            settings,
            connector,
            member_tls,
            stores: std::sync::RwLock::new(None),
        })
    }

    /// The watch caches, once the controller runs.
    pub fn stores(&self) -> Option<Stores> {
        self.stores.read().ok().and_then(|s| s.clone())
    }

    pub(crate) fn set_stores(&self, stores: Stores) {
        if let Ok(mut slot) = self.stores.write() {
            *slot = Some(stores);
        }
    }

    pub(crate) fn api<K>(&self) -> Api<K>
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
    {
        match &self.settings.namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        }
    }

    pub(crate) async fn publish(
        &self,
        cluster: &Neo4jCluster,
        type_: EventType,
        reason: &str,
        note: String,
    ) {
        let event = Event {
            type_,
            reason: reason.to_string(),
            // Events are capped at 1 kB.
            note: Some(note.chars().take(1000).collect()),
            action: "Reconcile".into(),
            secondary: None,
        };
        if let Err(e) = self
            .recorder
            .publish(&event, &cluster.object_ref(&()))
            .await
        {
            warn!(error = %e, reason, "cannot publish event");
        }
    }
}

pub(crate) async fn write_status(
    ctx: &Context,
    cluster: &Neo4jCluster,
    status: &Neo4jClusterStatus,
) -> Result<bool, ReconcileError> {
    if cluster.status.as_ref() == Some(status) {
        return Ok(false);
    }
    write_status_now(ctx, cluster, status).await?;
    Ok(true)
}

/// Writes the whole status (server-side apply by the status manager, which owns every field).
pub(crate) async fn write_status_now(
    ctx: &Context,
    cluster: &Neo4jCluster,
    status: &Neo4jClusterStatus,
) -> Result<(), ReconcileError> {
    let ns = cluster.namespace().unwrap_or_default();
    let api: Api<Neo4jCluster> = Api::namespaced(ctx.client.clone(), &ns);
    let patch = json!({
        "apiVersion": "neo4j-aks.io/v1alpha1",
        "kind": "Neo4jCluster",
        "status": status,
    });
    api.patch_status(
        &cluster.name_any(),
        &PatchParams::apply(STATUS_FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(ReconcileError::StatusFailed)?;
    Ok(())
}
