//! Where a cluster's backups are and how to get in: the flags (and environment variables, which
//! the CronJobs set) shared by `backup-agent` and `backup list|prune`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use neo4j_aks_backup::agent::Agent;
use neo4j_aks_backup::azure::{AzureTarget, Credential};
use neo4j_aks_backup::layout::BlobLayout;
use neo4j_aks_backup::retention::RetentionPolicy;
use neo4j_aks_backup::secret::Secret;
use neo4j_aks_backup::store::ObjectBlobStore;

#[derive(Args, Clone, Debug)]
pub struct TargetArgs {
    /// Azure Storage account (spec.backup.target.storageAccount).
    #[arg(long, env = "NEO4J_AKS_BACKUP_ACCOUNT")]
    pub account: String,
    /// Blob container (spec.backup.target.container; default neo4j-backups-<cluster>).
    #[arg(long, env = "NEO4J_AKS_BACKUP_CONTAINER")]
    pub container: Option<String>,
    /// Path prefix inside the container (spec.backup.target.prefix).
    #[arg(long, env = "NEO4J_AKS_BACKUP_PREFIX", default_value = "")]
    pub prefix: String,
    /// Blob service endpoint; default https://<account>.blob.core.windows.net. Azurite:
    /// http://127.0.0.1:<port>/<account>.
    #[arg(long, env = "NEO4J_AKS_BACKUP_ENDPOINT")]
    pub endpoint: Option<String>,
    /// How to authenticate: workload-identity (the AZURE_* variables the AKS webhook injects),
    /// account-key or sas (read from --key-file or AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN),
    /// managed-identity (the node's IMDS identity).
    #[arg(long, value_enum, env = "NEO4J_AKS_BACKUP_CREDENTIAL", default_value_t = CredentialKind::AccountKey)]
    pub credential: CredentialKind,
    /// File holding the account key or SAS token (a mounted Secret). Never printed.
    #[arg(long, env = "NEO4J_AKS_BACKUP_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// The retention policy (spec.backup.retention); the defaults are the spec's.
#[derive(Args, Clone, Debug)]
pub struct RetentionArgs {
    /// Keep the newest restore point of each of the N newest days that have one.
    #[arg(long, default_value_t = 7)]
    pub daily: u32,
    /// Likewise for ISO weeks.
    #[arg(long, default_value_t = 4)]
    pub weekly: u32,
    /// Likewise for months.
    #[arg(long, default_value_t = 12)]
    pub monthly: u32,
    /// Leftovers younger than this are never pruned (an upload may be running).
    #[arg(long, default_value_t = 24)]
    pub grace_hours: i64,
}

impl RetentionArgs {
    pub fn policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            daily: self.daily,
            weekly: self.weekly,
            monthly: self.monthly,
            grace: jiff::SignedDuration::from_hours(self.grace_hours),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CredentialKind {
    WorkloadIdentity,
    AccountKey,
    Sas,
    ManagedIdentity,
}

impl TargetArgs {
    /// The container: the flag, or the spec's default for this cluster.
    pub fn container_for(&self, cluster: &str) -> String {
        self.container
            .clone()
            .unwrap_or_else(|| format!("neo4j-backups-{cluster}"))
    }

    fn secret(&self, variable: &str) -> Result<Secret, String> {
        let value = match &self.key_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?,
            None => std::env::var(variable).map_err(|_| {
                format!(
                    "no credential: pass --key-file (or NEO4J_AKS_BACKUP_KEY_FILE) or set {variable}"
                )
            })?,
        };
        let value = value.trim().to_string();
        if value.is_empty() {
            return Err("the account key or SAS token is empty".into());
        }
        Ok(Secret::new(value))
    }

    pub fn credential(&self) -> Result<Credential, String> {
        match self.credential {
            CredentialKind::AccountKey => {
                Ok(Credential::AccountKey(self.secret("AZURE_STORAGE_KEY")?))
            }
            CredentialKind::Sas => Ok(Credential::Sas(self.secret("AZURE_STORAGE_SAS_TOKEN")?)),
            CredentialKind::WorkloadIdentity => {
                Credential::workload_identity_from_env().map_err(|e| e.to_string())
            }
            CredentialKind::ManagedIdentity => Ok(Credential::ManagedIdentity {
                client_id: std::env::var("AZURE_CLIENT_ID").ok(),
            }),
        }
    }

    /// The agent for `cluster`'s backups. No IO yet.
    pub fn agent(&self, cluster: &str) -> Result<Agent<ObjectBlobStore>, String> {
        let mut target = AzureTarget::new(
            &self.account,
            &self.container_for(cluster),
            self.credential()?,
        );
        target.endpoint = self.endpoint.clone();
        let store = target.connect().map_err(|e| e.to_string())?;
        let layout = BlobLayout::new(&self.prefix).map_err(|e| e.to_string())?;
        Agent::new(store, layout, cluster).map_err(|e| e.to_string())
    }
}
