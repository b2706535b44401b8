//! The Neo4j metrics neo4j-aks reads (alert rules, dashboards), in one table: how each is named
//! in Neo4j's metrics reference, what Neo4j's Prometheus endpoint calls it, and the filter that
//! exports exactly these.
//!
//! Naming on the Prometheus endpoint. The Operations Manual (monitoring/metrics/expose.adoc,
//! "Prometheus", 5.x and 2025.x) says dots become underscores and "depending on the metric type,
//! a postfix is added". Which postfix is established from a captured Neo4j 5.11 Enterprise
//! `/metrics` page (GuanceCloud/datakit, `internal/plugins/inputs/neo4j/input_test.go`, fixture
//! `mock5_11_0`, commit c70732400b7db60090769a01c38a4ab72a3d19f8), whose `# HELP` lines give the
//! dotted name next to the exported one: a counter gets `_total`
//! (`neo4j.database.system.transaction.last_committed_tx_id` →
//! `neo4j_database_system_transaction_last_committed_tx_id_total`), a gauge nothing
//! (`neo4j.dbms.vm.heap.used` → `neo4j_dbms_vm_heap_used`,
//! `neo4j.database.neo4j.store.size.database` → `neo4j_database_neo4j_store_size_database`).
//! Global metrics are `<prefix>.dbms.<name>`, database metrics
//! `<prefix>.database.<database>.<name>` (monitoring/metrics/reference.adoc, "Global metrics",
//! "Database metrics"); the prefix is `server.metrics.prefix`, default `neo4j`, which neo4j-aks
//! leaves alone. The database name is part of the series name, so the scrape object's metric
//! relabelings ([`database_relabelings`]) move it into a `database` label and give every
//! database's series one name, which is what the rules and dashboards query.

use crate::crd::prometheus::RelabelConfig;

/// `server.metrics.prefix` (its default; neo4j-aks does not set it).
pub const PREFIX: &str = "neo4j";

/// Global or per database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Dbms,
    Database,
}

/// The metric types of the reference whose Prometheus form is established (see module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
}

/// One Neo4j metric neo4j-aks reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neo4jMetric {
    /// The name as the metrics reference table writes it (the row of the catalogs under
    /// /work/shared/reference/neo4j-metrics/).
    pub reference: &'static str,
    /// The name after `<prefix>.dbms.` or `<prefix>.database.<db>.`.
    pub name: &'static str,
    pub scope: Scope,
    pub kind: MetricType,
}

impl Neo4jMetric {
    /// The dotted name Neo4j gives the metric (`database` for a database metric).
    pub fn dotted(&self, database: &str) -> String {
        match self.scope {
            Scope::Dbms => format!("{PREFIX}.dbms.{}", self.name),
            Scope::Database => format!("{PREFIX}.database.{database}.{}", self.name),
        }
    }

    fn suffix(&self) -> &'static str {
        match self.kind {
            MetricType::Counter => "_total",
            MetricType::Gauge => "",
        }
    }

    /// The series name on Neo4j's endpoint.
    pub fn exported(&self, database: &str) -> String {
        format!(
            "{}{}",
            self.dotted(database).replace('.', "_"),
            self.suffix()
        )
    }

    /// The series name the rules and dashboards query: a database metric without its database
    /// part (which the relabeling moved into the `database` label).
    pub fn series(&self) -> String {
        match self.scope {
            Scope::Dbms => self.exported(""),
            Scope::Database => format!(
                "{PREFIX}_database_{}{}",
                self.name.replace('.', "_"),
                self.suffix()
            ),
        }
    }

    /// The `server.metrics.filter` pattern that keeps this metric: a glob on the dotted name in
    /// the form of the setting's own default (`*cluster.raft.is_leader`, `*bolt.connections*`;
    /// configuration-settings.adoc, `server.metrics.filter`), so the prefix does not matter.
    pub fn filter_pattern(&self) -> String {
        match self.scope {
            Scope::Dbms => format!("*dbms.{}", self.name),
            Scope::Database => format!("*{}", self.name),
        }
    }
}

const fn database(reference: &'static str, name: &'static str, kind: MetricType) -> Neo4jMetric {
    Neo4jMetric {
        reference,
        name,
        scope: Scope::Database,
        kind,
    }
}

const fn dbms(reference: &'static str, name: &'static str, kind: MetricType) -> Neo4jMetric {
    Neo4jMetric {
        reference,
        name,
        scope: Scope::Dbms,
        kind,
    }
}

/// Is this member the leader of the database's Raft group (0/1).
pub const RAFT_IS_LEADER: Neo4jMetric = database(
    "<prefix>.cluster.raft.is_leader",
    "cluster.raft.is_leader",
    MetricType::Gauge,
);
/// The newest transaction committed on this member (its lag behind the leader's).
pub const LAST_COMMITTED_TX_ID: Neo4jMetric = database(
    "<prefix>.transaction.last_committed_tx_id",
    "transaction.last_committed_tx_id",
    MetricType::Counter,
);
pub const TRANSACTIONS_COMMITTED: Neo4jMetric = database(
    "<prefix>.transaction.committed",
    "transaction.committed",
    MetricType::Counter,
);
pub const STORE_SIZE_DATABASE: Neo4jMetric = database(
    "<prefix>.store.size.database",
    "store.size.database",
    MetricType::Gauge,
);
pub const BOLT_CONNECTIONS_RUNNING: Neo4jMetric = dbms(
    "<prefix>.dbms.bolt.connections_running",
    "bolt.connections_running",
    MetricType::Gauge,
);
pub const HEAP_USED: Neo4jMetric = dbms("<prefix>.vm.heap.used", "vm.heap.used", MetricType::Gauge);
pub const HEAP_MAX: Neo4jMetric = dbms("<prefix>.vm.heap.max", "vm.heap.max", MetricType::Gauge);

/// Every Neo4j metric neo4j-aks reads; the filter exports exactly these.
pub const ALL: &[Neo4jMetric] = &[
    RAFT_IS_LEADER,
    LAST_COMMITTED_TX_ID,
    TRANSACTIONS_COMMITTED,
    STORE_SIZE_DATABASE,
    BOLT_CONNECTIONS_RUNNING,
    HEAP_USED,
    HEAP_MAX,
];

/// `server.metrics.filter`: exactly the metrics of [`ALL`].
pub fn filter() -> String {
    ALL.iter()
        .map(Neo4jMetric::filter_pattern)
        .collect::<Vec<_>>()
        .join(",")
}

/// Metric relabelings of the scrape object: each database metric's series
/// `neo4j_database_<db>_<name>` becomes `neo4j_database_<name>{database="<db>"}`. Prometheus
/// anchors the regex, so the fixed suffix decides where the database part ends.
pub fn database_relabelings() -> Vec<RelabelConfig> {
    let mut out = Vec::new();
    for metric in ALL.iter().filter(|m| m.scope == Scope::Database) {
        let regex = format!(
            "{PREFIX}_database_(.+)_{}{}",
            metric.name.replace('.', "_"),
            metric.suffix()
        );
        out.push(RelabelConfig {
            source_labels: vec!["__name__".into()],
            regex: Some(regex.clone()),
            target_label: Some("database".into()),
            replacement: Some("$1".into()),
            action: Some("replace".into()),
            ..RelabelConfig::default()
        });
        out.push(RelabelConfig {
            source_labels: vec!["__name__".into()],
            regex: Some(regex),
            target_label: Some("__name__".into()),
            replacement: Some(metric.series()),
            action: Some("replace".into()),
            ..RelabelConfig::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGS: [(&str, &str); 2] = [
        ("5.26", include_str!("../../catalog/neo4j-metrics-5.26.tsv")),
        (
            "2025.x",
            include_str!("../../catalog/neo4j-metrics-2025.tsv"),
        ),
    ];

    #[test]
    fn every_metric_read_is_in_the_reference_of_each_supported_line_with_its_type() {
        for (line, catalog) in CATALOGS {
            for metric in ALL {
                let kind = match metric.kind {
                    MetricType::Counter => "counter",
                    MetricType::Gauge => "gauge",
                };
                let found = catalog
                    .lines()
                    .skip(1)
                    .filter_map(|row| {
                        let mut cols = row.split('\t');
                        Some((cols.next()?, cols.next()?))
                    })
                    .any(|(name, t)| name == metric.reference && t == kind);
                assert!(
                    found,
                    "{} ({kind}) is not in the {line} metrics reference",
                    metric.reference
                );
            }
        }
    }

    #[test]
    fn reference_rows_and_names_agree() {
        for metric in ALL {
            let tail = metric
                .reference
                .strip_prefix("<prefix>.")
                .expect("reference rows start with <prefix>.");
            assert_eq!(
                tail.strip_prefix("dbms.").unwrap_or(tail),
                metric.name,
                "{}",
                metric.reference
            );
        }
    }

    #[test]
    fn prometheus_names_follow_the_captured_endpoint() {
        // Pairs from the captured 5.11 page (module docs): HELP's dotted name → series name.
        assert_eq!(
            LAST_COMMITTED_TX_ID.exported("system"),
            "neo4j_database_system_transaction_last_committed_tx_id_total"
        );
        assert_eq!(
            TRANSACTIONS_COMMITTED.exported("neo4j"),
            "neo4j_database_neo4j_transaction_committed_total"
        );
        assert_eq!(
            STORE_SIZE_DATABASE.exported("neo4j"),
            "neo4j_database_neo4j_store_size_database"
        );
        assert_eq!(HEAP_USED.exported(""), "neo4j_dbms_vm_heap_used");
        assert_eq!(
            BOLT_CONNECTIONS_RUNNING.exported(""),
            "neo4j_dbms_bolt_connections_running"
        );
        assert_eq!(
            RAFT_IS_LEADER.exported("neo4j"),
            "neo4j_database_neo4j_cluster_raft_is_leader"
        );
    }

    /// Applies the metric relabelings as Prometheus does (anchored regex, first match wins per
    /// rule, rules in order).
    fn relabel(name: &str) -> (String, Option<String>) {
        let mut name = name.to_string();
        let mut database = None;
        for rule in database_relabelings() {
            let re = regex::Regex::new(&format!(
                "^(?:{})$",
                rule.regex.as_deref().unwrap_or_default()
            ))
            .expect("relabeling regex compiles");
            let Some(caps) = re.captures(&name) else {
                continue;
            };
            let mut value = String::new();
            caps.expand(rule.replacement.as_deref().unwrap_or("$1"), &mut value);
            match rule.target_label.as_deref() {
                Some("__name__") => name = value,
                Some("database") => database = Some(value),
                other => panic!("unexpected target {other:?}"),
            }
        }
        (name, database)
    }

    #[test]
    fn relabeling_moves_the_database_into_a_label() {
        for metric in ALL {
            for database in [
                "neo4j",
                "system",
                "sales_eu_2024",
                "a_transaction_committed",
            ] {
                let (series, label) = relabel(&metric.exported(database));
                assert_eq!(series, metric.series(), "{}", metric.exported(database));
                match metric.scope {
                    Scope::Database => assert_eq!(label.as_deref(), Some(database)),
                    Scope::Dbms => assert_eq!(label, None),
                }
            }
        }
    }

    #[test]
    fn the_filter_names_each_metric_once() {
        let filter = filter();
        assert_eq!(filter.split(',').count(), ALL.len());
        assert!(filter.contains("*cluster.raft.is_leader"));
        assert!(filter.contains("*dbms.vm.heap.used"));
    }
}
