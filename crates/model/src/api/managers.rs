//! Who writes what: server-side apply field managers, the finalizer and the events reporter.

/// The operator's and `neo4j-aks apply`'s server-side apply of rendered objects.
pub const APPLY: &str = "neo4j-aks";
/// The one write of the generated admin password (not forced: never overwrites).
pub const PASSWORD: &str = "neo4j-aks-password";
/// The generated TLS material in `<name>-tls` and `<name>-tls-ca` (forced: the operator owns it).
pub const CERTIFICATES: &str = "neo4j-aks-certificates";
/// The status subresource.
pub const STATUS: &str = "neo4j-aks-status";
/// The day-2 executor's own writes (replicas of a shrink, removing an annotation).
pub const DAY2: &str = "neo4j-aks-day2";
/// The day-2 CLI's requests (`scale`, `restart`, `restore --member`).
pub const CLI: &str = "neo4j-aks-cli";
/// The finalizer that cleans up what owner references cannot (claims, the StorageClass).
pub const FINALIZER: &str = "neo4j-aks.io/cleanup";
/// `reportingController` of the operator's events.
pub const CONTROLLER_NAME: &str = "neo4j-aks.io/operator";
