//! Prometheus metrics (OpenMetrics text on /metrics).

mod backup;
mod certificates;
mod health;

pub use backup::{BackupMetrics, ClusterLabel};
pub use certificates::{CertificateLabel, CertificateMetrics};
pub use health::{ClusterHealth, DatabaseHealth, DatabaseLabel, HealthMetrics, Neo4jHealth};

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabel {
    pub phase: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerbLabel {
    pub verb: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabel {
    pub action: String,
}

/// Every metric the operator exports, prefixed `neo4j_aks_`.
pub struct Metrics {
    pub registry: Registry,
    pub reconciles: Counter,
    pub reconcile_duration: Histogram,
    pub errors: Family<KindLabel, Counter>,
    pub changes: Family<ActionLabel, Counter>,
    pub clusters: Family<PhaseLabel, Gauge>,
    pub requests: Family<VerbLabel, Counter>,
    pub leader: Gauge,
    pub backup: BackupMetrics,
    pub health: HealthMetrics,
    pub certificates: CertificateMetrics,
    phases: Mutex<BTreeMap<String, String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("neo4j_aks");
        let reconciles = Counter::default();
        registry.register("reconciles", "Reconciles run", reconciles.clone());
        let reconcile_duration =
            Histogram::new([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]);
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one reconcile",
            reconcile_duration.clone(),
        );
        let errors = Family::<KindLabel, Counter>::default();
        registry.register(
            "reconcile_errors",
            "Failed reconciles by error kind",
            errors.clone(),
        );
        let changes = Family::<ActionLabel, Counter>::default();
        registry.register(
            "changes",
            "Objects created, updated, deleted, expanded",
            changes.clone(),
        );
        let clusters = Family::<PhaseLabel, Gauge>::default();
        registry.register(
            "clusters",
            "Neo4jClusters managed, by phase",
            clusters.clone(),
        );
        let requests = Family::<VerbLabel, Counter>::default();
        registry.register(
            "kube_requests",
            "Requests sent to the Kubernetes API by HTTP method",
            requests.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 while this replica holds the leader lease",
            leader.clone(),
        );
        let backup = BackupMetrics::register(&mut registry);
        let health = HealthMetrics::register(&mut registry);
        let certificates = CertificateMetrics::register(&mut registry);
        Metrics {
            registry,
            backup,
            health,
            certificates,
            reconciles,
            reconcile_duration,
            errors,
            changes,
            clusters,
            requests,
            leader,
            phases: Mutex::default(),
        }
    }

    pub fn observe_reconcile(&self, took: Duration) {
        self.reconciles.inc();
        self.reconcile_duration.observe(took.as_secs_f64());
    }

    pub fn error(&self, kind: &str) {
        self.errors
            .get_or_create(&KindLabel {
                kind: kind.to_string(),
            })
            .inc();
    }

    pub fn change(&self, action: &str) {
        self.changes
            .get_or_create(&ActionLabel {
                action: action.to_string(),
            })
            .inc();
    }

    /// Records the phase of `cluster` (`ns/name`); `None` when it is gone.
    pub fn set_phase(&self, cluster: &str, phase: Option<&str>) {
        let Ok(mut phases) = self.phases.lock() else {
            return;
        };
        match phase {
            Some(p) => {
                phases.insert(cluster.to_string(), p.to_string());
            }
            None => {
                phases.remove(cluster);
            }
        }
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for p in phases.values() {
            *counts.entry(p.as_str()).or_default() += 1;
        }
        self.clusters.clear();
        for (phase, n) in counts {
            self.clusters
                .get_or_create(&PhaseLabel {
                    phase: phase.to_string(),
                })
                .set(n);
        }
    }

    /// Removes every series of a deleted cluster (`namespace`/`name`).
    pub fn forget_cluster(&self, namespace: &str, name: &str) {
        self.set_phase(&format!("{namespace}/{name}"), None);
        self.health.forget(namespace, name);
        self.backup.forget(namespace, name);
        self.certificates.forget(namespace, name);
    }

    /// Requests sent with `method` so far.
    pub fn requests_with(&self, method: &str) -> u64 {
        self.requests
            .get_or_create(&VerbLabel {
                verb: method.to_string(),
            })
            .get()
    }

    /// Write requests (POST, PUT, PATCH, DELETE) sent so far.
    pub fn writes(&self) -> u64 {
        ["POST", "PUT", "PATCH", "DELETE"]
            .iter()
            .map(|m| self.requests_with(m))
            .sum()
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
