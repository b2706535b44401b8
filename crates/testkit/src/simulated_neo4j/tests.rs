//! The database life cycle of the simulation, without the testenv: servers are put in directly
//! (as if their pods were Ready) and SHOW DATABASES is observed for given pods. The kube client
//! points nowhere and is never called by what these tests use.
use super::*;
use neo4j_aks_topology::AdminClient;
use state::DEALLOCATING_OBSERVATIONS;

const SEED: &str = "file:///seed/sales.backup";
const SALES: GraphSize = GraphSize {
    nodes: 1200,
    relationships: 3400,
};

/// A simulation whose `servers` are Enabled on members 0..servers, all Ready.
fn cluster(servers: u32) -> (Arc<SimulatedNeo4j>, BTreeMap<u32, bool>) {
    let config = kube::Config::new("http://127.0.0.1:9".parse().expect("static URL"));
    let client = Client::try_from(config).expect("client without connecting");
    let sim = SimulatedNeo4j::new(client, "ns", "db");
    {
        let mut s = sim.lock();
        for ordinal in 0..servers {
            s.servers.push(SimServer {
                id: format!("sim-server-{ordinal}"),
                ordinal,
                claim: format!("claim-{ordinal}"),
                state: ServerState::Enabled,
                deallocating_left: 0,
            });
        }
    }
    let pods = (0..servers).map(|o| (o, true)).collect();
    (sim, pods)
}

/// (currentStatus, statusMessage) of `database` as one SHOW DATABASES observation shows it
/// on its first copy, with all copies agreeing.
fn observed(sim: &SimulatedNeo4j, pods: &BTreeMap<u32, bool>, database: &str) -> (String, String) {
    let rows: Vec<DatabaseRecord> = sim
        .observe_databases(pods)
        .into_iter()
        .filter(|r| r.name == database)
        .collect();
    let first = rows.first().expect("database listed");
    assert!(
        rows.iter().all(|r| r.current_status == first.current_status
            && r.status_message == first.status_message
            && r.requested_status == "online"),
        "{rows:#?}"
    );
    (first.current_status.clone(), first.status_message.clone())
}

fn code(result: Result<impl std::fmt::Debug, ClientError>) -> String {
    match result {
        Err(ClientError::Neo4j { code, .. }) => code,
        other => panic!("expected a Neo4j error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_default_database_exists_from_the_start_empty_and_online() {
    let (sim, pods) = cluster(3);
    assert_eq!(
        sim.count_graph("neo4j").await.expect("neo4j is online"),
        GraphSize::default()
    );
    let rows: Vec<DatabaseRecord> = sim
        .observe_databases(&pods)
        .into_iter()
        .filter(|r| r.name == "neo4j")
        .collect();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert!(rows.iter().all(|r| r.is_online() && r.default));
    assert_eq!(rows.iter().filter(|r| r.writer).count(), 1);
    assert!(sim.statements().is_empty());
}

#[tokio::test]
async fn a_database_created_from_a_known_seed_starts_then_is_online_with_its_counts() {
    let (sim, pods) = cluster(4);
    sim.register_seed(SEED, SALES);
    sim.create_database_from_seed("sales", SEED, 3, 1)
        .await
        .expect("created");
    // Not queryable while it starts.
    assert_eq!(
        code(sim.count_graph("sales").await),
        "Neo.TransientError.General.DatabaseUnavailable"
    );
    let seen: Vec<String> = (0..3).map(|_| observed(&sim, &pods, "sales").0).collect();
    assert_eq!(seen, ["starting", "starting", "online"]);
    assert_eq!(sim.count_graph("sales").await.expect("online"), SALES);
    let rows: Vec<DatabaseRecord> = sim
        .observe_databases(&pods)
        .into_iter()
        .filter(|r| r.name == "sales")
        .collect();
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert_eq!(
        rows.iter()
            .filter(|r| r.role == DatabaseRole::Primary)
            .count(),
        3
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.role == DatabaseRole::Secondary)
            .count(),
        1
    );
    assert!(rows.iter().all(|r| r.requested_primaries == Some(3)
        && r.requested_secondaries == Some(1)
        && !r.default));
    // The neo4j database was not touched.
    assert_eq!(
        sim.count_graph("neo4j").await.expect("online"),
        GraphSize::default()
    );
    assert_eq!(
        sim.statements(),
        [format!("CREATE DATABASE sales TOPOLOGY 3 1 SEED {SEED}")]
    );
}

#[tokio::test]
async fn an_unknown_seed_leaves_the_database_offline_unable_to_start() {
    let (sim, pods) = cluster(3);
    sim.register_seed(SEED, SALES);
    // Neo4j only fetches the seed when the database starts: the CREATE itself succeeds.
    sim.create_database_from_seed("sales", "file:///seed/typo.backup", 3, 0)
        .await
        .expect("accepted");
    assert_eq!(observed(&sim, &pods, "sales").0, "starting");
    assert_eq!(observed(&sim, &pods, "sales").0, "starting");
    for _ in 0..3 {
        let (status, message) = observed(&sim, &pods, "sales");
        assert_eq!(status, "offline");
        assert!(
            message.starts_with("Unable to start database `DatabaseId{")
                && message.ends_with("[sales]}`"),
            "{message}"
        );
    }
    let rows = sim.observe_databases(&pods);
    assert!(
        rows.iter()
            .filter(|r| r.name == "sales")
            .all(|r| r.role == DatabaseRole::Unknown && !r.writer),
        "{rows:#?}"
    );
    assert_eq!(
        code(sim.count_graph("sales").await),
        "Neo.TransientError.General.DatabaseUnavailable"
    );
}

#[tokio::test]
async fn creating_a_database_that_exists_is_refused() {
    let (sim, _) = cluster(3);
    sim.register_seed(SEED, SALES);
    for existing in ["neo4j", "system"] {
        assert_eq!(
            code(sim.create_database_from_seed(existing, SEED, 3, 0).await),
            "Neo.ClientError.Database.ExistingDatabaseFound"
        );
    }
    sim.create_database_from_seed("sales", SEED, 3, 0)
        .await
        .expect("first");
    assert_eq!(
        code(sim.create_database_from_seed("sales", SEED, 3, 0).await),
        "Neo.ClientError.Database.ExistingDatabaseFound"
    );
    // A refused CREATE is recorded too, and changed nothing.
    assert_eq!(sim.statements().len(), 4);
    assert_eq!(sim.lock().databases.len(), 2);
}

#[tokio::test]
async fn creating_a_topology_larger_than_the_enabled_servers_is_refused() {
    let (sim, _) = cluster(3);
    sim.register_seed(SEED, SALES);
    assert_eq!(
        code(sim.create_database_from_seed("sales", SEED, 3, 1).await),
        "Neo.ClientError.Cluster.NotEnoughServers"
    );
    assert!(!sim.lock().databases.contains_key("sales"));
}

#[tokio::test]
async fn recreate_replaces_the_graph_and_restarts_the_database() {
    let (sim, pods) = cluster(3);
    sim.register_seed(SEED, SALES);
    sim.recreate_database_from_seed("neo4j", SEED)
        .await
        .expect("recreated");
    let seen: Vec<String> = (0..4).map(|_| observed(&sim, &pods, "neo4j").0).collect();
    assert_eq!(seen, ["offline", "starting", "starting", "online"]);
    assert_eq!(sim.count_graph("neo4j").await.expect("online"), SALES);
    // Topology unchanged: still 3 primaries.
    assert_eq!(sim.lock().topology()["neo4j"], (3, 0));
    assert_eq!(
        sim.statements(),
        [format!("RECREATE DATABASE neo4j SEED {SEED}")]
    );
}

#[tokio::test]
async fn recreate_needs_an_existing_user_database() {
    let (sim, _) = cluster(3);
    sim.register_seed(SEED, SALES);
    assert_eq!(
        code(sim.recreate_database_from_seed("sales", SEED).await),
        "Neo.ClientError.Database.DatabaseNotFound"
    );
    assert_eq!(
        code(sim.recreate_database_from_seed("system", SEED).await),
        "Neo.ClientError.Procedure.ProcedureCallFailed"
    );
    assert!(!sim.lock().databases.contains_key("sales"));
    assert_eq!(sim.statements().len(), 2);
}

#[tokio::test]
async fn counting_an_unknown_database_is_database_not_found() {
    let (sim, _) = cluster(3);
    assert_eq!(
        code(sim.count_graph("sales").await),
        "Neo.ClientError.Database.DatabaseNotFound"
    );
}

#[tokio::test]
async fn altering_an_unknown_database_is_database_not_found() {
    let (sim, _) = cluster(3);
    assert_eq!(
        code(sim.alter_database_topology("sales", 3, 0).await),
        "Neo.ClientError.Database.DatabaseNotFound"
    );
    sim.alter_database_topology("neo4j", 2, 1)
        .await
        .expect("neo4j exists");
    assert_eq!(sim.lock().topology()["neo4j"], (2, 1));
}

/// Member ordinal → (pod Ready, claim) for the servers `cluster` made, `down` not Ready.
fn members(servers: u32, down: &[u32]) -> BTreeMap<u32, (bool, String)> {
    (0..servers)
        .map(|o| (o, (!down.contains(&o), format!("claim-{o}"))))
        .collect()
}

fn state_of(sim: &SimulatedNeo4j, id: &str) -> ServerState {
    sim.lock()
        .servers
        .iter()
        .find(|v| v.id == id)
        .map(|v| v.state.clone())
        .expect("server exists")
}

#[tokio::test]
async fn system_is_a_primary_on_every_server() {
    let (sim, pods) = cluster(5);
    let rows: Vec<DatabaseRecord> = sim
        .observe_databases(&pods)
        .into_iter()
        .filter(|r| r.name == "system")
        .collect();
    assert_eq!(rows.len(), 5, "{rows:#?}");
    assert!(
        rows.iter()
            .all(|r| r.role == DatabaseRole::Primary && r.is_online()),
        "{rows:#?}"
    );
    assert_eq!(rows.iter().filter(|r| r.writer).count(), 1);
}

#[tokio::test]
async fn an_unavailable_server_shows_unknown_rows_without_address() {
    let (sim, mut pods) = cluster(4);
    pods.insert(1, false);
    let rows = sim.observe_databases(&pods);
    let on_1: Vec<&DatabaseRecord> = rows
        .iter()
        .filter(|r| r.server_id.as_deref() == Some("sim-server-1"))
        .collect();
    assert_eq!(
        on_1.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["system", "neo4j"]
    );
    for r in on_1 {
        assert_eq!(r.role, DatabaseRole::Unknown, "{r:?}");
        assert_eq!(r.current_status, "unknown", "{r:?}");
        assert_eq!(r.address, None, "{r:?}");
        assert_eq!(r.status_message, "Server is unavailable", "{r:?}");
        assert!(!r.writer);
    }
    assert!(
        rows.iter()
            .filter(|r| r.server_id.as_deref() != Some("sim-server-1"))
            .all(|r| r.is_online() && r.address.is_some())
    );
}

#[tokio::test]
async fn cordon_is_undone_by_enable() {
    let (sim, _) = cluster(4);
    sim.cordon_server("sim-server-1").await.expect("cordoned");
    assert_eq!(state_of(&sim, "sim-server-1"), ServerState::Cordoned);
    // Only an Enabled server is cordoned.
    assert_eq!(
        code(sim.cordon_server("sim-server-1").await),
        "Neo.ClientError.Cluster.InvalidServerState"
    );
    // A cordoned server keeps its databases.
    let servers = sim.lock().servers.clone();
    let pods = (0..4).map(|o| (o, true)).collect();
    let rows = sim.server_rows(&pods, &servers);
    let one = rows
        .iter()
        .find(|r| r.server_id == "sim-server-1")
        .expect("listed");
    assert_eq!(one.hosting, ["system", "neo4j"]);
    sim.enable_server("sim-server-1")
        .await
        .expect("un-cordoned");
    assert_eq!(state_of(&sim, "sim-server-1"), ServerState::Enabled);
    assert_eq!(
        sim.statements(),
        [
            "CORDON sim-server-1",
            "CORDON sim-server-1",
            "ENABLE SERVER sim-server-1"
        ]
    );
}

#[tokio::test]
async fn a_lost_server_is_deallocated_and_dropped_from_deallocating() {
    let (sim, _) = cluster(4);
    let lost = members(4, &[1]);
    let pods: BTreeMap<u32, bool> = lost.iter().map(|(o, (r, _))| (*o, *r)).collect();
    sim.observe_members(&lost);
    sim.cordon_server("sim-server-1")
        .await
        .expect("an unavailable server is cordoned");
    assert_eq!(
        code(sim.drop_with("sim-server-1", &pods)),
        "Neo.ClientError.Cluster.InvalidServerState"
    );
    sim.deallocate_databases_from_server("sim-server-1")
        .await
        .expect("an unavailable cordoned server is deallocated");
    // Its databases still count as its own until the others have them.
    assert_eq!(
        code(sim.drop_with("sim-server-1", &pods)),
        "Neo.ClientError.Cluster.InvalidServerState"
    );
    for _ in 0..(DEALLOCATING_OBSERVATIONS + 2) {
        sim.observe_members(&lost);
    }
    // Never Deallocated by itself: it cannot be reached.
    assert_eq!(state_of(&sim, "sim-server-1"), ServerState::Deallocating);
    let servers = sim.lock().servers.clone();
    let rows = sim.server_rows(&pods, &servers);
    let one = rows
        .iter()
        .find(|r| r.server_id == "sim-server-1")
        .expect("listed");
    assert_eq!(one.requested_hosting, ["system"]);
    assert_eq!(one.health, Health::Unavailable);
    let neo4j: Vec<u32> = placement(&servers, 3, 0).iter().map(|(o, _)| *o).collect();
    assert_eq!(neo4j, [0, 2, 3]);
    sim.drop_with("sim-server-1", &pods)
        .expect("dropped from Deallocating");
    assert_eq!(state_of(&sim, "sim-server-1"), ServerState::Dropped);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[tokio::test]
async fn a_reachable_deallocating_server_is_dropped_only_once_deallocated() {
    let (sim, pods) = cluster(4);
    let up = members(4, &[]);
    sim.deallocate_databases_from_server("sim-server-3")
        .await
        .expect("deallocated");
    for _ in 0..(DEALLOCATING_OBSERVATIONS + 2) {
        assert_eq!(
            code(sim.drop_with("sim-server-3", &pods)),
            "Neo.ClientError.Cluster.InvalidServerState"
        );
        sim.observe_members(&up);
        if state_of(&sim, "sim-server-3") == ServerState::Deallocated {
            break;
        }
    }
    assert_eq!(state_of(&sim, "sim-server-3"), ServerState::Deallocated);
    sim.drop_with("sim-server-3", &pods).expect("dropped");
}
