//! Secrets Store CSI driver `secrets-store.csi.x-k8s.io/v1`: SecretProviderClass.
//! Source: sigs.k8s.io/secrets-store-csi-driver v1.6.0,
//! `deploy/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml`. The Azure Key Vault
//! provider's parameters (`keyvaultName`, `tenantId`, `clientID`, `objects`, ...) are a string
//! map in the CRD, named by the provider's documentation.

use std::collections::BTreeMap;

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `spec` of a SecretProviderClass.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "secrets-store.csi.x-k8s.io",
    version = "v1",
    kind = "SecretProviderClass",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct SecretProviderClassSpec {
    /// `azure` for the Azure Key Vault provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub parameters: BTreeMap<String, String>,
    /// Kubernetes Secrets the driver keeps in sync with the mounted objects.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub secret_objects: Vec<SecretObject>,
}

/// `spec.secretObjects[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretObject {
    pub secret_name: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub data: Vec<SecretObjectData>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub labels: BTreeMap<String, String>,
}

/// `spec.secretObjects[].data[]`: which mounted object fills which key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretObjectData {
    pub object_name: String,
    pub key: String,
}

/// The Azure provider's `objects` parameter before it becomes a string: `array` holds one YAML
/// document per Key Vault object. Shapes from the provider's source,
/// Azure/secrets-store-csi-driver-provider-azure `pkg/provider/types/types.go` (`StringArray`,
/// `KeyVaultObject`), which parses the parameter with `yaml.Unmarshal`; documented at
/// https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/getting-started/usage/
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AzureObjects {
    pub array: Vec<String>,
}

/// One entry of [`AzureObjects::array`], before it becomes a string.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureKeyVaultObject {
    /// The object's name in the vault.
    pub object_name: String,
    /// `secret`, `key` or `cert`.
    pub object_type: String,
    /// The file name in the mount, and the `objectName` that `secretObjects[].data[]` refer to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_alias: Option<String>,
}
