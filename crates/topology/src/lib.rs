//! Neo4j topology for neo4j-aks: talk to Neo4j (Bolt admin client behind [`AdminClient`]),
//! model what it reports ([`observed`]), and decide the next safe day-2 step ([`planner`]).
//!
//! Only [`bolt`] does IO; everything else is pure.

pub mod bolt;
pub mod client;
pub mod credentials;
pub mod records;
pub mod statements;

pub use client::{AdminClient, ClientError};
pub use credentials::{Credentials, CredentialsError};
pub mod observed;
pub mod planner;
