//! The ports a member listens on (Operations Manual, "Ports"), named once for every Service and
//! container.

use neo4j_aks_model::ValidatedCluster;

/// The cluster port: discovery v2, catch-up and store copy.
pub const DISCOVERY: i32 = 6000;
/// Discovery v1 (5.x only; off, since 5.26 clusters run `V2_ONLY`): never exposed, only advertised
/// so that the image does not default it to the pod's short name.
pub const DISCOVERY_V1: i32 = 5000;
pub const RAFT: i32 = 7000;
pub const ROUTING: i32 = 7688;
pub const BOLT: i32 = 7687;
pub const HTTP: i32 = 7474;
/// Listens only with `server.https.enabled` (TLS, not rendered yet): not exposed until then.
pub const HTTPS: i32 = 7473;
pub const BACKUP: i32 = 6362;
/// Listens only with `server.metrics.prometheus.enabled` (monitoring, not rendered yet).
pub const METRICS: i32 = 2004;

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
        ("http".into(), HTTP),
        ("backup".into(), BACKUP),
    ]
}

/// What clients reach through the load balancer.
pub fn client_ports() -> Vec<(String, i32)> {
    vec![("bolt".into(), BOLT), ("http".into(), HTTP)]
}
