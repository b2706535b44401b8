//! Errors, one enum per stage. Variant names are the event reasons and the `kind` label of the
//! `neo4j_aks_reconcile_errors_total` metric ([`ReconcileError::kind`]).

/// Reading the live state before building (the StatefulSet, the claims).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("reading {what}: {source}")]
    ReadFailed {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("applying {kind} {name}: {source}")]
    ApplyFailed {
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("deleting {kind} {name}, which the spec no longer renders: {source}")]
    DeleteFailed {
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("filling the generated password of Secret {name}: {source}")]
    PasswordFailed {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("no randomness for the generated password: {0}")]
    RandomnessUnavailable(String),
    #[error("expanding PersistentVolumeClaim {name}: {source}")]
    ExpandFailed {
        name: String,
        #[source]
        source: kube::Error,
    },
}

impl ApplyError {
    pub fn kind(&self) -> &'static str {
        match self {
            ApplyError::ReadFailed { .. } => "ReadFailed",
            ApplyError::ApplyFailed { .. } => "ApplyFailed",
            ApplyError::DeleteFailed { .. } => "DeleteFailed",
            ApplyError::PasswordFailed { .. } => "PasswordFailed",
            ApplyError::RandomnessUnavailable(_) => "RandomnessUnavailable",
            ApplyError::ExpandFailed { .. } => "ExpandFailed",
        }
    }
}

/// Reading pods, claims and nodes for the status.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error("observing {what}: {source}")]
    ObserveFailed {
        what: String,
        #[source]
        source: kube::Error,
    },
}

impl ObserveError {
    pub fn kind(&self) -> &'static str {
        match self {
            ObserveError::ObserveFailed { .. } => "ObserveFailed",
        }
    }
}

/// One reconcile of one Neo4jCluster.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("the Neo4jCluster has no {0}")]
    MissingMetadata(&'static str),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Observe(#[from] ObserveError),
    #[error("reading the stored Neo4jCluster: {0}")]
    ReadFailed(#[source] kube::Error),
    #[error("writing the status: {0}")]
    StatusFailed(#[source] kube::Error),
    #[error("cleaning up after deletion: {what}: {source}")]
    CleanupFailed {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("finalizer {0}")]
    FinalizerFailed(String),
}

impl ReconcileError {
    /// The leaf variant name: event reason and metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            ReconcileError::MissingMetadata(_) => "MissingMetadata",
            ReconcileError::Apply(e) => e.kind(),
            ReconcileError::Observe(e) => e.kind(),
            ReconcileError::ReadFailed(_) => "ReadFailed",
            ReconcileError::StatusFailed(_) => "StatusFailed",
            ReconcileError::CleanupFailed { .. } => "CleanupFailed",
            ReconcileError::FinalizerFailed(_) => "FinalizerFailed",
        }
    }
}
