//! Monitoring (docs/monitoring.md): the Neo4j metrics neo4j-aks reads and their Prometheus
//! names, the scrape object, the alert rules and their promtool tests, and the dashboards
//! (Grafana, Azure Monitor workbook) defined once.

pub mod dashboard;
pub mod grafana;
pub mod neo4j_metrics;
pub mod promtool;
pub mod rules;
pub mod scrape;
pub mod workbook;
