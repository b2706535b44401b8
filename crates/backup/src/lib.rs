//! Neo4j backups on Azure Blob (issue 6): the catalogue of what is stored, GFS retention over
//! backup chains, the blob store, and the `backup-agent` logic that uploads what
//! `neo4j-admin database backup` produced. See docs/backup.md.
//!
//! Pure modules (no IO): [`layout`], [`catalogue`], [`retention`], [`inspect`], [`summary`],
//! [`seed`].
//! IO: [`store`], [`azure`], [`agent`].

pub mod agent;
pub mod azure;
pub mod catalogue;
pub mod error;
pub mod inspect;
pub mod layout;
pub mod retention;
pub mod secret;
pub mod seed;
pub mod store;
pub mod summary;

pub use error::BackupError;
