//! Errors of the backup crate. Store errors are classified so the operator and the CLI can say
//! what to fix: credentials, the container, the network, or the data.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("invalid {what}: {name:?}")]
    InvalidName { what: String, name: String },

    #[error("invalid blob target: {0}")]
    InvalidTarget(String),

    #[error(
        "storage account {account} rejected the credentials ({detail}); check the account key, SAS \
         or the managed identity's role assignment (Storage Blob Data Contributor)"
    )]
    Unauthorized { account: String, detail: String },

    #[error("container {container:?} does not exist in storage account {account}; create it first")]
    ContainerNotFound { account: String, container: String },

    #[error("cannot reach blob storage at {endpoint}: {detail}")]
    Network { endpoint: String, detail: String },

    #[error("blob {key:?} not found")]
    NotFound { key: String },

    #[error("blob storage error on {key:?}: {detail}")]
    Store { key: String, detail: String },

    #[error(
        "checksum mismatch for {key:?}: marker records sha256 {expected}, downloaded bytes hash to \
         {actual} ({size} bytes); the artifact is corrupt and must not be restored"
    )]
    ChecksumMismatch {
        key: String,
        expected: String,
        actual: String,
        size: u64,
    },

    #[error("size mismatch for {key:?}: marker records {expected} bytes, got {actual}")]
    SizeMismatch {
        key: String,
        expected: u64,
        actual: u64,
    },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("marker {key:?} is not valid metadata: {detail}")]
    BadMarker { key: String, detail: String },

    #[error("run metadata: {0}")]
    RunMetadata(String),

    #[error(
        "DIFF artifact {artifact} of database {database} has no chain to extend: {why}; run a FULL backup"
    )]
    NoChainToExtend {
        database: String,
        artifact: String,
        why: String,
    },
}

impl BackupError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> BackupError {
        BackupError::Io {
            path: path.into(),
            source,
        }
    }
}
