//! Why a command failed, by kind: each variant says which system failed and keeps its error, and
//! the kind decides the exit code (2: refused before any change, 3: stopped following an
//! operation that goes on, 1: everything else).

use neo4j_aks_backup::error::BackupError;
use neo4j_aks_model::Invalid;
use neo4j_aks_ops::error::{ApplyError, ObserveError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The spec: one line per problem.
    #[error("{0}")]
    Invalid(Invalid),
    /// Refused before anything was changed (exit 2, like an invalid spec).
    #[error("{0}")]
    Refused(String),
    /// `bench`: the server refused or failed a step of the benchmark.
    #[error("bench: {0}")]
    Bench(String),
    /// Stopped following a day-2 operation that goes on in the operator (exit 3).
    #[error("{0}")]
    Unfinished(String),
    #[error("cannot read {path}: {source}")]
    ReadInput {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {what}: {detail}")]
    Output { what: &'static str, detail: String },
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("no Kubernetes client (KUBECONFIG or in-cluster): {0}")]
    NoClient(#[source] kube::Error),
    #[error("no Kubernetes configuration: {0}")]
    NoConfig(#[source] kube::config::InferConfigError),
    #[error("{what}: {source}")]
    Kubernetes {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("{0} changed while it was being checked; nothing was written, run the command again")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// An object read from the API server lacks what the command needs.
    #[error("{0}")]
    IncompleteObject(String),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Observe(#[from] ObserveError),
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// Backup target options that do not add up (account, credential).
    #[error("{0}")]
    BackupTarget(String),
    /// A backup check found databases without a recent restorable backup (exit 1, for alerts).
    #[error("{0}")]
    Overdue(String),
    /// A step of `azure up` failed (an `az`, `kubelogin` or `kubectl` call): exit 1.
    #[error("{0}")]
    Step(String),
    #[error("leader election: {0}")]
    LeaderElection(String),
    #[error("the watch of {0} ended")]
    WatchEnded(String),
    #[error("{0} was deleted")]
    Deleted(String),
    #[error("the operator refuses: {0}. Nothing more happens until that is resolved")]
    OperatorRefused(String),
    #[error("the operator aborted: {0}. Its progress is kept; see docs/day2/README.md")]
    OperatorAborted(String),
}

impl From<Invalid> for Failure {
    fn from(invalid: Invalid) -> Self {
        Failure::Invalid(invalid)
    }
}

impl Failure {
    /// A YAML or JSON encoding failure of command output.
    pub(crate) fn output(what: &'static str) -> impl FnOnce(String) -> Failure {
        move |detail| Failure::Output { what, detail }
    }

    /// A failed Kubernetes request, saying what it was for.
    pub(crate) fn kubernetes(what: impl Into<String>) -> impl FnOnce(kube::Error) -> Failure {
        let what = what.into();
        move |source| Failure::Kubernetes { what, source }
    }
}
