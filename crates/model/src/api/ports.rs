//! The ports a member listens on (Operations Manual, "Ports").

/// The cluster port: discovery v2, catch-up and store copy.
pub const DISCOVERY: i32 = 6000;
/// Discovery v1 (5.x only; off, since 5.26 clusters run `V2_ONLY`): never exposed, only advertised
/// so that the image does not default it to the pod's short name.
pub const DISCOVERY_V1: i32 = 5000;
pub const RAFT: i32 = 7000;
pub const ROUTING: i32 = 7688;
pub const BOLT: i32 = 7687;
pub const HTTP: i32 = 7474;
/// Listens only with `server.https.enabled` (`spec.tls` with the https scope), instead of HTTP.
pub const HTTPS: i32 = 7473;
pub const BACKUP: i32 = 6362;
/// Neo4j's Prometheus endpoint: listens with `spec.monitoring` (`server.metrics.prometheus.*`).
pub const METRICS: i32 = 2004;
