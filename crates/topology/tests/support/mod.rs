//! A small builder for observed topologies, shared by the planner tests. Members are `m-<i>`,
//! servers `server-<i>` at `m-<i>:7687`.
#![allow(dead_code)]

use neo4j_aks_topology::observed::{MemberIdentity, ObservedTopology, PodObservation};
use neo4j_aks_topology::planner::{Confirmation, Desired};
use neo4j_aks_topology::records::{
    DatabaseRecord, DatabaseRole, DatabaseType, Health, ServerRecord, ServerState,
};

#[derive(Clone, Debug)]
pub struct SimMember {
    pub pod: Option<(bool, String)>,
    pub server: Option<(ServerState, Health)>,
    /// Which instance of the member's pod runs (its uid is [`pod_uid`]`(ordinal, instance)`).
    pub instance: u32,
}

/// The uid of instance `instance` of member `ordinal`'s pod.
pub fn pod_uid(ordinal: u32, instance: u32) -> String {
    format!("uid-m-{ordinal}-{instance}")
}

#[derive(Clone, Debug)]
pub struct SimDb {
    pub name: String,
    pub primaries: Vec<u32>,
    pub secondaries: Vec<u32>,
    pub leader: Option<u32>,
    pub offline_on: Vec<u32>,
    /// Copies in another state than `online` (`dirty`, `quarantined`, ...) on these members.
    pub status_on: Vec<(u32, String)>,
    pub lag: u64,
    pub requested: (u32, u32),
}

#[derive(Clone, Debug)]
pub struct Sim {
    pub members: Vec<SimMember>,
    pub dbs: Vec<SimDb>,
    pub replicas: u32,
    pub now: i64,
    /// Members whose server is a new identity (`server-<i>-new`), as after a replacement.
    pub new_identity: Vec<u32>,
}

pub fn server_id(ordinal: u32) -> String {
    format!("server-{ordinal}")
}

impl Sim {
    /// `n` healthy members on revision `rev`; `neo4j` with min(n,3) primaries on the first
    /// members, the rest secondaries; `system` a primary on every member, as Neo4j hosts it
    /// with `server.cluster.system_database_mode` PRIMARY (the default, and all neo4j-aks
    /// renders); member 0 leads both.
    pub fn healthy(n: u32, rev: &str) -> Self {
        let p = n.min(3);
        let db = |name: &str, p: u32| SimDb {
            name: name.to_owned(),
            primaries: (0..p).collect(),
            secondaries: (p..n).collect(),
            leader: Some(0),
            offline_on: Vec::new(),
            status_on: Vec::new(),
            lag: 0,
            requested: (p, n - p),
        };
        Sim {
            members: (0..n)
                .map(|_| SimMember {
                    pod: Some((true, rev.to_owned())),
                    server: Some((ServerState::Enabled, Health::Available)),
                    instance: 0,
                })
                .collect(),
            dbs: vec![db("system", n), db("neo4j", p)],
            replicas: n,
            now: 1_000,
            new_identity: Vec::new(),
        }
    }

    pub fn db(&mut self, name: &str) -> &mut SimDb {
        self.dbs
            .iter_mut()
            .find(|d| d.name == name)
            .expect("database in sim")
    }

    pub fn member(&mut self, ordinal: u32) -> &mut SimMember {
        &mut self.members[ordinal as usize]
    }

    /// The StatefulSet's new instance of the member's pod (after a delete), on `revision`.
    pub fn recreate_pod(&mut self, ordinal: u32, ready: bool, revision: &str) {
        let m = self.member(ordinal);
        m.instance += 1;
        m.pod = Some((ready, revision.to_owned()));
    }

    /// Takes the member's user databases away; `system` stays, as on a real `Deallocated`
    /// server.
    pub fn evacuate_user_databases(&mut self, ordinal: u32) {
        for db in self.dbs.iter_mut().filter(|d| d.name != "system") {
            db.primaries.retain(|o| *o != ordinal);
            db.secondaries.retain(|o| *o != ordinal);
            if db.leader == Some(ordinal) {
                db.leader = db.primaries.first().copied();
            }
        }
    }

    /// The server id of member `o` in this simulation.
    pub fn id(&self, o: u32) -> String {
        if self.new_identity.contains(&o) {
            format!("server-{o}-new")
        } else {
            server_id(o)
        }
    }

    /// Takes the member's databases away (as after DEALLOCATE).
    pub fn evacuate(&mut self, ordinal: u32) {
        for db in &mut self.dbs {
            db.primaries.retain(|o| *o != ordinal);
            db.secondaries.retain(|o| *o != ordinal);
            if db.leader == Some(ordinal) {
                db.leader = db.primaries.first().copied();
            }
        }
    }

    pub fn build(&self) -> ObservedTopology {
        let n = u32::try_from(self.members.len()).expect("small");
        let identities: Vec<MemberIdentity> = (0..n)
            .map(|o| MemberIdentity {
                ordinal: o,
                pod: format!("m-{o}"),
                addresses: vec![format!("m-{o}.h.ns.svc.cluster.local")],
            })
            .collect();
        let address = |o: u32| format!("m-{o}.h.ns.svc.cluster.local:7687");
        let pods: Vec<PodObservation> = self
            .members
            .iter()
            .zip(0..)
            .filter_map(|(m, o)| {
                m.pod.as_ref().map(|(ready, rev)| PodObservation {
                    ordinal: o,
                    ready: *ready,
                    revision: rev.clone(),
                    uid: pod_uid(o, m.instance),
                })
            })
            .collect();
        let mut databases = Vec::new();
        for db in &self.dbs {
            for (o, role) in db
                .primaries
                .iter()
                .map(|o| (*o, DatabaseRole::Primary))
                .chain(db.secondaries.iter().map(|o| (*o, DatabaseRole::Secondary)))
            {
                let available = self.members[o as usize]
                    .server
                    .as_ref()
                    .is_some_and(|(_, h)| *h == Health::Available);
                let status = db
                    .status_on
                    .iter()
                    .find(|(on, _)| *on == o)
                    .map(|(_, status)| status.clone());
                let online = available && !db.offline_on.contains(&o) && status.is_none();
                databases.push(DatabaseRecord {
                    name: db.name.clone(),
                    db_type: if db.name == "system" {
                        DatabaseType::System
                    } else {
                        DatabaseType::Standard
                    },
                    address: available.then(|| address(o)),
                    server_id: Some(self.id(o)),
                    role: if online { role } else { DatabaseRole::Unknown },
                    writer: online && db.leader == Some(o),
                    requested_status: "online".to_owned(),
                    current_status: match (&status, online, available) {
                        (_, true, _) => "online".to_owned(),
                        (Some(status), _, true) => status.clone(),
                        _ => "unknown".to_owned(),
                    },
                    // How SHOW DATABASES shows a copy on an offline server
                    // (show-databases-monitoring.adoc).
                    status_message: if available {
                        String::new()
                    } else {
                        "Server is unavailable".to_owned()
                    },
                    default: db.name == "neo4j",
                    requested_primaries: Some(db.requested.0),
                    requested_secondaries: Some(db.requested.1),
                    current_primaries: None,
                    current_secondaries: None,
                    last_committed_txn: Some(100),
                    replication_lag: Some(if db.leader == Some(o) {
                        0
                    } else {
                        -(db.lag as i64)
                    }),
                });
            }
        }
        let servers: Vec<ServerRecord> = self
            .members
            .iter()
            .zip(0..)
            .filter_map(|(m, o)| {
                m.server.as_ref().map(|(state, health)| {
                    let hosting: Vec<String> = self
                        .dbs
                        .iter()
                        .filter(|d| d.primaries.contains(&o) || d.secondaries.contains(&o))
                        .map(|d| d.name.clone())
                        .collect();
                    ServerRecord {
                        server_id: self.id(o),
                        name: self.id(o),
                        address: Some(address(o)),
                        state: state.clone(),
                        health: health.clone(),
                        hosting: hosting.clone(),
                        requested_hosting: hosting,
                        mode_constraint: Some("NONE".to_owned()),
                        version: Some("5.26.30".to_owned()),
                    }
                })
            })
            .collect();
        ObservedTopology::build(
            &identities,
            &pods,
            &servers,
            &databases,
            self.replicas,
            self.now,
        )
    }
}

pub fn desired(members: u32, rev: &str) -> Desired {
    let primaries = members.min(3);
    Desired {
        members,
        default_database: "neo4j".to_owned(),
        primaries,
        secondaries: members - primaries,
        auto_enable_servers: false,
        revision: rev.to_owned(),
        confirmation: Confirmation::None,
        max_lag: 10,
        step_timeout_secs: 600,
        replace_member: None,
    }
}
