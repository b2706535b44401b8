//! The `Neo4jCluster` custom resource as users write it.
//!
//! Every field is optional in the Rust type so that one pass of validation can report every
//! missing or wrong value at once (serde would stop at the first). Defaults are applied in
//! [`crate::validate`], never here, so the CLI and the operator share one set of defaults.
//! Enumerations are plain strings with an `enum` in the schema for the same reason.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{LocalObjectReference, Toleration};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::Neo4jClusterStatus;

/// Desired state of one Neo4j deployment: a standalone server (`nodeCount: 1`) or a cluster of
/// 3 to 10 servers.
// kube's `printcolumn(...)` repeats `type_` per column, which clippy mistakes for a duplicate.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "neo4j-aks.io",
    version = "v1alpha1",
    kind = "Neo4jCluster",
    plural = "neo4jclusters",
    shortname = "n4j",
    namespaced,
    status = "Neo4jClusterStatus",
    scale(
        spec_replicas_path = ".spec.nodeCount",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.selector"
    ),
    printcolumn(name = "Nodes", type_ = "integer", json_path = ".spec.nodeCount"),
    printcolumn(name = "Ready", type_ = "integer", json_path = ".status.readyMembers"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.neo4jVersion"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct Neo4jClusterSpec {
    /// Neo4j version: the 5.26 LTS line (`5.26.16`) or a calendar version (`2025.10.1`).
    /// Older lines are rejected: they lack discovery v2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neo4j_version: Option<String>,

    /// Acceptance of the Neo4j Enterprise licence: `yes` (commercial licence) or `eval`
    /// (evaluation). Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["yes", "eval"]))]
    pub accept_license_agreement: Option<String>,

    /// Container image. The tag is derived from `neo4jVersion` and the edition by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSpec>,

    /// Number of servers: 1 (standalone) or 3 to 10 (cluster). 2 is rejected: two primaries
    /// cannot keep a majority when one fails. The scale subresource acts on this field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_count: Option<i32>,

    /// Servers that must find each other before the cluster forms
    /// (`dbms.cluster.minimum_initial_system_primaries_count`). Default: `nodeCount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_cluster_size: Option<i32>,

    /// Topology of the default database at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology: Option<TopologySpec>,

    /// How servers find each other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoverySpec>,

    /// Per-member Azure managed disks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,

    /// Spreading of members over nodes and zones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_anti_affinity: Option<PodAntiAffinitySpec>,

    /// CPU and memory per member; requests equal limits (Guaranteed QoS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcesSpec>,

    /// Neo4j heap and page cache. Derived from `resources.memory` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemorySpec>,

    /// Client-facing services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSpec>,

    /// Authentication of the `neo4j` admin user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthSpec>,

    /// Secrets kept outside Kubernetes: the admin password from Azure Key Vault through the
    /// Secrets Store CSI driver (docs/security/key-vault.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsSpec>,

    /// Enable servers that join as `Free` automatically
    /// (`initial.dbms.automatically_enable_free_servers`). Default: true for clusters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_enable_servers: Option<bool>,

    /// Extra `neo4j.conf` settings. Each name must exist in the target version's catalog;
    /// settings neo4j-aks manages itself are refused with the field to use instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, String>>,

    /// Placement of the member pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduling: Option<SchedulingSpec>,

    /// Extra labels put on every object and pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,

    /// Extra annotations put on every object and pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,

    /// Kubernetes cluster DNS domain used in member addresses. Default `cluster.local`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_domain: Option<String>,

    /// What happens to the members' volumes when the Neo4jCluster is deleted:
    /// `Retain` (default) keeps the PersistentVolumeClaims, `Delete` removes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Retain", "Delete"]))]
    pub deletion_policy: Option<String>,

    /// TLS for client and cluster traffic, with certificates from the operator's own CA
    /// (docs/security/tls.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,

    /// Scheduled online backups to Azure Blob: the CronJobs `<name>-backup` and
    /// `<name>-backup-verification` (docs/backup.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupSpec>,
    /// How a new cluster gets its first data. Read once, when the cluster is created: the
    /// operator refuses it on a cluster that already exists (docs/runbooks/restore-cluster.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapSpec>,

    /// Prometheus metrics of the members (Enterprise), their ServiceMonitor or PodMonitor and the
    /// cluster's PrometheusRule (docs/monitoring.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringSpec>,

    /// NetworkPolicies that isolate the members and the backup Jobs: everything not listed is
    /// denied, in and out. On unless `enabled: false`, also when the section is absent
    /// (docs/security/network-policy.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<NetworkPolicySpec>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageSpec {
    /// Image repository. Default `neo4j` (the official image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Image tag. Default `<neo4jVersion>-<edition>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `enterprise` (default) or `community` (standalone only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["enterprise", "community"]))]
    pub edition: Option<String>,
    /// `IfNotPresent` (default), `Always` or `Never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["IfNotPresent", "Always", "Never"]))]
    pub pull_policy: Option<String>,
    /// Secrets used to pull the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_secrets: Option<Vec<LocalObjectReference>>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopologySpec {
    /// Primaries of the default database. Default: min(nodeCount, 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primaries: Option<i32>,
    /// Secondaries of the default database. Default: the remaining members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondaries: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverySpec {
    /// `LIST`, `SRV` or `K8S`. Default: `K8S` for clusters, none for a standalone server.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["LIST", "SRV", "K8S"]))]
    pub resolver_type: Option<String>,
    /// Name of the cluster (discovery v2) port 6000 on the services. Default `discovery`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    /// Seconds the SRV init container waits for enough SRV targets. Default 600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srv_wait_timeout_seconds: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// StorageClass name. Default by SKU: `neo4j-premium` (Premium_LRS), `neo4j-premiumv2`,
    /// `neo4j-standardssd`. A class is shared by every cluster naming it and its parameters are
    /// immutable, so clusters sharing a name must agree on the SKU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// Render the StorageClass. Default true; set false to use an existing class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_storage_class: Option<bool>,
    /// Azure disk SKU: `Premium_LRS` (default), `PremiumV2_LRS` or `StandardSSD_LRS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Premium_LRS", "PremiumV2_LRS", "StandardSSD_LRS"]))]
    pub sku: Option<String>,
    /// Size of each member's disk in GiB, 1 to 4096. Default 32. Can grow, never shrink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_size_gi: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodAntiAffinitySpec {
    /// Default: true for clusters, false for a standalone server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `Soft` (default: preferred, members still schedule on a short pool) or `Hard`
    /// (required: one member per node, pods stay Pending without enough nodes).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Soft", "Hard"]))]
    pub mode: Option<String>,
    /// Weight of spreading over nodes, 1 to 100. Default 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_weight: Option<i32>,
    /// Weight of spreading over zones, 1 to 100. Default 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_weight: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourcesSpec {
    /// CPU per member (request = limit). Default `2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Memory per member (request = limit). Default `8Gi`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemorySpec {
    /// JVM heap (initial = max), as a Kubernetes quantity (`4Gi`) . Default: half of what
    /// remains of the memory limit after 1 GiB of headroom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heap: Option<String>,
    /// Page cache, as a Kubernetes quantity. Default: the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_cache: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerSpec>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerSpec {
    /// Render the LoadBalancer Service. Default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Azure internal load balancer (private IP in the cluster VNet). Default false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    /// Resource group holding a pre-created static public IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_ip_resource_group: Option<String>,
    /// The static IPv4 address to use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_ip: Option<String>,
    /// DNS label: `<label>.<region>.cloudapp.azure.com`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_label: Option<String>,
    /// Further annotations for the Azure cloud provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Client CIDRs allowed to reach the load balancer. Default: any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer_source_ranges: Option<Vec<String>>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthSpec {
    /// An existing Secret holding the `neo4j` user's credentials as `neo4j/<password>`. When
    /// absent, neo4j-aks keeps a generated password in the Secret `<name>-secrets` (created once,
    /// never printed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<SecretKeyRef>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretsSpec {
    /// Read the admin password from Azure Key Vault instead of a Kubernetes Secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_vault: Option<KeyVaultSpec>,
}

/// An Azure Key Vault read by the Secrets Store CSI driver's Azure provider with AKS workload
/// identity. The member pods mount the password as a file; the driver also keeps it in the
/// Kubernetes Secret `<name>-keyvault`, from which the operator and the backup Jobs read it.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyVaultSpec {
    /// The vault's name (`https://<name>.vault.azure.net`): 3 to 24 letters, digits and
    /// hyphens, starting with a letter, ending with a letter or digit, no `--`. Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The Microsoft Entra tenant of the vault, a GUID. Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Client ID (a GUID) of the user-assigned managed identity that may read the vault's
    /// secrets and is federated with the member ServiceAccount `<name>-sa`. Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Name of the Key Vault secret whose value is `neo4j/<password>`: 1 to 127 letters, digits
    /// and hyphens. Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_secret: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret, in the cluster's namespace. Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key whose value is `neo4j/<password>` (the official image's auth string). Default `NEO4J_AUTH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchedulingSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TlsSpec {
    /// Encrypt the scopes below. Default false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Which traffic is encrypted: `bolt` (7687), `https` (7473; plain HTTP is then off),
    /// `cluster` (6000, 7000 and 7688 between members, mutual TLS) and `backup` (6362, mutual
    /// TLS). Default: every scope the deployment has (`cluster` only for clusters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Where the certificates come from. `generated` (default): the operator's own CA, kept in
    /// the Secret `<name>-tls-ca`, signs one certificate per member into `<name>-tls`.
    /// `secret`: the Secret named in `secret.name`, which you provide and renew.
    /// `certManager`: cert-manager issues and renews one Certificate per member from the issuer
    /// in `certManager.issuerRef`; the operator gathers them into `<name>-tls`
    /// (docs/security/tls.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["generated", "certManager", "secret"]))]
    pub source: Option<String>,
    /// `REQUIRED` (default): Bolt refuses unencrypted clients; `OPTIONAL` accepts both.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["REQUIRED", "OPTIONAL"]))]
    pub bolt_tls_level: Option<String>,
    /// Further DNS names clients use (the load balancer's DNS name, a CNAME); put on every
    /// member's certificate beside the names neo4j-aks knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_dns_names: Option<Vec<String>>,
    /// Further IP addresses clients use; the load balancer's static IP is added by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_ip_addresses: Option<Vec<String>>,
    /// Lifetimes of generated certificates (`source: generated` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<GeneratedTlsSpec>,
    /// The Secret you provide (`source: secret` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<TlsSecretSpec>,
    /// The cert-manager issuer and lifetimes (`source: certManager` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_manager: Option<CertManagerTlsSpec>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertManagerTlsSpec {
    /// The Issuer (in the cluster's namespace) or ClusterIssuer that signs the members'
    /// certificates. It must put its CA into `ca.crt` (a CA issuer does; ACME does not, and a
    /// self-signed issuer gives each member a CA of its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_ref: Option<CertManagerIssuerRef>,
    /// How long a member certificate is valid, as a Go duration (`2160h`, `720h30m`); at least
    /// `1h`. Default: cert-manager's (90 days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// How long before expiry cert-manager renews, as a Go duration; at least `5m` and shorter
    /// than `duration`. Default: cert-manager's (a third of the duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertManagerIssuerRef {
    /// Name of the Issuer or ClusterIssuer. Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Issuer` (default) or `ClusterIssuer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Issuer", "ClusterIssuer"]))]
    pub kind: Option<String>,
    /// API group of the issuer. Default `cert-manager.io`; another group names an external
    /// issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TlsSecretSpec {
    /// Name of a Secret in the cluster's namespace with every member's files, laid out as the
    /// generated source writes them: `<pod>.crt`, `<pod>.key` (PKCS #8) and `ca.crt`. Checked
    /// (signed by `ca.crt`, key match, names, expiry) before anything is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Render the NetworkPolicies. Default true, also when the section is absent; `false` renders
    /// none (and removes them from a running cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Who may open Bolt (7687) and HTTP (7474) on the members, and HTTPS (7473) once TLS serves
    /// it. Default: pods in the cluster's own namespace, and the addresses the load balancer
    /// admits (`loadBalancerSourceRanges`, or any address when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<NetworkPolicyPeers>,
    /// Who may scrape the metrics port (2004), rendered only while the members expose it
    /// (`spec.monitoring`). Default: the namespaces `monitoring` and `kube-system` (AKS's managed
    /// Prometheus), no addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<NetworkPolicyPeers>,
    /// Namespace of the neo4j-aks operator, whose pods open Bolt to the members. Default
    /// `neo4j-aks-system`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_namespace: Option<String>,
    /// Where the members' K8S discovery resolver reaches the Kubernetes API server (a
    /// NetworkPolicy cannot name it). Used only with `discovery.resolverType: K8S`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_server: Option<ApiServerEndpoint>,
    /// Where the backup Jobs (and members seeding from a backup) reach Azure Blob Storage and
    /// Entra ID on port 443. Default: any address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_storage: Option<EgressCidrs>,
}

/// Sources allowed in: pods of the named namespaces, and addresses in the CIDRs.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyPeers {
    /// Namespace names (DNS-1123 labels); every pod in them is allowed. `[]` allows none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// IPv4 or IPv6 CIDRs (`203.0.113.0/24`, `2001:db8::/48`) without host bits. `[]` allows none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidrs: Option<Vec<String>>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedTlsSpec {
    /// Days a member certificate is valid. Default 90.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_days: Option<u32>,
    /// A member certificate is renewed this many days before it expires. Default 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_before_days: Option<u32>,
    /// Days the CA is valid. Default 3650.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_days: Option<u32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerEndpoint {
    /// The API server's addresses as CIDRs: what the `default/kubernetes` Service's endpoints
    /// list. Default `0.0.0.0/0` (any address on the port below).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidrs: Option<Vec<String>>,
    /// Port of those endpoints. Default 443 (AKS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EgressCidrs {
    /// Destination CIDRs. Default `0.0.0.0/0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidrs: Option<Vec<String>>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringSpec {
    /// Turn on Neo4j's Prometheus endpoint (port 2004) and render the scrape object and the
    /// alert rules. Default false. Needs the Enterprise edition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// How often Prometheus scrapes the members: a Prometheus duration (`30s`, `1m`), 10s to
    /// 5m. Default `60s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// `ServiceMonitor` (default: scrapes the headless Service's `metrics` port) or `PodMonitor`
    /// (scrapes the pods' `metrics` container port directly).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ServiceMonitor", "PodMonitor"]))]
    pub kind: Option<String>,
    /// Render the PrometheusRule `<name>-alerts` with this cluster's alerts. Default true; turn
    /// it off when the cluster-independent rules of deploy/monitoring/ are loaded instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<bool>,
    /// Extra labels on the ServiceMonitor/PodMonitor and the PrometheusRule, for the Prometheus
    /// that selects them (e.g. `release: kube-prometheus-stack`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupSpec {
    /// Render the backup CronJobs. Default false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// When backups run: 5-field cron (UTC) that both croner and Kubernetes accept. Default `0 2 * * *`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Databases to back up; default all (`*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub databases: Option<Vec<String>>,
    /// `AUTO` (default: full first, then differential), `FULL` or `DIFF`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["AUTO", "FULL", "DIFF"]))]
    pub backup_type: Option<String>,
    /// Where backups go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<BackupTarget>,
    /// How the backup agent authenticates to Azure Storage; default workload identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<BackupCredentials>,
    /// How many restore points to keep (grandfather-father-son over whole chains).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<BackupRetention>,
    /// Pause the schedule without removing anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Restore-and-check of the newest backup in a throw-away server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<BackupVerification>,
    /// Size limit (GiB) of the backup pod's temporary volume (an emptyDir on the node) that holds
    /// the artifacts of a run and the chain a DIFF extends. Default: the member disk size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temp_size_gi: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupTarget {
    /// Azure Storage account name (3 to 24 lowercase letters and digits). Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_account: Option<String>,
    /// Blob container. Default `neo4j-backups-<cluster name>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Path prefix inside the container. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupCredentials {
    /// Azure workload identity: the client ID of the managed identity federated with the
    /// backup ServiceAccount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_identity_client_id: Option<String>,
    /// A Secret holding the storage account key (instead of workload identity); key default
    /// `azurestorageaccountkey`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_key_secret_ref: Option<SecretKeyRef>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupRetention {
    /// Newest restore point of each of the last N days. Default 7.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily: Option<i32>,
    /// Newest restore point of each of the last N ISO weeks. Default 4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weekly: Option<i32>,
    /// Newest restore point of each of the last N months. Default 12.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly: Option<i32>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupVerification {
    /// Default true when backups are enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// 5-field cron (UTC). Default weekly, `0 4 * * 0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BootstrapSpec {
    /// Seed the databases of a new cluster from the backups another (or an earlier) cluster
    /// stored in Azure Blob with `spec.backup`. Needs Neo4j Enterprise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_backup: Option<FromBackupSpec>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FromBackupSpec {
    /// Name of the cluster whose backups are restored (the blob path segment). Default: this
    /// cluster's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_cluster: Option<String>,
    /// Where the backups are. The container defaults to `neo4j-backups-<sourceCluster>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<BackupTarget>,
    /// How the members' seed step reads Azure Storage (read access is enough): workload
    /// identity (federated with this cluster's member ServiceAccount) or an account key Secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<BackupCredentials>,
    /// Databases to restore, by name (no patterns; not `system`). Required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub databases: Option<Vec<String>>,
    /// Restore the newest restorable backup finished at or before this time (RFC 3339, e.g.
    /// `2026-11-20T00:00:00Z`). Default: the newest. Set it when the source cluster still takes
    /// backups, so that every member seeds the same one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// Size (GiB) of each member's temporary seed volume that holds the downloaded chain until
    /// the pod restarts. Default: the member disk size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed_size_gi: Option<i32>,
}
