//! Members and how they form a cluster: nodeCount, minimumClusterSize, topology, discovery.

use super::DEFAULT_PORT_NAME;
use super::MAX_MEMBERS;
use super::MIN_CLUSTER_MEMBERS;
use super::RESERVED_PORT_NAMES;
use super::dns::is_port_name;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::{Clustering, Resolver};

pub(super) fn check_node_count(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<i32> {
    match spec.node_count {
        None => {
            f.problem(
                "spec.nodeCount",
                "required; 1 (standalone) or 3 to 10 (cluster)",
            );
            None
        }
        Some(2) => {
            f.problem(
                "spec.nodeCount",
                "2 is refused: a cluster needs a majority of its primaries to write, and with 2 members losing either one stops writes, so 2 is less available than 1; use 1 (standalone) or 3 to 10",
            );
            None
        }
        Some(n) if n == 1 || (MIN_CLUSTER_MEMBERS..=MAX_MEMBERS).contains(&n) => {
            if n >= 4 && n % 2 == 0 {
                f.warning(
                    "spec.nodeCount",
                    format!(
                        "{n} members tolerate no more failures than {}; an odd count is usually the better buy",
                        n - 1
                    ),
                );
            }
            Some(n)
        }
        Some(n) => {
            f.problem(
                "spec.nodeCount",
                format!("{n} is out of range; use 1 (standalone) or 3 to {MAX_MEMBERS} (cluster)"),
            );
            None
        }
    }
}

pub(super) fn check_clustering(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    members: i32,
) -> Option<Clustering> {
    if members == 1 {
        return None;
    }
    let minimum = spec.minimum_cluster_size.unwrap_or(members);
    let majority = members / 2 + 1;
    if minimum < majority || minimum > members {
        f.problem(
            "spec.minimumClusterSize",
            format!(
                "{minimum} must be a majority of nodeCount {members} and at most nodeCount: {majority} to {members}; a smaller formation quorum could let two halves bootstrap separate clusters"
            ),
        );
    }
    let topology = spec.topology.clone().unwrap_or_default();
    let primaries = topology.primaries.unwrap_or(members.min(3));
    if primaries < 1 || primaries > members {
        f.problem(
            "spec.topology.primaries",
            format!("{primaries} must be between 1 and nodeCount ({members})"),
        );
    } else if primaries < 3 {
        f.warning(
            "spec.topology.primaries",
            format!("{primaries} primaries cannot keep the default database writable when one fails; 3 can"),
        );
    } else if primaries % 2 == 0 {
        f.warning(
            "spec.topology.primaries",
            format!(
                "{primaries} primaries tolerate no more failures than {}",
                primaries - 1
            ),
        );
    }
    let secondaries = topology.secondaries.unwrap_or((members - primaries).max(0));
    if secondaries < 0 || primaries + secondaries > members || secondaries > 20 {
        f.problem(
            "spec.topology.secondaries",
            format!(
                "{secondaries} must be between 0 and nodeCount - primaries ({}) (Neo4j allows at most 20)",
                (members - primaries).clamp(0, 20)
            ),
        );
    }

    let discovery = spec.discovery.clone().unwrap_or_default();
    let resolver = match discovery.resolver_type.as_deref() {
        None => Resolver::K8s,
        Some(text) => Resolver::parse(text).unwrap_or_else(|| {
            f.problem(
                "spec.discovery.resolverType",
                format!("{text:?} is not a resolver; use LIST, SRV or K8S"),
            );
            Resolver::K8s
        }),
    };
    let port_name = discovery
        .port_name
        .unwrap_or_else(|| DEFAULT_PORT_NAME.to_string());
    if !is_port_name(&port_name) {
        f.problem(
            "spec.discovery.portName",
            format!("{port_name:?} is not a port name (at most 15 lowercase letters, digits and '-', with a letter)"),
        );
    } else if RESERVED_PORT_NAMES.contains(&port_name.as_str()) {
        f.problem(
            "spec.discovery.portName",
            format!("{port_name:?} is already used for another port; keep the default discovery"),
        );
    }
    let srv_wait_timeout_seconds = discovery.srv_wait_timeout_seconds.unwrap_or(600);
    if discovery.srv_wait_timeout_seconds.is_some() && resolver != Resolver::Srv {
        f.problem(
            "spec.discovery.srvWaitTimeoutSeconds",
            "only applies to resolverType SRV; remove it",
        );
    }
    if !(30..=3600).contains(&srv_wait_timeout_seconds) {
        f.problem(
            "spec.discovery.srvWaitTimeoutSeconds",
            format!("{srv_wait_timeout_seconds} must be between 30 and 3600"),
        );
    }
    if resolver == Resolver::List {
        f.warning(
            "spec.discovery.resolverType",
            "LIST names every member in neo4j.conf, so each scale operation restarts all members; K8S does not",
        );
    }
    Some(Clustering {
        minimum_cluster_size: minimum,
        primaries,
        secondaries,
        resolver,
        port_name,
        srv_wait_timeout_seconds,
        auto_enable_servers: spec.auto_enable_servers.unwrap_or(true),
    })
}

pub(super) fn check_standalone_fields(f: &mut Findings, spec: &Neo4jClusterSpec, members: i32) {
    if spec.minimum_cluster_size.is_some_and(|m| m != members) {
        f.problem(
            "spec.minimumClusterSize",
            "a standalone server (nodeCount 1) forms no cluster; remove it or set 1",
        );
    }
    if let Some(resolver) = spec
        .discovery
        .as_ref()
        .and_then(|d| d.resolver_type.as_deref())
        && Resolver::parse(resolver) != Some(Resolver::List)
    {
        f.problem(
                "spec.discovery.resolverType",
                format!("{resolver:?} needs a cluster; a standalone server (nodeCount 1) uses no discovery, so remove it or use LIST"),
            );
    }
    if spec
        .discovery
        .as_ref()
        .is_some_and(|d| d.srv_wait_timeout_seconds.is_some())
    {
        f.problem(
            "spec.discovery.srvWaitTimeoutSeconds",
            "only applies to a cluster with resolverType SRV; remove it",
        );
    }
    if let Some(topology) = &spec.topology
        && (topology.primaries.is_some_and(|p| p != 1)
            || topology.secondaries.is_some_and(|s| s != 0))
    {
        f.problem(
            "spec.topology",
            "a standalone server hosts each database once: primaries 1, secondaries 0",
        );
    }
    if spec.auto_enable_servers == Some(true) {
        f.problem(
            "spec.autoEnableServers",
            "only applies to clusters (nodeCount 3 to 10); remove it",
        );
    }
}
