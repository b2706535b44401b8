//! Who talks to the members from outside the cluster's own objects: the names a NetworkPolicy
//! selects them by (docs/security/network-policy.md).

/// The operator's namespace as `deploy/operator/operator.yaml` creates it; its pods open Bolt to
/// the members (day-2 operations, status).
pub const OPERATOR_NAMESPACE: &str = "neo4j-aks-system";
/// `app.kubernetes.io/name` of the operator's pods (and its Deployment's name).
pub const OPERATOR_NAME: &str = "neo4j-aks-operator";
/// Label Kubernetes sets on every namespace to its name (since 1.22): how a policy names a
/// namespace.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// Where cluster DNS runs, and the label of its pods (CoreDNS on AKS keeps kube-dns's label).
pub const DNS_NAMESPACE: &str = "kube-system";
pub const DNS_POD_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
pub const DNS_PORT: i32 = 53;
/// Azure Blob Storage and Entra ID (workload identity's token exchange) listen on HTTPS.
pub const AZURE_HTTPS_PORT: i32 = 443;
/// The port of the `default/kubernetes` Service's endpoints on AKS (the managed API server).
pub const DEFAULT_API_SERVER_PORT: i32 = 443;
/// Namespaces allowed to scrape the metrics port unless the spec says otherwise:
/// kube-prometheus-stack's usual `monitoring`, and `kube-system`, where AKS's managed Prometheus
/// (the `ama-metrics` pods of Azure Monitor) runs.
pub const DEFAULT_METRICS_NAMESPACES: [&str; 2] = ["monitoring", "kube-system"];
/// "Any address", the default of the egress destinations the spec cannot know.
pub const ANY_IPV4: &str = "0.0.0.0/0";
