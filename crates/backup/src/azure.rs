//! Azure Blob as a [`BlobStore`](crate::store::BlobStore): which account, container and
//! credential, and how to build the client.
//!
//! Credentials, in the order the operator offers them:
//! * workload identity: the cluster's managed identity through Entra Workload ID; the AKS webhook
//!   injects `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE` and
//!   `AZURE_AUTHORITY_HOST` into the pod ([`Credential::workload_identity_from_env`]);
//! * an account key from a Secret; a SAS token from a Secret;
//! * the VM's managed identity (IMDS) as a last resort.

use std::sync::Arc;
use std::time::Duration;

use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::{BackoffConfig, ClientOptions, RetryConfig};

use crate::error::BackupError;
use crate::secret::Secret;
use crate::store::{ObjectBlobStore, StoreIdentity};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    AccountKey(Secret),
    /// A SAS token (the query string, with or without the leading `?`).
    Sas(Secret),
    WorkloadIdentity {
        client_id: String,
        tenant_id: String,
        federated_token_file: String,
        authority_host: Option<String>,
    },
    /// IMDS managed identity; `client_id` picks a user-assigned identity.
    ManagedIdentity {
        client_id: Option<String>,
    },
}

impl Credential {
    /// The workload identity the AKS webhook injected into this pod.
    pub fn workload_identity_from_env() -> Result<Credential, BackupError> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| {
                BackupError::InvalidTarget(format!(
                    "{name} is not set: the pod is not using Entra Workload ID (label \
                     azure.workload.identity/use=true and an annotated service account)"
                ))
            })
        };
        Ok(Credential::WorkloadIdentity {
            client_id: var("AZURE_CLIENT_ID")?,
            tenant_id: var("AZURE_TENANT_ID")?,
            federated_token_file: var("AZURE_FEDERATED_TOKEN_FILE")?,
            authority_host: std::env::var("AZURE_AUTHORITY_HOST").ok(),
        })
    }
}

/// Where backups go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureTarget {
    pub account: String,
    pub container: String,
    /// Blob service endpoint; `None` means `https://<account>.blob.core.windows.net`. Azurite uses
    /// path-style `http://127.0.0.1:<port>/<account>`.
    pub endpoint: Option<String>,
    pub credential: Credential,
    /// Give up on a request (including retries) after this long.
    pub request_timeout: Duration,
    pub max_retries: usize,
}

impl AzureTarget {
    pub fn new(account: &str, container: &str, credential: Credential) -> AzureTarget {
        AzureTarget {
            account: account.to_string(),
            container: container.to_string(),
            endpoint: None,
            credential,
            request_timeout: Duration::from_secs(120),
            max_retries: 5,
        }
    }

    pub fn endpoint(&self) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| format!("https://{}.blob.core.windows.net", self.account))
    }

    /// Builds the client. Does no IO; call [`BlobStore::check`](crate::store::BlobStore::check)
    /// to find out whether the credentials and container work.
    pub fn connect(&self) -> Result<ObjectBlobStore, BackupError> {
        install_crypto_provider();
        if self.account.is_empty() || self.container.is_empty() {
            return Err(BackupError::InvalidTarget(
                "storage account and container must be set".into(),
            ));
        }
        let endpoint = self.endpoint();
        let mut builder = MicrosoftAzureBuilder::new()
            .with_account(&self.account)
            .with_container_name(&self.container)
            .with_endpoint(endpoint.clone())
            .with_allow_http(endpoint.starts_with("http://"))
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: self.max_retries,
                retry_timeout: self.request_timeout,
            })
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_timeout(self.request_timeout),
            );
        builder = match &self.credential {
            Credential::AccountKey(key) => builder.with_access_key(key.expose()),
            Credential::Sas(sas) => {
                builder.with_config(AzureConfigKey::SasKey, sas.expose().trim_start_matches('?'))
            }
            Credential::WorkloadIdentity {
                client_id,
                tenant_id,
                federated_token_file,
                authority_host,
            } => {
                let b = builder
                    .with_client_id(client_id)
                    .with_tenant_id(tenant_id)
                    .with_federated_token_file(federated_token_file);
                match authority_host {
                    Some(host) => b.with_authority_host(host),
                    None => b,
                }
            }
            // With neither key, SAS nor token file set, object_store falls back to IMDS.
            Credential::ManagedIdentity { client_id } => match client_id {
                Some(id) => builder.with_client_id(id),
                None => builder,
            },
        };
        // object_store's errors name config keys, never values, so they are safe to show.
        let store = builder.build().map_err(|e| {
            BackupError::InvalidTarget(format!("{}/{}: {e}", self.account, self.container))
        })?;
        Ok(ObjectBlobStore::new(
            Arc::new(store),
            StoreIdentity {
                account: self.account.clone(),
                container: self.container.clone(),
                endpoint,
            },
        ))
    }
}

/// reqwest is built without a bundled provider, and other crates in the process may enable
/// aws-lc-rs as well, so rustls cannot pick one: install ring once, process-wide.
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want.
    let _already = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let t = AzureTarget::new(
            "acct",
            "c",
            Credential::AccountKey(Secret::new("S3CRETKEY==")),
        );
        assert!(!format!("{t:?}").contains("S3CRETKEY"));
        let t = AzureTarget::new("acct", "c", Credential::Sas(Secret::new("sv=1&sig=abc")));
        assert!(!format!("{t:?}").contains("sig=abc"));
    }

    #[test]
    fn connect_builds_without_io() {
        let t = AzureTarget::new("acct", "c", Credential::AccountKey(Secret::new("a2V5")));
        let store = t.connect().unwrap();
        assert!(format!("{store:?}").contains("acct"));
        assert!(!format!("{store:?}").contains("a2V5"));
    }
}
