//! Cluster-health gauges (docs/monitoring.md), set after every reconcile from what the operator
//! observed (pods, SHOW SERVERS, SHOW DATABASES) and removed when the cluster is deleted.
//!
//! Bounded labels: `namespace` and `cluster` on cluster series, plus `database` on database
//! series. One cluster has at most 5 cluster series and 4 per database: a leader is a 0/1 gauge
//! per database, never a label per server, so the series count is
//! `clusters × (5 + 4 × databases)` whatever the members do.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use neo4j_aks_model::api::metrics as names;
use neo4j_aks_topology::observed::ObservedTopology;
use neo4j_aks_topology::records::{Health, ServerState};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::ClusterLabel;

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct DatabaseLabel {
    pub namespace: String,
    pub cluster: String,
    pub database: String,
}

/// One database as the operator last saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseHealth {
    pub name: String,
    pub primaries_online: i64,
    pub primaries_required: i64,
    pub has_leader: bool,
    pub replication_lag: i64,
}

/// What one reconcile saw of a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterHealth {
    pub members_desired: i64,
    pub members_ready: i64,
    /// `None` when Neo4j was not asked (a standalone server: the day-2 executor does not run).
    pub neo4j: Option<Neo4jHealth>,
    pub operation_in_progress: bool,
}

/// Neo4j's own view; `topology` is `None` when it did not answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Neo4jHealth {
    pub members_enabled: i64,
    pub databases: Vec<DatabaseHealth>,
    pub reachable: bool,
}

impl Neo4jHealth {
    pub fn from_topology(topology: Option<&ObservedTopology>) -> Neo4jHealth {
        let Some(topology) = topology else {
            return Neo4jHealth::default();
        };
        let members_enabled = topology
            .members
            .values()
            .filter_map(|m| m.server.as_ref())
            .filter(|s| s.state == ServerState::Enabled && s.health == Health::Available)
            .count() as i64;
        let databases = topology
            .databases
            .values()
            .map(|q| DatabaseHealth {
                name: q.name.clone(),
                primaries_online: i64::from(q.primaries_available),
                primaries_required: i64::from(q.required),
                has_leader: q.leader.is_some(),
                replication_lag: i64::try_from(q.max_lag).unwrap_or(i64::MAX),
            })
            .collect();
        Neo4jHealth {
            members_enabled,
            databases,
            reachable: true,
        }
    }
}

#[derive(Default)]
pub struct HealthMetrics {
    members_desired: Family<ClusterLabel, Gauge>,
    members_ready: Family<ClusterLabel, Gauge>,
    members_enabled: Family<ClusterLabel, Gauge>,
    reachable: Family<ClusterLabel, Gauge>,
    operation_in_progress: Family<ClusterLabel, Gauge>,
    primaries_online: Family<DatabaseLabel, Gauge>,
    primaries_required: Family<DatabaseLabel, Gauge>,
    has_leader: Family<DatabaseLabel, Gauge>,
    replication_lag: Family<DatabaseLabel, Gauge>,
    /// The databases each cluster has series for, so that a dropped database's go too.
    databases: Mutex<BTreeMap<ClusterLabel, BTreeSet<String>>>,
}

impl HealthMetrics {
    pub fn register(registry: &mut Registry) -> HealthMetrics {
        let m = HealthMetrics::default();
        let cluster = [
            (
                names::MEMBERS_DESIRED,
                "Members the spec asks for (spec.nodeCount)",
                &m.members_desired,
            ),
            (
                names::MEMBERS_READY,
                "Member pods that are Ready",
                &m.members_ready,
            ),
            (
                names::MEMBERS_ENABLED,
                "Servers SHOW SERVERS lists Enabled and Available",
                &m.members_enabled,
            ),
            (
                names::NEO4J_REACHABLE,
                "1 when the operator's last SHOW SERVERS / SHOW DATABASES got an answer",
                &m.reachable,
            ),
            (
                names::OPERATION_IN_PROGRESS,
                "1 while a day-2 operation (scale, restart, member replacement) is in flight",
                &m.operation_in_progress,
            ),
        ];
        for (name, help, family) in cluster {
            registry.register(names::short(name), help, family.clone());
        }
        let database = [
            (
                names::PRIMARIES_ONLINE,
                "Primary copies of the database online on an Available server",
                &m.primaries_online,
            ),
            (
                names::PRIMARIES_REQUIRED,
                "Primaries the database needs for a write quorum",
                &m.primaries_required,
            ),
            (
                names::HAS_LEADER,
                "1 when a member is the database's writer (leader)",
                &m.has_leader,
            ),
            (
                names::REPLICATION_LAG,
                "Largest replication lag of any copy of the database, in transactions (SHOW DATABASES replicationLag)",
                &m.replication_lag,
            ),
        ];
        for (name, help, family) in database {
            registry.register(names::short(name), help, family.clone());
        }
        m
    }

    pub fn record(&self, namespace: &str, cluster: &str, health: &ClusterHealth) {
        let label = ClusterLabel {
            namespace: namespace.to_string(),
            cluster: cluster.to_string(),
        };
        self.members_desired
            .get_or_create(&label)
            .set(health.members_desired);
        self.members_ready
            .get_or_create(&label)
            .set(health.members_ready);
        self.operation_in_progress
            .get_or_create(&label)
            .set(i64::from(health.operation_in_progress));
        let mut seen = BTreeSet::new();
        match &health.neo4j {
            Some(neo4j) => {
                self.reachable
                    .get_or_create(&label)
                    .set(i64::from(neo4j.reachable));
                if neo4j.reachable {
                    self.members_enabled
                        .get_or_create(&label)
                        .set(neo4j.members_enabled);
                } else {
                    // An old count would read as current.
                    self.members_enabled.remove(&label);
                }
                for db in &neo4j.databases {
                    let l = DatabaseLabel {
                        namespace: namespace.to_string(),
                        cluster: cluster.to_string(),
                        database: db.name.clone(),
                    };
                    self.primaries_online
                        .get_or_create(&l)
                        .set(db.primaries_online);
                    self.primaries_required
                        .get_or_create(&l)
                        .set(db.primaries_required);
                    self.has_leader
                        .get_or_create(&l)
                        .set(i64::from(db.has_leader));
                    self.replication_lag
                        .get_or_create(&l)
                        .set(db.replication_lag);
                    seen.insert(db.name.clone());
                }
            }
            None => {
                self.reachable.remove(&label);
                self.members_enabled.remove(&label);
            }
        }
        // Databases no longer reported (dropped, or Neo4j did not answer): their last values
        // would claim a quorum or a leader nobody observed.
        let stale = {
            let Ok(mut known) = self.databases.lock() else {
                return;
            };
            let previous = known
                .insert(label.clone(), seen.clone())
                .unwrap_or_default();
            previous.difference(&seen).cloned().collect::<Vec<_>>()
        };
        for database in stale {
            self.remove_database(&label, database);
        }
    }

    fn remove_database(&self, cluster: &ClusterLabel, database: String) {
        let l = DatabaseLabel {
            namespace: cluster.namespace.clone(),
            cluster: cluster.cluster.clone(),
            database,
        };
        self.primaries_online.remove(&l);
        self.primaries_required.remove(&l);
        self.has_leader.remove(&l);
        self.replication_lag.remove(&l);
    }

    /// Removes every series of a deleted cluster.
    pub fn forget(&self, namespace: &str, cluster: &str) {
        let label = ClusterLabel {
            namespace: namespace.to_string(),
            cluster: cluster.to_string(),
        };
        for family in [
            &self.members_desired,
            &self.members_ready,
            &self.members_enabled,
            &self.reachable,
            &self.operation_in_progress,
        ] {
            family.remove(&label);
        }
        let databases = self
            .databases
            .lock()
            .ok()
            .and_then(|mut known| known.remove(&label))
            .unwrap_or_default();
        for database in databases {
            self.remove_database(&label, database);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use neo4j_aks_model::{BackupRun, BackupStatus};

    fn database(name: &str, online: i64, leader: bool) -> DatabaseHealth {
        DatabaseHealth {
            name: name.into(),
            primaries_online: online,
            primaries_required: 2,
            has_leader: leader,
            replication_lag: 7,
        }
    }

    fn health(databases: Vec<DatabaseHealth>) -> ClusterHealth {
        ClusterHealth {
            members_desired: 3,
            members_ready: 2,
            neo4j: Some(Neo4jHealth {
                members_enabled: 2,
                databases,
                reachable: true,
            }),
            operation_in_progress: true,
        }
    }

    fn lines(metrics: &Metrics, cluster: &str) -> Vec<String> {
        metrics
            .encode()
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains(&format!("cluster=\"{cluster}\"")))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_documented_series_is_exported_with_bounded_labels() {
        let metrics = Metrics::new();
        metrics.health.record(
            "db",
            "graph",
            &health(vec![
                database("neo4j", 1, false),
                database("system", 3, true),
            ]),
        );
        let run = |result: &str| BackupRun {
            time: "2026-12-04T02:00:00Z".into(),
            result: result.into(),
            ..BackupRun::default()
        };
        metrics.backup.record(
            "db",
            "graph",
            &BackupStatus {
                last_backup: Some(run("Succeeded")),
                last_successful_backup: Some(run("Succeeded")),
                last_verification: Some(run("Failed")),
            },
        );
        metrics.backup.record(
            "db",
            "verified",
            &BackupStatus {
                last_verification: Some(run("Succeeded")),
                ..BackupStatus::default()
            },
        );
        metrics.certificates.record(
            "db",
            "graph",
            Some(&neo4j_aks_model::CertificatesStatus {
                ca_expires_at: Some("2036-12-01T00:00:00Z".into()),
                expires_at: Some("2027-03-01T00:00:00Z".into()),
                ..Default::default()
            }),
        );
        let text = metrics.encode();
        for name in names::ALL {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{name}{{"))),
                "{name} missing from\n{text}"
            );
        }
        assert!(text.contains(
            "neo4j_aks_database_primaries_online{namespace=\"db\",cluster=\"graph\",database=\"neo4j\"} 1"
        ));
        assert!(text.contains(
            "neo4j_aks_database_has_leader{namespace=\"db\",cluster=\"graph\",database=\"system\"} 1"
        ));
        assert!(text.contains(
            "neo4j_aks_cluster_operation_in_progress{namespace=\"db\",cluster=\"graph\"} 1"
        ));
        assert!(text.contains(
            "neo4j_aks_backup_last_verification_failed{namespace=\"db\",cluster=\"graph\"} 1"
        ));
        assert!(text.contains(
            "neo4j_aks_certificate_expiry_timestamp_seconds{namespace=\"db\",cluster=\"graph\",certificate=\"members\"} 1803859200"
        ));
        // Only namespace, cluster and database ever label a cluster's series.
        for line in lines(&metrics, "graph") {
            let labels = line
                .split_once('{')
                .and_then(|(_, r)| r.split_once('}'))
                .map(|(l, _)| l);
            for pair in labels.unwrap_or_default().split(',') {
                let key = pair.split('=').next().unwrap_or_default();
                assert!(
                    ["namespace", "cluster", "database", "certificate"].contains(&key),
                    "unbounded label {key} in {line}"
                );
            }
        }
    }

    #[test]
    fn dropped_databases_unreachable_neo4j_and_deleted_clusters_leave_no_series() {
        let metrics = Metrics::new();
        metrics.health.record(
            "db",
            "graph",
            &health(vec![database("neo4j", 3, true), database("sales", 3, true)]),
        );
        metrics
            .health
            .record("db", "other", &health(vec![database("neo4j", 3, true)]));
        metrics
            .health
            .record("db", "graph", &health(vec![database("neo4j", 3, true)]));
        assert!(!metrics.encode().contains("database=\"sales\""));
        // Neo4j did not answer: no database series, reachable 0, no enabled count.
        metrics.health.record(
            "db",
            "graph",
            &ClusterHealth {
                neo4j: Some(Neo4jHealth::from_topology(None)),
                ..health(Vec::new())
            },
        );
        let graph = lines(&metrics, "graph");
        assert!(graph.iter().all(|l| !l.contains("database=")), "{graph:?}");
        assert!(graph.contains(
            &"neo4j_aks_cluster_neo4j_reachable{namespace=\"db\",cluster=\"graph\"} 0".to_string()
        ));
        assert!(graph.iter().all(|l| !l.starts_with(names::MEMBERS_ENABLED)));
        metrics.backup.record(
            "db",
            "graph",
            &BackupStatus {
                last_backup: Some(BackupRun {
                    time: "2026-12-04T02:00:00Z".into(),
                    result: "Failed".into(),
                    ..BackupRun::default()
                }),
                ..BackupStatus::default()
            },
        );
        metrics.forget_cluster("db", "graph");
        assert_eq!(lines(&metrics, "graph"), Vec::<String>::new());
        assert!(
            !lines(&metrics, "other").is_empty(),
            "other clusters keep theirs"
        );
    }

    /// The closing note's number: the /metrics page with 100 clusters of 3 databases (run with
    /// `--nocapture`; timings are printed, never asserted).
    #[test]
    fn scrape_size_with_100_clusters() {
        let metrics = Metrics::new();
        let started = std::time::Instant::now();
        for i in 0..100 {
            metrics.health.record(
                "ns",
                &format!("cluster-{i:03}"),
                &health(vec![
                    database("neo4j", 3, true),
                    database("system", 3, true),
                    database("sales", 3, true),
                ]),
            );
            // Every cluster with TLS: the CA's and the members' expiry.
            metrics.certificates.record(
                "ns",
                &format!("cluster-{i:03}"),
                Some(&neo4j_aks_model::CertificatesStatus {
                    ca_expires_at: Some("2036-12-01T00:00:00Z".into()),
                    expires_at: Some("2027-03-01T00:00:00Z".into()),
                    ..Default::default()
                }),
            );
        }
        let recorded = started.elapsed();
        let started = std::time::Instant::now();
        let text = metrics.encode();
        let encoded = started.elapsed();
        let series = text
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains("cluster=\"cluster-"))
            .count();
        assert_eq!(series, 100 * (5 + 4 * 3 + 2));
        println!(
            "100 clusters x 3 databases, TLS on: {series} health and certificate series, /metrics {} bytes, recorded in {recorded:?}, encoded in {encoded:?}",
            text.len()
        );
    }
}
