//! Day-2 operations end to end: the operator against the real testenv API server, with the
//! Neo4j side played by [`SimulatedNeo4j`] — an in-process SIMULATION, because the testenv's
//! kwok nodes run no containers, so no Neo4j server can answer Bolt there. The simulation is
//! not a stub: its servers appear only for member pods that exist and are Ready on the testenv,
//! it applies ENABLE / DEALLOCATE / DROP / ALTER as the Operations Manual describes them
//! (DEALLOCATE refused when the remaining servers cannot hold a topology or the server is not
//! enabled, DROP only for a Deallocated server, Deallocating lasting a few observations), it
//! records every statement, and it checks at every observation that at most one member is down
//! and that every database keeps its primaries' quorum.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_ops::neo4j::{Admin, Connector, Target};
use neo4j_aks_topology::records::{
    DatabaseRecord, DatabaseRole, DatabaseType, Health, ServerRecord, ServerState,
    StatusCheckRecord,
};
use neo4j_aks_topology::{AdminClient, ClientError};
use support::Harness;

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
struct SimState {
    servers: Vec<SimServer>,
    next_id: u32,
    /// Requested (primaries, secondaries) of each user database.
    topology: BTreeMap<String, (u32, u32)>,
    /// Every statement that changed something or was refused, in order.
    statements: Vec<String>,
    /// Safety violations seen at an observation.
    violations: Vec<String>,
    /// Ready member ordinals at every observation.
    ready_history: Vec<BTreeSet<u32>>,
}

/// A SIMULATED Neo4j Enterprise cluster whose servers follow the testenv's member pods.
struct SimulatedNeo4j {
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
    fn new(client: Client, namespace: &str, cluster: &str) -> Arc<Self> {
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

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().expect("simulation state")
    }

    fn statements(&self) -> Vec<String> {
        self.lock().statements.clone()
    }

    fn violations(&self) -> Vec<String> {
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
        if down.len() > 1 {
            s.violations
                .push(format!("members {down:?} down at the same time"));
        }
        let ready: BTreeSet<u32> = pods.iter().filter(|(_, r)| **r).map(|(o, _)| *o).collect();
        s.ready_history.push(ready);
        let servers = s.servers.clone();
        let topology = s.topology.clone();
        for (db, (primaries, _)) in &topology {
            let placed = placement(&servers, *primaries, 0);
            let available = placed
                .iter()
                .filter(|(o, role)| *role == DatabaseRole::Primary && pods.get(o) == Some(&true))
                .count() as u32;
            if available < primaries / 2 + 1 {
                s.violations.push(format!(
                    "{db}: {available} of {primaries} primaries available (below quorum)"
                ));
            }
        }
        Ok((pods, servers))
    }
}

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
        let mut all: Vec<(String, DatabaseType, Vec<(u32, DatabaseRole)>, (u32, u32))> = vec![(
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

/// Hands the same simulated cluster to every operator instance.
struct SimConnector(Arc<SimulatedNeo4j>);

impl Connector for SimConnector {
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Arc<dyn Admin>, ClientError>> {
        async move {
            assert_eq!(target.cluster, self.0.cluster);
            assert_eq!(target.credentials.user(), "neo4j");
            Ok(self.0.clone() as Arc<dyn Admin>)
        }
        .boxed()
    }
}

fn status_of(c: &Neo4jCluster) -> neo4j_aks_model::Neo4jClusterStatus {
    c.status.clone().unwrap_or_default()
}

fn condition(c: &Neo4jCluster, t: &str) -> Option<(String, String, String)> {
    status_of(c)
        .conditions
        .iter()
        .find(|x| x.type_ == t)
        .map(|x| (x.status.clone(), x.reason.clone(), x.message.clone()))
}

fn next_step(c: &Neo4jCluster) -> String {
    status_of(c)
        .next_step
        .map(|n| format!("{} {:?}: {}", n.action, n.member, n.reason))
        .unwrap_or_else(|| "-".to_owned())
}

async fn annotate(h: &Harness, key: &str, value: Option<&str>) {
    h.clusters()
        .patch(
            &h.name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"annotations": {key: value}}})),
        )
        .await
        .expect("annotate");
}

async fn replicas(h: &Harness) -> Option<i32> {
    h.api::<StatefulSet>()
        .get("db")
        .await
        .ok()
        .and_then(|s| s.spec.and_then(|s| s.replicas))
}

/// Ready with `n` members, Neo4j's view formed, the planner done.
async fn wait_settled(h: &Harness, n: i32) -> Neo4jCluster {
    h.wait_status(&format!("{n} members, ClusterFormed, planner Done"), |c| {
        let s = status_of(c);
        let formed = condition(c, "ClusterFormed").map(|x| x.0);
        let ok = s.phase.as_deref() == Some("Ready")
            && s.ready_members == Some(n)
            && formed.as_deref() == Some("True")
            && s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
            && s.observed_generation == c.metadata.generation;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "phase {:?}, ready {:?}, formed {formed:?}, next {}",
                s.phase,
                s.ready_members,
                next_step(c)
            ))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_3_to_5_to_3_with_an_operator_restart_at_every_step() {
    let Some(mut h) = Harness::new("day2_scale").await else {
        return;
    };
    let sim = SimulatedNeo4j::new(h.client(), h.ns(), &h.name);
    let connector: Arc<dyn Connector> = Arc::new(SimConnector(sim.clone()));
    h.start_operator_with(connector.clone()).await;
    h.create(&h.spec("")).await;
    let c = wait_settled(&h, 3).await;
    let s = status_of(&c);
    assert!(
        s.members
            .iter()
            .all(|m| m.server_state.as_deref() == Some("Enabled")
                && m.health.as_deref() == Some("Available")
                && m.server_id.is_some()),
        "{:#?}",
        s.members
    );
    let neo4j = s
        .databases
        .iter()
        .find(|d| d.name == "neo4j")
        .expect("neo4j reported");
    assert!(neo4j.quorum && neo4j.primaries == 3 && neo4j.primaries_available == 3);
    assert_eq!(neo4j.leader.as_deref(), Some("db-0"));

    // Scale up: the StatefulSet grows by apply, the planner aligns neo4j to 3 + 2.
    h.patch_spec(serde_json::json!({"nodeCount": 5})).await;
    wait_settled(&h, 5).await;
    assert!(
        sim.statements()
            .contains(&"ALTER DATABASE neo4j SET TOPOLOGY 3 2".to_owned()),
        "{:?}",
        sim.statements()
    );
    let servers_before: BTreeMap<u32, String> =
        status_of(&h.clusters().get("db").await.expect("get"))
            .members
            .iter()
            .filter_map(|m| Some((m.ordinal?, m.server_id.clone()?)))
            .collect();

    // Scale down without confirmation: refused, with exactly what to set; nothing removed.
    h.patch_spec(serde_json::json!({"nodeCount": 3})).await;
    let c = h
        .wait_status("ScaleDownPending=True Refused", |c| {
            match condition(c, "ScaleDownPending") {
                Some((s, r, _)) if s == "True" && r == "Refused" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let (_, _, message) = condition(&c, "ScaleDownPending").expect("condition");
    assert!(
        message.contains("spec.nodeCount is 3 but 5 members run")
            && message.contains("neo4j-aks.io/confirm-scale-down: \"3\""),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(replicas(&h).await, Some(5));
    assert!(
        !sim.statements().iter().any(|s| s.starts_with("DEALLOCATE")),
        "{:?}",
        sim.statements()
    );

    // Confirm, and restart the operator at every change of its decision or record.
    annotate(&h, "neo4j-aks.io/confirm-scale-down", Some("3")).await;
    let api = h.clusters();
    let mut last = String::new();
    let mut restarts = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "scale-down did not finish; statements {:?}",
            sim.statements()
        );
        let c = api.get("db").await.expect("get");
        let s = status_of(&c);
        let seen = format!(
            "{} | {:?} | {:?}",
            next_step(&c),
            s.operation.as_ref().map(|o| (o.kind, o.member, o.phase)),
            replicas(&h).await
        );
        if seen != last {
            last = seen;
            h.stop_operators();
            h.start_operator_with(connector.clone()).await;
            restarts += 1;
        }
        let done = s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
            && s.ready_members == Some(3)
            && replicas(&h).await == Some(3)
            && s.operation.is_none();
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(restarts >= 6, "only {restarts} operator restarts");
    let c = wait_settled(&h, 3).await;

    // Each removed server: one DEALLOCATE and one DROP, highest ordinal first.
    let statements = sim.statements();
    let count = |s: &str| statements.iter().filter(|x| *x == s).count();
    for ordinal in [4u32, 3] {
        let id = &servers_before[&ordinal];
        assert_eq!(count(&format!("DEALLOCATE {id}")), 1, "{statements:?}");
        assert_eq!(count(&format!("DROP {id}")), 1, "{statements:?}");
    }
    let order: Vec<&String> = statements
        .iter()
        .filter(|s| s.starts_with("DEALLOCATE") || s.starts_with("DROP"))
        .collect();
    assert_eq!(
        order,
        [
            &format!("DEALLOCATE {}", servers_before[&4]),
            &format!("DROP {}", servers_before[&4]),
            &format!("DEALLOCATE {}", servers_before[&3]),
            &format!("DROP {}", servers_before[&3]),
        ],
        "{statements:?}"
    );
    assert!(
        statements.contains(&"ALTER DATABASE neo4j SET TOPOLOGY 3 0".to_owned()),
        "{statements:?}"
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());

    // The claims of removed members stay and are reported.
    let claims: Vec<String> = h
        .api::<PersistentVolumeClaim>()
        .list(&ListParams::default())
        .await
        .expect("claims")
        .items
        .iter()
        .map(|c| c.name_any())
        .collect();
    for claim in ["data-db-3", "data-db-4"] {
        assert!(claims.contains(&claim.to_owned()), "{claims:?}");
    }
    let (status, _, message) = condition(&c, "ScaleDownPending").expect("condition");
    assert_eq!(status, "False");
    assert!(
        message.contains("data-db-3") && message.contains("data-db-4"),
        "{message}"
    );
    let s = status_of(&c);
    assert_eq!(s.members.len(), 3);
    assert!(s.operation.is_none());
    assert!(
        s.databases.iter().all(|d| d.quorum && d.status == "online"),
        "{:#?}",
        s.databases
    );
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_annotation_rolls_every_member_one_at_a_time() {
    let Some(mut h) = Harness::new("day2_restart").await else {
        return;
    };
    let sim = SimulatedNeo4j::new(h.client(), h.ns(), &h.name);
    h.start_operator_with(Arc::new(SimConnector(sim.clone())))
        .await;
    h.create(&h.spec("")).await;
    wait_settled(&h, 3).await;
    let pods = h.api::<Pod>();
    let uids = |list: Vec<Pod>| -> BTreeMap<String, String> {
        list.into_iter()
            .map(|p| (p.name_any(), p.uid().unwrap_or_default()))
            .collect()
    };
    let before = uids(pods.list(&ListParams::default()).await.expect("pods").items);
    assert_eq!(before.len(), 3);
    let sts = h.api::<StatefulSet>().get("db").await.expect("sts");
    assert_eq!(
        sts.spec
            .and_then(|s| s.update_strategy)
            .and_then(|u| u.type_)
            .as_deref(),
        Some("OnDelete")
    );

    sim.lock().ready_history.clear();
    annotate(
        &h,
        "neo4j-aks.io/restart-requested-at",
        Some("2026-11-26T13:00:00Z"),
    )
    .await;
    let api = h.clusters();
    let c = neo4j_aks_testkit::wait_until(
        Duration::from_secs(120),
        "every pod recreated and the planner done",
        || {
            let (api, pods, before) = (api.clone(), pods.clone(), before.clone());
            async move {
                let c = api.get("db").await.map_err(|e| e.to_string())?;
                let after = pods
                    .list(&ListParams::default())
                    .await
                    .map_err(|e| e.to_string())?;
                let after: BTreeMap<String, String> = after
                    .items
                    .into_iter()
                    .map(|p| (p.name_any(), p.uid().unwrap_or_default()))
                    .collect();
                let same: Vec<&String> = before
                    .iter()
                    .filter(|(name, uid)| after.get(*name) == Some(*uid))
                    .map(|(name, _)| name)
                    .collect();
                let s = status_of(&c);
                let done = s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
                    && s.operation.is_none()
                    && s.ready_members == Some(3);
                if same.is_empty() && done {
                    Ok(c)
                } else {
                    Err(format!(
                        "not restarted yet: {same:?}; next {}",
                        next_step(&c)
                    ))
                }
            }
        },
    )
    .await;
    // Never two members missing at once at any observation of the simulated Neo4j.
    let history = sim.lock().ready_history.clone();
    assert!(history.iter().all(|ready| ready.len() >= 2), "{history:?}");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert_eq!(
        condition(&c, "ClusterFormed").map(|x| x.0).as_deref(),
        Some("True")
    );
    // A bad timestamp is refused with the field and an example.
    annotate(&h, "neo4j-aks.io/restart-requested-at", Some("yesterday")).await;
    h.wait_status("SpecValid=False for the annotation", |c| {
        match condition(c, "SpecValid") {
            Some((s, _, m)) if s == "False" && m.contains("RFC 3339") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    h.teardown().await;
}
