//! The observed topology: Kubernetes members (pods) matched to Neo4j servers by advertised
//! address, with their databases, and the quorum of every database. Pure.

use std::collections::BTreeMap;

use neo4j_aks_model::ValidatedCluster;
use serde::{Deserialize, Serialize};

use crate::records::{DatabaseRecord, DatabaseRole, Health, ServerRecord, ServerState};

/// The database every server hosts; DEALLOCATE never moves it.
pub const SYSTEM_DATABASE: &str = "system";

/// The addresses a member's server may advertise: the pod FQDN through the headless Service
/// (`N-i.N-headless.NS.svc.<domain>`) and, with the K8S resolver, its discovery Service FQDN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberIdentity {
    pub ordinal: u32,
    pub pod: String,
    pub addresses: Vec<String>,
}

/// The identities of members `0..count` of a cluster.
pub fn member_identities(cluster: &ValidatedCluster, count: u32) -> Vec<MemberIdentity> {
    (0..count)
        .map(|ordinal| {
            let i = i32::try_from(ordinal).unwrap_or(i32::MAX);
            MemberIdentity {
                ordinal,
                pod: cluster.pod_name(i),
                addresses: vec![cluster.member_fqdn(i), cluster.discovery_service_fqdn(i)],
            }
        })
        .collect()
}

/// What Kubernetes says about one member pod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodObservation {
    pub ordinal: u32,
    pub ready: bool,
    /// Fingerprint of what the pod runs (config digest + image), compared with the desired one.
    pub revision: String,
    /// The pod instance (`metadata.uid`): a pod recreated under the same name has another one.
    pub uid: String,
}

/// One member: its pod (if it exists), its server (if matched) and the database copies on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub ordinal: u32,
    pub pod: Option<PodObservation>,
    pub server: Option<ServerRecord>,
    pub databases: Vec<DatabaseRecord>,
}

impl Member {
    /// Pod Ready and its server `Available`: the member counts as up.
    pub fn is_up(&self) -> bool {
        self.pod.as_ref().is_some_and(|p| p.ready)
            && self
                .server
                .as_ref()
                .is_some_and(|s| s.health == Health::Available)
    }

    pub fn state(&self) -> Option<&ServerState> {
        self.server.as_ref().map(|s| &s.state)
    }

    /// Hosts or is asked to host any user database (`hosting`, `requestedHosting`, or a row of
    /// `SHOW DATABASES`). `system` does not count: every server hosts it, and a `Deallocated`
    /// server "no longer hosts any databases besides system and can be removed from the
    /// cluster" (Operations Manual, clustering/servers.adoc, Deallocated state).
    pub fn hosts_any_database(&self) -> bool {
        let user = |name: &String| name != SYSTEM_DATABASE;
        self.databases.iter().any(|d| user(&d.name))
            || self
                .server
                .as_ref()
                .is_some_and(|s| s.hosting.iter().any(user) || s.requested_hosting.iter().any(user))
    }

    /// Databases this member is writer (leader) for.
    pub fn leads(&self) -> usize {
        self.databases.iter().filter(|d| d.writer).count()
    }

    /// Online primary copies on this member.
    pub fn online_primary_of(&self, database: &str) -> bool {
        self.databases
            .iter()
            .any(|d| d.name == database && d.role == DatabaseRole::Primary && d.is_online())
    }

    /// Holds only secondary copies of user databases. `system` is left out: it is a primary on
    /// every server whose `server.cluster.system_database_mode` is PRIMARY (the default), so
    /// counting it would make no member secondary-only.
    pub fn is_secondary_only(&self) -> bool {
        let mut user = self
            .databases
            .iter()
            .filter(|d| d.name != SYSTEM_DATABASE)
            .peekable();
        user.peek().is_some() && user.all(|d| d.role == DatabaseRole::Secondary)
    }
}

/// Quorum of one database over all members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseQuorum {
    pub name: String,
    /// `requestedPrimariesCount`, else the primaries seen. For `system`: its rows whose role is
    /// not secondary, one per server hosting it as a primary.
    pub requested_primaries: u32,
    pub requested_secondaries: u32,
    /// Primary copies that are online on a server that is Available.
    pub primaries_available: u32,
    /// Majority of the requested primaries.
    pub required: u32,
    /// Ordinal of the member that is the writer, if any.
    pub leader: Option<u32>,
    /// Every copy reports `online` (and is requested online).
    pub all_online: bool,
    /// Largest replication lag of any copy, in transactions.
    pub max_lag: u64,
}

impl DatabaseQuorum {
    pub fn has_quorum(&self) -> bool {
        self.primaries_available >= self.required
    }
}

/// Majority of `n` primaries (n/2 + 1; 1 for a single primary).
pub fn majority(n: u32) -> u32 {
    n / 2 + 1
}

/// Everything the planner looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedTopology {
    /// By ordinal; includes every ordinal with a pod, a matched server, or below `replicas`.
    pub members: BTreeMap<u32, Member>,
    /// Servers no member address matches (a pod from another cluster, a renamed Service).
    pub unmatched_servers: Vec<ServerRecord>,
    pub databases: BTreeMap<String, DatabaseQuorum>,
    /// `spec.replicas` of the StatefulSet.
    pub replicas: u32,
    /// Seconds since the epoch when this was observed (for timeouts of recorded steps).
    pub now_secs: i64,
}

fn host_of(address: &str) -> String {
    let host = match address.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => address,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl ObservedTopology {
    /// Builds the observed topology. `identities` must cover every ordinal that may exist
    /// (`max(replicas, desired)` members).
    pub fn build(
        identities: &[MemberIdentity],
        pods: &[PodObservation],
        servers: &[ServerRecord],
        databases: &[DatabaseRecord],
        replicas: u32,
        now_secs: i64,
    ) -> Self {
        let mut by_host: BTreeMap<String, u32> = BTreeMap::new();
        for identity in identities {
            for address in &identity.addresses {
                by_host.insert(host_of(address), identity.ordinal);
            }
        }
        let mut members: BTreeMap<u32, Member> = BTreeMap::new();
        let member = |ordinal: u32| Member {
            ordinal,
            pod: None,
            server: None,
            databases: Vec::new(),
        };
        for ordinal in 0..replicas {
            members.insert(ordinal, member(ordinal));
        }
        for pod in pods {
            members
                .entry(pod.ordinal)
                .or_insert_with(|| member(pod.ordinal))
                .pod = Some(pod.clone());
        }
        let mut unmatched_servers = Vec::new();
        let mut server_ordinal: BTreeMap<String, u32> = BTreeMap::new();
        for server in servers {
            let ordinal = server
                .address
                .as_deref()
                .and_then(|a| by_host.get(&host_of(a)).copied());
            match ordinal {
                // A dropped server keeps its address; a newer server on the same member wins.
                Some(o) => {
                    let entry = members.entry(o).or_insert_with(|| member(o));
                    let replace = match &entry.server {
                        None => true,
                        Some(old) => old.state == ServerState::Dropped,
                    };
                    server_ordinal.insert(server.server_id.clone(), o);
                    server_ordinal.insert(server.name.clone(), o);
                    if replace {
                        entry.server = Some(server.clone());
                    }
                }
                None => unmatched_servers.push(server.clone()),
            }
        }
        for row in databases {
            let ordinal = row
                .server_id
                .as_ref()
                .and_then(|id| server_ordinal.get(id).copied())
                .or_else(|| {
                    row.address
                        .as_deref()
                        .and_then(|a| by_host.get(&host_of(a)).copied())
                });
            if let Some(o) = ordinal {
                members
                    .entry(o)
                    .or_insert_with(|| member(o))
                    .databases
                    .push(row.clone());
            }
        }
        let databases = quorums(&members, databases);
        ObservedTopology {
            members,
            unmatched_servers,
            databases,
            replicas,
            now_secs,
        }
    }

    pub fn member(&self, ordinal: u32) -> Option<&Member> {
        self.members.get(&ordinal)
    }

    /// The system database's quorum, if reported.
    pub fn system(&self) -> Option<&DatabaseQuorum> {
        self.databases.get(SYSTEM_DATABASE)
    }
}

fn quorums(
    members: &BTreeMap<u32, Member>,
    rows: &[DatabaseRecord],
) -> BTreeMap<String, DatabaseQuorum> {
    let mut out: BTreeMap<String, DatabaseQuorum> = BTreeMap::new();
    for row in rows {
        let q = out
            .entry(row.name.clone())
            .or_insert_with(|| DatabaseQuorum {
                name: row.name.clone(),
                requested_primaries: 0,
                requested_secondaries: 0,
                primaries_available: 0,
                required: 0,
                leader: None,
                all_online: true,
                max_lag: 0,
            });
        q.requested_primaries = q
            .requested_primaries
            .max(row.requested_primaries.unwrap_or(0));
        q.requested_secondaries = q
            .requested_secondaries
            .max(row.requested_secondaries.unwrap_or(0));
        q.all_online &= row.is_online() && row.requested_status == "online";
        q.max_lag = q.max_lag.max(row.lag());
    }
    for member in members.values() {
        let available = member
            .server
            .as_ref()
            .is_some_and(|s| s.health == Health::Available);
        for row in &member.databases {
            let Some(q) = out.get_mut(&row.name) else {
                continue;
            };
            if row.role == DatabaseRole::Primary && row.is_online() && available {
                q.primaries_available += 1;
            }
            if row.writer && row.is_online() {
                q.leader = Some(member.ordinal);
            }
        }
    }
    for q in out.values_mut() {
        if q.name == SYSTEM_DATABASE {
            // No Cypher topology applies to `system`: "Every cluster member hosts the system
            // database", as PRIMARY or SECONDARY per `server.cluster.system_database_mode`
            // (Operations Manual, clustering/settings.adoc; clustering/databases.adoc, "The
            // system database in a cluster"). So its primaries are one per server in PRIMARY
            // mode: every row whose role is not `secondary`, counting the role `unknown` an
            // offline server's row shows (clustering/monitoring/show-databases-monitoring.adoc).
            // What Neo4j prints in requestedPrimariesCount for `system` is not documented, so it
            // is not used.
            let (secondaries, primaries): (Vec<&DatabaseRecord>, Vec<&DatabaseRecord>) = rows
                .iter()
                .filter(|r| r.name == SYSTEM_DATABASE)
                .partition(|r| r.role == DatabaseRole::Secondary);
            q.requested_primaries = primaries.len().try_into().unwrap_or(u32::MAX);
            q.requested_secondaries = secondaries.len().try_into().unwrap_or(u32::MAX);
        } else if q.requested_primaries == 0 {
            // Community and older servers leave requestedPrimariesCount null: count primaries.
            q.requested_primaries = rows
                .iter()
                .filter(|r| r.name == q.name && r.role == DatabaseRole::Primary)
                .count()
                .try_into()
                .unwrap_or(u32::MAX);
        }
        q.required = majority(q.requested_primaries);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_of_primaries() {
        assert_eq!([1, 2, 3, 4, 5, 7].map(majority), [1, 2, 2, 3, 3, 4]);
    }

    #[test]
    fn hosts_compare_without_port_case_or_trailing_dot() {
        assert_eq!(
            host_of("N-0.H.ns.svc.cluster.local.:7687"),
            "n-0.h.ns.svc.cluster.local"
        );
        assert_eq!(host_of("n-0.h"), "n-0.h");
        assert_eq!(host_of("localhost:7681"), "localhost");
    }
}
