//! Names and shapes that cross process or crate boundaries: what the renderer writes and the
//! operator reads back, what the CLI writes and the operator acts on, what the backup agent
//! reports and the operator parses. Each is defined here once; the crates that use them import
//! them (or re-export them where an older path is public).

pub mod annotations;
pub mod backup;
pub mod containers;
pub mod labels;
pub mod managers;
pub mod members;
pub mod metrics;
pub mod network;
pub mod ports;
