//! Names and shapes that cross process or crate boundaries: what the CLI, the operator, the
//! backup agent and the rendered objects must agree on.

pub mod backup;
