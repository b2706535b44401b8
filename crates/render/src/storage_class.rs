//! The StorageClass of the members' Azure managed disks (proposal FR4, R1.3).

use std::collections::BTreeMap;

use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use neo4j_aks_model::ValidatedCluster;

use crate::labels::MANAGED_BY;

pub const AZURE_DISK_PROVISIONER: &str = "disk.csi.azure.com";

/// Cluster-scoped and possibly shared by several clusters, so it carries no cluster label.
pub fn build(cluster: &ValidatedCluster) -> Option<StorageClass> {
    let storage = &cluster.storage;
    if !storage.create_storage_class {
        return None;
    }
    Some(StorageClass {
        metadata: ObjectMeta {
            name: Some(storage.class_name.clone()),
            labels: Some(BTreeMap::from([(
                neo4j_aks_model::api::labels::MANAGED_BY.to_string(),
                MANAGED_BY.to_string(),
            )])),
            ..ObjectMeta::default()
        },
        provisioner: AZURE_DISK_PROVISIONER.to_string(),
        parameters: Some(BTreeMap::from([
            ("skuName".to_string(), storage.sku.clone()),
            // Host caching is unavailable for PremiumV2 and for disks of 4 TiB, and the class is
            // shared by clusters of any size, so it is off for all.
            ("cachingMode".to_string(), "None".to_string()),
        ])),
        // A deleted claim must never take the data with it.
        reclaim_policy: Some("Retain".to_string()),
        // Bind where the pod is scheduled: Azure disks are zonal.
        volume_binding_mode: Some("WaitForFirstConsumer".to_string()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    })
}
