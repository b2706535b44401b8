//! Seeding a new cluster from another cluster's backups (`spec.bootstrap.fromBackup`): which
//! restore point and chain each database is seeded from, and what the seed step reports to the
//! operator. Pure; the download is [`crate::agent::Agent::fetch_chain_read_only`].

use jiff::Timestamp;

use crate::catalogue::{Artifact, Catalogue, Chain};
use crate::layout;

pub use neo4j_aks_model::api::backup::{SeedResultLine, SeededDatabase};

/// The database that cannot be seeded: it holds the new cluster's own users, roles and topology,
/// and `CREATE DATABASE ... seedURI` (what seeding uses) creates user databases only.
pub const SYSTEM_DATABASE: &str = "system";

/// What one database is seeded from: a restore point and the chain prefix that reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedChoice<'a> {
    pub chain: &'a Chain,
    /// FULL first, the restore point last; never empty.
    pub artifacts: Vec<&'a Artifact>,
}

impl SeedChoice<'_> {
    pub fn database(&self) -> &str {
        &self.chain.database
    }

    /// The restore point (the last artifact of the prefix).
    pub fn restore_point(&self) -> &Artifact {
        // `choose` only builds choices from a non-empty prefix.
        self.artifacts[self.artifacts.len() - 1]
    }

    /// What the seed step reports for this database.
    pub fn seeded(&self) -> SeededDatabase {
        let point = &self.restore_point().metadata;
        SeededDatabase {
            database: point.database.clone(),
            artifact: point.artifact.clone(),
            chain_id: point.chain_id.clone(),
            finished_at: point.finished_at,
            artifacts: u32::try_from(self.artifacts.len()).unwrap_or(u32::MAX),
            counts: point.counts,
        }
    }
}

/// The `--database` names of a seed, checked: plain names only (no patterns: a bootstrap names
/// exactly what it creates), never `system`, each a name the blob layout can hold. Returns the
/// good names (duplicates dropped, the order kept) and a problem per bad one.
pub fn check_databases(names: &[String]) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut databases: Vec<String> = Vec::new();
    for name in names {
        if name.contains(['*', '?', '[', ']']) {
            problems.push(format!(
                "{name:?} is a pattern; name each database to seed (e.g. --database neo4j --database sales)"
            ));
        } else if name.eq_ignore_ascii_case(SYSTEM_DATABASE) {
            problems.push(format!(
                "{name:?} cannot be seeded: the system database holds the new cluster's own users, roles and topology; seed user databases only"
            ));
        } else if layout::check_database_name(name).is_err() {
            problems.push(format!(
                "{name:?} is not a database name (letters, digits, '.', '-' and '_')"
            ));
        } else if !databases.contains(name) {
            databases.push(name.clone());
        }
    }
    if databases.is_empty() && problems.is_empty() {
        problems.push("no database to seed: pass --database NAME at least once".into());
    }
    (databases, problems)
}

/// Per database (in the given order): the newest restorable artifact finished at or before
/// `not_after` (the newest without a bound) and its chain prefix. When any database has none,
/// every such database is named, with what is stored for it.
pub fn choose<'a>(
    catalogue: &'a Catalogue,
    databases: &[String],
    not_after: Option<Timestamp>,
) -> Result<Vec<SeedChoice<'a>>, Vec<String>> {
    let mut choices = Vec::new();
    let mut problems = Vec::new();
    for database in databases {
        let choice = catalogue
            .restore_point_at(database, not_after)
            .map(|(chain, point)| SeedChoice {
                chain,
                artifacts: chain.restore_prefix(&point.metadata.artifact),
            })
            .filter(|c| !c.artifacts.is_empty());
        match choice {
            Some(c) => choices.push(c),
            None => problems.push(format!(
                "{database}: {}",
                why_nothing_to_seed(catalogue, database, not_after)
            )),
        }
    }
    if problems.is_empty() {
        Ok(choices)
    } else {
        Err(problems)
    }
}

/// What is stored for a database that has no restore point within the bound.
fn why_nothing_to_seed(
    catalogue: &Catalogue,
    database: &str,
    not_after: Option<Timestamp>,
) -> String {
    let Some(chains) = catalogue.chains.get(database) else {
        let stored: Vec<&str> = catalogue.chains.keys().map(String::as_str).collect();
        return if stored.is_empty() {
            "no backup is stored for this cluster".into()
        } else {
            format!(
                "no backup of this database is stored (stored: {})",
                stored.join(", ")
            )
        };
    };
    let mut points: Vec<&Artifact> = chains.iter().flat_map(Chain::restore_points).collect();
    points.sort_by_key(|a| a.metadata.finished_at);
    match (points.first(), points.last(), not_after) {
        (Some(oldest), Some(newest), Some(bound)) => format!(
            "no restorable backup finished at or before {bound}; the oldest restore point is {} at {}, the newest {} at {}",
            oldest.metadata.artifact,
            oldest.metadata.finished_at,
            newest.metadata.artifact,
            newest.metadata.finished_at
        ),
        _ => {
            let stored: usize = chains.iter().map(|c| c.artifacts.len()).sum();
            format!(
                "{stored} artifact(s) stored, none restorable (no chain is complete from its FULL); see `neo4j-aks backup list`"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalogue::tests::{assemble, meta};
    use crate::catalogue::{BackupKind, CountRange};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const COUNTS: CountRange = CountRange {
        nodes_min: 1,
        nodes_max: 2,
        relationships_min: 3,
        relationships_max: 4,
    };

    /// (database, artifact, parent, finished_at) rows, a FULL without parent; every artifact has
    /// its marker unless named in `without_marker`.
    fn catalogue(rows: &[(&str, &str, Option<&str>, &str)], without_marker: &[&str]) -> Catalogue {
        let mut chain_of: BTreeMap<&str, String> = BTreeMap::new();
        let mut metas = Vec::new();
        for (database, artifact, parent, at) in rows {
            let (kind, chain) = match parent {
                None => (BackupKind::Full, artifact.to_string()),
                Some(p) => (BackupKind::Diff, chain_of[p].clone()),
            };
            chain_of.insert(artifact, chain.clone());
            let mut m = meta(artifact, kind, &chain, *parent, at);
            m.database = database.to_string();
            m.counts = Some(COUNTS);
            metas.push(m);
        }
        assemble(&metas, without_marker)
    }

    const NF1: &str = "neo4j-2026-11-18T02-00-00.backup";
    const ND1: &str = "neo4j-2026-11-19T02-00-00.backup";
    const ND2: &str = "neo4j-2026-11-22T02-00-00.backup";
    const SF1: &str = "sales-2026-11-18T02-00-00.backup";
    const SF2: &str = "sales-2026-11-21T02-00-00.backup";

    fn stored() -> Catalogue {
        catalogue(
            &[
                ("neo4j", NF1, None, "2026-11-18T02:03:00Z"),
                ("neo4j", ND1, Some(NF1), "2026-11-19T02:02:00Z"),
                ("neo4j", ND2, Some(ND1), "2026-11-22T02:02:00Z"),
                ("sales", SF1, None, "2026-11-18T02:03:00Z"),
                ("sales", SF2, None, "2026-11-21T02:05:00Z"),
            ],
            &[],
        )
    }

    fn names<'a>(choice: &SeedChoice<'a>) -> Vec<&'a str> {
        choice
            .artifacts
            .iter()
            .map(|a| a.metadata.artifact.as_str())
            .collect()
    }

    #[test]
    fn each_database_gets_its_newest_restore_point_with_the_chain_before_it() {
        let c = stored();
        let dbs = vec!["sales".to_string(), "neo4j".to_string()];
        let choices = choose(&c, &dbs, None).unwrap();
        assert_eq!(choices[0].database(), "sales");
        assert_eq!(names(&choices[0]), vec![SF2]);
        assert_eq!(names(&choices[1]), vec![NF1, ND1, ND2]);
        assert_eq!(
            choices[1].seeded(),
            SeededDatabase {
                database: "neo4j".into(),
                artifact: ND2.into(),
                chain_id: NF1.into(),
                finished_at: ts("2026-11-22T02:02:00Z"),
                artifacts: 3,
                counts: Some(COUNTS),
            }
        );
    }

    #[test]
    fn a_bound_cuts_a_chain_short_or_picks_an_older_chain() {
        let c = stored();
        let dbs = vec!["neo4j".to_string(), "sales".to_string()];
        let choices = choose(&c, &dbs, Some(ts("2026-11-20T00:00:00Z"))).unwrap();
        assert_eq!(names(&choices[0]), vec![NF1, ND1]);
        assert_eq!(names(&choices[1]), vec![SF1]);
        // The bound is inclusive.
        let choices = choose(&c, &dbs, Some(ts("2026-11-21T02:05:00Z"))).unwrap();
        assert_eq!(names(&choices[1]), vec![SF2]);
    }

    #[test]
    fn every_database_without_a_restore_point_is_named_with_what_is_stored() {
        let c = stored();
        let dbs = vec![
            "neo4j".to_string(),
            "orders".to_string(),
            "sales".to_string(),
        ];
        let problems = choose(&c, &dbs, Some(ts("2026-11-01T00:00:00Z"))).unwrap_err();
        assert_eq!(
            problems,
            vec![
                format!(
                    "neo4j: no restorable backup finished at or before 2026-11-01T00:00:00Z; the oldest restore point is {NF1} at 2026-11-18T02:03:00Z, the newest {ND2} at 2026-11-22T02:02:00Z"
                ),
                "orders: no backup of this database is stored (stored: neo4j, sales)".to_string(),
                format!(
                    "sales: no restorable backup finished at or before 2026-11-01T00:00:00Z; the oldest restore point is {SF1} at 2026-11-18T02:03:00Z, the newest {SF2} at 2026-11-21T02:05:00Z"
                ),
            ]
        );
        let empty = Catalogue::default();
        assert_eq!(
            choose(&empty, &["neo4j".to_string()], None).unwrap_err(),
            vec!["neo4j: no backup is stored for this cluster".to_string()]
        );
    }

    #[test]
    fn a_chain_without_its_full_is_no_restore_point() {
        let c = catalogue(
            &[
                ("neo4j", NF1, None, "2026-11-18T02:03:00Z"),
                ("neo4j", ND1, Some(NF1), "2026-11-19T02:02:00Z"),
            ],
            &[NF1],
        );
        assert_eq!(
            choose(&c, &["neo4j".to_string()], None).unwrap_err(),
            vec![
                "neo4j: 1 artifact(s) stored, none restorable (no chain is complete from its FULL); see `neo4j-aks backup list`"
                    .to_string()
            ]
        );
    }

    #[test]
    fn database_names_are_plain_user_databases_and_all_problems_are_reported() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_databases(&names(&["neo4j", "sales", "neo4j"])),
            (names(&["neo4j", "sales"]), vec![])
        );
        let (good, problems) = check_databases(&names(&["sa*", "neo4j", "System", "a/b", "ok-db"]));
        assert_eq!(good, names(&["neo4j", "ok-db"]));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("\"sa*\" is a pattern"));
        assert!(problems[1].starts_with("\"System\" cannot be seeded: the system database"));
        assert!(problems[2].starts_with("\"a/b\" is not a database name"));
        assert_eq!(
            check_databases(&[]).1,
            vec!["no database to seed: pass --database NAME at least once".to_string()]
        );
    }

    #[test]
    fn the_result_line_reads_back_with_optional_fields_missing() {
        let line =
            r#"{"step":"seed","result":"Failed","cluster":"old","message":"sales: no backup"}"#;
        let parsed: SeedResultLine = serde_json::from_str(line).unwrap();
        assert_eq!(parsed.result, "Failed");
        assert!(parsed.seeds.is_empty());
        let seeded = SeededDatabase {
            database: "neo4j".into(),
            artifact: ND1.into(),
            chain_id: NF1.into(),
            finished_at: ts("2026-11-19T02:02:00Z"),
            artifacts: 2,
            counts: None,
        };
        let json = serde_json::to_value(&seeded).unwrap();
        assert_eq!(json["chainId"], NF1);
        assert_eq!(json["finishedAt"], "2026-11-19T02:02:00Z");
        assert!(json.get("counts").is_none());
        assert_eq!(
            serde_json::from_value::<SeededDatabase>(json).unwrap(),
            seeded
        );
    }
}
