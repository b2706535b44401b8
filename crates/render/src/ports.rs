//! The ports a member listens on (Operations Manual, "Ports"), named once for every Service and
//! container.

use neo4j_aks_model::ValidatedCluster;

pub const DISCOVERY: i32 = 6000;
pub const RAFT: i32 = 7000;
pub const ROUTING: i32 = 7688;
pub const BOLT: i32 = 7687;
pub const HTTP: i32 = 7474;
pub const HTTPS: i32 = 7473;
pub const BACKUP: i32 = 6362;
pub const METRICS: i32 = 2004;

/// Every member port with its name, in a fixed order. The cluster port's name is configurable
/// because the K8S and SRV resolvers look it up by name.
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
        ("https".into(), HTTPS),
        ("backup".into(), BACKUP),
        ("metrics".into(), METRICS),
    ]
}

/// What clients reach through the load balancer.
pub fn client_ports() -> Vec<(String, i32)> {
    vec![
        ("bolt".into(), BOLT),
        ("http".into(), HTTP),
        ("https".into(), HTTPS),
    ]
}
