//! The `Neo4jCluster` model shared by the CLI and the operator: the custom resource types, their
//! defaults and their validation. Pure: nothing here does IO.

pub mod api;
pub mod catalog;
pub mod operation;
pub mod parse;
pub mod problems;
pub mod schedule;
pub mod spec;
pub mod status;
pub mod upgrade;
pub mod validate;
pub mod validated;
pub mod version;

pub use operation::{NextStepStatus, Operation, OperationStatus};
pub use problems::{Invalid, Problem, Warning};
pub use spec::{Neo4jCluster, Neo4jClusterSpec};
pub use status::{
    BackupRun, BackupStatus, BootstrapDatabaseStatus, BootstrapStatus, CertificatesStatus,
    DatabaseStatus, MemberCertificateStatus, MemberDatabaseStatus, MemberStatus,
    Neo4jClusterStatus, ScopeCertificateStatus, UpgradeStatus,
};
pub use validate::validate;
pub use validated::ValidatedCluster;
