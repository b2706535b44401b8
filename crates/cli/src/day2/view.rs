//! `neo4j-aks status`: the Neo4jCluster's status as a table for people and as a stable JSON
//! document for scripts. Pure: both are computed from the object alone.

use kube::ResourceExt;
use neo4j_aks_model::{BootstrapStatus, Neo4jCluster, Neo4jClusterStatus, OperationStatus};
use serde::Serialize;

/// Printed for a value the status does not know (for instance while Neo4j is unreachable).
pub const UNKNOWN: &str = "-";

/// Version tag of the JSON document; bumped only when a key changes meaning or disappears.
pub const FORMAT: &str = "neo4j-aks.io/status/v1";

/// Conditions whose healthy state is `True`; for every other type `True` needs attention.
const HEALTHY_WHEN_TRUE: [&str; 3] = ["Ready", "SpecValid", "ClusterFormed"];

/// The `-o json` document. Every key is always present; unknown values are `null`.
#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub format: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub generation: Option<i64>,
    pub observed_generation: Option<i64>,
    /// `spec.nodeCount`: the member count asked for.
    pub node_count: Option<i32>,
    pub phase: Option<String>,
    pub ready_members: Option<i32>,
    pub members: Vec<MemberView>,
    pub databases: Vec<DatabaseView>,
    pub operation: Option<OperationView>,
    pub next_step: Option<NextStepView>,
    /// Every condition; `healthy` tells which ones the table lists.
    pub conditions: Vec<ConditionView>,
    /// Seeding from a backup (`spec.bootstrap`); null for a cluster created without it.
    pub bootstrap: Option<BootstrapView>,
    /// A `spec.neo4jVersion` change rolling out; null when every member runs the spec's version.
    pub upgrade: Option<UpgradeView>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeView {
    pub from: Vec<String>,
    pub to: String,
    pub upgraded: Vec<String>,
    pub remaining: Vec<String>,
    pub crosses_lines: bool,
}

impl UpgradeView {
    /// `5.26.29 → 2025.10.1: 1 of 3 members upgraded; remaining db-0, db-1`.
    pub fn summary(&self) -> String {
        let total = self.upgraded.len() + self.remaining.len();
        format!(
            "{} → {}: {} of {total} members upgraded; remaining {}",
            self.from.join(", "),
            self.to,
            self.upgraded.len(),
            self.remaining.join(", ")
        )
    }
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BootstrapView {
    pub phase: String,
    pub message: Option<String>,
    pub databases: Vec<SeededDatabaseView>,
    pub completed_at: Option<String>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeededDatabaseView {
    pub name: String,
    pub artifact: String,
    pub state: String,
    pub requested_at: String,
    pub nodes: Option<i64>,
    pub relationships: Option<i64>,
}

impl From<&BootstrapStatus> for BootstrapView {
    fn from(b: &BootstrapStatus) -> Self {
        BootstrapView {
            phase: b.phase.clone(),
            message: b.message.clone(),
            databases: b
                .databases
                .iter()
                .map(|d| SeededDatabaseView {
                    name: d.name.clone(),
                    artifact: d.artifact.clone(),
                    state: d.state.clone(),
                    requested_at: d.requested_at.clone(),
                    nodes: d.nodes,
                    relationships: d.relationships,
                })
                .collect(),
            completed_at: b.completed_at.clone(),
        }
    }
}

impl BootstrapView {
    /// `Seeding: sales is being seeded (…); neo4j Seeded (1200 nodes), sales Requested`.
    pub fn summary(&self) -> String {
        let mut text = self.phase.clone();
        if let Some(message) = &self.message {
            text.push_str(&format!(": {message}"));
        }
        if !self.databases.is_empty() {
            let each: Vec<String> = self
                .databases
                .iter()
                .map(|d| match d.nodes {
                    Some(nodes) => format!("{} {} ({nodes} nodes)", d.name, d.state),
                    None => format!("{} {}", d.name, d.state),
                })
                .collect();
            text.push_str(&format!("; {}", each.join(", ")));
        }
        text
    }
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub pod: String,
    pub ordinal: Option<u32>,
    pub zone: Option<String>,
    pub node: Option<String>,
    pub ready: bool,
    pub server_id: Option<String>,
    pub server_state: Option<String>,
    pub health: Option<String>,
    pub databases: Vec<MemberDatabaseView>,
    /// The Neo4j version the member's pod runs.
    pub version: Option<String>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemberDatabaseView {
    pub name: Option<String>,
    pub role: Option<String>,
    pub writer: Option<bool>,
    pub status: Option<String>,
    pub lag: Option<u64>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseView {
    pub name: Option<String>,
    pub status: Option<String>,
    pub primaries: Option<u32>,
    pub primaries_available: Option<u32>,
    pub quorum: Option<bool>,
    pub leader: Option<String>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    pub kind: Option<String>,
    pub target: Option<u32>,
    pub member: Option<u32>,
    pub server: Option<String>,
    pub phase: Option<String>,
    pub revision: Option<String>,
    pub started_at: Option<String>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NextStepView {
    pub action: Option<String>,
    pub member: Option<u32>,
    pub reason: Option<String>,
    pub at: Option<String>,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConditionView {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub healthy: bool,
}

/// Whether a condition is in its healthy state.
pub fn healthy(type_: &str, status: &str) -> bool {
    if HEALTHY_WHEN_TRUE.contains(&type_) {
        status == "True"
    } else {
        status == "False"
    }
}

impl StatusView {
    pub fn of(cluster: &Neo4jCluster) -> Self {
        let empty = Neo4jClusterStatus::default();
        let status = cluster.status.as_ref().unwrap_or(&empty);
        StatusView {
            format: FORMAT,
            name: cluster.name_any(),
            namespace: cluster.namespace(),
            generation: cluster.metadata.generation,
            observed_generation: status.observed_generation,
            node_count: cluster.spec.node_count,
            phase: status.phase.clone(),
            ready_members: status.ready_members,
            members: status
                .members
                .iter()
                .map(|m| MemberView {
                    pod: m.pod.clone(),
                    ordinal: m.ordinal,
                    zone: m.zone.clone(),
                    node: m.node.clone(),
                    ready: m.ready,
                    server_id: m.server_id.clone(),
                    server_state: m.server_state.clone(),
                    health: m.health.clone(),
                    databases: m
                        .databases
                        .iter()
                        .map(|d| MemberDatabaseView {
                            name: Some(d.name.clone()),
                            role: Some(d.role.clone()),
                            writer: Some(d.writer),
                            status: Some(d.status.clone()),
                            lag: d.lag,
                        })
                        .collect(),
                    version: m.version.clone(),
                })
                .collect(),
            databases: status
                .databases
                .iter()
                .map(|d| DatabaseView {
                    name: Some(d.name.clone()),
                    status: Some(d.status.clone()),
                    primaries: Some(d.primaries),
                    primaries_available: Some(d.primaries_available),
                    quorum: Some(d.quorum),
                    leader: d.leader.clone(),
                })
                .collect(),
            operation: status.operation.as_ref().map(OperationView::from),
            next_step: status.next_step.as_ref().map(|s| NextStepView {
                action: Some(s.action.clone()),
                member: s.member,
                reason: Some(s.reason.clone()),
                at: Some(s.at.0.to_string()),
            }),
            conditions: status
                .conditions
                .iter()
                .map(|c| ConditionView {
                    type_: c.type_.clone(),
                    status: c.status.clone(),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                    healthy: healthy(&c.type_, &c.status),
                })
                .collect(),
            bootstrap: status.bootstrap.as_ref().map(BootstrapView::from),
            upgrade: status.upgrade.as_ref().map(|u| UpgradeView {
                from: u.from.clone(),
                to: u.to.clone(),
                upgraded: u.upgraded.clone(),
                remaining: u.remaining.clone(),
                crosses_lines: u.crosses_lines,
            }),
        }
    }

    pub fn to_json(&self) -> String {
        // Serializing plain structs of strings, numbers and options cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let place = match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        };
        out.push_str(&format!(
            "Neo4jCluster {place}: phase {}, {} of {} members ready\n\n",
            show(&self.phase),
            show(&self.ready_members),
            show(&self.node_count),
        ));

        if self.members.is_empty() {
            out.push_str(&format!("Members: {UNKNOWN}\n"));
        } else {
            let mut rows = vec![row([
                "MEMBER", "ZONE", "READY", "SERVER", "HEALTH", "ROLES", "LAG",
            ])];
            for m in &self.members {
                rows.push(vec![
                    m.pod.clone(),
                    show(&m.zone),
                    if m.ready { "yes" } else { "no" }.to_string(),
                    show(&m.server_state),
                    show(&m.health),
                    roles(&m.databases),
                    show(&m.databases.iter().filter_map(|d| d.lag).max()),
                ]);
            }
            out.push_str(&table(&rows));
        }
        out.push('\n');

        if self.databases.is_empty() {
            out.push_str(&format!("Databases: {UNKNOWN}\n"));
        } else {
            let mut rows = vec![row(["DATABASE", "STATUS", "PRIMARIES", "QUORUM", "LEADER"])];
            for d in &self.databases {
                rows.push(vec![
                    show(&d.name),
                    show(&d.status),
                    format!("{}/{}", show(&d.primaries_available), show(&d.primaries)),
                    show(&d.quorum.map(yes_no)),
                    show(&d.leader),
                ]);
            }
            out.push_str(&table(&rows));
        }
        out.push('\n');

        out.push_str(&format!(
            "Operation: {}\n",
            self.operation
                .as_ref()
                .map_or_else(|| "none".to_string(), OperationView::summary)
        ));
        out.push_str(&format!(
            "Next step: {}\n",
            self.next_step
                .as_ref()
                .map_or_else(|| UNKNOWN.to_string(), NextStepView::summary)
        ));
        if let Some(bootstrap) = &self.bootstrap {
            out.push_str(&format!("Bootstrap: {}\n", bootstrap.summary()));
        }
        if let Some(upgrade) = &self.upgrade {
            out.push_str(&format!("Upgrade: {}\n", upgrade.summary()));
        }
        let attention: Vec<&ConditionView> =
            self.conditions.iter().filter(|c| !c.healthy).collect();
        if attention.is_empty() {
            out.push_str("Conditions: all healthy\n");
        } else {
            out.push_str("Conditions needing attention:\n");
            for c in attention {
                out.push_str(&format!("  {}={} ({})", c.type_, c.status, c.reason));
                if !c.message.is_empty() {
                    out.push_str(&format!(": {}", c.message));
                }
                out.push('\n');
            }
        }
        out
    }
}

/// An enum value as the status spells it in JSON.
fn wire_name<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

impl From<&OperationStatus> for OperationView {
    fn from(o: &OperationStatus) -> Self {
        OperationView {
            kind: wire_name(&o.kind),
            target: o.target,
            member: Some(o.member),
            server: o.server.clone(),
            phase: o.phase.as_ref().and_then(wire_name),
            revision: o.revision.clone(),
            started_at: Some(o.started_at.0.to_string()),
        }
    }
}

impl OperationView {
    /// One line: `ScaleDown to 3: member 4 (server 8d4c...), phase Deallocating, since ...`.
    pub fn summary(&self) -> String {
        let mut text = show(&self.kind);
        if let Some(target) = self.target {
            text.push_str(&format!(" to {target} members"));
        }
        if let Some(member) = self.member {
            text.push_str(&format!(": member {member}"));
        }
        if let Some(server) = &self.server {
            text.push_str(&format!(" (server {server})"));
        }
        if let Some(phase) = &self.phase {
            text.push_str(&format!(", phase {phase}"));
        }
        if let Some(revision) = &self.revision {
            text.push_str(&format!(", revision {revision}"));
        }
        if let Some(started) = &self.started_at {
            text.push_str(&format!(", since {started}"));
        }
        text
    }
}

impl NextStepView {
    /// One line without the time: `Wait on member 4: waiting for ...`.
    pub fn summary_without_time(&self) -> String {
        let mut text = show(&self.action);
        if let Some(member) = self.member {
            text.push_str(&format!(" on member {member}"));
        }
        if let Some(reason) = &self.reason {
            text.push_str(&format!(": {reason}"));
        }
        text
    }

    pub fn summary(&self) -> String {
        let mut text = self.summary_without_time();
        if let Some(at) = &self.at {
            text.push_str(&format!(" (decided {at})"));
        }
        text
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn show<T: ToString>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| UNKNOWN.to_string(), ToString::to_string)
}

/// `neo4j:primary(writer) system:primary`: each hosted database with its role.
fn roles(databases: &[MemberDatabaseView]) -> String {
    if databases.is_empty() {
        return UNKNOWN.to_string();
    }
    databases
        .iter()
        .map(|d| {
            let mut text = format!("{}:{}", show(&d.name), show(&d.role));
            if d.writer == Some(true) {
                text.push_str("(writer)");
            }
            if let Some(status) = d.status.as_deref().filter(|s| *s != "online") {
                text.push_str(&format!("[{status}]"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(ToString::to_string).collect()
}

/// Left-aligned columns two spaces apart, no trailing blanks.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            line.push_str(cell);
            let pad = widths[i] - cell.chars().count() + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day2::fixtures::{
        cluster, condition, healthy as healthy_cluster, operation, status, step,
    };
    use neo4j_aks_model::operation::OperationPhase;
    use neo4j_aks_model::{DatabaseStatus, MemberStatus};

    #[test]
    fn table_of_a_healthy_cluster() {
        let text = StatusView::of(&healthy_cluster(3)).to_table();
        let expected = "\
Neo4jCluster prod/db: phase Ready, 3 of 3 members ready

MEMBER  ZONE      READY  SERVER   HEALTH     ROLES                                 LAG
db-0    eastus-1  yes    Enabled  Available  neo4j:primary(writer) system:primary  0
db-1    eastus-2  yes    Enabled  Available  neo4j:primary system:primary(writer)  2
db-2    eastus-3  yes    Enabled  Available  neo4j:primary system:primary          4

DATABASE  STATUS  PRIMARIES  QUORUM  LEADER
neo4j     online  3/3        yes     db-0
system    online  3/3        yes     db-1

Operation: none
Next step: Done: observed topology matches the spec (decided 2026-11-26T12:00:00Z)
Conditions: all healthy
";
        assert_eq!(text, expected, "\n{text}");
    }

    #[test]
    fn a_seeding_cluster_shows_its_bootstrap_line_and_json() {
        let mut c = healthy_cluster(3);
        status(&mut c).bootstrap = Some(BootstrapStatus {
            phase: "Seeding".to_string(),
            message: Some("sales is being seeded (db-1:7687: starting)".to_string()),
            databases: vec![
                neo4j_aks_model::BootstrapDatabaseStatus {
                    name: "neo4j".to_string(),
                    artifact: "neo4j-2026-11-19T02-00-00Z-diff".to_string(),
                    state: "Seeded".to_string(),
                    requested_at: "2026-11-26T12:00:00Z".to_string(),
                    nodes: Some(1200),
                    relationships: Some(3400),
                },
                neo4j_aks_model::BootstrapDatabaseStatus {
                    name: "sales".to_string(),
                    artifact: "sales-2026-11-19T02-00-00Z-diff".to_string(),
                    state: "Requested".to_string(),
                    requested_at: "2026-11-26T12:01:00Z".to_string(),
                    nodes: None,
                    relationships: None,
                },
            ],
            completed_at: None,
        });
        let view = StatusView::of(&c);
        assert!(
            view.to_table().contains(
                "Bootstrap: Seeding: sales is being seeded (db-1:7687: starting); neo4j Seeded (1200 nodes), sales Requested\n"
            ),
            "{}",
            view.to_table()
        );
        let doc: serde_json::Value = serde_json::from_str(&view.to_json()).expect("JSON");
        assert_eq!(doc["bootstrap"]["phase"], "Seeding");
        assert!(doc["bootstrap"]["completedAt"].is_null());
        assert_eq!(doc["bootstrap"]["databases"][0]["relationships"], 3400);
        assert!(doc["bootstrap"]["databases"][1]["nodes"].is_null());
        assert_eq!(
            doc["bootstrap"]["databases"][1]["requestedAt"],
            "2026-11-26T12:01:00Z"
        );
        // A cluster created without spec.bootstrap: no line, null in JSON.
        let plain = StatusView::of(&healthy_cluster(3));
        assert!(!plain.to_table().contains("Bootstrap"));
        assert!(plain.bootstrap.is_none());
    }

    #[test]
    fn unknown_values_show_as_dash_and_unhealthy_conditions_are_listed() {
        let mut c = cluster(3);
        let s = status(&mut c);
        s.members = vec![MemberStatus {
            pod: "db-0".into(),
            ready: false,
            ..MemberStatus::default()
        }];
        s.databases = vec![DatabaseStatus {
            name: "neo4j".into(),
            status: "offline".into(),
            primaries: 3,
            primaries_available: 1,
            quorum: false,
            leader: None,
        }];
        s.conditions = vec![
            condition("Ready", "False", "MembersNotReady", "1 of 3 members ready"),
            condition("SpecValid", "True", "Valid", ""),
            condition("Degraded", "True", "Neo4jUnreachable", "no Bolt answer"),
            condition("ClusterFormed", "Unknown", "NotObserved", ""),
        ];
        s.operation = Some(operation("ReplaceMember", 0));
        let text = StatusView::of(&c).to_table();
        assert!(
            text.starts_with("Neo4jCluster prod/db: phase -, - of 3 members ready\n"),
            "{text}"
        );
        assert!(
            text.contains("\ndb-0    -     no     -       -       -      -\n"),
            "{text}"
        );
        assert!(
            text.contains("\nneo4j     offline  1/3        no      -\n"),
            "{text}"
        );
        assert!(
            text.contains("Operation: ReplaceMember: member 0, since 2026-11-26T13:00:00Z\n"),
            "{text}"
        );
        assert!(text.contains("Next step: -\n"), "{text}");
        assert!(text.contains(
            "Conditions needing attention:\n  Ready=False (MembersNotReady): 1 of 3 members ready\n  Degraded=True (Neo4jUnreachable): no Bolt answer\n  ClusterFormed=Unknown (NotObserved)\n"
        ), "{text}");
        assert!(!text.contains("SpecValid"), "{text}");
    }

    #[test]
    fn a_status_never_written_shows_dashes() {
        let text = StatusView::of(&cluster(3)).to_table();
        assert!(
            text.contains("Members: -\n") && text.contains("Databases: -\n"),
            "{text}"
        );
        assert!(text.contains("Conditions: all healthy"), "{text}");
    }

    #[test]
    fn json_keeps_every_key_with_null_for_unknown() {
        let mut c = healthy_cluster(3);
        status(&mut c).members[2].health = None;
        let mut op = operation("ScaleDown", 4);
        op.target = Some(3);
        op.phase = Some(OperationPhase::Deallocating);
        status(&mut c).operation = Some(op);
        status(&mut c).next_step = Some(step(
            "Wait",
            Some(4),
            "waiting for Deallocated",
            "2026-11-26T13:00:05Z",
        ));
        let doc: serde_json::Value =
            serde_json::from_str(&StatusView::of(&c).to_json()).expect("JSON");
        assert_eq!(doc["format"], FORMAT);
        assert_eq!(doc["name"], "db");
        assert_eq!(doc["namespace"], "prod");
        assert_eq!(doc["nodeCount"], 3);
        assert_eq!(doc["readyMembers"], 3);
        let member = &doc["members"][2];
        let mut keys: Vec<&str> = member
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "databases",
                "health",
                "node",
                "ordinal",
                "pod",
                "ready",
                "serverId",
                "serverState",
                "version",
                "zone"
            ]
        );
        assert!(member["health"].is_null() && member["node"].is_null());
        assert_eq!(doc["members"][0]["databases"][0]["writer"], true);
        assert_eq!(doc["databases"][1]["leader"], "db-1");
        assert_eq!(doc["databases"][0]["primariesAvailable"], 3);
        assert_eq!(doc["operation"]["kind"], "ScaleDown");
        assert_eq!(doc["operation"]["target"], 3);
        assert!(doc["operation"]["revision"].is_null());
        assert_eq!(doc["nextStep"]["member"], 4);
        assert_eq!(doc["conditions"][0]["type"], "Ready");
        assert_eq!(doc["conditions"][0]["healthy"], true);
    }

    #[test]
    fn json_of_a_status_never_written_has_null_and_empty_lists() {
        let doc: serde_json::Value =
            serde_json::from_str(&StatusView::of(&cluster(3)).to_json()).expect("JSON");
        for key in [
            "phase",
            "readyMembers",
            "operation",
            "nextStep",
            "observedGeneration",
            "bootstrap",
            "upgrade",
        ] {
            assert!(doc[key].is_null(), "{key}: {doc}");
        }
        for key in ["members", "databases", "conditions"] {
            assert_eq!(doc[key], serde_json::json!([]), "{key}");
        }
    }

    #[test]
    fn an_upgrade_in_progress_shows_its_line_and_json() {
        let mut c = healthy_cluster(3);
        status(&mut c).upgrade = Some(neo4j_aks_model::UpgradeStatus {
            from: vec!["5.26.29".into()],
            to: "2025.10.1".into(),
            upgraded: vec!["db-2".into()],
            remaining: vec!["db-0".into(), "db-1".into()],
            crosses_lines: true,
        });
        status(&mut c).members[2].version = Some("2025.10.1".into());
        let view = StatusView::of(&c);
        let text = view.to_table();
        assert!(
            text.contains(
                "Upgrade: 5.26.29 → 2025.10.1: 1 of 3 members upgraded; remaining db-0, db-1\n"
            ),
            "{text}"
        );
        let doc: serde_json::Value = serde_json::from_str(&view.to_json()).expect("JSON");
        assert_eq!(doc["upgrade"]["to"], "2025.10.1");
        assert_eq!(doc["upgrade"]["crossesLines"], true);
        assert_eq!(doc["members"][2]["version"], "2025.10.1");
        assert!(
            !StatusView::of(&healthy_cluster(3))
                .to_table()
                .contains("Upgrade:")
        );
    }

    #[test]
    fn condition_polarity() {
        assert!(healthy("Ready", "True") && !healthy("Ready", "Unknown"));
        assert!(healthy("ClusterFormed", "True") && !healthy("ClusterFormed", "False"));
        assert!(healthy("Degraded", "False") && !healthy("Degraded", "True"));
        assert!(!healthy("ScaleDownPending", "True"));
    }
}
