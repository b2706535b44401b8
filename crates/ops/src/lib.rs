//! Kubernetes IO for neo4j-aks: server-side apply of the rendered objects, observation of the
//! members, and the operator's reconcile loop. The pure core (validate, build) lives in
//! `neo4j-aks-model` and `neo4j-aks-render`; this crate only talks to the API server.
//!
//! Pipeline (shared by `neo4j-aks apply` and the operator):
//! `validate` → [`prepare`] (reads the live StatefulSet and claims: forbidden changes, pending
//! scale-down) → `build` (the renderer) → [`apply`] (compare, server-side apply what differs,
//! fill the generated password once, delete orphans, expand claims) → [`observe`] → status.

pub mod apply;
pub mod backup_status;
pub mod bootstrap;
pub mod cert_manager;
pub mod certificates;
pub mod changeset;
pub mod compare;
pub mod context;
pub mod controller;
pub mod counting;
pub mod day2;
pub mod deploy;
pub mod diff;
pub mod error;
pub mod kinds;
pub mod leader;
pub mod member_tls;
pub mod member_waits;
pub mod metrics;
pub mod neo4j;
pub mod observe;
pub mod password;
pub mod prepare;
pub mod server;
pub mod status;
pub mod stores;
pub mod telemetry;
pub mod upgrade;

pub use error::{ApplyError, ObserveError, ReconcileError};

/// Field manager of every server-side apply of the rendered objects.
pub use neo4j_aks_model::api::managers::APPLY as FIELD_MANAGER;
/// Finalizer on every Neo4jCluster the operator manages: cleans up claims (deletionPolicy
/// Delete), reports retained claims, and removes an unused StorageClass.
pub use neo4j_aks_model::api::managers::FINALIZER;
/// Field manager that owns only the generated password, so the main apply (which never sends
/// `data`) can never remove it.
pub use neo4j_aks_model::api::managers::PASSWORD as PASSWORD_FIELD_MANAGER;

/// Installs the rustls ring provider once per process (kube's rustls-tls and other crates may
/// both pull in a provider; without an explicit choice rustls panics).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only means a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
