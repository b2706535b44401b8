//! `neo4j-aks azure params`: the parameters of deploy/azure/main.bicep for one Neo4jCluster.
//! Everything the infrastructure must agree with comes from the cluster: namespace and
//! ServiceAccount names the identities federate with (the renderer's own names), member count
//! (the Neo4j node pool), the backup storage account and container, and the GFS retention the
//! storage lifecycle rule is derived from. Azure-only choices come from flags.

use std::collections::BTreeMap;
use std::net::IpAddr;

use clap::{Args, ValueEnum};
use neo4j_aks_model::api::network::{OPERATOR_NAME, OPERATOR_NAMESPACE};
use neo4j_aks_model::api::ports;
use neo4j_aks_model::problems::Problem;
use neo4j_aks_model::validated::{BackupCredential, BackupType, default_backup_container};
use neo4j_aks_model::{Invalid, ValidatedCluster};
use serde::Serialize;

use super::{names, regions};

/// Days of Cool-tier minimum storage (Azure bills 30 days for a blob tiered to Cool).
const COOL_MINIMUM_DAYS: u32 = 30;
/// A month in the GFS monthly bucket is at most this long.
const MONTH_DAYS: u32 = 31;
/// AUTO runs start a new chain (a FULL) after this many days (docs/backup.md): the next runs read
/// the chain's artifacts, so nothing younger is tiered.
const AUTO_NEW_CHAIN_DAYS: u32 = 7;

#[derive(Args, Clone, Debug)]
pub struct AzureOptions {
    /// Azure region, programmatic name (westeurope); it must have availability zones.
    #[arg(long)]
    pub location: String,
    /// Key Vault for the cluster's secrets (3-24 letters, digits, hyphens; globally unique).
    /// Default: spec.secrets.keyVault.name.
    #[arg(long = "key-vault")]
    pub key_vault: Option<String>,
    /// Storage account for backups (3-24 lowercase letters and digits; globally unique).
    /// Default: spec.backup.target.storageAccount.
    #[arg(long = "storage-account")]
    pub storage_account: Option<String>,
    /// AKS cluster name. Default aks-<cluster name>.
    #[arg(long = "aks-name")]
    pub aks_name: Option<String>,
    /// Kubernetes version (major.minor or major.minor.patch) AKS supports in the region
    /// (`az aks get-versions -l LOCATION`).
    #[arg(long = "kubernetes-version", default_value = "1.33")]
    pub kubernetes_version: String,
    /// VM size of the system pool (3 nodes, one per zone).
    #[arg(long = "system-vm-size", default_value = "Standard_D4ds_v5")]
    pub system_vm_size: String,
    /// VM size of the Neo4j pool (one member per node); see docs/azure.md for sizing.
    #[arg(long = "neo4j-vm-size", default_value = "Standard_E8ds_v5")]
    pub neo4j_vm_size: String,
    /// Public address range (CIDR or single IP) allowed to reach the API server, the storage
    /// account and the Key Vault, e.g. your office or CI egress; repeat for more. Without one
    /// those endpoints are reachable only from the cluster's subnet (and the API server from
    /// everywhere, as AKS does by default).
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allow_ip: Vec<String>,
    /// Day of the weekly AKS maintenance window (node OS and Kubernetes patch upgrades).
    #[arg(long = "maintenance-day", value_enum, default_value_t = Weekday::Sunday)]
    pub maintenance_day: Weekday,
    /// Start hour (UTC, 0-23) of the 4-hour maintenance window.
    #[arg(long = "maintenance-hour", default_value_t = 1)]
    pub maintenance_hour: u8,
    /// Days deleted backup blobs stay recoverable (blob, container and version soft delete),
    /// 7-365.
    #[arg(long = "undo-days", default_value_t = 14)]
    pub undo_days: u32,
    /// Entra object ID granted "Azure Kubernetes Service RBAC Cluster Admin" on the cluster
    /// (local accounts are off); repeat for more. `azure up` adds the signed-in user when none
    /// is given.
    #[arg(long = "cluster-admin", value_name = "OBJECT_ID")]
    pub cluster_admin: Vec<String>,
    /// Resource ID of an existing action group the alerts notify.
    #[arg(long = "action-group")]
    pub action_group: Option<String>,
    /// Accept a region this release does not know to have availability zones.
    #[arg(long = "assume-zones")]
    pub assume_zones: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// The parameters of main.bicep, by their Bicep names.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub location: String,
    pub aks_name: String,
    pub kubernetes_version: String,
    pub system_node_vm_size: String,
    pub neo4j_node_vm_size: String,
    /// One node per member; the autoscaler may add `surge` more (replacement, upgrades).
    pub neo4j_node_min_count: i32,
    pub neo4j_node_max_count: i32,
    /// What the members listen on; the subnet's NSG allows them between nodes and pods.
    pub neo4j_ports: Vec<i32>,
    pub neo4j_namespace: String,
    pub operator_namespace: String,
    pub operator_service_account: String,
    pub member_service_account: String,
    pub backup_service_account: String,
    pub storage_account_name: String,
    pub backup_container_name: String,
    /// 0: never tier to Cool.
    pub backup_cool_after_days: u32,
    pub undo_days: u32,
    pub key_vault_name: String,
    pub allowed_ip_ranges: Vec<String>,
    pub cluster_admin_principal_ids: Vec<String>,
    pub maintenance_day: Weekday,
    pub maintenance_start_hour: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_group_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// GFS counts with their defaults applied; `None` retention means backups are off and the
/// backup crate's defaults describe what `backup prune` would keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gfs {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

/// After how many days a backup blob may move to Cool, or 0 for never. Blobs older than the
/// daily and weekly horizons survive only as monthly restore points (or as the chain one of
/// those needs), read only for a restore; Cool bills at least 30 days, so tiering pays only when
/// monthly points live that long after it. DIFF-only schedules read the whole chain at every
/// run, so they are never tiered.
pub fn cool_after_days(gfs: Gfs, backup_type: BackupType) -> u32 {
    if backup_type == BackupType::Diff || gfs.monthly == 0 {
        return 0;
    }
    let horizon = gfs.daily.max(7 * gfs.weekly).max(AUTO_NEW_CHAIN_DAYS) + 1;
    if gfs.monthly * MONTH_DAYS < horizon + COOL_MINIMUM_DAYS {
        return 0;
    }
    horizon
}

fn problem(path: &str, message: impl Into<String>) -> Problem {
    Problem {
        path: path.to_string(),
        message: message.into(),
    }
}

/// The parameters, or every problem at once (flags as `--flag`, spec fields by their path).
pub fn params(cluster: &ValidatedCluster, options: &AzureOptions) -> Result<Params, Invalid> {
    let mut problems = Vec::new();
    if let Some(message) = regions::zone_problem(&options.location, options.assume_zones) {
        problems.push(problem("--location", message));
    }
    let vault_in_spec = cluster.password.key_vault().map(|v| v.name.clone());
    let key_vault = match (&options.key_vault, vault_in_spec) {
        (Some(flag), Some(spec)) if *flag != spec => {
            problems.push(problem(
                "--key-vault",
                format!("{flag:?} differs from spec.secrets.keyVault.name {spec:?}; the members read the spec's vault, so drop the flag or change the spec"),
            ));
            flag.clone()
        }
        (Some(flag), _) => flag.clone(),
        (None, Some(spec)) => spec,
        (None, None) => {
            problems.push(problem(
                "--key-vault",
                "required: the spec has no spec.secrets.keyVault.name",
            ));
            String::new()
        }
    };
    if !key_vault.is_empty()
        && let Err(message) = names::key_vault(&key_vault)
    {
        problems.push(problem("--key-vault", message));
    }
    let aks_name = options
        .aks_name
        .clone()
        .unwrap_or_else(|| format!("aks-{}", cluster.name));
    if let Err(message) = names::aks(&aks_name) {
        problems.push(problem("--aks-name", message));
    }
    let from_spec = cluster.backup.as_ref().map(|b| &b.blob);
    let storage_account = match (&options.storage_account, from_spec) {
        (Some(flag), Some(blob)) if *flag != blob.storage_account => {
            problems.push(problem(
                "--storage-account",
                format!(
                    "{flag:?} differs from spec.backup.target.storageAccount {:?}; the backups go to the spec's account, so drop the flag or change the spec",
                    blob.storage_account
                ),
            ));
            flag.clone()
        }
        (Some(flag), _) => flag.clone(),
        (None, Some(blob)) => blob.storage_account.clone(),
        (None, None) => {
            problems.push(problem(
                "--storage-account",
                "required: the spec has no spec.backup.target.storageAccount",
            ));
            String::new()
        }
    };
    if !storage_account.is_empty()
        && let Err(message) = names::storage_account(&storage_account)
    {
        problems.push(problem("--storage-account", message));
    }
    for (path, blob) in [
        ("spec.backup.credentials", from_spec),
        (
            "spec.bootstrap.fromBackup.credentials",
            cluster.bootstrap.as_ref().map(|b| &b.blob),
        ),
    ] {
        if let Some(BackupCredential::AccountKey { .. }) = blob.map(|b| &b.credential) {
            problems.push(problem(
                path,
                "accountKeySecretRef cannot work here: main.bicep turns shared-key access off on the storage account (allowSharedKeyAccess: false); use workloadIdentityClientId (azure up fills it in)",
            ));
        }
    }
    if !is_kubernetes_version(&options.kubernetes_version) {
        problems.push(problem(
            "--kubernetes-version",
            format!(
                "{:?} is not a Kubernetes version: major.minor or major.minor.patch, e.g. 1.33",
                options.kubernetes_version
            ),
        ));
    }
    for size in [&options.system_vm_size, &options.neo4j_vm_size] {
        if !size.starts_with("Standard_") || size.contains(char::is_whitespace) {
            problems.push(problem(
                "--neo4j-vm-size/--system-vm-size",
                format!("{size:?} is not an Azure VM size name (Standard_<family>..., e.g. Standard_E8ds_v5)"),
            ));
        }
    }
    let mut allowed = Vec::new();
    for range in &options.allow_ip {
        match public_range(range) {
            Ok(canonical) => allowed.push(canonical),
            Err(message) => problems.push(problem("--allow-ip", message)),
        }
    }
    for id in &options.cluster_admin {
        if !is_guid(id) {
            problems.push(problem(
                "--cluster-admin",
                format!("{id:?} is not an Entra object ID (a GUID, e.g. from `az ad signed-in-user show --query id -o tsv`)"),
            ));
        }
    }
    if options.maintenance_hour > 23 {
        problems.push(problem(
            "--maintenance-hour",
            format!(
                "{} is not an hour of the day (0-23, UTC)",
                options.maintenance_hour
            ),
        ));
    }
    if !(7..=365).contains(&options.undo_days) {
        problems.push(problem(
            "--undo-days",
            format!(
                "{} is outside 7-365 (Azure's soft-delete retention allows 1-365; fewer than 7 leaves no time to notice a wrong prune)",
                options.undo_days
            ),
        ));
    }
    if let Some(id) = &options.action_group
        && !id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.insights/actiongroups/")
    {
        problems.push(problem(
            "--action-group",
            format!("{id:?} is not an action group resource ID (/subscriptions/.../providers/Microsoft.Insights/actionGroups/NAME)"),
        ));
    }
    if !problems.is_empty() {
        return Err(Invalid { problems });
    }

    let (gfs, backup_type) = match &cluster.backup {
        Some(backup) => (
            Gfs {
                daily: backup.retention.daily,
                weekly: backup.retention.weekly,
                monthly: backup.retention.monthly,
            },
            backup.backup_type,
        ),
        None => {
            let defaults = neo4j_aks_backup::retention::RetentionPolicy::default();
            (
                Gfs {
                    daily: defaults.daily,
                    weekly: defaults.weekly,
                    monthly: defaults.monthly,
                },
                BackupType::Auto,
            )
        }
    };
    let container = cluster
        .backup
        .as_ref()
        .map(|b| b.blob.container.clone())
        .unwrap_or_else(|| default_backup_container(&cluster.name));
    let members = cluster.members.rendered();
    Ok(Params {
        location: options.location.clone(),
        aks_name,
        kubernetes_version: options.kubernetes_version.clone(),
        system_node_vm_size: options.system_vm_size.clone(),
        neo4j_node_vm_size: options.neo4j_vm_size.clone(),
        neo4j_node_min_count: members,
        neo4j_node_max_count: members + SURGE_NODES,
        neo4j_ports: MEMBER_PORTS.to_vec(),
        neo4j_namespace: cluster.namespace.clone(),
        operator_namespace: OPERATOR_NAMESPACE.to_string(),
        operator_service_account: OPERATOR_NAME.to_string(),
        member_service_account: cluster.service_account_name(),
        backup_service_account: cluster.backup_service_account_name(),
        storage_account_name: storage_account,
        backup_container_name: container,
        backup_cool_after_days: cool_after_days(gfs, backup_type),
        undo_days: options.undo_days,
        key_vault_name: key_vault,
        allowed_ip_ranges: allowed,
        cluster_admin_principal_ids: options.cluster_admin.clone(),
        maintenance_day: options.maintenance_day,
        maintenance_start_hour: options.maintenance_hour,
        action_group_id: options.action_group.clone(),
        tags: BTreeMap::from([
            ("app".to_string(), "neo4j-aks".to_string()),
            (
                "neo4j-cluster".to_string(),
                format!("{}.{}", cluster.namespace, cluster.name),
            ),
        ]),
    })
}

/// The ports members open to each other, to clients and to the backup Jobs and scrapers.
pub const MEMBER_PORTS: [i32; 8] = [
    ports::DISCOVERY,
    ports::RAFT,
    ports::ROUTING,
    ports::BOLT,
    ports::HTTP,
    ports::HTTPS,
    ports::BACKUP,
    ports::METRICS,
];

/// Nodes the autoscaler may add to the Neo4j pool beyond one per member: room for a surge node
/// during a node-image upgrade and for a replacement while a failed node drains.
pub const SURGE_NODES: i32 = 2;

pub use neo4j_aks_model::validate::is_guid;

fn is_kubernetes_version(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A public IPv4 address or range in the form Azure's IP rules take: `a.b.c.d` or `a.b.c.d/n`
/// with n <= 30 (storage accounts refuse /31 and /32 ranges; a single address is given bare).
fn public_range(range: &str) -> Result<String, String> {
    let (address, prefix) = match range.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (range, None),
    };
    let ip: IpAddr = address
        .parse()
        .map_err(|_| format!("{range:?} is not an IPv4 address or CIDR range"))?;
    let IpAddr::V4(v4) = ip else {
        return Err(format!(
            "{range:?}: Azure storage and Key Vault IP rules take IPv4 only"
        ));
    };
    if v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() {
        return Err(format!(
            "{range:?} is not a public address; IP rules apply to public addresses (the cluster's subnet is allowed already)"
        ));
    }
    match prefix {
        None => Ok(v4.to_string()),
        Some(p) => match p.parse::<u8>() {
            Ok(32) => Ok(v4.to_string()),
            Ok(n @ 8..=30) => {
                let mask = u32::MAX << (32 - n);
                if u32::from(v4) & !mask != 0 {
                    return Err(format!(
                        "{range:?} has host bits set; the range is {}/{n}",
                        std::net::Ipv4Addr::from(u32::from(v4) & mask)
                    ));
                }
                Ok(format!("{v4}/{n}"))
            }
            _ => Err(format!(
                "{range:?}: prefix length must be 8-30, or 32 for one address"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_GFS: Gfs = Gfs {
        daily: 7,
        weekly: 4,
        monthly: 12,
    };

    #[test]
    fn cool_tiering_starts_after_the_weekly_horizon() {
        // 4 weeks = 28 days, +1 day margin.
        assert_eq!(cool_after_days(DEFAULT_GFS, BackupType::Auto), 29);
        let long_daily = Gfs {
            daily: 45,
            ..DEFAULT_GFS
        };
        assert_eq!(cool_after_days(long_daily, BackupType::Full), 46);
        let no_weekly = Gfs {
            daily: 1,
            weekly: 0,
            monthly: 3,
        };
        // Never before AUTO's new-chain interval.
        assert_eq!(cool_after_days(no_weekly, BackupType::Auto), 8);
    }

    #[test]
    fn no_tiering_when_it_cannot_pay_or_chains_are_read_every_run() {
        assert_eq!(cool_after_days(DEFAULT_GFS, BackupType::Diff), 0);
        assert_eq!(
            cool_after_days(
                Gfs {
                    monthly: 0,
                    ..DEFAULT_GFS
                },
                BackupType::Auto
            ),
            0
        );
        // A monthly point lives at most 31 days < 29 + 30 days of Cool minimum.
        assert_eq!(
            cool_after_days(
                Gfs {
                    monthly: 1,
                    ..DEFAULT_GFS
                },
                BackupType::Auto
            ),
            0
        );
        assert_eq!(
            cool_after_days(
                Gfs {
                    monthly: 2,
                    weekly: 1,
                    ..DEFAULT_GFS
                },
                BackupType::Auto
            ),
            8
        );
    }

    #[test]
    fn ip_ranges() {
        assert_eq!(public_range("20.1.2.3").as_deref(), Ok("20.1.2.3"));
        assert_eq!(public_range("20.1.2.3/32").as_deref(), Ok("20.1.2.3"));
        assert_eq!(public_range("20.1.2.0/24").as_deref(), Ok("20.1.2.0/24"));
        assert!(
            public_range("20.1.2.1/24")
                .unwrap_err()
                .contains("20.1.2.0/24")
        );
        assert!(
            public_range("10.0.0.0/8")
                .unwrap_err()
                .contains("not a public")
        );
        assert!(public_range("20.1.2.0/31").is_err());
        assert!(public_range("2001:db8::/48").unwrap_err().contains("IPv4"));
        assert!(public_range("office").is_err());
    }

    #[test]
    fn kubernetes_versions() {
        assert!(is_kubernetes_version("1.33"));
        assert!(is_kubernetes_version("1.33.2"));
        assert!(!is_kubernetes_version("v1.33"));
        assert!(!is_kubernetes_version("1"));
        assert!(!is_kubernetes_version("1.33."));
    }
}
