//! The pure decision of the bootstrap (see the parent module for the runbook it implements).

use std::collections::BTreeMap;

use k8s_openapi::jiff::{SignedDuration, Timestamp};
use neo4j_aks_model::BootstrapStatus;
use neo4j_aks_model::api::backup::GraphCounts;
use neo4j_aks_model::api::backup::{SeedResultLine, SeededDatabase};
use neo4j_aks_render::seed::seed_uri;
use neo4j_aks_topology::records::DatabaseRecord;

pub const PENDING: &str = "Pending";
pub const SEEDING: &str = "Seeding";
pub const DONE: &str = "Done";
pub const REFUSED: &str = "Refused";
pub const REQUESTED: &str = "Requested";
pub const SEEDED: &str = "Seeded";

/// How long a seeded database may show other counts than its backup before the bootstrap is
/// refused: right after `recreateDatabase` Neo4j can still list the old, empty store as online.
pub const SEED_GRACE: SignedDuration = SignedDuration::from_mins(10);

/// What one member's seed step reported.
#[derive(Clone, Debug, PartialEq)]
pub enum MemberSeed {
    Ready(Vec<SeededDatabase>),
    Failed(String),
}

impl MemberSeed {
    /// Reads a seed-fetch termination message.
    pub fn parse(message: &str) -> MemberSeed {
        match serde_json::from_str::<SeedResultLine>(message) {
            Ok(line) if line.result == "Succeeded" => MemberSeed::Ready(line.seeds),
            Ok(line) => MemberSeed::Failed(line.message),
            Err(e) => MemberSeed::Failed(format!("unreadable seed result ({e}): {message}")),
        }
    }
}

/// Everything the decision looks at.
#[derive(Clone, Debug)]
pub struct View<'a> {
    pub wanted: &'a [String],
    pub members: u32,
    /// Why the cluster is not ready for seeding yet (forming, a member down, a day-2 step).
    pub unsettled: Option<String>,
    /// Seed results by member ordinal (members whose seed step has not finished are absent).
    pub seeds: &'a BTreeMap<u32, MemberSeed>,
    /// SHOW DATABASES rows.
    pub databases: &'a [DatabaseRecord],
    /// Counts of the wanted databases that are online everywhere.
    pub counts: &'a BTreeMap<String, GraphCounts>,
    pub recorded: &'a BootstrapStatus,
    pub primaries: u32,
    pub secondaries: u32,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Wait(String),
    Refuse(String),
    Create {
        database: String,
        artifact: String,
        seed_uri: String,
        primaries: u32,
        secondaries: u32,
    },
    Recreate {
        database: String,
        artifact: String,
        seed_uri: String,
    },
    Seeded {
        database: String,
        counts: GraphCounts,
    },
    Done,
}

/// The next bootstrap step.
pub fn decide(view: &View<'_>) -> Decision {
    if view.recorded.phase == DONE {
        return Decision::Done;
    }
    if let Some(why) = &view.unsettled {
        return Decision::Wait(why.clone());
    }
    let restore_points = match agreed_restore_points(view) {
        Ok(points) => points,
        Err(decision) => return decision,
    };
    for database in view.wanted {
        let Some(point) = restore_points.get(database.as_str()) else {
            continue;
        };
        let rows: Vec<&DatabaseRecord> = view
            .databases
            .iter()
            .filter(|r| &r.name == database)
            .collect();
        let online = !rows.is_empty() && rows.iter().all(|r| r.is_online());
        let recorded = view.recorded.databases.iter().find(|d| &d.name == database);
        match recorded.map(|d| d.state.as_str()) {
            Some(SEEDED) => continue,
            Some(_) if rows.is_empty() => return create(view, database, point),
            Some(_) if !online => {
                return Decision::Wait(format!("{database} is being seeded ({})", statuses(&rows)));
            }
            Some(_) => {
                let Some(counts) = view.counts.get(database.as_str()) else {
                    return Decision::Wait(format!("counting {database}"));
                };
                let Some(mismatch) = point.counts.and_then(|range| range.mismatch(*counts)) else {
                    return Decision::Seeded {
                        database: database.clone(),
                        counts: *counts,
                    };
                };
                let requested_at = recorded
                    .and_then(|d| d.requested_at.parse::<Timestamp>().ok())
                    .unwrap_or(view.now);
                if view.now.duration_since(requested_at) < SEED_GRACE {
                    return Decision::Wait(format!(
                        "{database} is online but does not match its backup yet ({mismatch})"
                    ));
                }
                return Decision::Refuse(format!(
                    "{database} was seeded from {} but does not match it: {mismatch}; check the members' debug.log, then drop the database and remove its entry from status.bootstrap.databases to seed it again",
                    point.artifact
                ));
            }
            None if rows.is_empty() => return create(view, database, point),
            None if rows.iter().any(|r| r.default) => {
                if !online {
                    return Decision::Wait(format!(
                        "the default database {database} is not online yet ({})",
                        statuses(&rows)
                    ));
                }
                let Some(counts) = view.counts.get(database.as_str()) else {
                    return Decision::Wait(format!("counting {database}"));
                };
                if counts.nodes > 0 {
                    return Decision::Refuse(format!(
                        "the default database {database} already holds {} nodes; a bootstrap never replaces data (seed into a new cluster, or drop the nodes first)",
                        counts.nodes
                    ));
                }
                return Decision::Recreate {
                    database: database.clone(),
                    artifact: point.artifact.clone(),
                    seed_uri: seed_uri(database),
                };
            }
            None => {
                return Decision::Refuse(format!(
                    "database {database} already exists; a bootstrap never replaces an existing database"
                ));
            }
        }
    }
    Decision::Done
}

fn create(view: &View<'_>, database: &str, point: &SeededDatabase) -> Decision {
    Decision::Create {
        database: database.to_string(),
        artifact: point.artifact.clone(),
        seed_uri: seed_uri(database),
        primaries: view.primaries,
        secondaries: view.secondaries,
    }
}

fn statuses(rows: &[&DatabaseRecord]) -> String {
    if rows.is_empty() {
        return "not listed".to_string();
    }
    rows.iter()
        .map(|r| {
            let at = r.address.as_deref().unwrap_or("?");
            if r.status_message.is_empty() {
                format!("{at}: {}", r.current_status)
            } else {
                format!("{at}: {} ({})", r.current_status, r.status_message)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The restore point of each wanted database, when every member fetched the same one.
fn agreed_restore_points<'a>(
    view: &View<'a>,
) -> Result<BTreeMap<&'a str, &'a SeededDatabase>, Decision> {
    let mut problems = Vec::new();
    let mut waiting = Vec::new();
    let mut points: BTreeMap<&str, &SeededDatabase> = BTreeMap::new();
    for ordinal in 0..view.members {
        match view.seeds.get(&ordinal) {
            None => waiting.push(ordinal.to_string()),
            Some(MemberSeed::Failed(message)) => {
                problems.push(format!("member {ordinal}'s seed step failed: {message}"));
            }
            Some(MemberSeed::Ready(seeds)) => {
                for database in view.wanted {
                    let Some(seed) = seeds.iter().find(|s| &s.database == database) else {
                        problems.push(format!("member {ordinal} fetched no seed of {database}"));
                        continue;
                    };
                    match points.get(database.as_str()) {
                        None => {
                            points.insert(database.as_str(), seed);
                        }
                        Some(first) if first.artifact != seed.artifact => problems.push(format!(
                            "members fetched different restore points of {database} ({} and {} on member {ordinal}); set spec.bootstrap.fromBackup.notAfter so that every member picks the same, then delete the member pods",
                            first.artifact, seed.artifact
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Decision::Refuse(problems.join("; ")));
    }
    if !waiting.is_empty() {
        return Err(Decision::Wait(format!(
            "waiting for the seed step of member(s) {}",
            waiting.join(", ")
        )));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use neo4j_aks_model::BootstrapDatabaseStatus;
    use neo4j_aks_model::api::backup::CountRange;
    use neo4j_aks_topology::records::{DatabaseRole, DatabaseType};
    use proptest::prelude::*;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a valid test timestamp")
    }

    fn seed(database: &str, artifact: &str, nodes: u64) -> SeededDatabase {
        SeededDatabase {
            database: database.to_string(),
            artifact: artifact.to_string(),
            chain_id: format!("{artifact}-chain"),
            finished_at: at("2026-11-19T02:10:00Z"),
            artifacts: 2,
            counts: Some(CountRange {
                nodes_min: nodes,
                nodes_max: nodes,
                relationships_min: nodes * 2,
                relationships_max: nodes * 2,
            }),
        }
    }

    fn row(name: &str, member: u32, status: &str, default: bool) -> DatabaseRecord {
        DatabaseRecord {
            name: name.to_string(),
            db_type: DatabaseType::Standard,
            address: Some(format!("graph-{member}:7687")),
            server_id: Some(format!("server-{member}")),
            role: DatabaseRole::Primary,
            writer: member == 0,
            requested_status: "online".to_string(),
            current_status: status.to_string(),
            status_message: String::new(),
            default,
            requested_primaries: Some(3),
            requested_secondaries: Some(0),
            current_primaries: Some(3),
            current_secondaries: Some(0),
            last_committed_txn: None,
            replication_lag: None,
        }
    }

    fn rows(name: &str, status: &str, default: bool) -> Vec<DatabaseRecord> {
        (0..3).map(|m| row(name, m, status, default)).collect()
    }

    fn agreed() -> BTreeMap<u32, MemberSeed> {
        (0..3)
            .map(|m| {
                (
                    m,
                    MemberSeed::Ready(vec![
                        seed("neo4j", "neo4j-a", 0),
                        seed("sales", "sales-b", 10),
                    ]),
                )
            })
            .collect()
    }

    fn requested(name: &str, state: &str, at_time: &str) -> BootstrapDatabaseStatus {
        BootstrapDatabaseStatus {
            name: name.to_string(),
            artifact: format!("{name}-x"),
            state: state.to_string(),
            requested_at: at_time.to_string(),
            nodes: None,
            relationships: None,
        }
    }

    struct Case {
        seeds: BTreeMap<u32, MemberSeed>,
        databases: Vec<DatabaseRecord>,
        counts: BTreeMap<String, GraphCounts>,
        recorded: BootstrapStatus,
        unsettled: Option<String>,
    }

    impl Case {
        fn new() -> Case {
            Case {
                seeds: agreed(),
                databases: [
                    rows("system", "online", false),
                    rows("neo4j", "online", true),
                ]
                .concat(),
                counts: BTreeMap::from([(
                    "neo4j".to_string(),
                    GraphCounts {
                        nodes: 0,
                        relationships: 0,
                    },
                )]),
                recorded: BootstrapStatus {
                    phase: PENDING.to_string(),
                    ..BootstrapStatus::default()
                },
                unsettled: None,
            }
        }

        fn decide(&self, wanted: &[&str]) -> Decision {
            let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
            decide(&View {
                wanted: &wanted,
                members: 3,
                unsettled: self.unsettled.clone(),
                seeds: &self.seeds,
                databases: &self.databases,
                counts: &self.counts,
                recorded: &self.recorded,
                primaries: 3,
                secondaries: 0,
                now: at("2026-11-26T12:00:00Z"),
            })
        }
    }

    #[test]
    fn waits_while_the_cluster_forms_or_a_member_has_not_fetched() {
        let mut case = Case::new();
        case.unsettled = Some("2 of 3 members are Ready".to_string());
        assert_eq!(
            case.decide(&["sales"]),
            Decision::Wait("2 of 3 members are Ready".to_string())
        );
        let mut case = Case::new();
        case.seeds.remove(&2);
        assert!(matches!(case.decide(&["sales"]), Decision::Wait(w) if w.contains("member(s) 2")));
    }

    #[test]
    fn creates_a_missing_database_from_its_seed_file() {
        assert_eq!(
            Case::new().decide(&["sales"]),
            Decision::Create {
                database: "sales".to_string(),
                artifact: "sales-b".to_string(),
                seed_uri: "file:///seed/sales.backup".to_string(),
                primaries: 3,
                secondaries: 0,
            }
        );
    }

    #[test]
    fn recreates_the_empty_default_database_but_never_one_with_data() {
        let case = Case::new();
        assert_eq!(
            case.decide(&["neo4j"]),
            Decision::Recreate {
                database: "neo4j".to_string(),
                artifact: "neo4j-a".to_string(),
                seed_uri: "file:///seed/neo4j.backup".to_string(),
            }
        );
        let mut case = Case::new();
        case.counts.insert(
            "neo4j".to_string(),
            GraphCounts {
                nodes: 1,
                relationships: 0,
            },
        );
        assert!(
            matches!(case.decide(&["neo4j"]), Decision::Refuse(r) if r.contains("already holds 1 nodes"))
        );
        let mut case = Case::new();
        case.counts.clear();
        assert!(matches!(case.decide(&["neo4j"]), Decision::Wait(_)));
    }

    #[test]
    fn refuses_an_existing_user_database() {
        let mut case = Case::new();
        case.databases.extend(rows("sales", "online", false));
        assert!(
            matches!(case.decide(&["sales"]), Decision::Refuse(r) if r.contains("already exists"))
        );
    }

    #[test]
    fn refuses_when_members_fetched_different_restore_points_or_a_seed_failed() {
        let mut case = Case::new();
        case.seeds.insert(
            1,
            MemberSeed::Ready(vec![
                seed("neo4j", "neo4j-a", 0),
                seed("sales", "sales-c", 10),
            ]),
        );
        assert!(
            matches!(case.decide(&["sales"]), Decision::Refuse(r) if r.contains("sales-b and sales-c") && r.contains("notAfter"))
        );
        let mut case = Case::new();
        case.seeds.insert(
            0,
            MemberSeed::Failed("no restorable backup of sales".to_string()),
        );
        case.seeds
            .insert(2, MemberSeed::Ready(vec![seed("neo4j", "neo4j-a", 0)]));
        let Decision::Refuse(reason) = case.decide(&["sales"]) else {
            panic!("expected a refusal");
        };
        assert!(reason.contains("member 0's seed step failed"), "{reason}");
        assert!(
            reason.contains("member 2 fetched no seed of sales"),
            "{reason}"
        );
    }

    #[test]
    fn a_requested_database_is_seeded_once_online_with_the_recorded_counts() {
        let mut case = Case::new();
        case.recorded.databases = vec![requested("sales", REQUESTED, "2026-11-26T11:59:00Z")];
        case.databases.extend(rows("sales", "starting", false));
        assert!(matches!(case.decide(&["sales"]), Decision::Wait(w) if w.contains("being seeded")));
        let mut case = Case::new();
        case.recorded.databases = vec![requested("sales", REQUESTED, "2026-11-26T11:59:00Z")];
        case.databases.extend(rows("sales", "online", false));
        let counts = GraphCounts {
            nodes: 10,
            relationships: 20,
        };
        case.counts.insert("sales".to_string(), counts);
        assert_eq!(
            case.decide(&["sales"]),
            Decision::Seeded {
                database: "sales".to_string(),
                counts
            }
        );
    }

    #[test]
    fn a_requested_database_that_vanished_is_created_again() {
        let mut case = Case::new();
        case.recorded.databases = vec![requested("sales", REQUESTED, "2026-11-26T11:59:00Z")];
        assert!(matches!(case.decide(&["sales"]), Decision::Create { .. }));
    }

    #[test]
    fn counts_that_do_not_match_wait_for_the_grace_time_then_refuse() {
        let mut case = Case::new();
        case.recorded.databases = vec![requested("neo4j", REQUESTED, "2026-11-26T11:55:00Z")];
        assert!(
            matches!(case.decide(&["neo4j"]), Decision::Seeded { .. }),
            "0 nodes is what the neo4j seed recorded"
        );
        case.seeds = (0..3)
            .map(|m| (m, MemberSeed::Ready(vec![seed("neo4j", "neo4j-a", 5)])))
            .collect();
        assert!(
            matches!(case.decide(&["neo4j"]), Decision::Wait(w) if w.contains("does not match"))
        );
        case.recorded.databases = vec![requested("neo4j", REQUESTED, "2026-11-26T11:40:00Z")];
        assert!(
            matches!(case.decide(&["neo4j"]), Decision::Refuse(r) if r.contains("0 nodes restored"))
        );
    }

    #[test]
    fn done_when_every_database_is_seeded_and_done_stays_done() {
        let mut case = Case::new();
        case.recorded.databases = vec![
            requested("neo4j", SEEDED, "2026-11-26T11:00:00Z"),
            requested("sales", SEEDED, "2026-11-26T11:00:00Z"),
        ];
        assert_eq!(case.decide(&["neo4j", "sales"]), Decision::Done);
        let mut case = Case::new();
        case.recorded.phase = DONE.to_string();
        case.seeds.clear();
        assert_eq!(case.decide(&["sales"]), Decision::Done);
    }

    #[test]
    fn seed_results_are_read_from_the_termination_message() {
        let line = r#"{"step":"seed","result":"Succeeded","cluster":"graph","message":"ok","seeds":[{"database":"sales","artifact":"a","chainId":"c","finishedAt":"2026-11-19T02:10:00Z","artifacts":1}]}"#;
        assert!(
            matches!(MemberSeed::parse(line), MemberSeed::Ready(s) if s.len() == 1 && s[0].counts.is_none())
        );
        let failed = r#"{"step":"seed","result":"Failed","cluster":"graph","message":"nothing stored for sales"}"#;
        assert_eq!(
            MemberSeed::parse(failed),
            MemberSeed::Failed("nothing stored for sales".to_string())
        );
        assert!(
            matches!(MemberSeed::parse("cut off {"), MemberSeed::Failed(m) if m.contains("unreadable"))
        );
    }

    fn arb_member_seed() -> impl Strategy<Value = Option<MemberSeed>> {
        prop_oneof![
            Just(None),
            Just(Some(MemberSeed::Failed("boom".to_string()))),
            prop::sample::subsequence(vec!["neo4j-a", "neo4j-b"], 1).prop_flat_map(|n| {
                prop::sample::subsequence(vec!["sales-a", "sales-b"], 1).prop_map(move |s| {
                    Some(MemberSeed::Ready(vec![
                        seed("neo4j", n[0], 0),
                        seed("sales", s[0], 10),
                    ]))
                })
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the members reported and Neo4j shows: a seed statement goes out only when
        /// every member agrees on its restore point; the default database is recreated only
        /// while it holds no node; an existing database that was never requested is never
        /// touched; Done only when every database is recorded Seeded.
        #[test]
        fn the_bootstrap_never_seeds_disagreeing_members_nor_replaces_data(
            member_seeds in prop::collection::vec(arb_member_seed(), 3),
            default_nodes in prop::sample::select(vec![0u64, 3]),
            sales_exists in any::<bool>(),
            sales_state in prop::sample::select(vec![None, Some(REQUESTED), Some(SEEDED)]),
            neo4j_state in prop::sample::select(vec![None, Some(REQUESTED), Some(SEEDED)]),
            online in any::<bool>(),
        ) {
            let mut case = Case::new();
            case.seeds = member_seeds
                .iter()
                .enumerate()
                .filter_map(|(m, s)| Some((u32::try_from(m).ok()?, s.clone()?)))
                .collect();
            let status = if online { "online" } else { "starting" };
            case.databases = [rows("system", "online", false), rows("neo4j", status, true)].concat();
            if sales_exists {
                case.databases.extend(rows("sales", status, false));
            }
            case.counts.insert("neo4j".to_string(), GraphCounts { nodes: default_nodes, relationships: 0 });
            case.counts.insert("sales".to_string(), GraphCounts { nodes: 10, relationships: 20 });
            case.recorded.databases = [("neo4j", neo4j_state), ("sales", sales_state)]
                .into_iter()
                .filter_map(|(n, s)| Some(requested(n, s?, "2026-11-26T11:59:00Z")))
                .collect();
            let decision = case.decide(&["neo4j", "sales"]);
            let agreeing = (0..3u32).all(|m| case.seeds.get(&m) == case.seeds.get(&0))
                && matches!(case.seeds.get(&0), Some(MemberSeed::Ready(_)));
            match &decision {
                Decision::Create { database, .. } => {
                    prop_assert!(agreeing);
                    prop_assert!(!case.databases.iter().any(|r| &r.name == database));
                }
                Decision::Recreate { database, .. } => {
                    prop_assert!(agreeing);
                    prop_assert_eq!(database.as_str(), "neo4j");
                    prop_assert_eq!(default_nodes, 0);
                    prop_assert!(neo4j_state.is_none());
                }
                Decision::Done => {
                    prop_assert!(neo4j_state == Some(SEEDED) && sales_state == Some(SEEDED));
                }
                Decision::Seeded { database, .. } => {
                    let state = if database == "neo4j" { neo4j_state } else { sales_state };
                    prop_assert_eq!(state, Some(REQUESTED));
                }
                Decision::Wait(_) | Decision::Refuse(_) => {}
            }
        }
    }
}
