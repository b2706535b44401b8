//! A spec after validation: every default applied, every value checked. The renderer and the
//! operator read only this, never the raw spec.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{LocalObjectReference, Toleration};

use crate::problems::Warning;
use crate::version::Neo4jVersion;

pub const GIB: i64 = 1024 * 1024 * 1024;
pub const MIB: i64 = 1024 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct ValidatedCluster {
    pub name: String,
    pub namespace: String,
    pub version: Neo4jVersion,
    pub license: License,
    pub edition: Edition,
    pub image: Image,
    pub members: Members,
    /// `None` for a standalone server.
    pub clustering: Option<Clustering>,
    pub storage: Storage,
    pub anti_affinity: Option<AntiAffinity>,
    pub resources: Resources,
    pub memory: Memory,
    pub load_balancer: Option<LoadBalancer>,
    pub password: PasswordSource,
    pub extra_config: BTreeMap<String, String>,
    pub scheduling: Scheduling,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub cluster_domain: String,
    pub deletion_policy: DeletionPolicy,
    /// Scheduled backups; `None` when `spec.backup.enabled` is not true.
    pub backup: Option<Backup>,
    /// `spec.bootstrap.fromBackup`: the databases a new cluster is seeded with.
    pub bootstrap: Option<Bootstrap>,
    /// `None` when `spec.tls.enabled` is not true.
    pub tls: Option<Tls>,
    /// `spec.networkPolicy`; `None` only when `enabled: false`.
    pub network_policy: Option<NetworkPolicy>,
    /// Prometheus metrics and alerts; `None` when `spec.monitoring.enabled` is not true.
    pub monitoring: Option<Monitoring>,
    /// `neo4j-aks.io/restart-requested-at` of the Neo4jCluster: copied into the pod template so
    /// that a new value is a new revision (every member restarts once).
    pub restart_requested_at: Option<String>,
    /// Members still run 5.26 while `version` is a calendar version (a roll across lines, set by
    /// the operator from the live pods; `false` from `validate`): the shared neo4j.conf then
    /// holds only names both lines accept (render's `neo4j_conf::settings`).
    pub rolling_from_5_26: bool,
    pub warnings: Vec<Warning>,
}

/// The two member counts a cluster has: what the spec asks for, and what the rendered objects
/// carry. They differ only while a scale-down is pending: the objects keep every member that
/// still runs (the StatefulSet's replicas, the discovery Services, LIST endpoints, the backup
/// sources) and the day-2 executor removes them one at a time, each after its server was
/// deallocated and dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Members {
    asked: i32,
    rendered: i32,
}

impl Members {
    /// A cluster rendered with what its spec asks for.
    pub fn new(node_count: i32) -> Members {
        Members {
            asked: node_count,
            rendered: node_count,
        }
    }

    /// `spec.nodeCount`: what the cluster converges to (the day-2 planner's target).
    pub fn asked(self) -> i32 {
        self.asked
    }

    /// What the rendered objects carry.
    pub fn rendered(self) -> i32 {
        self.rendered
    }

    /// Keeps rendering the `running` members while fewer are asked for.
    pub fn holding(self, running: i32) -> Members {
        Members {
            asked: self.asked,
            rendered: self.asked.max(running),
        }
    }

    /// `(asked, rendered)` while a scale-down waits for the day-2 executor.
    pub fn scale_down_pending(self) -> Option<(i32, i32)> {
        (self.rendered > self.asked).then_some((self.asked, self.rendered))
    }
}

/// Which Neo4j the image carries. Settings of the clustering, metrics and security modules exist
/// only in Enterprise; the official image also appends its advertised-address defaults only there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edition {
    Enterprise,
    Community,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum License {
    Yes,
    Eval,
}

impl License {
    pub fn as_env_value(self) -> &'static str {
        match self {
            License::Yes => "yes",
            License::Eval => "eval",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub reference: String,
    pub pull_policy: String,
    pub pull_secrets: Vec<LocalObjectReference>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resolver {
    List,
    Srv,
    K8s,
}

impl Resolver {
    pub fn as_setting(self) -> &'static str {
        match self {
            Resolver::List => "LIST",
            Resolver::Srv => "SRV",
            Resolver::K8s => "K8S",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "LIST" => Some(Resolver::List),
            "SRV" => Some(Resolver::Srv),
            "K8S" => Some(Resolver::K8s),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Clustering {
    pub minimum_cluster_size: i32,
    pub primaries: i32,
    pub secondaries: i32,
    pub resolver: Resolver,
    pub port_name: String,
    pub srv_wait_timeout_seconds: i32,
    pub auto_enable_servers: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Storage {
    pub class_name: String,
    pub create_storage_class: bool,
    pub sku: String,
    pub disk_size_gi: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AntiAffinity {
    pub hard: bool,
    pub node_weight: i32,
    pub zone_weight: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Resources {
    pub cpu: String,
    pub memory: String,
    pub memory_bytes: i64,
}

/// Heap and page cache in bytes; always whole MiB so they print exactly in neo4j.conf.
#[derive(Clone, Debug, PartialEq)]
pub struct Memory {
    pub heap_bytes: i64,
    pub page_cache_bytes: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancer {
    pub annotations: BTreeMap<String, String>,
    pub source_ranges: Vec<String>,
}

/// TLS as validated: which traffic is encrypted and what goes on the generated certificates.
#[derive(Clone, Debug, PartialEq)]
pub struct Tls {
    pub source: TlsSource,
    pub scopes: BTreeSet<TlsScope>,
    /// Bolt refuses unencrypted clients (`server.bolt.tls_level=REQUIRED`).
    pub bolt_required: bool,
    pub extra_dns_names: Vec<String>,
    pub extra_ip_addresses: Vec<IpAddr>,
    pub certificate_days: u32,
    pub renew_before_days: u32,
    pub ca_days: u32,
    /// `neo4j-aks.io/rotate-certificates-requested-at` of the Neo4jCluster (Unix seconds): member
    /// certificates issued before it are issued again.
    pub rotate_requested_at: Option<i64>,
    /// `neo4j-aks.io/rotate-ca-requested-at` of the Neo4jCluster (Unix seconds): a CA issued
    /// before it is replaced (both trusted while the members switch).
    pub rotate_ca_requested_at: Option<i64>,
    /// `neo4j-aks.io/trusted-ca-added-at` of the live Secret `<name>-tls` (read by prepare):
    /// members trust a second CA (`other-ca.crt`), and the pod template carries this time, so
    /// adding that CA restarts every member once.
    pub trusted_ca_added_at: Option<String>,
    /// `neo4j-aks.io/certificates-renewed-at` of the live Secret `<name>-tls` (read by prepare,
    /// absent when rendering offline): copied into the pod template, so a renewal restarts every
    /// member once. With `source: secret`, a digest of the user's certificates (`sha256:…`),
    /// so that replacing them is a new revision the same way.
    pub renewed_at: Option<String>,
}

/// Where the member certificates come from (`spec.tls.source`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// The operator's own CA issues and renews them.
    Generated,
    /// The user provides them in this Secret of the cluster's namespace, and renews them.
    Secret(String),
    /// cert-manager issues and renews one Certificate per member; the operator gathers them.
    CertManager(CertManagerIssuance),
}

/// `spec.tls.certManager` as validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertManagerIssuance {
    pub issuer_name: String,
    /// `Issuer` or `ClusterIssuer`.
    pub issuer_kind: String,
    pub issuer_group: String,
    /// Go durations as written (checked to parse as cert-manager parses them).
    pub duration: Option<String>,
    pub renew_before: Option<String>,
}

impl Tls {
    /// The user's Secret with `source: secret`.
    pub fn user_secret(&self) -> Option<&str> {
        match &self.source {
            TlsSource::Secret(name) => Some(name),
            TlsSource::Generated | TlsSource::CertManager(_) => None,
        }
    }

    /// The issuer with `source: certManager`.
    pub fn cert_manager(&self) -> Option<&CertManagerIssuance> {
        match &self.source {
            TlsSource::CertManager(issuance) => Some(issuance),
            _ => None,
        }
    }

    pub fn covers(&self, scope: TlsScope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A Neo4j SSL policy scope (`dbms.ssl.policy.<scope>.*`, Operations Manual, security/ssl-framework.adoc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsScope {
    Bolt,
    Https,
    Cluster,
    Backup,
}

impl TlsScope {
    pub const ALL: [TlsScope; 4] = [
        TlsScope::Bolt,
        TlsScope::Https,
        TlsScope::Cluster,
        TlsScope::Backup,
    ];

    /// The scope's name in the spec and in `dbms.ssl.policy.<scope>`.
    pub fn name(self) -> &'static str {
        match self {
            TlsScope::Bolt => "bolt",
            TlsScope::Https => "https",
            TlsScope::Cluster => "cluster",
            TlsScope::Backup => "backup",
        }
    }

    pub fn parse(name: &str) -> Option<TlsScope> {
        TlsScope::ALL.into_iter().find(|s| s.name() == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PasswordSource {
    /// neo4j-aks creates `<name>-secrets` once with a random password and never overwrites it.
    Generated { secret: String, key: String },
    /// The user's own Secret.
    Existing { secret: String, key: String },
    /// Azure Key Vault (`spec.secrets.keyVault`): the members mount the password through the
    /// Secrets Store CSI driver, which also keeps it in the Kubernetes Secret `secret` (key
    /// `key`) while a member pod mounts it. The operator's Bolt credentials and the backup Jobs
    /// read that Secret.
    KeyVault {
        secret: String,
        key: String,
        vault: KeyVault,
    },
}

impl PasswordSource {
    /// The Kubernetes Secret holding `neo4j/<password>`.
    pub fn secret_name(&self) -> &str {
        match self {
            PasswordSource::Generated { secret, .. }
            | PasswordSource::Existing { secret, .. }
            | PasswordSource::KeyVault { secret, .. } => secret,
        }
    }

    pub fn key(&self) -> &str {
        match self {
            PasswordSource::Generated { key, .. }
            | PasswordSource::Existing { key, .. }
            | PasswordSource::KeyVault { key, .. } => key,
        }
    }

    pub fn key_vault(&self) -> Option<&KeyVault> {
        match self {
            PasswordSource::KeyVault { vault, .. } => Some(vault),
            _ => None,
        }
    }
}

/// The key of the admin password in the Secret the CSI driver syncs from Key Vault, and the file
/// name (object alias) in the members' mount.
pub const KEY_VAULT_SECRET_KEY: &str = "auth";

/// `spec.secrets.keyVault`, checked against Azure's naming rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVault {
    /// The vault's name (`https://<name>.vault.azure.net`).
    pub name: String,
    /// Microsoft Entra tenant ID (a GUID).
    pub tenant_id: String,
    /// Client ID of the managed identity federated with the member ServiceAccount.
    pub client_id: String,
    /// The Key Vault secret holding `neo4j/<password>`.
    pub password_secret: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scheduling {
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub priority_class_name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionPolicy {
    Retain,
    Delete,
}

/// `spec.backup` with every default applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Backup {
    pub schedule: String,
    pub suspend: bool,
    /// Names or patterns as `neo4j-admin database backup` takes them; `["*"]` by default.
    pub databases: Vec<String>,
    pub backup_type: BackupType,
    pub blob: BlobLocation,
    pub retention: BackupRetention,
    /// Size of the pod's temporary volume for artifacts (GiB).
    pub temp_size_gi: i32,
    /// Schedule of the restore-and-check CronJob; `None` when verification is off.
    pub verification_schedule: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupType {
    Auto,
    Full,
    Diff,
}

impl BackupType {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupType::Auto => "AUTO",
            BackupType::Full => "FULL",
            BackupType::Diff => "DIFF",
        }
    }
}

/// Where a cluster's backups are stored and how to reach them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobLocation {
    pub storage_account: String,
    pub container: String,
    /// Path prefix inside the container; empty for none.
    pub prefix: String,
    pub credential: BackupCredential,
}

/// `spec.monitoring` with every default applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Monitoring {
    /// A Prometheus duration (`60s`).
    pub interval: String,
    pub kind: MonitorKind,
    /// Render the cluster's PrometheusRule.
    pub rules: bool,
    /// Extra labels on the scrape object and the PrometheusRule.
    pub labels: BTreeMap<String, String>,
}

/// Which prometheus-operator object scrapes the members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorKind {
    ServiceMonitor,
    PodMonitor,
}

/// `spec.bootstrap.fromBackup` with every default applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bootstrap {
    /// The cluster name the backups were stored under.
    pub source_cluster: String,
    pub blob: BlobLocation,
    /// Database names, in the order they are seeded.
    pub databases: Vec<String>,
    /// RFC 3339 bound on the restore point, normalized (`None`: the newest).
    pub not_after: Option<String>,
    /// Size of each member's seed volume (GiB).
    pub seed_size_gi: i32,
}

/// `spec.networkPolicy` with every default applied. CIDRs are in canonical form
/// (`10.0.0.0/8`, `2001:db8::/48`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// May open the client ports (Bolt, HTTP, HTTPS).
    pub clients: Peers,
    /// May scrape the metrics port, while the members expose one.
    pub metrics: Peers,
    /// The operator's namespace (its pods open Bolt).
    pub operator_namespace: String,
    /// The K8S resolver's way to the API server.
    pub api_server_cidrs: Vec<String>,
    pub api_server_port: i32,
    /// Azure Blob Storage and Entra ID, port 443.
    pub azure_storage_cidrs: Vec<String>,
}

/// Pods of these namespaces and addresses in these CIDRs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Peers {
    pub namespaces: Vec<String>,
    pub cidrs: Vec<String>,
}

impl Peers {
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && self.cidrs.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupCredential {
    /// Entra Workload ID: the backup ServiceAccount is annotated with this client ID.
    WorkloadIdentity { client_id: String },
    /// A storage account key in a Secret, mounted into the agent as a file.
    AccountKey { secret: String, key: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupRetention {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

/// `neo4j-backups-<name>`: the blob container a cluster's backups go to unless the spec names one.
pub fn default_backup_container(cluster: &str) -> String {
    format!("neo4j-backups-{cluster}")
}

/// `<name>-keyvault`: the SecretProviderClass and the Secret the CSI driver syncs.
pub fn key_vault_object_name(cluster: &str) -> String {
    format!("{cluster}-keyvault")
}

/// Object names (ARCHITECTURE §3). The cluster `neo4j` reproduces the proposal's names.
impl ValidatedCluster {
    pub fn is_cluster(&self) -> bool {
        self.clustering.is_some()
    }

    pub fn resolver(&self) -> Option<Resolver> {
        self.clustering.as_ref().map(|c| c.resolver)
    }

    pub fn statefulset_name(&self) -> String {
        self.name.clone()
    }
    pub fn headless_service_name(&self) -> String {
        format!("{}-headless", self.name)
    }
    pub fn load_balancer_name(&self) -> String {
        format!("{}-lb", self.name)
    }
    pub fn service_account_name(&self) -> String {
        format!("{}-sa", self.name)
    }
    pub fn role_name(&self) -> String {
        format!("{}-service-reader", self.name)
    }
    pub fn role_binding_name(&self) -> String {
        format!("{}-service-reader-binding", self.name)
    }
    pub fn config_map_name(&self) -> String {
        format!("{}-config", self.name)
    }
    pub fn generated_secret_name(&self) -> String {
        format!("{}-secrets", self.name)
    }
    /// The SecretProviderClass of `spec.secrets.keyVault`, and the Kubernetes Secret the CSI
    /// driver keeps in sync with it.
    pub fn key_vault_name(&self) -> String {
        key_vault_object_name(&self.name)
    }
    pub fn backup_cronjob_name(&self) -> String {
        format!("{}-backup", self.name)
    }
    pub fn verification_cronjob_name(&self) -> String {
        format!("{}-backup-verification", self.name)
    }
    pub fn backup_service_account_name(&self) -> String {
        format!("{}-backup", self.name)
    }
    /// The NetworkPolicies of the members, the backup pods and the verification pods.
    pub fn members_network_policy_name(&self) -> String {
        format!("{}-members", self.name)
    }
    pub fn backup_network_policy_name(&self) -> String {
        format!("{}-backup", self.name)
    }
    pub fn verification_network_policy_name(&self) -> String {
        format!("{}-backup-verification", self.name)
    }
    /// The ServiceMonitor or PodMonitor.
    pub fn monitor_name(&self) -> String {
        format!("{}-metrics", self.name)
    }
    pub fn prometheus_rule_name(&self) -> String {
        format!("{}-alerts", self.name)
    }
    pub fn pdb_name(&self) -> String {
        format!("{}-pdb", self.name)
    }
    pub fn pod_name(&self, ordinal: i32) -> String {
        format!("{}-{ordinal}", self.name)
    }
    pub fn pvc_name(&self, ordinal: i32) -> String {
        format!("data-{}-{ordinal}", self.name)
    }
    /// The per-member Service the K8S resolver finds; named after the pod so that a pod can
    /// build its own advertised address from its name alone.
    pub fn discovery_service_name(&self, ordinal: i32) -> String {
        format!("{}-discovery", self.pod_name(ordinal))
    }
    pub fn svc_domain(&self) -> String {
        format!("{}.svc.{}", self.namespace, self.cluster_domain)
    }
    /// Stable DNS name of a member through the headless Service.
    pub fn member_fqdn(&self, ordinal: i32) -> String {
        format!(
            "{}.{}.{}",
            self.pod_name(ordinal),
            self.headless_service_name(),
            self.svc_domain()
        )
    }
    pub fn discovery_service_fqdn(&self, ordinal: i32) -> String {
        format!(
            "{}.{}",
            self.discovery_service_name(ordinal),
            self.svc_domain()
        )
    }
    pub fn srv_record_name(&self) -> Option<String> {
        let clustering = self.clustering.as_ref()?;
        Some(format!(
            "_{}._tcp.{}.{}",
            clustering.port_name,
            self.headless_service_name(),
            self.svc_domain()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Members;

    #[test]
    fn members_render_what_runs_until_the_day2_executor_removed_it() {
        let asked = Members::new(3);
        assert_eq!((asked.asked(), asked.rendered()), (3, 3));
        assert_eq!(asked.scale_down_pending(), None);
        let held = asked.holding(5);
        assert_eq!((held.asked(), held.rendered()), (3, 5));
        assert_eq!(held.scale_down_pending(), Some((3, 5)));
        // Growing is not holding: the new members are rendered at once.
        assert_eq!(Members::new(5).holding(3).rendered(), 5);
    }
}
