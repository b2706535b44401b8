//! The Azure Monitor workbook of [`super::dashboard`]: the same sections and PromQL queries
//! against an Azure Monitor workspace (Azure Monitor managed service for Prometheus), and the
//! Container Insights log queries of the cluster's events against a Log Analytics workspace.
//!
//! Format, as Microsoft's own workbook templates write it (microsoft/Application-Insights-Workbooks
//! at 1ea1c77b0fa740e5e330dbc1434d6e7e1ebbc491):
//! - `Workbooks/Azure Monitor - Workspaces/Prometheus Explorer/Prometheus Explorer.workbook`: a
//!   PromQL item is a `KqlItem/1.0` (item type 3) with `queryType` 16, `resourceType`
//!   `microsoft.monitor/accounts`, the workspace in `crossComponentResources`, and `query` a JSON
//!   string `{"version":"PrometheusQueryProvider/1.0","queryText":…,"type":"query_range"}`
//!   (`"query"` for an instant query); parameters are `KqlParameterItem/1.0` (item type 9).
//! - `Workbooks/Azure Monitor - Workspaces/At Scale Insights/At Scale Insights.workbook`: picking
//!   Azure Monitor workspaces with a subscription parameter (type 6) and a resource parameter
//!   (type 5) filled by an Azure Resource Graph query (`queryType` 1).
//! - `Documentation/Parameters/Time.md`: `| where TimeGenerated {TimeRange}` expands to the time
//!   range parameter's filter (`> ago(1d)` for the last day).
//!
//! Log items are `KqlItem/1.0` with `queryType` 0 and `resourceType`
//! `microsoft.operationalinsights/workspaces` (the AKS templates of the same repository, e.g.
//! `Workbooks/AKS/Workload Details K8s Events Tab`). The PromQL "Prometheus (preview)" data
//! source is described in Microsoft's docs, "Azure Workbooks data sources" (MicrosoftDocs
//! azure-docs `articles/azure-monitor/visualize/workbooks-data-sources.md`).

use serde::Serialize;

use super::dashboard::{self, Kind, LogVars, VARIABLES, Vars};

/// How the workbook writes its parameters inside queries.
pub const VARS: Vars = Vars {
    namespace: "{namespace}",
    cluster: "{cluster}",
    database: "{database}",
};

/// How the workbook's log queries are scoped (its parameters).
pub const LOG_VARS: LogVars = LogVars {
    time: "{TimeRange}",
    namespace: "{namespace}",
    cluster: "{cluster}",
};

const TIME_PARAMETER: &str = "TimeRange";
const SUBSCRIPTION_PARAMETER: &str = "Subscription";
const PROMETHEUS_PARAMETER: &str = "PrometheusWorkspace";
const LOGS_PARAMETER: &str = "LogAnalyticsWorkspace";
const RESOURCE_GRAPH: &str = "microsoft.resourcegraph/resources";
const MONITOR_ACCOUNTS: &str = "microsoft.monitor/accounts";
const LOG_WORKSPACES: &str = "microsoft.operationalinsights/workspaces";
/// `queryType` of an Azure Resource Graph query.
const QUERY_RESOURCE_GRAPH: u8 = 1;
/// `queryType` of a logs (KQL) query.
const QUERY_LOGS: u8 = 0;
/// `queryType` of a Prometheus (PromQL) query.
const QUERY_PROMETHEUS: u8 = 16;

#[derive(Serialize)]
pub struct Workbook {
    pub version: String,
    pub items: Vec<Item>,
    #[serde(rename = "fallbackResourceIds")]
    pub fallback_resource_ids: Vec<String>,
    #[serde(rename = "$schema")]
    pub schema: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// 1 text, 3 query, 9 parameters.
    #[serde(rename = "type")]
    pub kind: u8,
    pub content: Content,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_width: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(TextContent),
    Query(Box<QueryContent>),
    Parameters(ParametersContent),
}

#[derive(Serialize)]
pub struct TextContent {
    pub json: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryContent {
    pub version: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_data_message: Option<String>,
    pub query: String,
    pub size: u8,
    pub time_context_from_parameter: String,
    pub query_type: u8,
    pub resource_type: String,
    pub cross_component_resources: Vec<String>,
    pub visualization: String,
}

/// The `query` of a Prometheus item, itself serialized to a JSON string.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusQuery {
    pub version: String,
    pub query_text: String,
    /// `query_range` (a chart over the time range) or `query` (instant).
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParametersContent {
    pub version: String,
    pub parameters: Vec<Parameter>,
    pub style: String,
    pub query_type: u8,
    pub resource_type: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    pub id: String,
    pub version: String,
    pub name: String,
    pub label: String,
    /// 1 text, 4 time range, 5 resource picker, 6 subscription picker.
    #[serde(rename = "type")]
    pub kind: u8,
    pub description: String,
    pub is_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cross_component_resources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_settings: Option<TypeSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<ParameterValue>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum ParameterValue {
    Text(String),
    Duration {
        #[serde(rename = "durationMs")]
        duration_ms: u64,
    },
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TypeSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type_filter: Option<std::collections::BTreeMap<String, bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_resource_options: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_default: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selectable_values: Option<Vec<ParameterValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_custom: Option<bool>,
}

fn parameter(name: &str, label: &str, kind: u8, description: &str) -> Parameter {
    Parameter {
        // Stable ids: the parameter's name (a workbook only needs them unique).
        id: format!("neo4j-aks-{}", name.to_lowercase()),
        version: "KqlParameterItem/1.0".into(),
        name: name.into(),
        label: label.into(),
        kind,
        description: description.into(),
        is_required: true,
        query: None,
        cross_component_resources: Vec::new(),
        type_settings: None,
        query_type: None,
        resource_type: None,
        value: None,
    }
}

/// A resource picker listing the subscription's resources of one type (Azure Resource Graph).
fn resource_picker(name: &str, label: &str, resource_type: &str, description: &str) -> Parameter {
    Parameter {
        query: Some(format!(
            "where type =~ '{resource_type}'\n| order by name asc\n| project value = id, label = name"
        )),
        cross_component_resources: vec![format!("{{{SUBSCRIPTION_PARAMETER}}}")],
        type_settings: Some(TypeSettings {
            resource_type_filter: Some([(resource_type.to_string(), true)].into()),
            additional_resource_options: Some(Vec::new()),
            show_default: Some(false),
            ..TypeSettings::default()
        }),
        query_type: Some(QUERY_RESOURCE_GRAPH),
        resource_type: Some(RESOURCE_GRAPH.into()),
        ..parameter(name, label, 5, description)
    }
}

const HOUR_MS: u64 = 3_600_000;

fn parameters() -> Item {
    let mut list = vec![
        Parameter {
            value: Some(ParameterValue::Duration {
                duration_ms: 6 * HOUR_MS,
            }),
            type_settings: Some(TypeSettings {
                selectable_values: Some(
                    [1, 6, 24, 72, 168]
                        .into_iter()
                        .map(|h| ParameterValue::Duration {
                            duration_ms: h * HOUR_MS,
                        })
                        .collect(),
                ),
                allow_custom: Some(true),
                ..TypeSettings::default()
            }),
            ..parameter(TIME_PARAMETER, "Time range", 4, "Time range of every query.")
        },
        Parameter {
            query: Some(
                "where type =~ 'microsoft.monitor/accounts' or type =~ 'microsoft.operationalinsights/workspaces'\n| summarize by subscriptionId\n| project value = subscriptionId, label = subscriptionId".into(),
            ),
            cross_component_resources: vec!["value::all".into()],
            type_settings: Some(TypeSettings {
                additional_resource_options: Some(Vec::new()),
                show_default: Some(false),
                ..TypeSettings::default()
            }),
            query_type: Some(QUERY_RESOURCE_GRAPH),
            resource_type: Some(RESOURCE_GRAPH.into()),
            ..parameter(
                SUBSCRIPTION_PARAMETER,
                "Subscription",
                6,
                "Subscription of the workspaces.",
            )
        },
        resource_picker(
            PROMETHEUS_PARAMETER,
            "Azure Monitor workspace",
            MONITOR_ACCOUNTS,
            "The Azure Monitor workspace the cluster's Prometheus metrics go to (managed Prometheus).",
        ),
        resource_picker(
            LOGS_PARAMETER,
            "Log Analytics workspace",
            LOG_WORKSPACES,
            "The Log Analytics workspace of the AKS cluster's Container Insights.",
        ),
    ];
    for (name, label, description) in VARIABLES {
        list.push(Parameter {
            value: Some(ParameterValue::Text(
                if name == "database" { ".*" } else { "neo4j" }.into(),
            )),
            ..parameter(name, label, 1, description)
        });
    }
    Item {
        kind: 9,
        content: Content::Parameters(ParametersContent {
            version: "KqlParameterItem/1.0".into(),
            parameters: list,
            style: "pills".into(),
            query_type: QUERY_LOGS,
            resource_type: LOG_WORKSPACES.into(),
        }),
        name: "parameters".into(),
        custom_width: None,
    }
}

fn text(name: String, markdown: String) -> Item {
    Item {
        kind: 1,
        content: Content::Text(TextContent { json: markdown }),
        name,
        custom_width: None,
    }
}

fn slug(title: &str) -> String {
    title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The `query` string of a Prometheus item.
pub fn prometheus_query(expr: &str, instant: bool) -> Result<String, serde_json::Error> {
    serde_json::to_string(&PrometheusQuery {
        version: "PrometheusQueryProvider/1.0".into(),
        query_text: expr.into(),
        kind: if instant { "query" } else { "query_range" }.into(),
    })
}

/// The Azure Monitor workbook.
pub fn workbook() -> Result<Workbook, serde_json::Error> {
    let mut items = vec![
        text(
            "title".into(),
            format!("# {}\n{}", dashboard::TITLE, dashboard::DESCRIPTION),
        ),
        parameters(),
    ];
    for section in dashboard::sections(&VARS) {
        items.push(text(
            format!("section-{}", slug(section.title)),
            format!("## {}", section.title),
        ));
        for panel in section.panels {
            let instant = panel.kind == Kind::Stat;
            for (i, query) in panel.queries.iter().enumerate() {
                let title = if panel.queries.len() > 1 {
                    format!("{} ({})", panel.title, query.legend)
                } else {
                    panel.title.to_string()
                };
                items.push(Item {
                    kind: 3,
                    content: Content::Query(Box::new(QueryContent {
                        version: "KqlItem/1.0".into(),
                        title,
                        no_data_message: Some(panel.description.into()),
                        query: prometheus_query(&query.expr, instant)?,
                        size: if instant { 4 } else { 0 },
                        time_context_from_parameter: TIME_PARAMETER.into(),
                        query_type: QUERY_PROMETHEUS,
                        resource_type: MONITOR_ACCOUNTS.into(),
                        cross_component_resources: vec![format!("{{{PROMETHEUS_PARAMETER}}}")],
                        visualization: if instant { "table" } else { "timechart" }.into(),
                    })),
                    name: format!("{}-{}", slug(panel.title), i + 1),
                    custom_width: Some(if instant { "25" } else { "50" }.into()),
                });
            }
        }
    }
    items.push(text(
        "section-events".into(),
        "## Cluster events (Container Insights)".into(),
    ));
    for log in dashboard::log_queries(&LOG_VARS) {
        items.push(Item {
            kind: 3,
            content: Content::Query(Box::new(QueryContent {
                version: "KqlItem/1.0".into(),
                title: log.title.into(),
                no_data_message: Some(log.description.into()),
                query: log.kql,
                size: 0,
                time_context_from_parameter: TIME_PARAMETER.into(),
                query_type: QUERY_LOGS,
                resource_type: LOG_WORKSPACES.into(),
                cross_component_resources: vec![format!("{{{LOGS_PARAMETER}}}")],
                visualization: "table".into(),
            })),
            name: slug(log.title),
            custom_width: None,
        });
    }
    Ok(Workbook {
        version: "Notebook/1.0".into(),
        items,
        fallback_resource_ids: Vec::new(),
        schema: "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prometheus_item_reads_the_picked_workspace_with_the_provider_query() {
        let wb = workbook().expect("serializes");
        let mut prometheus = 0;
        for item in &wb.items {
            let Content::Query(q) = &item.content else {
                continue;
            };
            if q.query_type == QUERY_PROMETHEUS {
                prometheus += 1;
                assert_eq!(q.resource_type, "microsoft.monitor/accounts");
                assert_eq!(q.cross_component_resources, ["{PrometheusWorkspace}"]);
                let inner: serde_json::Value =
                    serde_json::from_str(&q.query).expect("the query is a JSON string");
                assert_eq!(inner["version"], "PrometheusQueryProvider/1.0");
                assert!(["query", "query_range"].contains(&inner["type"].as_str().unwrap_or("")));
            }
        }
        let panels: usize = dashboard::sections(&VARS)
            .iter()
            .flat_map(|s| &s.panels)
            .map(|p| p.queries.len())
            .sum();
        assert_eq!(prometheus, panels);
    }

    #[test]
    fn item_names_are_unique() {
        let wb = workbook().expect("serializes");
        let names: std::collections::BTreeSet<&str> =
            wb.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names.len(), wb.items.len());
    }
}
