//! `spec.config`: extra neo4j.conf settings, checked against the catalog of the version.

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::version::Neo4jVersion;

/// Settings neo4j-aks derives itself, and the spec field that controls each instead.
pub fn managed_setting(name: &str) -> Option<&'static str> {
    const MANAGED: &[(&str, &str)] = &[
        ("server.memory.heap.initial_size", "spec.memory.heap"),
        ("server.memory.heap.max_size", "spec.memory.heap"),
        ("server.memory.pagecache.size", "spec.memory.pageCache"),
        (
            "dbms.cluster.discovery.resolver_type",
            "spec.discovery.resolverType",
        ),
        (
            "dbms.cluster.discovery.version",
            "spec.neo4jVersion (5.26 runs discovery V2_ONLY)",
        ),
        ("dbms.cluster.discovery.v2.endpoints", "spec.discovery"),
        ("dbms.cluster.discovery.endpoints", "spec.discovery"),
        ("dbms.cluster.endpoints", "spec.discovery"),
        ("dbms.kubernetes.label_selector", "spec.discovery"),
        (
            "dbms.kubernetes.service_port_name",
            "spec.discovery.portName",
        ),
        (
            "dbms.kubernetes.discovery.v2.service_port_name",
            "spec.discovery.portName",
        ),
        (
            "dbms.kubernetes.discovery.service_port_name",
            "spec.discovery.portName",
        ),
        ("dbms.kubernetes.cluster_domain", "spec.clusterDomain"),
        (
            "dbms.cluster.minimum_initial_system_primaries_count",
            "spec.minimumClusterSize",
        ),
        (
            "initial.dbms.default_primaries_count",
            "spec.topology.primaries",
        ),
        (
            "initial.dbms.default_secondaries_count",
            "spec.topology.secondaries",
        ),
        (
            "initial.dbms.automatically_enable_free_servers",
            "spec.autoEnableServers",
        ),
        (
            "dbms.routing.enabled",
            "nothing: server-side routing is required behind the load balancer",
        ),
        (
            "dbms.routing.default_router",
            "nothing: server-side routing is required behind the load balancer",
        ),
        (
            "dbms.security.cluster_status_auth_enabled",
            "nothing: the readiness probe reads the cluster status endpoint",
        ),
        (
            "server.default_listen_address",
            "nothing: member addresses are derived from the pod identity",
        ),
        (
            "server.default_advertised_address",
            "nothing: member addresses are derived from the pod identity",
        ),
    ];
    if let Some((_, field)) = MANAGED.iter().find(|(n, _)| *n == name) {
        return Some(field);
    }
    let address = name.ends_with(".listen_address") || name.ends_with(".advertised_address");
    if address
        && [
            "server.cluster.",
            "server.routing.",
            "server.bolt.",
            "server.http.",
            "server.https.",
            "server.backup.",
            "server.discovery.",
        ]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return Some("nothing: member addresses are derived from the pod identity");
    }
    if name.starts_with("server.directories.") || name.starts_with("server.metrics.csv.") {
        return Some(
            "nothing: the root filesystem is read-only and Neo4j writes only to the data volume and the pod's scratch volumes (CSV metrics are off; metrics come from Prometheus)",
        );
    }
    if name.starts_with("dbms.ssl.policy.")
        || [
            "server.bolt.tls_level",
            "server.https.enabled",
            "server.http.enabled",
            "dbms.security.tls_reload_enabled",
        ]
        .contains(&name)
    {
        return Some("spec.tls");
    }
    if name.starts_with("server.metrics.prometheus.")
        || name == "server.metrics.enabled"
        || name == "server.metrics.filter"
    {
        return Some(
            "spec.monitoring (the endpoint, and a filter that exports exactly the metrics the alert rules and dashboards read)",
        );
    }
    None
}

pub(super) fn check_config(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    version: &Neo4jVersion,
) -> BTreeMap<String, String> {
    let catalog = Catalog::for_dialect(version.dialect());
    let config = spec.config.clone().unwrap_or_default();
    for (name, value) in &config {
        let path = format!("spec.config[{name:?}]");
        if let Some(field) = managed_setting(name) {
            f.problem(path, format!("is set by neo4j-aks; use {field}"));
        } else if !catalog.contains(name) {
            let hint = match catalog.closest(name) {
                Some(near) => format!("; did you mean {near}?"),
                None => String::new(),
            };
            f.problem(
                path,
                format!("{name} is not a Neo4j {version} setting{hint}"),
            );
        } else if value.contains(['\n', '\r']) {
            f.problem(path, "values must be a single line");
        } else if name == "server.jvm.additional" {
            f.problem(path, "server.jvm.additional takes several lines; it is not supported through spec.config yet");
        }
    }
    config
}
