//! `spec.secrets.keyVault`: the SecretProviderClass that has the Secrets Store CSI driver's Azure
//! provider fetch the admin password from Key Vault with the members' workload identity, and the
//! CSI volume that mounts it where the members read it.
//!
//! The provider's parameters are documented at
//! https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/configurations/identity-access-modes/workload-identity-mode/
//! (workload identity: `usePodIdentity: "false"`, `clientID`, `keyvaultName`, `tenantId`,
//! `objects`); the driver fetches the token for `clientID` itself through the CSIDriver's token
//! requests, so the Neo4j container gets no Azure token of its own. Syncing into a Kubernetes
//! Secret (`secretObjects`):
//! https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/configurations/sync-with-k8s-secrets/

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{CSIVolumeSource, Volume};
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::{KEY_VAULT_SECRET_KEY, KeyVault};

use crate::crd::secrets_store::{
    AzureKeyVaultObject, AzureObjects, SecretObject, SecretObjectData, SecretProviderClass,
    SecretProviderClassSpec,
};
use crate::meta;

/// The Secrets Store CSI driver's name (its CSIDriver object).
pub const CSI_DRIVER: &str = "secrets-store.csi.k8s.io";

/// The provider name of the Azure Key Vault provider.
pub const PROVIDER: &str = "azure";

/// The SecretProviderClass, when the password comes from Key Vault.
pub fn secret_provider_class(cluster: &ValidatedCluster) -> Option<SecretProviderClass> {
    let vault = cluster.password.key_vault()?;
    let name = cluster.key_vault_name();
    let parameters = BTreeMap::from([
        ("usePodIdentity".to_string(), "false".to_string()),
        ("clientID".to_string(), vault.client_id.clone()),
        ("keyvaultName".to_string(), vault.name.clone()),
        // Providers up to v1.2 read only `tenantId`; later ones prefer `tenantID` and log
        // `tenantId` as deprecated (pkg/provider/types/parameters.go `GetTenantID`, issue
        // Azure/secrets-store-csi-driver-provider-azure#857). Both carry the same value, so
        // every provider version finds it.
        ("tenantId".to_string(), vault.tenant_id.clone()),
        ("tenantID".to_string(), vault.tenant_id.clone()),
        ("objects".to_string(), objects_parameter(vault)),
    ]);
    Some(SecretProviderClass {
        metadata: meta::namespaced(cluster, name.clone()),
        spec: SecretProviderClassSpec {
            provider: Some(PROVIDER.to_string()),
            parameters,
            // The synced Secret carries no neo4j-aks labels on purpose: the operator deletes
            // labelled objects it no longer renders, and this Secret is the driver's, not ours.
            secret_objects: vec![SecretObject {
                secret_name: name,
                type_: "Opaque".to_string(),
                data: vec![SecretObjectData {
                    object_name: KEY_VAULT_SECRET_KEY.to_string(),
                    key: KEY_VAULT_SECRET_KEY.to_string(),
                }],
                labels: BTreeMap::new(),
            }],
        },
    })
}

/// The one Key Vault object neo4j-aks reads: the password secret, written to the file
/// `auth` (its alias) in the mount.
pub fn objects(vault: &KeyVault) -> AzureObjects {
    let password = AzureKeyVaultObject {
        object_name: vault.password_secret.clone(),
        object_type: "secret".to_string(),
        object_alias: Some(KEY_VAULT_SECRET_KEY.to_string()),
    };
    AzureObjects {
        array: vec![yaml(&password)],
    }
}

/// `objects` as the provider reads it: YAML whose `array` holds YAML strings.
pub fn objects_parameter(vault: &KeyVault) -> String {
    yaml(&objects(vault))
}

fn yaml<T: serde::Serialize>(value: &T) -> String {
    // Both types are structs of strings and lists of strings, which YAML always represents.
    serde_saphyr::to_string(value).expect("structs of strings serialize to YAML")
}

/// The members' password volume in Key Vault mode: the CSI driver mounts the secret read-only
/// as the file `auth`, the same name the Secret volume uses otherwise.
pub fn volume(cluster: &ValidatedCluster, name: &str) -> Option<Volume> {
    cluster.password.key_vault()?;
    Some(Volume {
        name: name.to_string(),
        csi: Some(CSIVolumeSource {
            driver: CSI_DRIVER.to_string(),
            read_only: Some(true),
            volume_attributes: Some(BTreeMap::from([(
                "secretProviderClass".to_string(),
                cluster.key_vault_name(),
            )])),
            ..CSIVolumeSource::default()
        }),
        ..Volume::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> KeyVault {
        KeyVault {
            name: "kv-neo4j-prod".into(),
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "00000000-0000-0000-0000-000000000000".into(),
            password_secret: "neo4j-admin-password".into(),
        }
    }

    #[test]
    fn the_objects_string_parses_back_into_the_typed_objects() {
        let text = objects_parameter(&vault());
        let parsed: AzureObjects = serde_saphyr::from_str(&text).expect("objects is YAML");
        assert_eq!(parsed, objects(&vault()));
        assert_eq!(parsed.array.len(), 1);
        let object: AzureKeyVaultObject =
            serde_saphyr::from_str(&parsed.array[0]).expect("each entry is YAML");
        assert_eq!(
            object,
            AzureKeyVaultObject {
                object_name: "neo4j-admin-password".into(),
                object_type: "secret".into(),
                object_alias: Some("auth".into()),
            }
        );
    }
}
