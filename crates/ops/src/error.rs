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
    #[error("issuing TLS certificates into Secret {name}: {reason}")]
    CertificatesFailed { name: String, reason: String },
    /// `source: certManager`: what cert-manager issued is not (yet) usable; nothing that
    /// needs it was applied.
    #[error("TLS certificates for Secret {name}: {reason}")]
    CertificatesPending { name: String, reason: String },
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
            ApplyError::CertificatesFailed { .. } => "CertificatesFailed",
            ApplyError::CertificatesPending { .. } => "CertificatesPending",
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

/// What stops the day-2 part of a reconcile from looking at Neo4j or from carrying out a step.
/// Neo4j's answers keep their [`ClientError`] and Kubernetes' their `kube::Error`, so a caller
/// can ask whether a later reconcile may simply succeed ([`Day2Error::is_transient`]).
#[derive(Debug, thiserror::Error)]
pub enum Day2Error {
    #[error("no member pod is Ready")]
    NoMemberReady,
    #[error("the StatefulSet does not exist yet")]
    NoStatefulSet,
    #[error("cannot read Secret {secret}: {source}")]
    SecretUnreadable {
        secret: String,
        #[source]
        source: kube::Error,
    },
    #[error("Secret {secret}: {problem}")]
    Credentials { secret: String, problem: String },
    #[error(transparent)]
    Neo4j(#[from] neo4j_aks_topology::ClientError),
    #[error("{what}: {source}")]
    Kubernetes {
        what: String,
        #[source]
        source: kube::Error,
    },
    /// A step that must be recorded before it is carried out was not recorded, so it was not
    /// carried out.
    #[error("not carried out: recording it in status.operation failed: {0}")]
    NotRecorded(#[source] Box<ReconcileError>),
    #[error("member {0} has no pod name")]
    NoSuchMember(u32),
}

impl Day2Error {
    pub fn kind(&self) -> &'static str {
        match self {
            Day2Error::NoMemberReady => "NoMemberReady",
            Day2Error::NoStatefulSet => "NoStatefulSet",
            Day2Error::SecretUnreadable { .. } => "SecretUnreadable",
            Day2Error::Credentials { .. } => "Credentials",
            Day2Error::Neo4j(_) => "Neo4j",
            Day2Error::Kubernetes { .. } => "Kubernetes",
            Day2Error::NotRecorded(_) => "NotRecorded",
            Day2Error::NoSuchMember(_) => "NoSuchMember",
        }
    }

    /// The part of the message that differs from one attempt to the next while the trouble stays
    /// the same: the driver's text for a connection that failed (under load the same unreachable
    /// member answers now "failed to lookup address information", now "connection timed out").
    pub fn passing_detail(&self) -> Option<&str> {
        match self {
            Day2Error::Neo4j(neo4j_aks_topology::ClientError::Unavailable { detail }) => {
                Some(detail)
            }
            _ => None,
        }
    }

    /// Worth a quick retry on the next reconcile (a member starting, a leader change, a timeout,
    /// an API server that is busy), as opposed to a refusal or a misconfiguration that needs a
    /// person.
    pub fn is_transient(&self) -> bool {
        match self {
            Day2Error::NoMemberReady | Day2Error::NoStatefulSet => true,
            Day2Error::Neo4j(e) => e.is_transient(),
            Day2Error::SecretUnreadable { source, .. } | Day2Error::Kubernetes { source, .. } => {
                kube_transient(source)
            }
            Day2Error::NotRecorded(e) => match e.as_ref() {
                ReconcileError::StatusFailed(source) => kube_transient(source),
                _ => false,
            },
            Day2Error::Credentials { .. } | Day2Error::NoSuchMember(_) => false,
        }
    }
}

/// An API answer that a retry may not get again: throttling, a server error, a conflict with
/// another writer, or no answer at all.
fn kube_transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => status.code == 409 || status.code == 429 || status.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neo4j_aks_topology::ClientError;

    fn api(code: u16) -> kube::Error {
        kube::Error::Api(
            kube::core::Status::failure("answer", "Reason")
                .with_code(code)
                .boxed(),
        )
    }

    #[test]
    fn passing_failures_are_told_apart_from_ones_a_person_must_fix() {
        let transient = [
            Day2Error::NoMemberReady,
            Day2Error::Neo4j(ClientError::Unavailable {
                detail: "connection reset".into(),
            }),
            Day2Error::Neo4j(ClientError::Neo4j {
                code: "Neo.ClientError.Cluster.NotALeader".into(),
                message: "not the leader".into(),
            }),
            Day2Error::Kubernetes {
                what: "patch".into(),
                source: api(503),
            },
            Day2Error::NotRecorded(Box::new(ReconcileError::StatusFailed(api(409)))),
        ];
        for e in &transient {
            assert!(e.is_transient(), "{e:?}");
        }
        let lasting = [
            Day2Error::Neo4j(ClientError::Neo4j {
                code: "Neo.ClientError.Cluster.ServerNotFound".into(),
                message: "no such server".into(),
            }),
            Day2Error::Neo4j(ClientError::Auth {
                code: "Neo.ClientError.Security.Unauthorized".into(),
                message: "bad password".into(),
            }),
            Day2Error::Kubernetes {
                what: "delete".into(),
                source: api(403),
            },
            Day2Error::Credentials {
                secret: "db-secrets".into(),
                problem: "has no key NEO4J_AUTH".into(),
            },
        ];
        for e in &lasting {
            assert!(!e.is_transient(), "{e:?}");
        }
        // The message keeps the cause, and Neo4j's error stays typed under it.
        let e = Day2Error::from(ClientError::Timeout {
            statement: "SHOW SERVERS".into(),
            after: std::time::Duration::from_secs(3),
        });
        assert_eq!(e.kind(), "Neo4j");
        assert_eq!(e.to_string(), "`SHOW SERVERS` did not finish within 3000ms");
    }
}
