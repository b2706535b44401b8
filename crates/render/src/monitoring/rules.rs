//! The alert rules (proposal R4.4, FR7), defined once: the PrometheusRule of a cluster, the
//! cluster-independent rule file under deploy/monitoring/, and the promtool unit tests that make
//! every alert fire and stay quiet all come from [`ALERTS`].
//!
//! Severities follow the proposal's four levels: `critical` (Severity 0, immediate action),
//! `high` (1, urgent), `medium` (2, investigation), `low` (3, informational).

use std::collections::BTreeMap;

use neo4j_aks_model::api::metrics as op;

use super::neo4j_metrics::{HEAP_MAX, HEAP_USED, RAFT_IS_LEADER, TRANSACTIONS_COMMITTED};
use crate::crd::prometheus::{PrometheusRuleSpec, Rule, RuleGroup};

/// Where the runbook pages are published: this repository's docs/runbooks/ (the operator image
/// is `ghcr.io/neo4j-aks/neo4j-aks`, built from github.com/neo4j-aks/neo4j-aks).
pub const RUNBOOK_BASE_URL: &str =
    "https://github.com/neo4j-aks/neo4j-aks/blob/main/docs/runbooks/";

/// Kubernetes metrics the rules read besides Neo4j's and the operator's: the kubelet's volume
/// statistics (Kubernetes "Metrics For Kubernetes System Components", kubelet
/// `/metrics`, `kubelet_volume_stats_*`, labels `namespace` and `persistentvolumeclaim`).
pub const KUBELET_METRICS: &[&str] = &[
    "kubelet_volume_stats_available_bytes",
    "kubelet_volume_stats_capacity_bytes",
];

/// Container metrics the CPU rule reads: cAdvisor's `container_cpu_usage_seconds_total`
/// (served by the kubelet's `/metrics/cadvisor`; cAdvisor docs/storage/prometheus.md, labels
/// `namespace`, `pod`, `container`) and kube-state-metrics' `kube_pod_container_resource_limits`
/// (docs/metrics/workload/pod-metrics.md, labels `namespace`, `pod`, `container`, `resource`,
/// `unit`); kube-prometheus-stack scrapes both.
pub const CONTAINER_METRICS: &[&str] = &[
    "container_cpu_usage_seconds_total",
    "kube_pod_container_resource_limits",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// The proposal's number (R4.4), for Azure Monitor's Sev0..Sev3.
    pub fn level(self) -> u8 {
        match self {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
        }
    }
}

/// Which series a rule set looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every cluster (deploy/monitoring/): alerts carry each cluster's labels.
    All,
    /// One cluster's PrometheusRule.
    Cluster { namespace: String, name: String },
}

impl Scope {
    /// Matchers of the cluster's own series (operator and Neo4j series carry `namespace` and
    /// `cluster`).
    fn cluster(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Cluster { namespace, name } => {
                format!("namespace={namespace:?},cluster={name:?}")
            }
        }
    }

    /// Matchers of the members' Neo4j containers (pod `<cluster>-<ordinal>`).
    fn containers(&self) -> String {
        let container = neo4j_aks_model::api::containers::NEO4J;
        match self {
            Scope::All => format!("container={container:?},pod=~\".+-[0-9]+\""),
            Scope::Cluster { namespace, name } => {
                format!("namespace={namespace:?},container={container:?},pod=~\"{name}-[0-9]+\"")
            }
        }
    }

    /// Matchers of the members' data claims (`data-<cluster>-<ordinal>`).
    fn claims(&self) -> String {
        match self {
            Scope::All => "persistentvolumeclaim=~\"data-.+-[0-9]+\"".to_string(),
            Scope::Cluster { namespace, name } => {
                format!("namespace={namespace:?},persistentvolumeclaim=~\"data-{name}-[0-9]+\"")
            }
        }
    }
}

/// One input series of a promtool test: the series in PromQL notation and its values in
/// promtool's expanding notation (`1+0x30`).
pub type Series = (String, String);

/// What promtool checks for one alert: with `firing` it fires at `at` with `labels` (besides
/// `alertname` and `severity`), but not yet at `before` (its `for` not elapsed); with `quiet`
/// it never fires.
pub struct Case {
    pub firing: Vec<Series>,
    pub quiet: Vec<Series>,
    pub before: &'static str,
    pub at: &'static str,
    pub labels: Vec<(&'static str, &'static str)>,
}

pub struct Alert {
    pub name: &'static str,
    pub severity: Severity,
    pub for_: &'static str,
    pub summary: &'static str,
    /// May name `{{ $labels.<label> }}` of the alert's labels.
    pub description: &'static str,
    /// The page under docs/runbooks/ (without `.md`).
    pub runbook: &'static str,
    pub expr: fn(&Scope) -> String,
    pub case: fn() -> Case,
}

/// Namespace and cluster of the test series (also the example cluster's, so the same tests run
/// against a cluster's own rules).
pub const TEST_NAMESPACE: &str = "neo4j";
pub const TEST_CLUSTER: &str = "neo4j";

fn sel(metric: &str, labels: &[(&str, &str)]) -> String {
    let mut all = vec![("namespace", TEST_NAMESPACE), ("cluster", TEST_CLUSTER)];
    all.extend_from_slice(labels);
    let inner: Vec<String> = all.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{metric}{{{}}}", inner.join(","))
}

fn series(metric: &str, labels: &[(&str, &str)], values: &str) -> Series {
    (sel(metric, labels), values.to_string())
}

const DB: (&str, &str) = ("database", "neo4j");
const CERTIFICATE: (&str, &str) = ("certificate", "members");

pub const ALERTS: &[Alert] = &[
    Alert {
        name: "Neo4jQuorumLost",
        severity: Severity::Critical,
        for_: "1m",
        summary: "A database has lost its write quorum",
        description: "Database {{ $labels.database }} of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} has fewer online primaries than its quorum needs: it accepts no writes.",
        runbook: "quorum-lost",
        expr: |s| {
            let c = s.cluster();
            format!(
                "{}{{{c}}} < {}{{{c}}}",
                op::PRIMARIES_ONLINE,
                op::PRIMARIES_REQUIRED
            )
        },
        case: || Case {
            firing: vec![
                series(op::PRIMARIES_ONLINE, &[DB], "3 3 1x10"),
                series(op::PRIMARIES_REQUIRED, &[DB], "2x12"),
            ],
            quiet: vec![
                series(op::PRIMARIES_ONLINE, &[DB], "3 3 2x10"),
                series(op::PRIMARIES_REQUIRED, &[DB], "2x12"),
            ],
            before: "2m",
            at: "5m",
            labels: vec![DB],
        },
    },
    Alert {
        name: "Neo4jClusterDown",
        severity: Severity::Critical,
        for_: "2m",
        summary: "No member of the cluster is ready",
        description: "Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} asks for members but none of its pods is Ready.",
        runbook: "cluster-down",
        expr: |s| {
            let c = s.cluster();
            format!(
                "{}{{{c}}} == 0 and on (namespace, cluster) {}{{{c}}} > 0",
                op::MEMBERS_READY,
                op::MEMBERS_DESIRED
            )
        },
        case: || Case {
            firing: vec![
                series(op::MEMBERS_READY, &[], "3 3 0x10"),
                series(op::MEMBERS_DESIRED, &[], "3x12"),
            ],
            quiet: vec![
                series(op::MEMBERS_READY, &[], "3 3 2x10"),
                series(op::MEMBERS_DESIRED, &[], "3x12"),
            ],
            before: "3m",
            at: "6m",
            labels: vec![],
        },
    },
    Alert {
        name: "Neo4jDatabaseWithoutLeader",
        severity: Severity::Critical,
        for_: "2m",
        summary: "A database has no leader",
        description: "No member of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} is the writer of database {{ $labels.database }}, and no failover has elected one.",
        runbook: "database-without-leader",
        expr: |s| format!("{}{{{}}} == 0", op::HAS_LEADER, s.cluster()),
        case: || Case {
            firing: vec![series(op::HAS_LEADER, &[DB], "1 1 0x10")],
            quiet: vec![series(op::HAS_LEADER, &[DB], "1 0 1x10")],
            before: "3m",
            at: "6m",
            labels: vec![DB],
        },
    },
    Alert {
        name: "Neo4jBackupMissing",
        severity: Severity::Critical,
        for_: "15m",
        summary: "No successful backup for 24 hours",
        description: "The newest successful backup of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} finished more than 24 hours ago.",
        runbook: "backup-missing",
        expr: |s| {
            format!(
                "time() - {}{{{}}} > 86400",
                op::BACKUP_LAST_SUCCESS,
                s.cluster()
            )
        },
        // The test clock starts at 0: a backup at t=0 is 24 h old at 1440m.
        case: || Case {
            firing: vec![series(op::BACKUP_LAST_SUCCESS, &[], "0x1500")],
            quiet: vec![series(op::BACKUP_LAST_SUCCESS, &[], "0+60x1500")],
            before: "1450m",
            at: "1460m",
            labels: vec![],
        },
    },
    Alert {
        name: "Neo4jVolumeFull",
        severity: Severity::Critical,
        for_: "5m",
        summary: "A member's data volume is full",
        description: "Claim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 1% free space; Neo4j stops writing when it runs out.",
        runbook: "volume-full",
        expr: |s| {
            let c = s.claims();
            format!(
                "kubelet_volume_stats_available_bytes{{{c}}} / kubelet_volume_stats_capacity_bytes{{{c}}} < 0.01"
            )
        },
        case: || Case {
            firing: vec![
                claim("kubelet_volume_stats_available_bytes", "500 500 5x10"),
                claim("kubelet_volume_stats_capacity_bytes", "1000x12"),
            ],
            quiet: vec![
                claim("kubelet_volume_stats_available_bytes", "500x12"),
                claim("kubelet_volume_stats_capacity_bytes", "1000x12"),
            ],
            before: "4m",
            at: "8m",
            labels: vec![("persistentvolumeclaim", "data-neo4j-0")],
        },
    },
    Alert {
        name: "Neo4jMemberDown",
        severity: Severity::High,
        for_: "15m",
        summary: "A member has been down for 15 minutes",
        description: "Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} has fewer Ready members than it asks for, and no day-2 operation explains it.",
        runbook: "member-down",
        expr: |s| {
            let c = s.cluster();
            format!(
                "({ready}{{{c}}} < on (namespace, cluster) {desired}{{{c}}}) unless on (namespace, cluster) {op}{{{c}}} == 1",
                ready = op::MEMBERS_READY,
                desired = op::MEMBERS_DESIRED,
                op = op::OPERATION_IN_PROGRESS
            )
        },
        case: || Case {
            firing: vec![
                series(op::MEMBERS_READY, &[], "3 2x30"),
                series(op::MEMBERS_DESIRED, &[], "3x31"),
                series(op::OPERATION_IN_PROGRESS, &[], "0x31"),
            ],
            // A rolling restart keeps one member down after another: not an outage.
            quiet: vec![
                series(op::MEMBERS_READY, &[], "3 2x30"),
                series(op::MEMBERS_DESIRED, &[], "3x31"),
                series(op::OPERATION_IN_PROGRESS, &[], "0 1x30"),
            ],
            before: "10m",
            at: "20m",
            labels: vec![],
        },
    },
    Alert {
        name: "Neo4jReplicationLagHigh",
        severity: Severity::High,
        for_: "2m",
        summary: "A database copy is more than 30 seconds behind its leader",
        description: "A copy of database {{ $labels.database }} in Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} lags its leader by more than 30 seconds of the leader's write rate.",
        runbook: "replication-lag",
        expr: |s| lag_seconds(s, 30),
        case: lag_case,
    },
    Alert {
        name: "Neo4jReplicationLag",
        severity: Severity::Medium,
        for_: "5m",
        summary: "A database copy is more than 10 seconds behind its leader",
        description: "A copy of database {{ $labels.database }} in Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} lags its leader by more than 10 seconds of the leader's write rate.",
        runbook: "replication-lag",
        expr: |s| lag_seconds(s, 10),
        case: || Case {
            before: "6m",
            at: "15m",
            ..lag_case()
        },
    },
    Alert {
        name: "Neo4jUnreachable",
        severity: Severity::High,
        for_: "10m",
        summary: "The operator cannot ask Neo4j for the cluster's state",
        description: "The operator's SHOW SERVERS / SHOW DATABASES on Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} has failed for 10 minutes: no day-2 operation can proceed.",
        runbook: "neo4j-unreachable",
        expr: |s| format!("{}{{{}}} == 0", op::NEO4J_REACHABLE, s.cluster()),
        case: || Case {
            firing: vec![series(op::NEO4J_REACHABLE, &[], "1 0x20")],
            quiet: vec![series(op::NEO4J_REACHABLE, &[], "1 0 0 1x18")],
            before: "5m",
            at: "15m",
            labels: vec![],
        },
    },
    Alert {
        name: "Neo4jCertificateExpiringSoon",
        severity: Severity::High,
        for_: "1h",
        summary: "A TLS certificate expires within 7 days",
        description: "The {{ $labels.certificate }} certificate of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} expires in less than 7 days. The operator renews member certificates 30 days before they expire, so renewal or the restart that loads it is not happening.",
        runbook: "certificate-expiring",
        expr: |s| {
            format!(
                "{}{{{}}} - time() < 7 * 86400",
                op::CERTIFICATE_EXPIRY,
                s.cluster()
            )
        },
        // The test clock starts at 0: 600000 s is just under 7 days away.
        case: || Case {
            firing: vec![series(op::CERTIFICATE_EXPIRY, &[CERTIFICATE], "600000x150")],
            quiet: vec![series(
                op::CERTIFICATE_EXPIRY,
                &[CERTIFICATE],
                "7776000x150",
            )],
            before: "30m",
            at: "90m",
            labels: vec![CERTIFICATE],
        },
    },
    Alert {
        name: "Neo4jHeapHigh",
        severity: Severity::High,
        for_: "15m",
        summary: "A member's JVM heap is more than 90% used",
        description: "Member {{ $labels.member }} of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} has used more than 90% of its heap for 15 minutes.",
        runbook: "heap-high",
        expr: |s| {
            let c = s.cluster();
            format!(
                "{used}{{{c}}} / {max}{{{c}}} > 0.9",
                used = HEAP_USED.series(),
                max = HEAP_MAX.series()
            )
        },
        case: || Case {
            firing: vec![
                series(&HEAP_USED.series(), &[MEMBER], "950x30"),
                series(&HEAP_MAX.series(), &[MEMBER], "1000x30"),
            ],
            quiet: vec![
                series(&HEAP_USED.series(), &[MEMBER], "950 500x29"),
                series(&HEAP_MAX.series(), &[MEMBER], "1000x30"),
            ],
            before: "10m",
            at: "20m",
            labels: vec![MEMBER],
        },
    },
    Alert {
        name: "Neo4jCpuHigh",
        severity: Severity::Medium,
        for_: "15m",
        summary: "A member uses more than 80% of its CPU limit",
        description: "Pod {{ $labels.namespace }}/{{ $labels.pod }} has used more than 80% of its CPU limit for 15 minutes; queries slow down and the kubelet throttles it.",
        runbook: "cpu-high",
        expr: |s| {
            let c = s.containers();
            format!(
                "sum by (namespace, pod) (rate({usage}{{{c}}}[5m])) / sum by (namespace, pod) ({limit}{{{c},resource=\"cpu\"}}) > 0.8",
                usage = CONTAINER_METRICS[0],
                limit = CONTAINER_METRICS[1]
            )
        },
        // 54 CPU-seconds a minute on a 1-core limit is 90%; 30 is 50%.
        case: || Case {
            firing: vec![
                container(CONTAINER_METRICS[0], "", "0+54x40"),
                container(CONTAINER_METRICS[1], ",resource=\"cpu\"", "1x40"),
            ],
            quiet: vec![
                container(CONTAINER_METRICS[0], "", "0+30x40"),
                container(CONTAINER_METRICS[1], ",resource=\"cpu\"", "1x40"),
            ],
            before: "15m",
            at: "30m",
            labels: vec![("pod", "neo4j-0")],
        },
    },
    Alert {
        name: "Neo4jVolumeAlmostFull",
        severity: Severity::Medium,
        for_: "15m",
        summary: "A member's data volume is more than 85% used",
        description: "Claim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 15% free space; expand spec.storage.size before it fills.",
        runbook: "volume-full",
        expr: |s| {
            let c = s.claims();
            format!(
                "kubelet_volume_stats_available_bytes{{{c}}} / kubelet_volume_stats_capacity_bytes{{{c}}} < 0.15"
            )
        },
        case: || Case {
            firing: vec![
                claim("kubelet_volume_stats_available_bytes", "100x30"),
                claim("kubelet_volume_stats_capacity_bytes", "1000x30"),
            ],
            quiet: vec![
                claim("kubelet_volume_stats_available_bytes", "200x30"),
                claim("kubelet_volume_stats_capacity_bytes", "1000x30"),
            ],
            before: "10m",
            at: "20m",
            labels: vec![("persistentvolumeclaim", "data-neo4j-0")],
        },
    },
    Alert {
        name: "Neo4jBackupVerificationFailed",
        severity: Severity::Medium,
        for_: "5m",
        summary: "The newest restore-and-check of a backup failed",
        description: "The backup verification Job of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} failed: the newest backup may not restore.",
        runbook: "backup-verification-failed",
        expr: |s| format!("{}{{{}}} == 1", op::VERIFICATION_LAST_FAILED, s.cluster()),
        case: || Case {
            firing: vec![series(op::VERIFICATION_LAST_FAILED, &[], "0 1x20")],
            quiet: vec![series(op::VERIFICATION_LAST_FAILED, &[], "0x20")],
            before: "3m",
            at: "10m",
            labels: vec![],
        },
    },
    Alert {
        name: "Neo4jDay2OperationInProgress",
        severity: Severity::Low,
        for_: "1m",
        summary: "A day-2 operation is running",
        description: "The operator is scaling, restarting or replacing members of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }}.",
        runbook: "day2-operation",
        expr: |s| format!("{}{{{}}} == 1", op::OPERATION_IN_PROGRESS, s.cluster()),
        case: || Case {
            firing: vec![series(op::OPERATION_IN_PROGRESS, &[], "0 1x10")],
            quiet: vec![series(op::OPERATION_IN_PROGRESS, &[], "0x10")],
            before: "1m",
            at: "5m",
            labels: vec![],
        },
    },
    Alert {
        name: "Neo4jLeaderChanged",
        severity: Severity::Low,
        for_: "1m",
        summary: "A database elected a new leader",
        description: "Member {{ $labels.member }} of Neo4jCluster {{ $labels.namespace }}/{{ $labels.cluster }} gained or lost the leadership of database {{ $labels.database }} in the last 15 minutes.",
        runbook: "leader-changed",
        expr: |s| {
            format!(
                "changes({}{{{}}}[15m]) > 0",
                RAFT_IS_LEADER.series(),
                s.cluster()
            )
        },
        case: || Case {
            firing: vec![series(&RAFT_IS_LEADER.series(), &[DB, MEMBER], "0 0 1x10")],
            quiet: vec![series(&RAFT_IS_LEADER.series(), &[DB, MEMBER], "1x12")],
            before: "2m",
            at: "5m",
            labels: vec![DB, MEMBER],
        },
    },
];

const MEMBER: (&str, &str) = ("member", "neo4j-0");

fn container(metric: &str, extra: &str, values: &str) -> Series {
    (
        format!(
            "{metric}{{namespace={TEST_NAMESPACE:?},pod=\"neo4j-0\",container={:?}{extra}}}",
            neo4j_aks_model::api::containers::NEO4J
        ),
        values.to_string(),
    )
}

fn claim(metric: &str, values: &str) -> Series {
    (
        format!("{metric}{{namespace={TEST_NAMESPACE:?},persistentvolumeclaim=\"data-neo4j-0\"}}"),
        values.to_string(),
    )
}

/// Seconds a copy is behind: the operator's lag in transactions (SHOW DATABASES
/// `replicationLag`) over the leader's commit rate (Neo4j's `transaction.committed`). With no
/// writes and a lag, the quotient is +Inf: a copy that does not catch up while nothing is
/// written is stuck. 0/0 (no lag, no writes) is NaN and never fires.
fn lag_seconds(s: &Scope, threshold: u32) -> String {
    let c = s.cluster();
    format!(
        "{lag}{{{c}}} / on (namespace, cluster, database) max by (namespace, cluster, database) (rate({committed}{{{c}}}[5m])) > {threshold}",
        lag = op::REPLICATION_LAG,
        committed = TRANSACTIONS_COMMITTED.series()
    )
}

/// 10 transactions per second on the leader; the lag climbs to 500 transactions (50 s).
fn lag_case() -> Case {
    Case {
        firing: vec![
            series(op::REPLICATION_LAG, &[DB], "0 0 0 0 0 0 500x20"),
            series(&TRANSACTIONS_COMMITTED.series(), &[DB, MEMBER], "0+600x26"),
        ],
        quiet: vec![
            series(op::REPLICATION_LAG, &[DB], "0 0 0 0 0 0 50x20"),
            series(&TRANSACTIONS_COMMITTED.series(), &[DB, MEMBER], "0+600x26"),
        ],
        before: "7m",
        at: "12m",
        labels: vec![DB],
    }
}

impl Alert {
    pub fn runbook_url(&self) -> String {
        format!("{RUNBOOK_BASE_URL}{}.md", self.runbook)
    }

    pub fn rule(&self, scope: &Scope) -> Rule {
        Rule {
            alert: Some(self.name.to_string()),
            // `metric{}` (no scope matchers) is written as `metric`.
            expr: (self.expr)(scope).replace("{}", ""),
            for_: Some(self.for_.to_string()),
            labels: BTreeMap::from([("severity".to_string(), self.severity.as_str().to_string())]),
            annotations: BTreeMap::from([
                ("summary".to_string(), self.summary.to_string()),
                ("description".to_string(), self.description.to_string()),
                ("runbook_url".to_string(), self.runbook_url()),
            ]),
            ..Rule::default()
        }
    }

    /// The description as Alertmanager shows it for these labels.
    pub fn description_with(&self, labels: &BTreeMap<String, String>) -> String {
        let mut text = self.description.to_string();
        for (key, value) in labels {
            text = text.replace(&format!("{{{{ $labels.{key} }}}}"), value);
        }
        text
    }
}

/// Name of the one rule group.
pub const GROUP: &str = "neo4j-aks";

/// The rule groups for `scope`.
pub fn spec(scope: &Scope) -> PrometheusRuleSpec {
    PrometheusRuleSpec {
        groups: vec![RuleGroup {
            name: GROUP.to_string(),
            interval: None,
            rules: ALERTS.iter().map(|a| a.rule(scope)).collect(),
        }],
    }
}
