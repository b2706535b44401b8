//! The administrative Cypher this crate sends, built without string-pasting user data.
//!
//! Server names/ids and database names go in as parameters (`$server`, `$database`): Neo4j's
//! administration grammar accepts a string parameter wherever it accepts a server or database
//! name (checked against a real Community 5.26 server, which parses these statements and then
//! refuses them as Enterprise-only; see tests/bolt_real.rs). Counts are integers rendered by this
//! code. [`quote_identifier`] is the escape for places that take no parameter.

use std::fmt;

/// One statement and its parameters. `Display` shows the text and the parameter *names* only.
#[derive(Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    pub params: Vec<(&'static str, ParamValue)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    Text(String),
    Texts(Vec<String>),
    Int(i64),
}

impl fmt::Debug for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Statement")
            .field("text", &self.text)
            .field("params", &self.params)
            .finish()
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Quotes a Cypher identifier: wrapped in backticks, embedded backticks doubled.
pub fn quote_identifier(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Statement {
    fn with_server(text: &str, server: &str) -> Self {
        Statement {
            text: text.to_owned(),
            params: vec![("server", ParamValue::Text(server.to_owned()))],
        }
    }

    /// `ENABLE SERVER $server`: a `Free` server joins (options from `initial.server.*`).
    pub fn enable_server(server: &str) -> Self {
        Self::with_server("ENABLE SERVER $server", server)
    }

    /// `CALL dbms.cluster.cordonServer($server)`: "Mark a server in the topology as not
    /// suitable for new allocations. It will not force current allocations off the server."
    /// (Operations Manual, procedures, `dbms.cluster.cordonServer()`, mode WRITE, privilege
    /// SERVER MANAGEMENT). `ENABLE SERVER` undoes it (clustering/servers.adoc, "Cordoned state").
    pub fn cordon_server(server: &str) -> Self {
        Self::with_server("CALL dbms.cluster.cordonServer($server)", server)
    }

    /// `DEALLOCATE DATABASES FROM SERVER $server`: moves every user database away; irreversible.
    pub fn deallocate_databases_from_server(server: &str) -> Self {
        Self::with_server("DEALLOCATE DATABASES FROM SERVER $server", server)
    }

    /// `DROP SERVER $server`: for a `Deallocated` server, or a `Deallocating` one that is gone
    /// and whose databases were moved (disaster-recovery.adoc, "Make servers available").
    pub fn drop_server(server: &str) -> Self {
        Self::with_server("DROP SERVER $server", server)
    }

    /// `ALTER DATABASE $database SET TOPOLOGY n PRIMARIES m SECONDARIES`.
    pub fn alter_database_topology(database: &str, primaries: u32, secondaries: u32) -> Self {
        Statement {
            text: format!(
                "ALTER DATABASE $database SET TOPOLOGY {} {}",
                plural(primaries, "PRIMARY", "PRIMARIES"),
                plural(secondaries, "SECONDARY", "SECONDARIES"),
            ),
            params: vec![("database", ParamValue::Text(database.to_owned()))],
        }
    }

    /// `CREATE DATABASE $database TOPOLOGY n PRIMARIES m SECONDARIES OPTIONS {existingData:
    /// 'use', seedURI: $seedURI}`: a new database whose store comes from the seed at the URI
    /// (Operations Manual, "Create a database from a URI"; `existingData: 'use'` is required in
    /// Cypher 5). Neo4j downloads and validates the seed only when the database starts, so a bad
    /// seed shows up later as an offline database, not as an error here.
    pub fn create_database_from_seed(
        database: &str,
        seed_uri: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Self {
        Statement {
            text: format!(
                "CREATE DATABASE $database TOPOLOGY {} {} \
                 OPTIONS {{existingData: 'use', seedURI: $seedURI}}",
                plural(primaries, "PRIMARY", "PRIMARIES"),
                plural(secondaries, "SECONDARY", "SECONDARIES"),
            ),
            params: vec![
                ("database", ParamValue::Text(database.to_owned())),
                ("seedURI", ParamValue::Text(seed_uri.to_owned())),
            ],
        }
    }

    /// `CALL dbms.cluster.recreateDatabase($database, {seedURI: $seedURI})` (5.24+; deprecated
    /// in 2025.04 for `dbms.recreateDatabase`, which 5.26 does not have): replaces the store of
    /// an existing database with the seed, keeping its privileges and topology.
    pub fn recreate_database_from_seed(database: &str, seed_uri: &str) -> Self {
        Statement {
            text: "CALL dbms.cluster.recreateDatabase($database, {seedURI: $seedURI})".to_owned(),
            params: vec![
                ("database", ParamValue::Text(database.to_owned())),
                ("seedURI", ParamValue::Text(seed_uri.to_owned())),
            ],
        }
    }

    /// `CALL dbms.cluster.statusCheck($databases, $timeoutMilliseconds) YIELD *` (5.24+).
    pub fn status_check(databases: &[String], timeout_ms: i64) -> Self {
        Statement {
            text: crate::records::STATUS_CHECK.to_owned(),
            params: vec![
                ("databases", ParamValue::Texts(databases.to_vec())),
                ("timeoutMilliseconds", ParamValue::Int(timeout_ms)),
            ],
        }
    }

    /// `CALL dbms.security.reloadTLS()`: the server it runs on reloads its certificates and SSL
    /// policies (2025.03+, Enterprise, admin only; procedures/built-in-procedures.adoc). Run on
    /// each member over a direct `bolt` connection (security/ssl-framework.adoc, "Certificates
    /// rotation").
    pub fn reload_tls() -> Self {
        Self::plain("CALL dbms.security.reloadTLS()")
    }

    pub fn plain(text: &str) -> Self {
        Statement {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_travel_as_parameters_never_in_the_text() {
        let evil = "x' DROP SERVER 'y`; MATCH (n) DETACH DELETE n //";
        for s in [
            Statement::enable_server(evil),
            Statement::cordon_server(evil),
            Statement::deallocate_databases_from_server(evil),
            Statement::drop_server(evil),
            Statement::alter_database_topology(evil, 3, 1),
            Statement::create_database_from_seed(evil, "file:///seed/x.backup", 3, 0),
            Statement::recreate_database_from_seed(evil, "file:///seed/x.backup"),
        ] {
            assert!(!s.text.contains(evil), "{}", s.text);
            assert!(
                s.params
                    .iter()
                    .any(|(_, v)| *v == ParamValue::Text(evil.to_owned()))
            );
        }
    }

    #[test]
    fn seed_uris_travel_as_parameters_never_in_the_text() {
        let evil = "file:///seed/x'}) DROP DATABASE neo4j //.backup";
        for s in [
            Statement::create_database_from_seed("sales", evil, 3, 0),
            Statement::recreate_database_from_seed("sales", evil),
        ] {
            assert!(!s.text.contains(evil), "{}", s.text);
            assert!(
                s.params
                    .contains(&("seedURI", ParamValue::Text(evil.to_owned())))
            );
            assert!(
                s.params
                    .contains(&("database", ParamValue::Text("sales".to_owned())))
            );
        }
    }

    #[test]
    fn create_from_seed_uses_singular_and_plural() {
        assert_eq!(
            Statement::create_database_from_seed("sales", "file:///seed/sales.backup", 3, 2).text,
            "CREATE DATABASE $database TOPOLOGY 3 PRIMARIES 2 SECONDARIES \
             OPTIONS {existingData: 'use', seedURI: $seedURI}"
        );
        assert_eq!(
            Statement::create_database_from_seed("sales", "file:///seed/sales.backup", 1, 1).text,
            "CREATE DATABASE $database TOPOLOGY 1 PRIMARY 1 SECONDARY \
             OPTIONS {existingData: 'use', seedURI: $seedURI}"
        );
    }

    #[test]
    fn topology_statement_uses_singular_and_plural() {
        assert_eq!(
            Statement::alter_database_topology("neo4j", 3, 2).text,
            "ALTER DATABASE $database SET TOPOLOGY 3 PRIMARIES 2 SECONDARIES"
        );
        assert_eq!(
            Statement::alter_database_topology("neo4j", 1, 1).text,
            "ALTER DATABASE $database SET TOPOLOGY 1 PRIMARY 1 SECONDARY"
        );
        assert_eq!(
            Statement::alter_database_topology("neo4j", 3, 0).text,
            "ALTER DATABASE $database SET TOPOLOGY 3 PRIMARIES 0 SECONDARIES"
        );
    }

    #[test]
    fn identifiers_are_backtick_quoted_with_backticks_doubled() {
        assert_eq!(quote_identifier("neo4j"), "`neo4j`");
        assert_eq!(quote_identifier("a`b"), "`a``b`");
        assert_eq!(quote_identifier("``"), "``````");
    }
}
