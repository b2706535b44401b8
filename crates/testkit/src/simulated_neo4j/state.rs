//! What the simulated cluster holds: servers, user databases and seeds, and how each moves on
//! from one observation to the next.
use std::collections::{BTreeMap, BTreeSet};

use neo4j_aks_topology::ClientError;
use neo4j_aks_topology::records::{DatabaseRole, DatabaseType, GraphSize, ServerState};

use super::errors::{DATABASE_UNAVAILABLE, EXISTING_DATABASE_FOUND, neo4j_error, not_found};

/// Observations a server stays `Deallocating` before it reports `Deallocated`.
pub(super) const DEALLOCATING_OBSERVATIONS: u32 = 3;
/// Observations a seeded database reports `starting` (fetching and loading its seed).
pub(super) const STARTING_OBSERVATIONS: u32 = 2;
/// Observations a recreated database reports `offline` (its old store being replaced).
pub(super) const RECREATE_OFFLINE_OBSERVATIONS: u32 = 1;

/// Where a user database is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum DbStatus {
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
pub(super) struct SimDatabase {
    /// Hex prefix Neo4j prints in `DatabaseId{…[name]}`.
    pub(super) id: String,
    pub(super) primaries: u32,
    pub(super) secondaries: u32,
    pub(super) size: GraphSize,
    pub(super) status: DbStatus,
}

impl SimDatabase {
    pub(super) fn current_status(&self) -> &'static str {
        match &self.status {
            DbStatus::Seeding {
                offline_left: 1.., ..
            } => "offline",
            DbStatus::Seeding { .. } => "starting",
            DbStatus::Online => "online",
            DbStatus::Failed { .. } => "offline",
        }
    }

    pub(super) fn status_message(&self) -> String {
        match &self.status {
            DbStatus::Failed { message } => message.clone(),
            _ => String::new(),
        }
    }

    /// One observation later.
    pub(super) fn progress(&mut self, name: &str) {
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
pub(super) struct SimServer {
    pub(super) id: String,
    pub(super) ordinal: u32,
    /// The server identity lives on the member's disk: uid of the claim it was created on.
    pub(super) claim: String,
    pub(super) state: ServerState,
    /// Observations until a deallocating server's databases have moved away; at 0 it holds only
    /// `system` (and reports Deallocated if it can be reached).
    pub(super) deallocating_left: u32,
}

impl SimServer {
    /// Still holds its user-database copies (deallocation not finished).
    pub(super) fn holds_copies(&self) -> bool {
        match self.state {
            ServerState::Enabled | ServerState::Cordoned => true,
            ServerState::Deallocating => self.deallocating_left > 0,
            _ => false,
        }
    }
}

pub struct SimState {
    pub(super) servers: Vec<SimServer>,
    pub(super) next_id: u32,
    /// The user databases by name.
    pub(super) databases: BTreeMap<String, SimDatabase>,
    pub(super) next_database_id: u32,
    /// Seed URIs the test registered, with the graph each one holds.
    pub(super) seeds: BTreeMap<String, GraphSize>,
    /// Every statement that changed something or was refused, in order.
    pub(super) statements: Vec<String>,
    /// Safety violations seen at an observation.
    pub(super) violations: Vec<String>,
    /// Ready member ordinals at every observation.
    pub ready_history: Vec<BTreeSet<u32>>,
    /// Every database had its quorum once: from then on the invariants must hold (while the
    /// cluster first forms, fewer servers than primaries exist).
    pub(super) formed: bool,
}

impl SimState {
    /// A cluster as Neo4j sets it up: the default database `neo4j` (3 primaries), empty, online.
    pub(super) fn new() -> Self {
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

    pub(super) fn database_id(&mut self) -> String {
        self.next_database_id += 1;
        format!("{:08x}", 0x3fe1_0000 + self.next_database_id)
    }

    /// Requested (primaries, secondaries) of each user database.
    pub(super) fn topology(&self) -> BTreeMap<String, (u32, u32)> {
        self.databases
            .iter()
            .map(|(name, db)| (name.clone(), (db.primaries, db.secondaries)))
            .collect()
    }

    pub(super) fn enabled_servers(&self) -> u32 {
        self.servers
            .iter()
            .filter(|v| v.state == ServerState::Enabled)
            .count() as u32
    }

    /// Seeding databases move on by one SHOW DATABASES observation.
    pub(super) fn observe_databases(&mut self) {
        for (name, db) in &mut self.databases {
            db.progress(name);
        }
    }

    pub(super) fn create_database_from_seed(
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

    pub(super) fn recreate_database_from_seed(
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

    pub(super) fn count_graph(&self, database: &str) -> Result<GraphSize, ClientError> {
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

/// A database: name, its state (none for `system`), type, where its copies are, requested
/// (primaries, secondaries).
pub(super) type Hosted<'a> = (
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
pub(super) fn placement(
    servers: &[SimServer],
    primaries: u32,
    secondaries: u32,
) -> Vec<(u32, DatabaseRole)> {
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
