//! Verdicts from what was read off the cluster: the Neo4jCluster's status, the live neo4j.conf,
//! NetworkPolicies, access reviews, and the samples taken while a disruptive check ran. Pure.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_model::status::Neo4jClusterStatus;

use super::matrix::{Measurement, Outcome, Point};

/// The member count the spec asks for (the CRD's default is one server).
pub fn wanted_members(cluster: &Neo4jCluster) -> i32 {
    cluster.spec.node_count.unwrap_or(1)
}

fn condition_true(status: &Neo4jClusterStatus, type_: &str) -> bool {
    status
        .conditions
        .iter()
        .any(|c| c.type_ == type_ && c.status == "True")
}

/// R5.5: formed, every member ready and Enabled, every database online with quorum and leader.
pub fn formation(cluster: &Neo4jCluster) -> Outcome {
    let Some(status) = &cluster.status else {
        return Outcome::Fail(
            "the Neo4jCluster has no status: is the operator running and watching this namespace?"
                .to_owned(),
        );
    };
    let wanted = wanted_members(cluster);
    let mut problems = Vec::new();
    if wanted >= 3 && !condition_true(status, "ClusterFormed") {
        problems.push("condition ClusterFormed is not True".to_owned());
    }
    let ready = status.ready_members.unwrap_or(0);
    if ready != wanted {
        problems.push(format!("{ready} of {wanted} members ready"));
    }
    for m in &status.members {
        if !m.ready {
            problems.push(format!("{} is not ready", m.pod));
        }
        match m.server_state.as_deref() {
            Some("Enabled") => {}
            Some(other) => problems.push(format!("{}: server state {other}", m.pod)),
            None => problems.push(format!("{}: server state unknown", m.pod)),
        }
        if let Some(health) = m.health.as_deref().filter(|h| *h != "Available") {
            problems.push(format!("{}: health {health}", m.pod));
        }
    }
    if status.databases.is_empty() {
        problems.push("no database listed in the status (Neo4j not reached?)".to_owned());
    }
    for db in &status.databases {
        if !db.quorum {
            problems.push(format!(
                "database {}: no quorum ({} of {} primaries available)",
                db.name, db.primaries_available, db.primaries
            ));
        }
        if db.leader.is_none() {
            problems.push(format!("database {}: no leader", db.name));
        }
        if db.status != "online" {
            problems.push(format!("database {}: {}", db.name, db.status));
        }
    }
    Outcome::from_problems(problems, || {
        format!(
            "{wanted} member(s) ready and Enabled; {} database(s) online with quorum and a leader",
            status.databases.len()
        )
    })
}

/// R5.5: the per-member copies the operator read agree with the per-database view.
pub fn members_agree(cluster: &Neo4jCluster) -> Outcome {
    let Some(status) = &cluster.status else {
        return Outcome::Fail("the Neo4jCluster has no status".to_owned());
    };
    if status.databases.is_empty() {
        return Outcome::Fail("no database listed in the status".to_owned());
    }
    let mut problems = Vec::new();
    for db in &status.databases {
        let copies: Vec<(&str, &neo4j_aks_model::status::MemberDatabaseStatus)> = status
            .members
            .iter()
            .flat_map(|m| {
                m.databases
                    .iter()
                    .filter(|d| d.name == db.name)
                    .map(move |d| (m.pod.as_str(), d))
            })
            .collect();
        let writers: Vec<&str> = copies
            .iter()
            .filter(|(_, d)| d.writer)
            .map(|(pod, _)| *pod)
            .collect();
        match writers.as_slice() {
            [one] if db.leader.as_deref() == Some(*one) => {}
            [one] => problems.push(format!(
                "database {}: {one} writes but the database names {:?} as leader",
                db.name, db.leader
            )),
            [] => problems.push(format!("database {}: no member holds the writer", db.name)),
            many => problems.push(format!(
                "database {}: {} members claim the writer ({})",
                db.name,
                many.len(),
                many.join(", ")
            )),
        }
        let primaries_online = copies
            .iter()
            .filter(|(_, d)| d.role == "primary" && d.status == "online")
            .count() as u32;
        if primaries_online != db.primaries_available {
            problems.push(format!(
                "database {}: {primaries_online} primary copies online on the members, {} counted for the database",
                db.name, db.primaries_available
            ));
        }
    }
    Outcome::from_problems(problems, || {
        format!(
            "{} database(s): one writer each, the named leader; primary counts agree",
            status.databases.len()
        )
    })
}

/// R5.5 multi-zone: losing any one zone must not lose a majority of the members.
pub fn zones(cluster: &Neo4jCluster) -> Outcome {
    let members = cluster
        .status
        .as_ref()
        .map(|s| s.members.as_slice())
        .unwrap_or_default();
    let mut per_zone: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in members {
        let Some(zone) = m.zone.as_deref() else {
            return Outcome::Skipped(format!(
                "{}: its node has no topology.kubernetes.io/zone label",
                m.pod
            ));
        };
        per_zone.entry(zone).or_default().push(&m.pod);
    }
    if members.len() < 3 {
        return Outcome::Skipped("a standalone server has no quorum to spread".to_owned());
    }
    if per_zone.len() < 2 {
        return Outcome::Skipped(format!(
            "every member runs in zone {}: not a multi-zone deployment",
            per_zone.keys().next().copied().unwrap_or("-")
        ));
    }
    let majority = members.len() / 2 + 1;
    let problems = per_zone
        .iter()
        .filter(|(_, pods)| pods.len() >= majority)
        .map(|(zone, pods)| {
            format!(
                "zone {zone} holds {} of {} members ({}): losing it loses the quorum",
                pods.len(),
                members.len(),
                pods.join(", ")
            )
        })
        .collect();
    Outcome::from_problems(problems, || {
        per_zone
            .iter()
            .map(|(z, p)| format!("{z}: {}", p.len()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// `key=value` lines of a neo4j.conf (the last one of a key wins, as Neo4j reads it).
pub fn conf_settings(conf: &str) -> BTreeMap<&str, &str> {
    conf.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// R5.8: the live neo4j.conf requires TLS on Bolt and mutual TLS between members.
pub fn tls_required(conf: &str) -> Outcome {
    let settings = conf_settings(conf);
    let wanted = [
        ("server.bolt.tls_level", "REQUIRED"),
        ("dbms.ssl.policy.bolt.enabled", "true"),
        ("dbms.ssl.policy.cluster.enabled", "true"),
        ("dbms.ssl.policy.cluster.client_auth", "REQUIRE"),
    ];
    let problems = wanted
        .iter()
        .filter(|(k, v)| settings.get(k) != Some(v))
        .map(|(k, v)| match settings.get(k) {
            Some(have) => format!("{k}={have} (wanted {v})"),
            None => format!("{k} is not set (wanted {v})"),
        })
        .collect();
    Outcome::from_problems(problems, || {
        "Bolt requires TLS; members authenticate each other (mutual TLS)".to_owned()
    })
}

fn port_matches(port: &NetworkPolicyPort, number: i32) -> bool {
    match (&port.port, port.end_port) {
        (None, _) => true,
        (Some(IntOrString::Int(p)), Some(end)) => (*p..=end).contains(&number),
        (Some(IntOrString::Int(p)), None) => *p == number,
        // Named ports: the rendered policies use numbers, so a name is someone else's rule.
        (Some(IntOrString::String(_)), _) => true,
    }
}

/// A peer that selects only pods carrying every one of `member_labels`, in the policy's own
/// namespace.
fn members_only(peer: &NetworkPolicyPeer, member_labels: &BTreeMap<String, String>) -> bool {
    if peer.ip_block.is_some() || peer.namespace_selector.is_some() {
        return false;
    }
    let Some(selector) = &peer.pod_selector else {
        return false;
    };
    let labels = selector.match_labels.clone().unwrap_or_default();
    member_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// R5.8: the live policies are the rendered ones (by name and spec), and on the members every
/// ingress rule that opens a cluster port opens it to members only.
pub fn network_policy(
    rendered: &[NetworkPolicy],
    live: &[NetworkPolicy],
    member_labels: &BTreeMap<String, String>,
    peer_ports: &[i32],
) -> Outcome {
    if rendered.is_empty() {
        return Outcome::Skipped("spec.networkPolicy is disabled: nothing to verify".to_owned());
    }
    let live_by_name: BTreeMap<String, &NetworkPolicy> = live
        .iter()
        .filter_map(|p| p.metadata.name.clone().map(|n| (n, p)))
        .collect();
    let mut problems = Vec::new();
    for want in rendered {
        let name = want.metadata.name.clone().unwrap_or_default();
        match live_by_name.get(&name) {
            None => problems.push(format!("NetworkPolicy {name} is missing")),
            Some(have) if have.spec != want.spec => problems.push(format!(
                "NetworkPolicy {name} differs from the rendered one (see `neo4j-aks diff`)"
            )),
            Some(_) => {}
        }
    }
    let selects_members = |p: &NetworkPolicy| {
        p.spec.as_ref().is_some_and(|s| {
            let sel = s.pod_selector.clone().unwrap_or_default();
            let labels = sel.match_labels.unwrap_or_default();
            sel.match_expressions.is_none()
                && labels.iter().all(|(k, v)| member_labels.get(k) == Some(v))
        })
    };
    let mut opened = BTreeSet::new();
    for policy in live.iter().filter(|p| selects_members(p)) {
        let name = policy.metadata.name.clone().unwrap_or_default();
        let rules = policy
            .spec
            .as_ref()
            .and_then(|s| s.ingress.clone())
            .unwrap_or_default();
        for rule in rules {
            let ports = rule.ports.clone().unwrap_or_default();
            for &port in peer_ports {
                let covers = ports.is_empty() || ports.iter().any(|p| port_matches(p, port));
                if !covers {
                    continue;
                }
                let from = rule.from.clone().unwrap_or_default();
                if from.is_empty() {
                    problems.push(format!("{name}: port {port} is open to every source"));
                } else if let Some(peer) = from.iter().find(|p| !members_only(p, member_labels)) {
                    problems.push(format!(
                        "{name}: port {port} is open to a non-member peer {}",
                        serde_json::to_string(peer).unwrap_or_default()
                    ));
                } else {
                    opened.insert(port);
                }
            }
        }
    }
    Outcome::from_problems(problems, || {
        format!(
            "{} policies as rendered; cluster ports {} open to members only",
            rendered.len(),
            opened
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// One access review: what was asked, what the apiserver answered, what it should answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    pub verb: String,
    pub resource: String,
    pub allowed: bool,
    pub expected: bool,
}

/// R5.8: every review answered as expected.
pub fn rbac(account: &str, reviews: &[Access]) -> Outcome {
    let problems = reviews
        .iter()
        .filter(|r| r.allowed != r.expected)
        .map(|r| {
            format!(
                "{account} {} {} {}",
                if r.allowed { "may" } else { "may not" },
                r.verb,
                r.resource
            )
        })
        .collect();
    Outcome::from_problems(problems, || {
        let granted = reviews.iter().filter(|r| r.allowed).count();
        format!(
            "{account}: {} reviews as expected ({granted} allowed, {} denied)",
            reviews.len(),
            reviews.len() - granted
        )
    })
}

/// One entry of a routing table: `WRITE`, `READ` or `ROUTE`, and its addresses.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub role: String,
    pub addresses: Vec<String>,
}

/// R5.6: the backup run succeeded and the restore-and-check that followed it did too
/// (`checked` is `None` when the backup failed and nothing was restored).
pub fn backup_restore(
    taken: &neo4j_aks_model::BackupRun,
    checked: Option<&neo4j_aks_model::BackupRun>,
) -> Outcome {
    let said = |run: &neo4j_aks_model::BackupRun| {
        run.message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    };
    if taken.result != "Succeeded" {
        return Outcome::Fail(format!(
            "backup Job {} {}{}",
            taken.job,
            taken.result,
            said(taken)
        ));
    }
    match checked {
        None => Outcome::Fail(format!(
            "backup Job {} succeeded but nothing restored it",
            taken.job
        )),
        Some(checked) if checked.result != "Succeeded" => Outcome::Fail(format!(
            "backup Job {} succeeded; its restore-and-check Job {} {}{}",
            taken.job,
            checked.job,
            checked.result,
            said(checked)
        )),
        Some(checked) => Outcome::Pass(format!(
            "backup Job {}{}{}; restored and checked by Job {}{}",
            taken.job,
            taken
                .size_bytes
                .map(|b| format!(" ({b} bytes)"))
                .unwrap_or_default(),
            said(taken),
            checked.job,
            said(checked)
        )),
    }
}

fn host(address: &str) -> &str {
    address.rsplit_once(':').map_or(address, |(h, _)| h)
}

/// R5.5: one writer, readers and routers, every address a member's advertised name.
pub fn routing(database: &str, table: &[Route], member_hosts: &[String]) -> Outcome {
    let of = |role: &str| -> Vec<&str> {
        table
            .iter()
            .filter(|r| r.role == role)
            .flat_map(|r| r.addresses.iter().map(String::as_str))
            .collect()
    };
    let (writers, readers, routers) = (of("WRITE"), of("READ"), of("ROUTE"));
    let mut problems = Vec::new();
    if writers.len() != 1 {
        problems.push(format!(
            "{database}: {} WRITE servers ({}), wanted one",
            writers.len(),
            writers.join(", ")
        ));
    }
    if readers.is_empty() {
        problems.push(format!("{database}: no READ server"));
    }
    if routers.is_empty() {
        problems.push(format!("{database}: no ROUTE server"));
    }
    let strangers: BTreeSet<&str> = table
        .iter()
        .flat_map(|r| r.addresses.iter().map(String::as_str))
        .filter(|a| !member_hosts.iter().any(|m| m == host(a)))
        .collect();
    if !strangers.is_empty() {
        problems.push(format!(
            "{database}: routes to addresses that are not members: {}",
            strangers.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Outcome::from_problems(problems, || {
        format!(
            "{database}: WRITE {}, {} READ, {} ROUTE, all members",
            writers.join(""),
            readers.len(),
            routers.len()
        )
    })
}

/// F: `bolt://` refused where the same address answers over TLS. Without the TLS answer a
/// refusal proves nothing (the address may simply be unreachable), so the check is skipped.
pub fn plaintext_rejected(
    address: &str,
    tls: &Result<(), String>,
    plain: &Result<(), String>,
) -> Outcome {
    match (tls, plain) {
        (Err(e), _) => Outcome::Skipped(format!(
            "{address} did not answer over TLS either, so a refusal would prove nothing: {e}"
        )),
        (Ok(()), Ok(())) => Outcome::Fail(format!(
            "{address} accepted a plaintext bolt:// connection (server.bolt.tls_level is not REQUIRED)"
        )),
        (Ok(()), Err(e)) => {
            Outcome::Pass(format!("{address}: TLS answers, plaintext refused ({e})"))
        }
    }
}

/// What one poll during a disruptive check saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// Seconds since the disruption.
    pub at: f64,
    /// The operator wrote this status after the disruption (managedFields time).
    pub fresh: bool,
    pub ready_members: i32,
    /// Every database listed has quorum.
    pub quorum: bool,
    /// Database name → leader pod.
    pub leaders: BTreeMap<String, Option<String>>,
    /// The disrupted member's pod is a new one (another uid) and Ready.
    pub replaced: bool,
}

impl Sample {
    pub fn from_status(
        at: f64,
        fresh: bool,
        status: &Neo4jClusterStatus,
        replaced: bool,
    ) -> Sample {
        Sample {
            at,
            fresh,
            ready_members: status.ready_members.unwrap_or(0),
            quorum: !status.databases.is_empty() && status.databases.iter().all(|d| d.quorum),
            leaders: status
                .databases
                .iter()
                .map(|d| (d.name.clone(), d.leader.clone()))
                .collect(),
            replaced,
        }
    }

    fn point(&self) -> Point {
        Point {
            seconds: self.at,
            ready_members: self.ready_members,
            quorum: self.quorum,
        }
    }

    /// Whole again. A status the operator has not rewritten since the disruption still counts
    /// once the pod is back: the operator rewrites it on every change it sees, so an unchanged
    /// status means it saw the member neither leave nor return (see [`unseen`]).
    pub fn settled(&self, members: i32) -> bool {
        self.replaced
            && self.ready_members == members
            && self.quorum
            && self.leaders.values().all(Option::is_some)
    }
}

/// The verdict of a disruptive check, its numbers and its timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub measurements: Vec<Measurement>,
    pub timeline: Vec<Point>,
}

fn quorum_lost(samples: &[Sample]) -> Option<&Sample> {
    samples.iter().find(|s| !s.quorum)
}

/// Said when the operator never rewrote the status during the disruption: the member was back
/// before the operator observed it gone, so the times are the pod's, not Neo4j's.
fn unseen(samples: &[Sample]) -> &'static str {
    if samples.iter().any(|s| s.fresh) {
        ""
    } else {
        " (the operator's status did not change meanwhile: the times are the pod's replacement, not a Neo4j observation)"
    }
}

/// R5.6 single-member failure: a follower's pod deleted; quorum held at every fresh sample and
/// the member came back (new pod, every member ready).
pub fn member_failure(samples: &[Sample], victim: &str, members: i32) -> Verdict {
    let timeline = samples.iter().map(Sample::point).collect();
    let recovered = samples.iter().find(|s| s.settled(members));
    let mut measurements = Vec::new();
    let mut problems = Vec::new();
    if let Some(lost) = quorum_lost(samples) {
        problems.push(format!(
            "quorum lost {:.1}s after {victim} was deleted",
            lost.at
        ));
    }
    match recovered {
        Some(s) => measurements.push(Measurement {
            name: "recovery".to_owned(),
            seconds: s.at,
            limit_seconds: None,
        }),
        None => problems.push(format!(
            "{victim} did not rejoin: {}",
            last_seen(samples, members)
        )),
    }
    let outcome = Outcome::from_problems(problems, || {
        format!(
            "{victim} deleted; quorum held; every member ready again{}",
            unseen(samples)
        )
    });
    Verdict {
        outcome,
        measurements,
        timeline,
    }
}

/// Appendix F: the leader's pod deleted; every database has a leader with quorum again within
/// `limit` seconds. The old leader counts again only once its pod was replaced (a status naming
/// it before that is stale).
pub fn leader_failover(samples: &[Sample], old_leader: &str, members: i32, limit: f64) -> Verdict {
    let timeline = samples.iter().map(Sample::point).collect();
    let elected = samples.iter().find(|s| {
        s.quorum
            && !s.leaders.is_empty()
            && s.leaders.values().all(|l| match l.as_deref() {
                None => false,
                Some(l) if l == old_leader => s.replaced,
                Some(_) => true,
            })
    });
    let recovered = samples.iter().find(|s| s.settled(members));
    let mut measurements = Vec::new();
    let mut problems = Vec::new();
    match elected {
        Some(s) => {
            measurements.push(Measurement {
                name: "failover".to_owned(),
                seconds: s.at,
                limit_seconds: Some(limit),
            });
            if s.at > limit {
                problems.push(format!(
                    "a leader with quorum only after {:.1}s (limit {limit:.0}s)",
                    s.at
                ));
            }
        }
        None => problems.push(format!(
            "no leader other than the deleted {old_leader} seen: {}",
            last_seen(samples, members)
        )),
    }
    match recovered {
        Some(s) => measurements.push(Measurement {
            name: "recovery".to_owned(),
            seconds: s.at,
            limit_seconds: None,
        }),
        None => problems.push(format!("{old_leader} did not rejoin")),
    }
    let outcome = Outcome::from_problems(problems, || {
        let leaders: BTreeSet<&str> = elected
            .into_iter()
            .flat_map(|s| s.leaders.values().flatten().map(String::as_str))
            .collect();
        format!(
            "{old_leader} deleted; leader(s) {} with quorum{}",
            leaders.into_iter().collect::<Vec<_>>().join(", "),
            unseen(samples)
        )
    });
    Verdict {
        outcome,
        measurements,
        timeline,
    }
}

fn last_seen(samples: &[Sample], members: i32) -> String {
    match samples.last() {
        None => "no sample taken".to_owned(),
        Some(s) => format!(
            "after {:.0}s {} of {members} ready, quorum {}, pod replaced {}, status fresh {}",
            s.at, s.ready_members, s.quorum, s.replaced, s.fresh
        ),
    }
}

#[cfg(test)]
mod tests;
