//! Which members a backup is taken from (pure): never a database's writer when another member
//! hosts an online copy of it, because a backup reads the whole store and the writer carries
//! the write load (Operations Manual, online backup: prefer secondaries as sources). Each
//! database gets its own `--from` list, because neo4j-admin tries one list in order for every
//! database it backs up, and a member that follows one database may lead another.

use std::collections::{BTreeMap, BTreeSet};

use neo4j_aks_topology::records::{DatabaseRecord, DatabaseRole, DatabaseType};

/// Where one database is backed up from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseSource {
    pub database: String,
    /// `--from` for neo4j-admin, in the order it tries them: `host:backup-port`.
    pub from: Vec<String>,
    /// Bolt address (`host:port`) of the first source, where the agent counts nodes and
    /// relationships before and after the run.
    pub counting_member: String,
    /// Why the writer is the source, when it has to be.
    pub fallback: Option<String>,
}

/// `*` matches any run of characters (neo4j-admin's database globs); everything else literally.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob_matches(rest, &tail[i..]))
        }
    }
}

fn host_of(address: &str) -> &str {
    address.rsplit_once(':').map_or(address, |(host, _)| host)
}

/// One source list per database matched by `patterns`: its online non-writer copies
/// (secondaries first, then the least lagging), or, only when there is none, its writer.
pub fn choose_sources(
    records: &[DatabaseRecord],
    patterns: &[String],
    backup_port: u16,
) -> Result<Vec<DatabaseSource>, String> {
    let databases: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.db_type != DatabaseType::Composite)
        .filter(|r| patterns.iter().any(|p| glob_matches(p, &r.name)))
        .map(|r| r.name.as_str())
        .collect();
    if databases.is_empty() {
        return Err(format!(
            "no database matches {}; SHOW DATABASES lists {}",
            patterns.join(", "),
            records
                .iter()
                .map(|r| r.name.as_str())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut copies: BTreeMap<&str, Vec<&DatabaseRecord>> = BTreeMap::new();
    for r in records {
        if databases.contains(r.name.as_str()) && r.is_online() && r.address.is_some() {
            copies.entry(&r.name).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    let mut unserved = Vec::new();
    for database in databases {
        let mut readers: Vec<&DatabaseRecord> = copies
            .get(database)
            .into_iter()
            .flatten()
            .copied()
            .filter(|r| !r.writer)
            .collect();
        readers.sort_by_key(|r| {
            (
                r.role != DatabaseRole::Secondary,
                r.lag(),
                r.address.clone(),
            )
        });
        let writer = copies
            .get(database)
            .into_iter()
            .flatten()
            .find(|r| r.writer);
        let (chosen, fallback) = match (readers.is_empty(), writer) {
            (false, _) => (readers, None),
            (true, Some(w)) => (
                vec![*w],
                Some(format!(
                    "no member other than the writer hosts an online copy of {database}; backing it up from the writer {}",
                    w.address.as_deref().unwrap_or_default()
                )),
            ),
            (true, None) => {
                unserved.push(database);
                continue;
            }
        };
        let addresses: Vec<&str> = chosen.iter().filter_map(|r| r.address.as_deref()).collect();
        out.push(DatabaseSource {
            database: database.to_string(),
            from: addresses
                .iter()
                .map(|a| format!("{}:{backup_port}", host_of(a)))
                .collect(),
            counting_member: addresses[0].to_string(),
            fallback,
        });
    }
    if !unserved.is_empty() {
        return Err(format!(
            "no member hosts an online copy of {}; nothing can serve the backup",
            unserved.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(name: &str, member: u8, writer: bool, status: &str) -> DatabaseRecord {
        DatabaseRecord {
            name: name.into(),
            db_type: if name == "system" {
                DatabaseType::System
            } else {
                DatabaseType::Standard
            },
            address: Some(format!("g-{member}.g-headless.ns.svc.cluster.local:7687")),
            server_id: None,
            role: DatabaseRole::Primary,
            writer,
            requested_status: "online".into(),
            current_status: status.into(),
            status_message: String::new(),
            default: name == "neo4j",
            requested_primaries: None,
            requested_secondaries: None,
            current_primaries: None,
            current_secondaries: None,
            last_committed_txn: None,
            replication_lag: None,
        }
    }

    fn all() -> Vec<String> {
        vec!["*".into()]
    }

    #[test]
    fn globs_match_like_neo4j_admin() {
        for (pattern, name, expected) in [
            ("*", "neo4j", true),
            ("neo4j", "neo4j", true),
            ("neo*", "neo4j", true),
            ("*4j", "neo4j", true),
            ("n*4*", "neo4j", true),
            ("sales", "neo4j", false),
            ("neo4j*x", "neo4j", false),
        ] {
            assert_eq!(glob_matches(pattern, name), expected, "{pattern} {name}");
        }
    }

    fn member(n: u8) -> String {
        format!("g-{n}.g-headless.ns.svc.cluster.local")
    }

    #[test]
    fn each_database_is_backed_up_from_its_followers_never_its_writer() {
        // neo4j led by member 0, system by member 1.
        let mut records = vec![
            copy("neo4j", 0, true, "online"),
            copy("neo4j", 1, false, "online"),
            copy("neo4j", 2, false, "online"),
            copy("system", 0, false, "online"),
            copy("system", 1, true, "online"),
            copy("system", 2, false, "online"),
        ];
        // Member 2 lags on neo4j: member 1 first.
        records[2].replication_lag = Some(-40);
        let sources = choose_sources(&records, &all(), 6362).unwrap();
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].database, "neo4j");
        assert_eq!(
            sources[0].from,
            [format!("{}:6362", member(1)), format!("{}:6362", member(2))]
        );
        assert_eq!(sources[0].counting_member, format!("{}:7687", member(1)));
        assert_eq!(sources[1].database, "system");
        assert_eq!(
            sources[1].from,
            [format!("{}:6362", member(0)), format!("{}:6362", member(2))]
        );
        assert!(sources.iter().all(|s| s.fallback.is_none()));
    }

    #[test]
    fn secondaries_come_before_primaries() {
        let mut records = vec![
            copy("neo4j", 0, true, "online"),
            copy("neo4j", 1, false, "online"),
            copy("neo4j", 3, false, "online"),
        ];
        records[2].role = DatabaseRole::Secondary;
        let sources = choose_sources(&records, &["neo4j".into()], 6362).unwrap();
        assert_eq!(
            sources[0].from,
            [format!("{}:6362", member(3)), format!("{}:6362", member(1))]
        );
    }

    #[test]
    fn the_writer_serves_only_as_the_last_resort_and_says_so() {
        // A standalone server, or a follower that is still copying the store.
        let records = vec![
            copy("neo4j", 0, true, "online"),
            copy("neo4j", 1, false, "store copying"),
        ];
        let sources = choose_sources(&records, &all(), 6362).unwrap();
        assert_eq!(sources[0].from, [format!("{}:6362", member(0))]);
        let why = sources[0].fallback.clone().expect("fallback explained");
        assert!(why.contains("neo4j") && why.contains(&member(0)), "{why}");
    }

    #[test]
    fn unmatched_patterns_and_unserved_databases_are_errors() {
        let records = vec![copy("neo4j", 0, true, "online")];
        let e = choose_sources(&records, &["sales".into()], 6362).unwrap_err();
        assert!(
            e.contains("no database matches sales") && e.contains("neo4j"),
            "{e}"
        );
        let records = vec![copy("neo4j", 0, true, "offline")];
        let e = choose_sources(&records, &all(), 6362).unwrap_err();
        assert!(e.contains("no member hosts an online copy of neo4j"), "{e}");
    }
}
