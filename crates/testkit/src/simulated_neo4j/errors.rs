//! The Neo4j errors the simulation answers with, as a real server words them.
use neo4j_aks_topology::ClientError;

// Neo4j status codes the simulation answers with (Status Codes manual, "List of Neo4j error
// codes": https://neo4j.com/docs/status-codes/current/errors/all-errors/).
/// "The request referred to a database that already exists."
pub(super) const EXISTING_DATABASE_FOUND: &str = "Neo.ClientError.Database.ExistingDatabaseFound";
/// "The request referred to a database that does not exist." (also what a real Community 5.26
/// answers a query on an unknown database with, message "Graph not found: NAME"; see
/// crates/topology/tests/bolt_real.rs)
pub(super) const DATABASE_NOT_FOUND: &str = "Neo.ClientError.Database.DatabaseNotFound";
/// What a query on a database that exists but is not online gets (the code's spelling per
/// neo4j/docs-status-codes#77; Community cannot stop a database, so it is not checked for real).
pub(super) const DATABASE_UNAVAILABLE: &str = "Neo.TransientError.General.DatabaseUnavailable";

pub(super) fn no_server(server: &str) -> ClientError {
    neo4j_error(
        "Neo.ClientError.Statement.ArgumentError",
        format!("no server {server}"),
    )
}

pub(super) fn not_found(database: &str) -> ClientError {
    neo4j_error(DATABASE_NOT_FOUND, format!("Graph not found: {database}"))
}
pub(super) fn neo4j_error(code: &str, message: String) -> ClientError {
    ClientError::Neo4j {
        code: code.to_owned(),
        message,
    }
}
