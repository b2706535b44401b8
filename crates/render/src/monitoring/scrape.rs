//! The ServiceMonitor or PodMonitor that scrapes the members' Prometheus endpoint, and the
//! cluster's PrometheusRule.
//!
//! Relabeling: every member series gets `cluster` (the Neo4jCluster's name, from the pod's
//! `neo4j-aks.io/cluster` label), `member` (the pod name) and `zone` (the pod's
//! `topology.kubernetes.io/zone` label, which Kubernetes copies from the node with its
//! PodTopologyLabelsAdmission feature gate (version not verified here); without it the label stays empty). The
//! metric relabelings move a database metric's database into a `database` label
//! ([`super::neo4j_metrics::database_relabelings`]).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::{MonitorKind, Monitoring};

use super::neo4j_metrics::database_relabelings;
use super::rules::{Scope, spec};
use crate::crd::prometheus::{
    Endpoint, PodMetricsEndpoint, PodMonitor, PodMonitorSpec, PrometheusRule, RelabelConfig,
    ServiceMonitor, ServiceMonitorSpec,
};
use crate::{labels, meta, ports};

/// The scrape object, as one of the two kinds.
pub enum Monitor {
    Service(ServiceMonitor),
    Pod(PodMonitor),
}

/// Prometheus' meta label of a pod label (non-alphanumerics become `_`).
fn pod_label_meta(label: &str) -> String {
    let sanitized: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("__meta_kubernetes_pod_label_{sanitized}")
}

fn copy(source: String, target: &str) -> RelabelConfig {
    RelabelConfig {
        source_labels: vec![source],
        target_label: Some(target.to_string()),
        action: Some("replace".to_string()),
        ..RelabelConfig::default()
    }
}

pub const ZONE_POD_LABEL: &str = "topology.kubernetes.io/zone";

fn relabelings() -> Vec<RelabelConfig> {
    vec![
        copy(pod_label_meta(labels::CLUSTER_LABEL), "cluster"),
        copy("__meta_kubernetes_pod_name".to_string(), "member"),
        copy(pod_label_meta(ZONE_POD_LABEL), "zone"),
    ]
}

fn metadata(cluster: &ValidatedCluster, monitoring: &Monitoring, name: String) -> ObjectMeta {
    let mut extra = labels::common(cluster);
    extra.extend(monitoring.labels.clone());
    meta::with_labels(cluster, name, extra)
}

fn selector(match_labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(match_labels),
        ..LabelSelector::default()
    }
}

pub fn monitor(cluster: &ValidatedCluster) -> Option<Monitor> {
    let monitoring = cluster.monitoring.as_ref()?;
    let metadata = metadata(cluster, monitoring, cluster.monitor_name());
    Some(match monitoring.kind {
        MonitorKind::ServiceMonitor => {
            // The headless Service is the only one of the cluster with the metrics port and
            // without the discovery role; its own labels pick it (the per-member discovery
            // Services carry the cluster's labels too, and have no metrics port).
            let mut service_labels = labels::selector(cluster);
            service_labels.insert(labels::CLUSTER_LABEL.into(), cluster.name.clone());
            Monitor::Service(ServiceMonitor {
                metadata,
                spec: ServiceMonitorSpec {
                    selector: LabelSelector {
                        match_expressions: Some(vec![
                            k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement {
                                key: labels::SERVICE_ROLE_LABEL.to_string(),
                                operator: "DoesNotExist".to_string(),
                                values: None,
                            },
                        ]),
                        ..selector(service_labels)
                    },
                    endpoints: vec![Endpoint {
                        port: Some(ports::METRICS_PORT_NAME.to_string()),
                        path: Some("/metrics".to_string()),
                        scheme: Some("http".to_string()),
                        interval: Some(monitoring.interval.clone()),
                        relabelings: relabelings(),
                        metric_relabelings: database_relabelings(),
                        ..Endpoint::default()
                    }],
                    ..ServiceMonitorSpec::default()
                },
            })
        }
        MonitorKind::PodMonitor => Monitor::Pod(PodMonitor {
            metadata,
            spec: PodMonitorSpec {
                selector: selector(labels::selector(cluster)),
                pod_metrics_endpoints: vec![PodMetricsEndpoint {
                    port: Some(ports::METRICS_PORT_NAME.to_string()),
                    path: Some("/metrics".to_string()),
                    scheme: Some("http".to_string()),
                    interval: Some(monitoring.interval.clone()),
                    relabelings: relabelings(),
                    metric_relabelings: database_relabelings(),
                    ..PodMetricsEndpoint::default()
                }],
                ..PodMonitorSpec::default()
            },
        }),
    })
}

/// The cluster's alerts, scoped to its own series.
pub fn prometheus_rule(cluster: &ValidatedCluster) -> Option<PrometheusRule> {
    let monitoring = cluster.monitoring.as_ref().filter(|m| m.rules)?;
    Some(PrometheusRule {
        metadata: metadata(cluster, monitoring, cluster.prometheus_rule_name()),
        spec: spec(&Scope::Cluster {
            namespace: cluster.namespace.clone(),
            name: cluster.name.clone(),
        }),
    })
}
