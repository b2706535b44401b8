//! Label keys (and fixed values) on the objects neo4j-aks renders, and the Kubernetes ones it
//! reads.

pub const NAME: &str = "app.kubernetes.io/name";
pub const INSTANCE: &str = "app.kubernetes.io/instance";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const COMPONENT: &str = "app.kubernetes.io/component";
pub const VERSION: &str = "app.kubernetes.io/version";
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// The value of [`MANAGED_BY`] on everything neo4j-aks renders.
pub const MANAGED_BY_NEO4J_AKS: &str = "neo4j-aks";
/// The Neo4jCluster an object belongs to.
pub const CLUSTER: &str = "neo4j-aks.io/cluster";
/// What a Service is for (`discovery` on the K8S resolver's per-member Services).
pub const SERVICE_ROLE: &str = "neo4j-aks.io/service";
/// The value of [`SERVICE_ROLE`] the K8S resolver's label selector asks for.
pub const DISCOVERY_ROLE: &str = "discovery";
/// Set by the StatefulSet controller on each member pod.
pub const POD_NAME: &str = "statefulset.kubernetes.io/pod-name";
/// Set by the StatefulSet controller: the revision a pod was created from.
pub const REVISION: &str = "controller-revision-hash";
/// Node labels of the zone and host (well-known labels).
pub const ZONE: &str = "topology.kubernetes.io/zone";
pub const HOSTNAME: &str = "kubernetes.io/hostname";
/// Entra Workload ID's opt-in on a pod.
pub const WORKLOAD_IDENTITY_USE: &str = "azure.workload.identity/use";
/// Label keys users may not set on a Neo4jCluster: neo4j-aks sets them itself.
pub const RESERVED_PREFIXES: [&str; 4] = [NAME, INSTANCE, MANAGED_BY, "neo4j-aks.io/"];
/// Namespace labels under which Pod Security admission enforces, warns about and audits the
/// `restricted` level (its latest version, the default): every pod neo4j-aks renders meets it
/// (docs/security/pod-security.md), and the operator's own namespace carries them.
pub const POD_SECURITY_RESTRICTED: [(&str, &str); 3] = [
    ("pod-security.kubernetes.io/enforce", "restricted"),
    ("pod-security.kubernetes.io/warn", "restricted"),
    ("pod-security.kubernetes.io/audit", "restricted"),
];
