//! [`SimulatedNeo4j`]: an in-process SIMULATION of a Neo4j Enterprise cluster for the operator's
//! and the CLI's tests (feature `simulated-neo4j`), because the testenv's kwok nodes run no containers, so no Neo4j server can answer Bolt
//! there. It is not a stub: its servers appear only for member pods that exist and are Ready on
//! the testenv (a server's identity lives on the member's claim, as Neo4j keeps it on disk), it
//! applies ENABLE / DEALLOCATE / DROP / ALTER as the Operations Manual describes them (DEALLOCATE
//! refused when the remaining servers cannot hold a topology or the server is not enabled, DROP
//! only for a Deallocated server, Deallocating lasting a few observations, a deallocated server
//! still hosting `system`), it records every statement, and once the cluster has formed it checks
//! at every observation that at most one member is down and every database keeps its quorum.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use neo4j_aks_topology::records::{
    DatabaseRecord, DatabaseRole, DatabaseType, Health, ServerRecord, ServerState,
    StatusCheckRecord,
};
use neo4j_aks_topology::{AdminClient, ClientError};

/// Observations a server stays `Deallocating` before it reports `Deallocated`.
const DEALLOCATING_OBSERVATIONS: u32 = 3;

#[derive(Clone, Debug)]
struct SimServer {
    id: String,
    ordinal: u32,
    /// The server identity lives on the member's disk: uid of the claim it was created on.
    claim: String,
    state: ServerState,
    deallocating_left: u32,
}

#[derive(Default)]
pub struct SimState {
    servers: Vec<SimServer>,
    next_id: u32,
    /// Requested (primaries, secondaries) of each user database.
    topology: BTreeMap<String, (u32, u32)>,
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
        let mut state = SimState::default();
        state.topology.insert("neo4j".to_owned(), (3, 0));
        Arc::new(SimulatedNeo4j {
            client,
            namespace: namespace.to_owned(),
            cluster: cluster.to_owned(),
            auto_enable: true,
            state: Mutex::new(state),
        })
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

    /// One observation: servers follow the pods, deallocations progress, invariants checked.
    async fn observe(&self) -> Result<(BTreeMap<u32, bool>, Vec<SimServer>), ClientError> {
        let members = self.members().await?;
        let pods: BTreeMap<u32, bool> = members.iter().map(|(o, (r, _))| (*o, *r)).collect();
        let mut s = self.lock();
        for (&ordinal, (ready, claim)) in &members {
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
                if server.deallocating_left == 0 {
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
            .filter(|v| matches!(v.state, ServerState::Enabled))
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
        let topology = s.topology.clone();
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
        s.formed |= quorum_everywhere;
        Ok((pods, servers))
    }
}

/// A database: name, type, where its copies are, requested (primaries, secondaries).
type Hosted = (String, DatabaseType, Vec<(u32, DatabaseRole)>, (u32, u32));

/// Where a topology's copies are: primaries first, then secondaries, over the servers that
/// can host (Enabled, or Deallocating until the move finished), lowest ordinal first.
fn placement(servers: &[SimServer], primaries: u32, secondaries: u32) -> Vec<(u32, DatabaseRole)> {
    let mut hosts: Vec<&SimServer> = servers
        .iter()
        .filter(|v| matches!(v.state, ServerState::Enabled))
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
        .filter(|v| v.state == ServerState::Deallocating)
    {
        out.push((v.ordinal, DatabaseRole::Secondary));
    }
    out
}

impl AdminClient for SimulatedNeo4j {
    async fn show_servers(&self) -> Result<Vec<ServerRecord>, ClientError> {
        let (pods, servers) = self.observe().await?;
        let topology = self.lock().topology.clone();
        Ok(servers
            .iter()
            // A dropped server whose process stopped leaves SHOW SERVERS.
            .filter(|v| v.state != ServerState::Dropped || pods.get(&v.ordinal) == Some(&true))
            .map(|v| {
                let mut hosting = vec!["system".to_owned()];
                for (db, (p, s)) in &topology {
                    if placement(&servers, *p, *s)
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
            .collect())
    }

    async fn show_databases(&self) -> Result<Vec<DatabaseRecord>, ClientError> {
        let pods = self.pods().await?;
        let (servers, topology) = {
            let s = self.lock();
            (s.servers.clone(), s.topology.clone())
        };
        let live: Vec<SimServer> = servers
            .into_iter()
            .filter(|v| v.state != ServerState::Dropped)
            .collect();
        let mut rows = Vec::new();
        let system_primaries = live.len().min(3) as u32;
        let mut all: Vec<Hosted> = vec![(
            "system".to_owned(),
            DatabaseType::System,
            {
                let mut sorted: Vec<&SimServer> = live.iter().collect();
                sorted.sort_by_key(|v| v.ordinal);
                sorted
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let role = if (i as u32) < system_primaries {
                            DatabaseRole::Primary
                        } else {
                            DatabaseRole::Secondary
                        };
                        (v.ordinal, role)
                    })
                    .collect()
            },
            (system_primaries, 0),
        )];
        for (db, (p, s)) in &topology {
            all.push((
                db.clone(),
                DatabaseType::Standard,
                placement(&live, *p, *s),
                (*p, *s),
            ));
        }
        for (name, db_type, placed, (p, s)) in all {
            let leader = placed
                .iter()
                .find(|(o, r)| *r == DatabaseRole::Primary && pods.get(o) == Some(&true))
                .map(|(o, _)| *o);
            for (ordinal, role) in placed {
                let up = pods.get(&ordinal) == Some(&true);
                let id = live
                    .iter()
                    .find(|v| v.ordinal == ordinal)
                    .map(|v| v.id.clone());
                rows.push(DatabaseRecord {
                    name: name.clone(),
                    db_type: db_type.clone(),
                    address: up.then(|| self.address(ordinal)),
                    server_id: id,
                    role: if up { role } else { DatabaseRole::Unknown },
                    writer: up && leader == Some(ordinal),
                    requested_status: "online".to_owned(),
                    current_status: if up { "online" } else { "unknown" }.to_owned(),
                    status_message: String::new(),
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
        Ok(rows)
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
            None => Err(neo4j_error(
                "Neo.ClientError.Statement.ArgumentError",
                format!("no server {server}"),
            )),
        }
    }

    async fn deallocate_databases_from_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("DEALLOCATE {server}"));
        let Some(index) = s.servers.iter().position(|v| v.id == server) else {
            return Err(neo4j_error(
                "Neo.ClientError.Statement.ArgumentError",
                format!("no server {server}"),
            ));
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
        for (db, (p, sec)) in &s.topology {
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

    async fn drop_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("DROP {server}"));
        match s.servers.iter_mut().find(|v| v.id == server) {
            Some(v) if v.state == ServerState::Deallocated => {
                v.state = ServerState::Dropped;
                Ok(())
            }
            Some(v) => Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!(
                    "only a Deallocated server can be dropped; {server} is {:?}",
                    v.state
                ),
            )),
            None => Err(neo4j_error(
                "Neo.ClientError.Statement.ArgumentError",
                format!("no server {server}"),
            )),
        }
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
        let enabled = s
            .servers
            .iter()
            .filter(|v| v.state == ServerState::Enabled)
            .count() as u32;
        if primaries + secondaries > enabled {
            return Err(neo4j_error(
                "Neo.ClientError.Cluster.NotEnoughServers",
                format!("{enabled} enabled servers"),
            ));
        }
        s.topology
            .insert(database.to_owned(), (primaries, secondaries));
        Ok(())
    }
}
