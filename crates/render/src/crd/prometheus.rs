//! prometheus-operator `monitoring.coreos.com/v1`: ServiceMonitor, PodMonitor, PrometheusRule.
//! Source: github.com/prometheus-operator/prometheus-operator v0.85.0,
//! `example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,podmonitors,prometheusrules}.yaml`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `spec` of a ServiceMonitor: which Services to scrape, and how.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "ServiceMonitor",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Required by the CRD.
    pub selector: LabelSelector,
    /// Required by the CRD.
    pub endpoints: Vec<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub target_labels: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub pod_target_labels: Vec<String>,
}

/// One scrape endpoint of a ServiceMonitor (`spec.endpoints[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Name of the Service port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// A Prometheus duration such as `30s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub relabelings: Vec<RelabelConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub metric_relabelings: Vec<RelabelConfig>,
}

/// A Prometheus relabeling rule (`relabelings[]`, `metricRelabelings[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelabelConfig {
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub source_labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// `replace` (Prometheus' default), `keep`, `drop`, `labelmap`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// `spec` of a PodMonitor: which pods to scrape, and how.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PodMonitor",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitorSpec {
    /// Required by the CRD.
    pub selector: LabelSelector,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub pod_metrics_endpoints: Vec<PodMetricsEndpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub pod_target_labels: Vec<String>,
}

/// One scrape endpoint of a PodMonitor (`spec.podMetricsEndpoints[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMetricsEndpoint {
    /// Name of the container port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub relabelings: Vec<RelabelConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub metric_relabelings: Vec<RelabelConfig>,
}

/// `spec` of a PrometheusRule: groups of alerting and recording rules.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PrometheusRule",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRuleSpec {
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub groups: Vec<RuleGroup>,
}

/// `spec.groups[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleGroup {
    /// Required by the CRD.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub rules: Vec<Rule>,
}

/// `spec.groups[].rules[]`: an alert (`alert`) or a recording rule (`record`). The CRD spells
/// `for` and `keep_firing_for` as Prometheus does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// PromQL; required by the CRD.
    pub expr: String,
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_firing_for: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub annotations: BTreeMap<String, String>,
}
