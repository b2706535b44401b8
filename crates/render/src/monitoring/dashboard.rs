//! The dashboards, defined once: sections (cluster overview, members, databases, backups) of
//! panels, each a title, a description, a unit and PromQL queries over the series the rules read
//! (Neo4j's, the operator's and the kubelet's), plus the Container Insights log queries of the
//! cluster's Kubernetes events. [`super::grafana`] renders the Grafana dashboard and
//! [`super::workbook`] the Azure Monitor workbook from the same definition; only the way a
//! template variable is written differs ([`Vars`]).

use neo4j_aks_model::api::metrics as op;

use super::neo4j_metrics::{
    BOLT_CONNECTIONS_RUNNING, HEAP_MAX, HEAP_USED, LAST_COMMITTED_TX_ID, RAFT_IS_LEADER,
    STORE_SIZE_DATABASE, TRANSACTIONS_COMMITTED,
};
use super::rules::{CONTAINER_METRICS, KUBELET_METRICS};

/// Title of both renderings.
pub const TITLE: &str = "Neo4j on AKS (neo4j-aks)";
/// What both renderings say they show.
pub const DESCRIPTION: &str = "Neo4jCluster health from the neo4j-aks operator, Neo4j's own metrics and the kubelet's volume statistics (docs/monitoring.md).";

/// How a rendering writes its template variables inside a query: Grafana's `$namespace`, a
/// workbook's `{namespace}`. The variables are the Neo4jCluster's namespace and name and a
/// regular expression of database names.
#[derive(Clone, Copy, Debug)]
pub struct Vars {
    pub namespace: &'static str,
    pub cluster: &'static str,
    pub database: &'static str,
}

/// Template variables (name, label, what it selects).
pub const VARIABLES: [(&str, &str, &str); 3] = [
    ("namespace", "Namespace", "The Neo4jCluster's namespace."),
    ("cluster", "Cluster", "The Neo4jCluster's name."),
    (
        "database",
        "Database",
        "Databases to show (a regular expression; all by default).",
    ),
];

impl Vars {
    /// Matchers of the cluster's operator and Neo4j series.
    fn cluster(&self) -> String {
        format!(
            "namespace=\"{}\",cluster=\"{}\"",
            self.namespace, self.cluster
        )
    }

    /// Matchers of the cluster's series of the selected databases.
    fn databases(&self) -> String {
        format!("{},database=~\"{}\"", self.cluster(), self.database)
    }

    /// Matchers of the members' Neo4j containers (cAdvisor, kube-state-metrics).
    fn containers(&self) -> String {
        format!(
            "namespace=\"{}\",container=\"{}\",pod=~\"{}-[0-9]+\"",
            self.namespace,
            neo4j_aks_model::api::containers::NEO4J,
            self.cluster
        )
    }

    /// Matchers of the members' data claims (`data-<cluster>-<ordinal>`).
    fn claims(&self) -> String {
        format!(
            "namespace=\"{}\",persistentvolumeclaim=~\"data-{}-[0-9]+\"",
            self.namespace, self.cluster
        )
    }
}

/// Where the series a variable offers come from: the label's values on this metric (for
/// `cluster` and `database`, restricted to the variables before them).
pub struct VariableSource {
    pub metric: &'static str,
    pub label: &'static str,
    /// Matchers of the variables it depends on (empty for the first).
    pub matchers: String,
}

/// The source of each of [`VARIABLES`], in order.
pub fn variable_sources(vars: &Vars) -> Vec<VariableSource> {
    vec![
        VariableSource {
            metric: op::MEMBERS_DESIRED,
            label: "namespace",
            matchers: String::new(),
        },
        VariableSource {
            metric: op::MEMBERS_DESIRED,
            label: "cluster",
            matchers: format!("namespace=\"{}\"", vars.namespace),
        },
        VariableSource {
            metric: op::HAS_LEADER,
            label: "database",
            matchers: vars.cluster(),
        },
    ]
}

impl VariableSource {
    /// The series selector whose label values the variable offers (valid PromQL).
    pub fn selector(&self) -> String {
        if self.matchers.is_empty() {
            self.metric.to_string()
        } else {
            format!("{}{{{}}}", self.metric, self.matchers)
        }
    }
}

/// How a panel shows its value(s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The latest value, large.
    Stat,
    /// Values over the dashboard's time range.
    TimeSeries,
}

/// A panel's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Bytes,
    /// A ratio 0..1 shown as a percentage.
    Ratio,
    Seconds,
    PerSecond,
    /// 0/1 shown as no/yes.
    YesNo,
}

/// When a stat turns red: at or above `value` (`above_is_bad`), or below it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    pub value: f64,
    pub above_is_bad: bool,
}

/// One query of a panel and how its series are named (`{{label}}` templates, Grafana's legend
/// syntax).
#[derive(Clone, Debug)]
pub struct Query {
    pub expr: String,
    pub legend: &'static str,
}

pub struct Panel {
    pub title: &'static str,
    pub description: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    pub threshold: Option<Threshold>,
    pub queries: Vec<Query>,
}

pub struct Section {
    pub title: &'static str,
    pub panels: Vec<Panel>,
}

fn q(expr: String, legend: &'static str) -> Query {
    Query { expr, legend }
}

const BAD_ABOVE_ONE: Option<Threshold> = Some(Threshold {
    value: 1.0,
    above_is_bad: true,
});
const BAD_BELOW_ONE: Option<Threshold> = Some(Threshold {
    value: 1.0,
    above_is_bad: false,
});

/// The dashboard's sections, with queries written for `vars`.
pub fn sections(vars: &Vars) -> Vec<Section> {
    let c = vars.cluster();
    let d = vars.databases();
    let claims = vars.claims();
    let containers = vars.containers();
    let [available, capacity] = [KUBELET_METRICS[0], KUBELET_METRICS[1]];
    vec![
        Section {
            title: "Cluster overview",
            panels: vec![
                Panel {
                    title: "Members ready",
                    description: "Member pods that are Ready, against spec.nodeCount (from the operator).",
                    kind: Kind::Stat,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![
                        q(format!("{}{{{c}}}", op::MEMBERS_READY), "ready"),
                        q(format!("{}{{{c}}}", op::MEMBERS_DESIRED), "desired"),
                    ],
                },
                Panel {
                    title: "Servers enabled",
                    description: "Servers that SHOW SERVERS lists Enabled and Available.",
                    kind: Kind::Stat,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![q(format!("{}{{{c}}}", op::MEMBERS_ENABLED), "enabled")],
                },
                Panel {
                    title: "Neo4j reachable",
                    description: "Whether the operator's last SHOW SERVERS / SHOW DATABASES got an answer (alert Neo4jUnreachable).",
                    kind: Kind::Stat,
                    unit: Unit::YesNo,
                    threshold: BAD_BELOW_ONE,
                    queries: vec![q(format!("{}{{{c}}}", op::NEO4J_REACHABLE), "reachable")],
                },
                Panel {
                    title: "Day-2 operation in progress",
                    description: "Whether the operator is scaling, restarting or replacing members (alert Neo4jDay2OperationInProgress).",
                    kind: Kind::Stat,
                    unit: Unit::YesNo,
                    threshold: None,
                    queries: vec![q(
                        format!("{}{{{c}}}", op::OPERATION_IN_PROGRESS),
                        "in progress",
                    )],
                },
                Panel {
                    title: "Members over time",
                    description: "Ready members, enabled servers and the members asked for (alerts Neo4jMemberDown, Neo4jClusterDown).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![
                        q(format!("{}{{{c}}}", op::MEMBERS_READY), "ready"),
                        q(format!("{}{{{c}}}", op::MEMBERS_ENABLED), "enabled"),
                        q(format!("{}{{{c}}}", op::MEMBERS_DESIRED), "desired"),
                    ],
                },
                Panel {
                    title: "Bolt connections running",
                    description: "Bolt connections executing a transaction, summed over the members.",
                    kind: Kind::TimeSeries,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![q(
                        format!("sum({}{{{c}}})", BOLT_CONNECTIONS_RUNNING.series()),
                        "running",
                    )],
                },
            ],
        },
        Section {
            title: "Members",
            panels: vec![
                Panel {
                    title: "JVM heap used",
                    description: "Heap used over the heap's maximum, per member (alert Neo4jHeapHigh above 90%).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Ratio,
                    threshold: None,
                    queries: vec![q(
                        format!(
                            "{}{{{c}}} / {}{{{c}}}",
                            HEAP_USED.series(),
                            HEAP_MAX.series()
                        ),
                        "{{member}}",
                    )],
                },
                Panel {
                    title: "CPU used of the limit",
                    description: "CPU each member's Neo4j container uses over its CPU limit (cAdvisor and kube-state-metrics; alert Neo4jCpuHigh above 80%).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Ratio,
                    threshold: None,
                    queries: vec![q(
                        format!(
                            "sum by (pod) (rate({usage}{{{containers}}}[5m])) / sum by (pod) ({limit}{{{containers},resource=\"cpu\"}})",
                            usage = CONTAINER_METRICS[0],
                            limit = CONTAINER_METRICS[1]
                        ),
                        "{{pod}}",
                    )],
                },
                Panel {
                    title: "Bolt connections running per member",
                    description: "Bolt connections executing a transaction on each member.",
                    kind: Kind::TimeSeries,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![q(
                        format!("{}{{{c}}}", BOLT_CONNECTIONS_RUNNING.series()),
                        "{{member}}",
                    )],
                },
                Panel {
                    title: "Data volume used",
                    description: "Used share of each member's data claim (kubelet volume statistics; alerts Neo4jVolumeAlmostFull above 85%, Neo4jVolumeFull above 99%).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Ratio,
                    threshold: None,
                    queries: vec![q(
                        format!("1 - {available}{{{claims}}} / {capacity}{{{claims}}}"),
                        "{{persistentvolumeclaim}}",
                    )],
                },
                Panel {
                    title: "Data volume free",
                    description: "Free bytes on each member's data claim.",
                    kind: Kind::TimeSeries,
                    unit: Unit::Bytes,
                    threshold: None,
                    queries: vec![q(
                        format!("{available}{{{claims}}}"),
                        "{{persistentvolumeclaim}}",
                    )],
                },
            ],
        },
        Section {
            title: "Databases",
            panels: vec![
                Panel {
                    title: "Database has a leader",
                    description: "Whether some member is the database's writer (alert Neo4jDatabaseWithoutLeader).",
                    kind: Kind::Stat,
                    unit: Unit::YesNo,
                    threshold: BAD_BELOW_ONE,
                    queries: vec![q(format!("{}{{{d}}}", op::HAS_LEADER), "{{database}}")],
                },
                Panel {
                    title: "Primaries online against quorum",
                    description: "Primary copies online on an Available server, and the majority a write needs (alert Neo4jQuorumLost when online < required).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![
                        q(
                            format!("{}{{{d}}}", op::PRIMARIES_ONLINE),
                            "{{database}} online",
                        ),
                        q(
                            format!("{}{{{d}}}", op::PRIMARIES_REQUIRED),
                            "{{database}} required",
                        ),
                    ],
                },
                Panel {
                    title: "Replication lag",
                    description: "Largest replicationLag of any copy, in transactions (SHOW DATABASES).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![q(format!("{}{{{d}}}", op::REPLICATION_LAG), "{{database}}")],
                },
                Panel {
                    title: "Replication lag in seconds of writes",
                    description: "Lag over the leader's commit rate: the seconds of writes a copy is behind (alerts Neo4jReplicationLag above 10 s, Neo4jReplicationLagHigh above 30 s).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Seconds,
                    threshold: None,
                    queries: vec![q(
                        format!(
                            "{lag}{{{d}}} / on (namespace, cluster, database) max by (namespace, cluster, database) (rate({committed}{{{d}}}[5m]))",
                            lag = op::REPLICATION_LAG,
                            committed = TRANSACTIONS_COMMITTED.series()
                        ),
                        "{{database}}",
                    )],
                },
                Panel {
                    title: "Transactions committed",
                    description: "Commit rate of each database (the busiest member, i.e. the leader).",
                    kind: Kind::TimeSeries,
                    unit: Unit::PerSecond,
                    threshold: None,
                    queries: vec![q(
                        format!(
                            "max by (database) (rate({}{{{d}}}[5m]))",
                            TRANSACTIONS_COMMITTED.series()
                        ),
                        "{{database}}",
                    )],
                },
                Panel {
                    title: "Last committed transaction per member",
                    description: "The newest transaction id each member has committed; a copy whose line falls behind is lagging.",
                    kind: Kind::TimeSeries,
                    unit: Unit::Count,
                    threshold: None,
                    queries: vec![q(
                        format!("{}{{{d}}}", LAST_COMMITTED_TX_ID.series()),
                        "{{database}} {{member}}",
                    )],
                },
                Panel {
                    title: "Leader per member",
                    description: "1 where a member leads the database's Raft group (alert Neo4jLeaderChanged on a change).",
                    kind: Kind::TimeSeries,
                    unit: Unit::YesNo,
                    threshold: None,
                    queries: vec![q(
                        format!("{}{{{d}}}", RAFT_IS_LEADER.series()),
                        "{{database}} {{member}}",
                    )],
                },
                Panel {
                    title: "Store size",
                    description: "Size of each database's store (the largest copy).",
                    kind: Kind::TimeSeries,
                    unit: Unit::Bytes,
                    threshold: None,
                    queries: vec![q(
                        format!(
                            "max by (database) ({}{{{d}}})",
                            STORE_SIZE_DATABASE.series()
                        ),
                        "{{database}}",
                    )],
                },
            ],
        },
        Section {
            title: "Backups",
            panels: vec![
                Panel {
                    title: "Since the last successful backup",
                    description: "Age of the newest successful backup (alert Neo4jBackupMissing after 24 h).",
                    kind: Kind::Stat,
                    unit: Unit::Seconds,
                    threshold: Some(Threshold {
                        value: 86400.0,
                        above_is_bad: true,
                    }),
                    queries: vec![q(
                        format!("time() - {}{{{c}}}", op::BACKUP_LAST_SUCCESS),
                        "backup",
                    )],
                },
                Panel {
                    title: "Since the last successful verification",
                    description: "Age of the newest successful restore-and-check of a backup.",
                    kind: Kind::Stat,
                    unit: Unit::Seconds,
                    threshold: None,
                    queries: vec![q(
                        format!("time() - {}{{{c}}}", op::VERIFICATION_LAST_SUCCESS),
                        "verification",
                    )],
                },
                Panel {
                    title: "Last backup run failed",
                    description: "Whether the newest finished backup run failed.",
                    kind: Kind::Stat,
                    unit: Unit::YesNo,
                    threshold: BAD_ABOVE_ONE,
                    queries: vec![q(format!("{}{{{c}}}", op::BACKUP_LAST_FAILED), "failed")],
                },
                Panel {
                    title: "Last verification failed",
                    description: "Whether the newest restore-and-check failed (alert Neo4jBackupVerificationFailed).",
                    kind: Kind::Stat,
                    unit: Unit::YesNo,
                    threshold: BAD_ABOVE_ONE,
                    queries: vec![q(
                        format!("{}{{{c}}}", op::VERIFICATION_LAST_FAILED),
                        "failed",
                    )],
                },
            ],
        },
        Section {
            title: "TLS certificates",
            panels: vec![Panel {
                title: "Until a certificate expires",
                description: "Time left on the generated CA and on the earliest member certificate (spec.tls); members are renewed 30 days before, alert Neo4jCertificateExpiringSoon at 7 days.",
                kind: Kind::Stat,
                unit: Unit::Seconds,
                threshold: Some(Threshold {
                    value: 7.0 * 86400.0,
                    above_is_bad: false,
                }),
                queries: vec![q(
                    format!("{}{{{c}}} - time()", op::CERTIFICATE_EXPIRY),
                    "{{certificate}}",
                )],
            }],
        },
    ]
}

/// Every PromQL query of the dashboard for `vars`: the panels' and the variables' selectors,
/// each with where it comes from.
pub fn promql(vars: &Vars) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for section in sections(vars) {
        for panel in section.panels {
            for (i, query) in panel.queries.into_iter().enumerate() {
                out.push((
                    format!("{} / {} #{}", section.title, panel.title, i + 1),
                    query.expr,
                ));
            }
        }
    }
    for (source, (name, _, _)) in variable_sources(vars).into_iter().zip(VARIABLES) {
        out.push((format!("variable {name}"), source.selector()));
    }
    out
}

/// Container Insights tables and the columns the log queries read, with their types, as
/// Microsoft's table reference lists them:
/// <https://learn.microsoft.com/azure/azure-monitor/reference/tables/kubeevents> (Kubernetes
/// events; `Name`/`Namespace`/`ObjectKind` are the involved object's) and
/// <https://learn.microsoft.com/azure/azure-monitor/reference/tables/kubepodinventory> (pods and
/// their containers; `PodStatus` is the pod's phase).
pub const LOG_TABLES: &[(&str, &[(&str, &str)])] = &[
    (
        "KubeEvents",
        &[
            ("TimeGenerated", "datetime"),
            ("ClusterName", "string"),
            ("Namespace", "string"),
            ("Name", "string"),
            ("ObjectKind", "string"),
            ("KubeEventType", "string"),
            ("Reason", "string"),
            ("Message", "string"),
            ("Count", "real"),
            ("FirstSeen", "datetime"),
            ("LastSeen", "datetime"),
            ("SourceComponent", "string"),
            ("Computer", "string"),
        ],
    ),
    (
        "KubePodInventory",
        &[
            ("TimeGenerated", "datetime"),
            ("ClusterName", "string"),
            ("Namespace", "string"),
            ("Name", "string"),
            ("Computer", "string"),
            ("ControllerKind", "string"),
            ("ControllerName", "string"),
            ("PodStatus", "string"),
            ("PodRestartCount", "int"),
            ("ContainerStatus", "string"),
            ("ContainerStatusReason", "string"),
        ],
    ),
];

/// How a log query is scoped: the time filter after `TimeGenerated` and the cluster's namespace
/// and name (a workbook's parameters, or literal values in docs/monitoring.md).
#[derive(Clone, Copy, Debug)]
pub struct LogVars {
    pub time: &'static str,
    pub namespace: &'static str,
    pub cluster: &'static str,
}

/// The values docs/monitoring.md shows the log queries with (the example cluster neo4j/neo4j,
/// the last day), for Log Analytics' query editor.
pub const DOCS_LOG_VARS: LogVars = LogVars {
    time: "> ago(1d)",
    namespace: "neo4j",
    cluster: "neo4j",
};

/// A Container Insights log query (KQL).
pub struct LogQuery {
    pub title: &'static str,
    pub description: &'static str,
    pub kql: String,
}

/// The involved objects of a cluster's events: the Neo4jCluster itself, its StatefulSet and
/// Services (`<cluster>`, `<cluster>-…`), member pods (`<cluster>-<ordinal>`) and their data
/// claims (`data-<cluster>-<ordinal>`).
fn cluster_objects(v: &LogVars) -> String {
    format!(
        "Namespace == '{ns}' and (Name == '{c}' or Name startswith '{c}-' or Name startswith 'data-{c}-')",
        ns = v.namespace,
        c = v.cluster
    )
}

/// The Container Insights log queries of a cluster's events.
pub fn log_queries(v: &LogVars) -> Vec<LogQuery> {
    let objects = cluster_objects(v);
    let time = v.time;
    vec![
        LogQuery {
            title: "Kubernetes events of the cluster",
            description: "Every event about the Neo4jCluster, its StatefulSet, Services, member pods and data claims, newest first (the operator's own events included).",
            kql: format!(
                "KubeEvents\n| where TimeGenerated {time}\n| where {objects}\n| project LastSeen, KubeEventType, ObjectKind, Name, Reason, Message, Count, SourceComponent\n| order by LastSeen desc"
            ),
        },
        LogQuery {
            title: "Warning events by reason",
            description: "Warning events of the cluster's objects, counted by reason and object (failed scheduling, probes, volume attach, image pulls).",
            kql: format!(
                "KubeEvents\n| where TimeGenerated {time}\n| where KubeEventType == 'Warning'\n| where {objects}\n| summarize Events = sum(Count), Last = max(LastSeen) by Reason, ObjectKind, Name\n| order by Events desc"
            ),
        },
        LogQuery {
            title: "Member pods: phase and restarts",
            description: "The latest inventory record of each member pod of the cluster's StatefulSet: its phase, restarts, node and container state.",
            kql: format!(
                "KubePodInventory\n| where TimeGenerated {time}\n| where Namespace == '{ns}' and ControllerKind == 'StatefulSet' and ControllerName == '{c}'\n| summarize arg_max(TimeGenerated, PodStatus, PodRestartCount, Computer, ContainerStatus, ContainerStatusReason) by Name\n| order by Name asc",
                ns = v.namespace,
                c = v.cluster
            ),
        },
    ]
}
