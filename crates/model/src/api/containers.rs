//! Container names the operator looks for in the pods neo4j-aks renders, and the
//! `app.kubernetes.io/component` values of the backup pods.

/// The Neo4j server in a member pod.
pub const NEO4J: &str = "neo4j";
/// Init containers of a member while `spec.bootstrap.fromBackup` is set.
pub const SEED_FETCH: &str = "seed-fetch";
pub const SEED_AGGREGATE: &str = "seed-aggregate";
/// The backup agent's steps (also their names in its result lines).
pub const SELECT_SOURCE: &str = "select-source";
pub const FETCH: &str = "fetch";
pub const UPLOAD: &str = "upload";
pub const VERIFY: &str = "verify";
/// The steps whose termination message is a backup or verification run's result line.
pub const RESULT_CONTAINERS: [&str; 2] = [UPLOAD, VERIFY];
/// `app.kubernetes.io/component` of the backup and verification pods.
pub const BACKUP_COMPONENT: &str = "backup";
pub const VERIFICATION_COMPONENT: &str = "backup-verification";
