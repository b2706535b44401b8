//! Typed objects of the third-party custom resources the renderer will produce: small structs
//! holding only the fields neo4j-aks sets, named and shaped exactly as the upstream CRD schemas
//! define them (each module names its source). Unset fields are left out when serialised, so an
//! object claims nothing it does not set under server-side apply.
//!
//! The upstream CRDs themselves are installed on the testenv from the Go module cache, and a test
//! applies one object of every kind here with strict field validation
//! (crates/testkit/tests/third_party_kinds.rs).

pub mod cert_manager;
pub mod prometheus;
pub mod secrets_store;
