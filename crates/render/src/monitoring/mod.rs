//! Monitoring (docs/monitoring.md): the Neo4j metrics neo4j-aks reads and their Prometheus
//! names, the scrape object, the alert rules and their promtool tests.

pub mod neo4j_metrics;
pub mod promtool;
pub mod rules;
pub mod scrape;
