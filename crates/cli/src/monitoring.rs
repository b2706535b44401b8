//! `neo4j-aks monitoring …`: the generated monitoring artifacts of deploy/monitoring/.

use clap::Subcommand;
use neo4j_aks_render::monitoring::{grafana, promtool, rules, workbook};

use crate::failure::Failure;

/// The rule file's name next to its test file (deploy/monitoring/).
pub const RULES_FILE: &str = "neo4j-aks.rules.yaml";

#[derive(Subcommand)]
pub enum MonitoringCommand {
    /// Print the alert rules for every cluster as a Prometheus rule file; committed as
    /// deploy/monitoring/neo4j-aks.rules.yaml.
    Rules,
    /// Print promtool's unit tests of those rules (`promtool test rules`); committed as
    /// deploy/monitoring/neo4j-aks.rules.test.yaml.
    RuleTests,
    /// Print the operator's ServiceMonitor; committed as
    /// deploy/monitoring/operator-servicemonitor.yaml.
    OperatorServiceMonitor,
    /// Print the Grafana dashboard (cluster overview, members, databases, backups) as dashboard
    /// JSON, with a Prometheus datasource variable and the variables namespace, cluster and
    /// database; import it in Grafana (Dashboards > New > Import) or provision it. Committed as
    /// deploy/monitoring/neo4j-aks.grafana.json.
    GrafanaDashboard,
    /// Print the Azure Monitor workbook (the same panels, queried with PromQL from an Azure Monitor
    /// workspace, plus the cluster's Kubernetes events from Container Insights) as workbook JSON
    /// (Notebook/1.0); paste it into a workbook's Advanced Editor or deploy it as a
    /// Microsoft.Insights/workbooks resource. Committed as deploy/monitoring/neo4j-aks.workbook.json.
    AzureWorkbook,
}

fn json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|e| Failure::output(what)(e.to_string()))
}

fn yaml<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String, Failure> {
    serde_saphyr::to_string(value).map_err(|e| Failure::output(what)(e.to_string()))
}

pub fn run(command: &MonitoringCommand) -> Result<String, Failure> {
    match command {
        MonitoringCommand::Rules => Ok(format!(
            "# Alert rules of every Neo4jCluster (docs/monitoring.md).\n# Generated: neo4j-aks monitoring rules\n{}",
            yaml("the alert rules", &rules::spec(&rules::Scope::All))?
        )),
        MonitoringCommand::RuleTests => Ok(format!(
            "# promtool unit tests of neo4j-aks.rules.yaml: every alert fires, and stays quiet.\n# Generated: neo4j-aks monitoring rule-tests\n{}",
            yaml("the rule tests", &promtool::tests(RULES_FILE))?
        )),
        MonitoringCommand::OperatorServiceMonitor => {
            neo4j_aks_ops::deploy::operator_service_monitor_yaml()
                .map_err(Failure::output("the operator ServiceMonitor"))
        }
        MonitoringCommand::GrafanaDashboard => json("the Grafana dashboard", &grafana::dashboard()),
        MonitoringCommand::AzureWorkbook => {
            let workbook = workbook::workbook()
                .map_err(|e| Failure::output("the Azure workbook")(e.to_string()))?;
            json("the Azure workbook", &workbook)
        }
    }
}
