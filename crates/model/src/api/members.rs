//! Member counts neo4j-aks allows.

/// The smallest cluster: three primaries tolerate one failure.
pub const MIN_CLUSTER_MEMBERS: u32 = 3;
/// The largest cluster neo4j-aks renders.
pub const MAX_MEMBERS: u32 = 10;
