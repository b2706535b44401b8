//! The ports a member listens on (Operations Manual, "Ports"), named once for every Service and
//! container.

use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::TlsScope;

pub use neo4j_aks_model::api::ports::*;

/// Every port a member listens on, with its name, in a fixed order. The cluster port's name is
/// configurable because the K8S and SRV resolvers look it up by name. A port nothing listens on
/// is never exposed: a Service port without a listener only turns a misconfiguration into a
/// connection timeout.
pub fn member_ports(cluster: &ValidatedCluster) -> Vec<(String, i32)> {
    let discovery_name = cluster
        .clustering
        .as_ref()
        .map_or_else(|| "discovery".to_string(), |c| c.port_name.clone());
    vec![
        (discovery_name, DISCOVERY),
        ("raft".into(), RAFT),
        ("routing".into(), ROUTING),
        ("bolt".into(), BOLT),
        web_port(cluster),
        ("backup".into(), BACKUP),
    ]
    .into_iter()
    .chain(
        cluster
            .monitoring
            .as_ref()
            .map(|_| (METRICS_PORT_NAME.to_string(), METRICS)),
    )
    .collect()
}

/// Name of the Prometheus endpoint's port on the containers and the headless Service, which the
/// ServiceMonitor/PodMonitor scrape.
pub const METRICS_PORT_NAME: &str = "metrics";

/// What clients reach through the load balancer.
pub fn client_ports(cluster: &ValidatedCluster) -> Vec<(String, i32)> {
    vec![("bolt".into(), BOLT), web_port(cluster)]
}

/// HTTPS replaces plain HTTP when `spec.tls` covers it (`server.http.enabled=false`).
pub fn web_port(cluster: &ValidatedCluster) -> (String, i32) {
    if https(cluster) {
        ("https".into(), HTTPS)
    } else {
        ("http".into(), HTTP)
    }
}

pub fn https(cluster: &ValidatedCluster) -> bool {
    cluster
        .tls
        .as_ref()
        .is_some_and(|t| t.covers(TlsScope::Https))
}
