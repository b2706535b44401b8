//! Per-member disks: StorageClass, SKU, size.

use super::DEFAULT_DISK_GI;
use super::DEFAULT_STORAGE_CLASS;
use super::DeletionPolicy;
use super::MAX_DISK_GI;
use super::dns::is_dns_subdomain;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::Storage;

/// The StorageClass a SKU gets when `spec.storage.className` is not set; `None` for a SKU we
/// refuse. Premium_LRS keeps the proposal's name.
pub fn default_storage_class(sku: &str) -> Option<&'static str> {
    match sku {
        "Premium_LRS" => Some(DEFAULT_STORAGE_CLASS),
        "PremiumV2_LRS" => Some("neo4j-premiumv2"),
        "StandardSSD_LRS" => Some("neo4j-standardssd"),
        _ => None,
    }
}

pub(super) fn check_storage(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<Storage> {
    let storage = spec.storage.clone().unwrap_or_default();
    let sku = storage.sku.unwrap_or_else(|| "Premium_LRS".to_string());
    let Some(sku_class) = default_storage_class(&sku) else {
        f.problem(
            "spec.storage.sku",
            format!("{sku:?} is not allowed; use Premium_LRS (default), PremiumV2_LRS or StandardSSD_LRS (HDD SKUs are too slow for Neo4j)"),
        );
        return None;
    };
    // StorageClass parameters are immutable and the class is shared by every cluster that names
    // it, so the default name carries the SKU: two clusters with different SKUs never collide.
    let class_name = storage.class_name.unwrap_or_else(|| sku_class.to_string());
    if !is_dns_subdomain(&class_name) {
        f.problem(
            "spec.storage.className",
            format!("{class_name:?} is not a StorageClass name"),
        );
    }
    let create_storage_class = storage.create_storage_class.unwrap_or(true);
    if !create_storage_class && spec.storage.as_ref().is_some_and(|s| s.sku.is_some()) {
        f.problem("spec.storage.sku", "only applies when neo4j-aks creates the StorageClass; remove it or set createStorageClass: true");
    }
    let disk_size_gi = storage.disk_size_gi.unwrap_or(DEFAULT_DISK_GI);
    if !(1..=MAX_DISK_GI).contains(&disk_size_gi) {
        f.problem(
            "spec.storage.diskSizeGi",
            format!("{disk_size_gi} must be between 1 and {MAX_DISK_GI} (GiB)"),
        );
        return None;
    }
    if disk_size_gi < DEFAULT_DISK_GI {
        f.warning(
            "spec.storage.diskSizeGi",
            format!("{disk_size_gi} GiB is below the 32 GiB production minimum"),
        );
    }
    Some(Storage {
        class_name,
        create_storage_class,
        sku,
        disk_size_gi,
    })
}

/// What happens to the members' volumes when the Neo4jCluster is deleted.
pub(super) fn check_deletion_policy(f: &mut Findings, spec: &Neo4jClusterSpec) -> DeletionPolicy {
    match spec.deletion_policy.as_deref() {
        None | Some("Retain") => DeletionPolicy::Retain,
        Some("Delete") => DeletionPolicy::Delete,
        Some(other) => {
            f.problem(
                "spec.deletionPolicy",
                format!("{other:?} is not allowed; use Retain (keep the volumes) or Delete"),
            );
            DeletionPolicy::Retain
        }
    }
}
