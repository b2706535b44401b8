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
mod admin_client;
mod errors;
mod state;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use neo4j_aks_topology::ClientError;
use neo4j_aks_topology::records::{
    DatabaseRecord, DatabaseRole, DatabaseType, GraphSize, Health, ServerRecord, ServerState,
};

use errors::{neo4j_error, no_server};
pub use state::SimState;
use state::{DbStatus, Hosted, SimDatabase, SimServer, placement};

/// A SIMULATED Neo4j Enterprise cluster whose servers follow the testenv's member pods.
pub struct SimulatedNeo4j {
    client: Client,
    namespace: String,
    cluster: String,
    auto_enable: bool,
    state: Mutex<SimState>,
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
