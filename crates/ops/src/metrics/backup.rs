//! The backup metrics, one series per cluster with backups enabled (docs/backup.md): what the
//! "no successful backup in 24h" alert reads.

use std::sync::atomic::AtomicU64;

use neo4j_aks_model::api::metrics as names;
use neo4j_aks_model::{BackupRun, BackupStatus};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct ClusterLabel {
    pub namespace: String,
    pub cluster: String,
}

type TimeGauge = Gauge<f64, AtomicU64>;

/// `neo4j_aks_backup_*` metrics, one series per cluster with backups enabled.
#[derive(Default)]
pub struct BackupMetrics {
    pub last_success: Family<ClusterLabel, TimeGauge>,
    pub last_verification_success: Family<ClusterLabel, TimeGauge>,
    pub last_failed: Family<ClusterLabel, Gauge>,
    pub last_verification_failed: Family<ClusterLabel, Gauge>,
}

impl BackupMetrics {
    pub fn register(registry: &mut Registry) -> BackupMetrics {
        let metrics = BackupMetrics::default();
        registry.register(
            "backup_last_success_timestamp_seconds",
            "Unix time the newest successful backup of the cluster finished",
            metrics.last_success.clone(),
        );
        registry.register(
            "backup_last_verification_success_timestamp_seconds",
            "Unix time the newest successful restore-and-check of the cluster's backup finished",
            metrics.last_verification_success.clone(),
        );
        registry.register(
            "backup_last_run_failed",
            "1 when the cluster's newest finished backup run failed",
            metrics.last_failed.clone(),
        );
        registry.register(
            names::short(names::VERIFICATION_LAST_FAILED),
            "1 when the cluster's newest finished restore-and-check run failed",
            metrics.last_verification_failed.clone(),
        );
        metrics
    }

    pub fn record(&self, namespace: &str, cluster: &str, status: &BackupStatus) {
        let label = ClusterLabel {
            namespace: namespace.to_string(),
            cluster: cluster.to_string(),
        };
        let seconds = |run: &Option<BackupRun>, ok_only: bool| {
            run.as_ref()
                .filter(|r| !ok_only || r.result == "Succeeded")
                .and_then(|r| r.time.parse::<k8s_openapi::jiff::Timestamp>().ok())
                .map(|t| t.as_millisecond() as f64 / 1000.0)
        };
        if let Some(t) = seconds(&status.last_successful_backup, true) {
            self.last_success.get_or_create(&label).set(t);
        }
        if let Some(t) = seconds(&status.last_verification, true) {
            self.last_verification_success.get_or_create(&label).set(t);
        }
        if let Some(run) = &status.last_backup {
            self.last_failed
                .get_or_create(&label)
                .set(i64::from(run.result != "Succeeded"));
        }
        if let Some(run) = &status.last_verification {
            self.last_verification_failed
                .get_or_create(&label)
                .set(i64::from(run.result != "Succeeded"));
        }
    }

    /// Removes every series of a deleted cluster.
    pub fn forget(&self, namespace: &str, cluster: &str) {
        let label = ClusterLabel {
            namespace: namespace.to_string(),
            cluster: cluster.to_string(),
        };
        self.last_success.remove(&label);
        self.last_verification_success.remove(&label);
        self.last_failed.remove(&label);
        self.last_verification_failed.remove(&label);
    }
}
