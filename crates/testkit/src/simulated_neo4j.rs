//! [`SimulatedNeo4j`]: an in-process SIMULATION of a Neo4j Enterprise cluster for the operator's
//! and the CLI's tests (feature `simulated-neo4j`), because the testenv's kwok nodes run no containers, so no Neo4j server can answer Bolt
//! there. It is not a stub: its servers appear only for member pods that exist and are Ready on
//! the testenv (a server's identity lives on the member's claim, as Neo4j keeps it on disk), it
//! applies ENABLE / cordon / DEALLOCATE / DROP / ALTER as the Operations Manual describes them
//! (see each method for the page), it records every statement, and once the cluster has formed it
//! checks at every observation that at most one member is down and that every database, `system`
//! included, keeps its quorum.
//!
//! `system` is hosted the way a real cluster hosts it with the settings neo4j-aks renders: a
//! primary on every server that is not dropped ("Every cluster member hosts the system
//! database", as PRIMARY unless `server.cluster.system_database_mode` says SECONDARY, which
//! neo4j-aks never renders; clustering/settings.adoc). A member whose pod is not Ready is an
//! unavailable server: its rows show role `unknown`, currentStatus `unknown`, address NULL and
//! statusMessage `Server is unavailable` (clustering/monitoring/show-databases-monitoring.adoc).
//!
//! Databases are seeded as the full-cluster restore does it: the test registers seed URIs with
//! the graph each holds ([`SimulatedNeo4j::register_seed`]); `CREATE DATABASE … seedURI` and
//! `dbms.cluster.recreateDatabase` start the database from that seed over a few observations
//! (an unknown seed leaves it offline with Neo4j's "Unable to start database" message), and
//! `count_graph` answers with the seed's counts once the database is online. The default
//! database `neo4j` exists from the start, empty.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use neo4j_aks_topology::records::{
    DatabaseRecord, DatabaseRole, DatabaseType, GraphSize, Health, ServerRecord, ServerState,
    StatusCheckRecord,
};
use neo4j_aks_topology::{AdminClient, ClientError};

/// Observations a server stays `Deallocating` before it reports `Deallocated`.
const DEALLOCATING_OBSERVATIONS: u32 = 3;
/// Observations a seeded database reports `starting` (fetching and loading its seed).
const STARTING_OBSERVATIONS: u32 = 2;
/// Observations a recreated database reports `offline` (its old store being replaced).
const RECREATE_OFFLINE_OBSERVATIONS: u32 = 1;

// Neo4j status codes the simulation answers with (Status Codes manual, "List of Neo4j error
// codes": https://neo4j.com/docs/status-codes/current/errors/all-errors/).
/// "The request referred to a database that already exists."
const EXISTING_DATABASE_FOUND: &str = "Neo.ClientError.Database.ExistingDatabaseFound";
/// "The request referred to a database that does not exist." (also what a real Community 5.26
/// answers a query on an unknown database with, message "Graph not found: NAME"; see
/// crates/topology/tests/bolt_real.rs)
const DATABASE_NOT_FOUND: &str = "Neo.ClientError.Database.DatabaseNotFound";
/// What a query on a database that exists but is not online gets (the code's spelling per
/// neo4j/docs-status-codes#77; Community cannot stop a database, so it is not checked for real).
const DATABASE_UNAVAILABLE: &str = "Neo.TransientError.General.DatabaseUnavailable";

/// Where a user database is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DbStatus {
    /// Created or recreated from a seed: `offline` for `offline_left` more observations (a
    /// recreate stops the old store first), then `starting` for `starting_left`; then online
    /// with the seed's graph, or offline when the seed URI was unknown (`None`).
    Seeding {
        offline_left: u32,
        starting_left: u32,
        seed: Option<GraphSize>,
    },
    Online,
    /// Could not start; `message` is the `statusMessage` SHOW DATABASES prints.
    Failed {
        message: String,
    },
}

/// One user database.
#[derive(Clone, Debug)]
struct SimDatabase {
    /// Hex prefix Neo4j prints in `DatabaseId{…[name]}`.
    id: String,
    primaries: u32,
    secondaries: u32,
    size: GraphSize,
    status: DbStatus,
}

impl SimDatabase {
    fn current_status(&self) -> &'static str {
        match &self.status {
            DbStatus::Seeding {
                offline_left: 1.., ..
            } => "offline",
            DbStatus::Seeding { .. } => "starting",
            DbStatus::Online => "online",
            DbStatus::Failed { .. } => "offline",
        }
    }

    fn status_message(&self) -> String {
        match &self.status {
            DbStatus::Failed { message } => message.clone(),
            _ => String::new(),
        }
    }

    /// One observation later.
    fn progress(&mut self, name: &str) {
        let DbStatus::Seeding {
            offline_left,
            starting_left,
            seed,
        } = &mut self.status
        else {
            return;
        };
        if *offline_left > 0 {
            *offline_left -= 1;
        } else if *starting_left > 0 {
            *starting_left -= 1;
        }
        if *offline_left == 0 && *starting_left == 0 {
            self.status = match seed {
                Some(size) => {
                    self.size = *size;
                    DbStatus::Online
                }
                // As the Operations Manual shows a failed seed ("Create a database from a URI":
                // requestedStatus online, currentStatus offline, this statusMessage).
                None => DbStatus::Failed {
                    message: format!(
                        "Unable to start database `DatabaseId{{{}[{name}]}}`",
                        self.id
                    ),
                },
            };
        }
    }
}

#[derive(Clone, Debug)]
struct SimServer {
    id: String,
    ordinal: u32,
    /// The server identity lives on the member's disk: uid of the claim it was created on.
    claim: String,
    state: ServerState,
    /// Observations until a deallocating server's databases have moved away; at 0 it holds only
    /// `system` (and reports Deallocated if it can be reached).
    deallocating_left: u32,
}

impl SimServer {
    /// Still holds its user-database copies (deallocation not finished).
    fn holds_copies(&self) -> bool {
        match self.state {
            ServerState::Enabled | ServerState::Cordoned => true,
            ServerState::Deallocating => self.deallocating_left > 0,
            _ => false,
        }
    }
}

pub struct SimState {
    servers: Vec<SimServer>,
    next_id: u32,
    /// The user databases by name.
    databases: BTreeMap<String, SimDatabase>,
    next_database_id: u32,
    /// Seed URIs the test registered, with the graph each one holds.
    seeds: BTreeMap<String, GraphSize>,
    /// Every statement that changed something or was refused, in order.
    statements: Vec<String>,
    /// Safety violations seen at an observation.
    violations: Vec<String>,
    /// Ready member ordinals at every observation.
    pub ready_history: Vec<BTreeSet<u32>>,
    /// Every database had its quorum once: from then on the invariants must hold (while the
    /// cluster first forms, fewer servers than primaries exist).
    formed: bool,
}

impl SimState {
    /// A cluster as Neo4j sets it up: the default database `neo4j` (3 primaries), empty, online.
    fn new() -> Self {
        let mut state = SimState {
            servers: Vec::new(),
            next_id: 0,
            databases: BTreeMap::new(),
            next_database_id: 0,
            seeds: BTreeMap::new(),
            statements: Vec::new(),
            violations: Vec::new(),
            ready_history: Vec::new(),
            formed: false,
        };
        let id = state.database_id();
        state.databases.insert(
            "neo4j".to_owned(),
            SimDatabase {
                id,
                primaries: 3,
                secondaries: 0,
                size: GraphSize::default(),
                status: DbStatus::Online,
            },
        );
        state
    }

    fn database_id(&mut self) -> String {
        self.next_database_id += 1;
        format!("{:08x}", 0x3fe1_0000 + self.next_database_id)
    }

    /// Requested (primaries, secondaries) of each user database.
    fn topology(&self) -> BTreeMap<String, (u32, u32)> {
        self.databases
            .iter()
            .map(|(name, db)| (name.clone(), (db.primaries, db.secondaries)))
            .collect()
    }

    fn enabled_servers(&self) -> u32 {
        self.servers
            .iter()
            .filter(|v| v.state == ServerState::Enabled)
            .count() as u32
    }

    /// Seeding databases move on by one SHOW DATABASES observation.
    fn observe_databases(&mut self) {
        for (name, db) in &mut self.databases {
            db.progress(name);
        }
    }

    fn create_database_from_seed(
        &mut self,
        database: &str,
        seed_uri: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Result<(), ClientError> {
        self.statements.push(format!(
            "CREATE DATABASE {database} TOPOLOGY {primaries} {secondaries} SEED {seed_uri}"
        ));
        if database == "system" || self.databases.contains_key(database) {
            return Err(neo4j_error(
                EXISTING_DATABASE_FOUND,
                format!(
                    "Failed to create the specified database '{database}': Database already exists."
                ),
            ));
        }
        let enabled = self.enabled_servers();
        if primaries == 0 || primaries + secondaries > enabled {
            return Err(neo4j_error(
                "Neo.ClientError.Cluster.NotEnoughServers",
                format!(
                    "{database} needs {} servers, {enabled} enabled servers",
                    primaries + secondaries
                ),
            ));
        }
        // The seed is only fetched when the database starts: an unknown URI is no error here.
        let seed = self.seeds.get(seed_uri).copied();
        let id = self.database_id();
        self.databases.insert(
            database.to_owned(),
            SimDatabase {
                id,
                primaries,
                secondaries,
                size: GraphSize::default(),
                status: DbStatus::Seeding {
                    offline_left: 0,
                    starting_left: STARTING_OBSERVATIONS,
                    seed,
                },
            },
        );
        Ok(())
    }

    fn recreate_database_from_seed(
        &mut self,
        database: &str,
        seed_uri: &str,
    ) -> Result<(), ClientError> {
        self.statements
            .push(format!("RECREATE DATABASE {database} SEED {seed_uri}"));
        if database == "system" {
            // "The recreate procedure works only for real user databases and not for composite
            // databases, or the system database." (Operations Manual, "Recreate a database")
            return Err(neo4j_error(
                "Neo.ClientError.Procedure.ProcedureCallFailed",
                "Failed to invoke procedure `dbms.cluster.recreateDatabase`: the system database cannot be recreated"
                    .to_owned(),
            ));
        }
        let seed = self.seeds.get(seed_uri).copied();
        let Some(db) = self.databases.get_mut(database) else {
            return Err(not_found(database));
        };
        // The old store is gone from here on.
        db.size = GraphSize::default();
        db.status = DbStatus::Seeding {
            offline_left: RECREATE_OFFLINE_OBSERVATIONS,
            starting_left: STARTING_OBSERVATIONS,
            seed,
        };
        Ok(())
    }

    fn count_graph(&self, database: &str) -> Result<GraphSize, ClientError> {
        let Some(db) = self.databases.get(database) else {
            return Err(not_found(database));
        };
        match db.status {
            DbStatus::Online => Ok(db.size),
            _ => Err(neo4j_error(
                DATABASE_UNAVAILABLE,
                format!("Database '{database}' is unavailable."),
            )),
        }
    }
}

fn no_server(server: &str) -> ClientError {
    neo4j_error(
        "Neo.ClientError.Statement.ArgumentError",
        format!("no server {server}"),
    )
}

fn not_found(database: &str) -> ClientError {
    neo4j_error(DATABASE_NOT_FOUND, format!("Graph not found: {database}"))
}

/// A SIMULATED Neo4j Enterprise cluster whose servers follow the testenv's member pods.
pub struct SimulatedNeo4j {
    client: Client,
    namespace: String,
    cluster: String,
    auto_enable: bool,
    state: Mutex<SimState>,
}

fn neo4j_error(code: &str, message: String) -> ClientError {
    ClientError::Neo4j {
        code: code.to_owned(),
        message,
    }
}

impl SimulatedNeo4j {
    pub fn new(client: Client, namespace: &str, cluster: &str) -> Arc<Self> {
        Arc::new(SimulatedNeo4j {
            client,
            namespace: namespace.to_owned(),
            cluster: cluster.to_owned(),
            auto_enable: true,
            state: Mutex::new(SimState::new()),
        })
    }

    /// Makes `uri` a seed that holds a graph of `size`: a database created or recreated from it
    /// comes online with these counts. Any other URI fails to seed.
    pub fn register_seed(&self, uri: &str, size: GraphSize) {
        self.lock().seeds.insert(uri.to_owned(), size);
    }

    /// Name of the Neo4jCluster whose members this simulation follows.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().expect("simulation state")
    }

    pub fn statements(&self) -> Vec<String> {
        self.lock().statements.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    fn address(&self, ordinal: u32) -> String {
        format!(
            "{c}-{ordinal}.{c}-headless.{ns}.svc.cluster.local:7687",
            c = self.cluster,
            ns = self.namespace
        )
    }

    /// Member ordinal → (pod Ready, uid of its claim), from the testenv.
    async fn members(&self) -> Result<BTreeMap<u32, (bool, String)>, ClientError> {
        let unavailable = |e: kube::Error| ClientError::Unavailable {
            detail: e.to_string(),
        };
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        let list = pods
            .list(
                &ListParams::default()
                    .labels(&format!("app.kubernetes.io/instance={}", self.cluster)),
            )
            .await
            .map_err(unavailable)?;
        let claims: BTreeMap<String, String> =
            Api::<PersistentVolumeClaim>::namespaced(self.client.clone(), &self.namespace)
                .list(&ListParams::default())
                .await
                .map_err(unavailable)?
                .items
                .into_iter()
                .map(|c| (c.name_any(), c.uid().unwrap_or_default()))
                .collect();
        let mut out = BTreeMap::new();
        for pod in list.items {
            let Some(ordinal) = pod
                .name_any()
                .strip_prefix(&format!("{}-", self.cluster))
                .and_then(|o| o.parse::<u32>().ok())
            else {
                continue;
            };
            let ready = pod.metadata.deletion_timestamp.is_none()
                && pod
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            let claim = claims
                .get(&format!("data-{}-{ordinal}", self.cluster))
                .cloned()
                .unwrap_or_default();
            out.insert(ordinal, (ready, claim));
        }
        Ok(out)
    }

    /// Member ordinal → pod Ready.
    async fn pods(&self) -> Result<BTreeMap<u32, bool>, ClientError> {
        Ok(self
            .members()
            .await?
            .into_iter()
            .map(|(o, (ready, _))| (o, ready))
            .collect())
    }

    /// One SHOW DATABASES observation for the given member pods (ordinal → Ready): its rows,
    /// after which seeding databases move on by one step.
    fn observe_databases(&self, pods: &BTreeMap<u32, bool>) -> Vec<DatabaseRecord> {
        // This observation sees the state as it is; seeding then moves on by one step.
        let (servers, databases) = {
            let mut s = self.lock();
            let seen = (s.servers.clone(), s.databases.clone());
            s.observe_databases();
            seen
        };
        let live: Vec<SimServer> = servers
            .into_iter()
            .filter(|v| v.state != ServerState::Dropped)
            .collect();
        let mut rows = Vec::new();
        let mut system_hosts: Vec<(u32, DatabaseRole)> = live
            .iter()
            .map(|v| (v.ordinal, DatabaseRole::Primary))
            .collect();
        system_hosts.sort_by_key(|(o, _)| *o);
        // What Neo4j prints in requestedPrimariesCount for `system` is not documented
        // (UNCONFIRMED); the simulation prints the primaries it has, which the planner ignores.
        let system_primaries = system_hosts.len() as u32;
        let mut all: Vec<Hosted> = vec![(
            "system".to_owned(),
            None,
            DatabaseType::System,
            system_hosts,
            (system_primaries, 0),
        )];
        for (name, db) in &databases {
            all.push((
                name.clone(),
                Some(db),
                DatabaseType::Standard,
                placement(&live, db.primaries, db.secondaries),
                (db.primaries, db.secondaries),
            ));
        }
        for (name, db, db_type, placed, (p, s)) in all {
            let online = db.is_none_or(|db| db.status == DbStatus::Online);
            let leader = placed
                .iter()
                .find(|(o, r)| *r == DatabaseRole::Primary && pods.get(o) == Some(&true))
                .map(|(o, _)| *o);
            for (ordinal, role) in placed {
                let pod_up = pods.get(&ordinal) == Some(&true);
                let up = pod_up && online;
                let id = live
                    .iter()
                    .find(|v| v.ordinal == ordinal)
                    .map(|v| v.id.clone());
                // An offline server's rows: "the address column displays NULL, the
                // currentStatus column displays unknown, and the statusMessage displays Server
                // is unavailable"; a copy that is not online has the role "unknown"
                // (show-databases-monitoring.adoc).
                rows.push(DatabaseRecord {
                    name: name.clone(),
                    db_type: db_type.clone(),
                    address: pod_up.then(|| self.address(ordinal)),
                    server_id: id,
                    role: if up { role } else { DatabaseRole::Unknown },
                    writer: up && leader == Some(ordinal),
                    requested_status: "online".to_owned(),
                    current_status: match db {
                        _ if !pod_up => "unknown",
                        Some(db) => db.current_status(),
                        None => "online",
                    }
                    .to_owned(),
                    status_message: if pod_up {
                        db.map(SimDatabase::status_message).unwrap_or_default()
                    } else {
                        "Server is unavailable".to_owned()
                    },
                    default: name == "neo4j",
                    requested_primaries: Some(p),
                    requested_secondaries: Some(s),
                    current_primaries: None,
                    current_secondaries: None,
                    last_committed_txn: Some(42),
                    replication_lag: Some(0),
                });
            }
        }
        rows
    }

    /// One observation: servers follow the pods, deallocations progress, invariants checked.
    async fn observe(&self) -> Result<(BTreeMap<u32, bool>, Vec<SimServer>), ClientError> {
        let members = self.members().await?;
        Ok(self.observe_members(&members))
    }

    /// [`Self::observe`] for given members (ordinal → (pod Ready, claim uid)).
    fn observe_members(
        &self,
        members: &BTreeMap<u32, (bool, String)>,
    ) -> (BTreeMap<u32, bool>, Vec<SimServer>) {
        let pods: BTreeMap<u32, bool> = members.iter().map(|(o, (r, _))| (*o, *r)).collect();
        let mut s = self.lock();
        for (&ordinal, (ready, claim)) in members {
            // A started member runs the server stored on its disk; a new disk, a new server.
            let known = s.servers.iter().any(|v| &v.claim == claim);
            if *ready && !claim.is_empty() && !known {
                s.next_id += 1;
                let id = format!("sim-server-{}", s.next_id);
                let state = if self.auto_enable {
                    ServerState::Enabled
                } else {
                    ServerState::Free
                };
                s.servers.push(SimServer {
                    id,
                    ordinal,
                    claim: claim.clone(),
                    state,
                    deallocating_left: 0,
                });
            }
        }
        for server in &mut s.servers {
            if server.state == ServerState::Deallocating {
                server.deallocating_left = server.deallocating_left.saturating_sub(1);
                // The other servers take the copies over whether or not this one can be reached;
                // only a server that is reachable reports itself Deallocated. One that is gone
                // stays Deallocating, holding nothing but `system`, until it is dropped
                // (disaster-recovery.adoc, "Make servers available": "For each deallocating or
                // deallocated server, run DROP SERVER").
                if server.deallocating_left == 0 && pods.get(&server.ordinal) == Some(&true) {
                    server.state = ServerState::Deallocated;
                }
            }
        }
        let live: Vec<SimServer> = s
            .servers
            .iter()
            .filter(|v| v.state != ServerState::Dropped)
            .cloned()
            .collect();
        let down: Vec<u32> = live
            .iter()
            .filter(|v| pods.get(&v.ordinal) != Some(&true))
            .map(|v| v.ordinal)
            .collect();
        if down.len() > 1 && s.formed {
            s.violations
                .push(format!("members {down:?} down at the same time"));
        }
        let ready: BTreeSet<u32> = pods.iter().filter(|(_, r)| **r).map(|(o, _)| *o).collect();
        s.ready_history.push(ready);
        let servers = s.servers.clone();
        let topology = s.topology();
        let mut quorum_everywhere = true;
        for (db, (primaries, _)) in &topology {
            let placed = placement(&servers, *primaries, 0);
            let available = placed
                .iter()
                .filter(|(o, role)| *role == DatabaseRole::Primary && pods.get(o) == Some(&true))
                .count() as u32;
            if available < primaries / 2 + 1 {
                quorum_everywhere = false;
                if s.formed {
                    s.violations.push(format!(
                        "{db}: {available} of {primaries} primaries available (below quorum)"
                    ));
                }
            }
        }
        // `system`: a primary on every server that is not dropped, each available while its
        // pod is Ready.
        let system_available = live
            .iter()
            .filter(|v| pods.get(&v.ordinal) == Some(&true))
            .count() as u32;
        let system_primaries = live.len() as u32;
        if system_available < system_primaries / 2 + 1 {
            quorum_everywhere = false;
            if s.formed {
                s.violations.push(format!(
                    "system: {system_available} of {system_primaries} primaries available (below quorum)"
                ));
            }
        }
        s.formed |= quorum_everywhere;
        (pods, servers)
    }

    /// `DROP SERVER` with the given member pods (ordinal → Ready).
    fn drop_with(&self, server: &str, pods: &BTreeMap<u32, bool>) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("DROP {server}"));
        match s.servers.iter_mut().find(|v| v.id == server) {
            Some(v) if v.state == ServerState::Deallocated => {
                v.state = ServerState::Dropped;
                Ok(())
            }
            Some(v)
                if v.state == ServerState::Deallocating
                    && pods.get(&v.ordinal) != Some(&true)
                    && !v.holds_copies() =>
            {
                v.state = ServerState::Dropped;
                Ok(())
            }
            Some(v) => Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!(
                    "cannot drop server {server}: it is {:?}{}",
                    v.state,
                    if v.holds_copies() {
                        " and still hosts databases"
                    } else {
                        ""
                    }
                ),
            )),
            None => Err(no_server(server)),
        }
    }

    /// SHOW SERVERS rows for the observed pods and servers.
    fn server_rows(&self, pods: &BTreeMap<u32, bool>, servers: &[SimServer]) -> Vec<ServerRecord> {
        let topology = self.lock().topology();
        servers
            .iter()
            // A dropped server whose process stopped leaves SHOW SERVERS.
            .filter(|v| v.state != ServerState::Dropped || pods.get(&v.ordinal) == Some(&true))
            .map(|v| {
                let mut hosting = vec!["system".to_owned()];
                for (db, (p, s)) in &topology {
                    if placement(servers, *p, *s)
                        .iter()
                        .any(|(o, _)| *o == v.ordinal)
                    {
                        hosting.push(db.clone());
                    }
                }
                ServerRecord {
                    server_id: v.id.clone(),
                    name: v.id.clone(),
                    address: Some(self.address(v.ordinal)),
                    state: v.state.clone(),
                    health: if pods.get(&v.ordinal) == Some(&true) {
                        Health::Available
                    } else {
                        Health::Unavailable
                    },
                    hosting: hosting.clone(),
                    requested_hosting: hosting,
                    mode_constraint: Some("NONE".to_owned()),
                    version: Some("5.26.16".to_owned()),
                }
            })
            .collect()
    }
}

/// A database: name, its state (none for `system`), type, where its copies are, requested
/// (primaries, secondaries).
type Hosted<'a> = (
    String,
    Option<&'a SimDatabase>,
    DatabaseType,
    Vec<(u32, DatabaseRole)>,
    (u32, u32),
);

/// Where a topology's copies are: primaries first, then secondaries, over the servers that
/// host (Enabled, or Cordoned: a cordoned server keeps its allocations, clustering/servers.adoc,
/// "Cordoned state"), lowest ordinal first; a Deallocating server keeps a copy until the move
/// finished.
fn placement(servers: &[SimServer], primaries: u32, secondaries: u32) -> Vec<(u32, DatabaseRole)> {
    let mut hosts: Vec<&SimServer> = servers
        .iter()
        .filter(|v| matches!(v.state, ServerState::Enabled | ServerState::Cordoned))
        .collect();
    hosts.sort_by_key(|v| v.ordinal);
    let mut out: Vec<(u32, DatabaseRole)> = hosts
        .iter()
        .take(primaries as usize)
        .map(|v| (v.ordinal, DatabaseRole::Primary))
        .collect();
    out.extend(
        hosts
            .iter()
            .skip(primaries as usize)
            .take(secondaries as usize)
            .map(|v| (v.ordinal, DatabaseRole::Secondary)),
    );
    // A server still Deallocating keeps its copy until the move completes.
    for v in servers
        .iter()
        .filter(|v| v.state == ServerState::Deallocating && v.holds_copies())
    {
        out.push((v.ordinal, DatabaseRole::Secondary));
    }
    out
}

impl AdminClient for SimulatedNeo4j {
    async fn show_servers(&self) -> Result<Vec<ServerRecord>, ClientError> {
        let (pods, servers) = self.observe().await?;
        Ok(self.server_rows(&pods, &servers))
    }

    async fn show_databases(&self) -> Result<Vec<DatabaseRecord>, ClientError> {
        let pods = self.pods().await?;
        Ok(self.observe_databases(&pods))
    }

    async fn status_check(
        &self,
        _databases: &[String],
        _replication_timeout: Duration,
    ) -> Result<Vec<StatusCheckRecord>, ClientError> {
        Err(ClientError::Unsupported {
            what: "dbms.cluster.statusCheck".to_owned(),
            detail: "not simulated".to_owned(),
        })
    }

    /// `ENABLE SERVER`: a Free server becomes Enabled; a Cordoned one returns to Enabled
    /// (clustering/servers.adoc, "Cordoned state"; the lifecycle diagram has ENABLE SERVER from
    /// Free and from Cordoned).
    async fn enable_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("ENABLE SERVER {server}"));
        match s.servers.iter_mut().find(|v| v.id == server) {
            Some(v) if matches!(v.state, ServerState::Free | ServerState::Cordoned) => {
                v.state = ServerState::Enabled;
                Ok(())
            }
            Some(v) if v.state == ServerState::Enabled => Ok(()),
            Some(v) => Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!("server {server} is {:?}", v.state),
            )),
            None => Err(no_server(server)),
        }
    }

    /// `CALL dbms.cluster.cordonServer`: Enabled → Cordoned, whether or not the server can be
    /// reached (the lost-server procedure cordons "each Unavailable server",
    /// clustering/multi-region-deployment/disaster-recovery.adoc, "Make servers available").
    /// The lifecycle diagram (clustering/servers.adoc) has the transition only from Enabled;
    /// anything else is refused here (what Neo4j answers there is UNCONFIRMED).
    async fn cordon_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("CORDON {server}"));
        match s.servers.iter_mut().find(|v| v.id == server) {
            Some(v) if v.state == ServerState::Enabled => {
                v.state = ServerState::Cordoned;
                Ok(())
            }
            Some(v) => Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!("cannot cordon server {server}: it is {:?}", v.state),
            )),
            None => Err(no_server(server)),
        }
    }

    /// `DEALLOCATE DATABASES FROM SERVER`: from Enabled or Cordoned (the lifecycle diagram,
    /// clustering/servers.adoc), also for a server that is unavailable (disaster-recovery.adoc,
    /// "Make servers available": "For each Cordoned server, run DEALLOCATE DATABASES FROM
    /// SERVER"); refused when the remaining servers cannot hold a database's topology ("fails
    /// with an error and no changes are made", servers.adoc, "Deallocating databases from a
    /// server").
    async fn deallocate_databases_from_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("DEALLOCATE {server}"));
        let Some(index) = s.servers.iter().position(|v| v.id == server) else {
            return Err(no_server(server));
        };
        if !matches!(
            s.servers[index].state,
            ServerState::Enabled | ServerState::Cordoned
        ) {
            return Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!("server {server} is {:?}", s.servers[index].state),
            ));
        }
        let remaining = s
            .servers
            .iter()
            .filter(|v| v.id != server && v.state == ServerState::Enabled)
            .count() as u32;
        for (db, (p, sec)) in &s.topology() {
            if p + sec > remaining {
                return Err(neo4j_error(
                    "Neo.ClientError.Cluster.NotEnoughServers",
                    format!("{db} needs {} servers, {remaining} would remain", p + sec),
                ));
            }
        }
        s.servers[index].state = ServerState::Deallocating;
        s.servers[index].deallocating_left = DEALLOCATING_OBSERVATIONS;
        Ok(())
    }

    /// `DROP SERVER`: from Deallocated (clustering/servers.adoc, "Dropped state"), or from
    /// Deallocating when the server is unavailable and holds no user-database allocation any
    /// more (disaster-recovery.adoc, "Make servers available": "For each deallocating or
    /// deallocated server, run DROP SERVER"; the exact rule Neo4j applies is UNCONFIRMED).
    async fn drop_server(&self, server: &str) -> Result<(), ClientError> {
        let pods = self.pods().await?;
        self.drop_with(server, &pods)
    }

    async fn alter_database_topology(
        &self,
        database: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!(
            "ALTER DATABASE {database} SET TOPOLOGY {primaries} {secondaries}"
        ));
        let enabled = s.enabled_servers();
        if primaries + secondaries > enabled {
            return Err(neo4j_error(
                "Neo.ClientError.Cluster.NotEnoughServers",
                format!("{enabled} enabled servers"),
            ));
        }
        let Some(db) = s.databases.get_mut(database) else {
            return Err(not_found(database));
        };
        db.primaries = primaries;
        db.secondaries = secondaries;
        Ok(())
    }

    async fn create_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Result<(), ClientError> {
        self.lock()
            .create_database_from_seed(database, seed_uri, primaries, secondaries)
    }

    async fn recreate_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
    ) -> Result<(), ClientError> {
        self.lock().recreate_database_from_seed(database, seed_uri)
    }

    async fn count_graph(&self, database: &str) -> Result<GraphSize, ClientError> {
        self.lock().count_graph(database)
    }
}

/// The database life cycle of the simulation, without the testenv: servers are put in directly
/// (as if their pods were Ready) and SHOW DATABASES is observed for given pods. The kube client
/// points nowhere and is never called by what these tests use.
#[cfg(test)]
mod tests {
    use super::*;

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
    fn observed(
        sim: &SimulatedNeo4j,
        pods: &BTreeMap<u32, bool>,
        database: &str,
    ) -> (String, String) {
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
}
