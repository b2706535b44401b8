//! `neo4j.conf` in the dialect of the target Neo4j line, and the per-member settings that the
//! pod derives from its own name.
//!
//! The shared file holds everything that is the same on every member. What differs per member
//! (its advertised addresses) is passed as `NEO4J_*` environment variables built from the pod
//! name by the downward API. The official image's entrypoint first appends its own defaults
//! for keys the file lacks, then writes every `NEO4J_*` variable over the key it names
//! (docker-entrypoint.sh, `add_docker_default_to_conf` before `add_env_setting_to_conf`), so a
//! variable always wins over an image default.

use std::collections::BTreeMap;

use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::{Edition, GIB, MIB, Resolver};
use neo4j_aks_model::version::ConfigDialect;

use crate::{jvm, labels, ports, tls};

/// The setting that takes one line per value.
pub const JVM_ADDITIONAL: &str = "server.jvm.additional";

/// Settings shared by every member, keyed by setting name.
pub fn settings(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let mut conf = own_settings(cluster);
    if cluster.rolling_from_5_26 {
        conf.retain(|key, _| accepted_by_both_lines(key));
    }
    conf
}

/// Names 2025.01 and later still accept in a configuration carried over from 5.26 (Upgrade and
/// Migration Guide, in-place rolling upgrade of a cluster: `dbms.cluster.discovery.version` "is
/// ignored", `dbms.cluster.discovery.v2.endpoints` "is deprecated in favor of
/// dbms.cluster.endpoints"; Operations Manual 2025, changes-deprecations-removals: the renamed
/// v2 names are still accepted when migrating from 5.26).
pub const ACCEPTED_FROM_5_26: [&str; 3] = [
    "dbms.cluster.discovery.version",
    "dbms.cluster.discovery.v2.endpoints",
    "dbms.kubernetes.discovery.v2.service_port_name",
];

/// Whether a 5.26 member and a calendar-version member both start with `key` in neo4j.conf
/// (strict validation refuses names a version does not know).
pub fn accepted_by_both_lines(key: &str) -> bool {
    use neo4j_aks_model::catalog::Catalog;
    Catalog::for_dialect(ConfigDialect::V5_26).contains(key)
        && (Catalog::for_dialect(ConfigDialect::Calver2025).contains(key)
            || ACCEPTED_FROM_5_26.contains(&key))
}

/// The settings in the dialect of the members' line; while members move from 5.26 to a
/// calendar version, in the 5.26 dialect, which [`settings`] then narrows to what both accept.
fn own_settings(cluster: &ValidatedCluster) -> BTreeMap<String, String> {
    let dialect = if cluster.rolling_from_5_26 {
        ConfigDialect::V5_26
    } else {
        cluster.version.dialect()
    };
    let mut conf = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        conf.insert(k.to_string(), v);
    };
    set("server.default_listen_address", "0.0.0.0".into());
    // The backup port listens on loopback only unless told otherwise.
    set("server.backup.enabled", "true".into());
    set(
        "server.backup.listen_address",
        format!("0.0.0.0:{}", ports::BACKUP),
    );
    if cluster.bootstrap.is_some() {
        // Seeding reads the artifacts the seed init containers put on every member.
        set(
            "dbms.databases.seed_from_uri_providers",
            crate::seed::SEED_PROVIDERS.into(),
        );
    }
    set(
        "server.memory.heap.initial_size",
        neo4j_size(cluster.memory.heap_bytes),
    );
    set(
        "server.memory.heap.max_size",
        neo4j_size(cluster.memory.heap_bytes),
    );
    set(
        "server.memory.pagecache.size",
        neo4j_size(cluster.memory.page_cache_bytes),
    );
    if cluster.edition == Edition::Enterprise {
        // A panicking server stops instead of running on with a broken database, so Kubernetes
        // restarts it. 5.26 defaults to false "except for Enterprise deployments running on
        // Kubernetes"; 2025.01 made true the default (Operations Manual, configuration-settings,
        // server.panic.shutdown_on_panic); the official Helm chart sets it too. Enterprise only.
        set("server.panic.shutdown_on_panic", "true".into());
        // CSV metrics (on by default in Enterprise) write into the container's filesystem, which
        // is read-only, and die with the pod; metrics are scraped from Prometheus instead.
        set("server.metrics.csv.enabled", "false".into());
    }
    if cluster.monitoring.is_some() {
        // Operations Manual, monitoring/metrics/expose.adoc ("Prometheus") and
        // configuration-settings.adoc (5.26 and 2025.x): the endpoint is off by default and
        // listens on localhost:2004; in a pod Prometheus scrapes it through the pod IP, as the
        // manual's kubernetes/monitoring.adoc sets it. Access is a NetworkPolicy's job.
        set("server.metrics.enabled", "true".into());
        set("server.metrics.prometheus.enabled", "true".into());
        set(
            "server.metrics.prometheus.endpoint",
            format!("0.0.0.0:{}", ports::METRICS),
        );
        // Exactly the metrics the rules and dashboards read (monitoring::neo4j_metrics).
        set(
            "server.metrics.filter",
            crate::monitoring::neo4j_metrics::filter(),
        );
    }

    if let Some(clustering) = &cluster.clustering {
        set(
            "dbms.cluster.minimum_initial_system_primaries_count",
            clustering.minimum_cluster_size.to_string(),
        );
        set(
            "initial.dbms.default_primaries_count",
            clustering.primaries.to_string(),
        );
        set(
            "initial.dbms.default_secondaries_count",
            clustering.secondaries.to_string(),
        );
        set(
            "initial.dbms.automatically_enable_free_servers",
            clustering.auto_enable_servers.to_string(),
        );
        // Behind one load balancer a client may land on any member; server-side routing
        // forwards writes to the leader instead of handing out pod names it cannot resolve.
        set("dbms.routing.enabled", "true".into());
        set("dbms.routing.default_router", "SERVER".into());
        // The readiness probe reads /db/system/cluster/available without credentials.
        set("dbms.security.cluster_status_auth_enabled", "false".into());
        set(
            "dbms.cluster.discovery.resolver_type",
            clustering.resolver.as_setting().into(),
        );
        if dialect == ConfigDialect::V5_26 {
            // 5.26 still defaults to discovery v1 (port 5000); new clusters start on v2 only.
            set("dbms.cluster.discovery.version", "V2_ONLY".into());
        }
        let endpoints_key = match dialect {
            ConfigDialect::V5_26 => "dbms.cluster.discovery.v2.endpoints",
            ConfigDialect::Calver2025 => "dbms.cluster.endpoints",
        };
        match clustering.resolver {
            Resolver::List => {
                let members: Vec<String> = (0..cluster.members.rendered())
                    .map(|i| format!("{}:{}", cluster.member_fqdn(i), ports::DISCOVERY))
                    .collect();
                set(endpoints_key, members.join(","));
            }
            Resolver::Srv => {
                // Port 0 tells Neo4j to take the port from the SRV records.
                let record = cluster.srv_record_name().unwrap_or_default();
                set(endpoints_key, format!("{record}:0"));
            }
            Resolver::K8s => {
                set(
                    "dbms.kubernetes.label_selector",
                    labels::discovery_selector(cluster),
                );
                set(
                    "dbms.kubernetes.cluster_domain",
                    cluster.cluster_domain.clone(),
                );
                match dialect {
                    ConfigDialect::V5_26 => {
                        set(
                            "dbms.kubernetes.discovery.v2.service_port_name",
                            clustering.port_name.clone(),
                        );
                        // The 5.26 resolver description still names the v1 setting as required;
                        // it points at the same port, and v1 itself is off (V2_ONLY).
                        set(
                            "dbms.kubernetes.service_port_name",
                            clustering.port_name.clone(),
                        );
                    }
                    ConfigDialect::Calver2025 => {
                        set(
                            "dbms.kubernetes.discovery.service_port_name",
                            clustering.port_name.clone(),
                        );
                    }
                }
            }
        }
    }
    conf.extend(tls::settings(cluster));
    conf.extend(cluster.extra_config.clone());
    conf
}

/// Per-member settings, as `(setting, value)`; values use `$(POD_NAME)`, which Kubernetes expands
/// from the variable defined before them.
///
/// Every advertised address the official Enterprise image would otherwise default to
/// `$(hostname):PORT` is set here: in a pod `hostname` is the short pod name, which no other pod
/// can resolve, and an explicit per-service address beats `server.default_advertised_address`.
/// All are the member's name through the headless Service, except the cluster address under
/// the K8S resolver, which must be the member's discovery Service name.
pub fn member_settings(cluster: &ValidatedCluster) -> Vec<(String, String)> {
    let member = format!(
        "$(POD_NAME).{}.{}",
        cluster.headless_service_name(),
        cluster.svc_domain()
    );
    let mut settings = vec![(
        "server.default_advertised_address".to_string(),
        member.clone(),
    )];
    settings.extend(tls::member_settings(cluster));
    if cluster.edition != Edition::Enterprise {
        // Community has no cluster settings, and its image appends no address defaults.
        return settings;
    }
    let at = |port: i32| format!("{member}:{port}");
    let cluster_address = if cluster.resolver() == Some(Resolver::K8s) {
        // The K8S resolver finds peers as `<service>.<namespace>.svc.<domain>`, and a member is
        // recognised only if it advertises exactly that name.
        format!(
            "$(POD_NAME)-discovery.{}:{}",
            cluster.svc_domain(),
            ports::DISCOVERY
        )
    } else {
        at(ports::DISCOVERY)
    };
    settings.push((
        "server.cluster.advertised_address".to_string(),
        cluster_address,
    ));
    settings.push((
        "server.cluster.raft.advertised_address".to_string(),
        at(ports::RAFT),
    ));
    settings.push((
        "server.routing.advertised_address".to_string(),
        at(ports::ROUTING),
    ));
    if cluster.version.dialect() == ConfigDialect::V5_26 {
        // Discovery v1 is off (V2_ONLY) and nothing listens on 5000, but the 5.x image still
        // appends this address; 2025.01 removed the setting.
        settings.push((
            "server.discovery.advertised_address".to_string(),
            at(ports::DISCOVERY_V1),
        ));
    }
    settings
}

/// The official image's environment naming: `NEO4J_` + the setting with `_` doubled and `.`
/// turned into `_`.
pub fn env_name(setting: &str) -> String {
    format!("NEO4J_{}", setting.replace('_', "__").replace('.', "_"))
}

/// The file: a header, then `key=value` lines in name order.
/// Settings that act only when the cluster first forms (the `initial.*` family and the system
/// database's bootstrap quorum); Neo4j ignores them on a member of a formed cluster. Defaults
/// derived from `nodeCount` land here, so a scale changes them without anything to restart for.
pub fn formation_only(key: &str) -> bool {
    key.starts_with("initial.") || key == "dbms.cluster.minimum_initial_system_primaries_count"
}

pub fn render(cluster: &ValidatedCluster) -> String {
    let mut text = format!(
        "# neo4j.conf for Neo4jCluster {}/{} (Neo4j {}), rendered by neo4j-aks.\n# Change the Neo4jCluster spec, not this file. Per-member addresses come from NEO4J_* variables.\n",
        cluster.namespace, cluster.name, cluster.version
    );
    text.push_str(&lines(&settings(cluster)));
    // Neo4j's own JVM defaults, which the image drops with its conf directory.
    for flag in jvm::default_flags(&cluster.version, cluster.edition) {
        text.push_str(JVM_ADDITIONAL);
        text.push('=');
        text.push_str(flag);
        text.push('\n');
    }
    text
}

/// Settings as neo4j.conf lines (`key=value`, one per line), in the order given.
pub fn lines<'a>(settings: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    settings
        .into_iter()
        .map(|(key, value)| format!("{key}={value}\n"))
        .collect()
}

/// Neo4j's own size syntax, binary multiples: `4g`, `3584m`.
pub fn neo4j_size(bytes: i64) -> String {
    if bytes % GIB == 0 {
        format!("{}g", bytes / GIB)
    } else if bytes % MIB == 0 {
        format!("{}m", bytes / MIB)
    } else {
        format!("{}k", bytes / 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_follow_the_image_convention() {
        assert_eq!(
            env_name("server.default_advertised_address"),
            "NEO4J_server_default__advertised__address"
        );
        assert_eq!(
            env_name("server.cluster.advertised_address"),
            "NEO4J_server_cluster_advertised__address"
        );
    }

    fn cluster(version: &str, resolver: &str) -> ValidatedCluster {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: g\n  namespace: db\nspec:\n  neo4jVersion: \"{version}\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  discovery:\n    resolverType: {resolver}\n  tls:\n    enabled: true\n"
        );
        let cluster = neo4j_aks_model::Neo4jCluster::from_yaml(&yaml).expect("spec parses");
        neo4j_aks_model::validate(&cluster).expect("valid spec")
    }

    /// Mid-roll from 5.26 to a calendar version, the shared file is one both lines start with
    /// and that still forms one cluster: the 5.26 discovery names (v2 only), nothing only one
    /// line knows (2025.03's TLS reload, 5.26's removed v1 port name).
    #[test]
    fn across_lines_the_shared_file_uses_names_both_lines_accept() {
        for resolver in ["LIST", "SRV", "K8S"] {
            let own = settings(&cluster("2025.10.1", resolver));
            assert!(own.contains_key("dbms.security.tls_reload_enabled"));
            let mut rolling = cluster("2025.10.1", resolver);
            rolling.rolling_from_5_26 = true;
            let shared = settings(&rolling);
            for key in shared.keys() {
                assert!(accepted_by_both_lines(key), "{resolver}: {key}");
            }
            assert_eq!(
                shared
                    .get("dbms.cluster.discovery.version")
                    .map(String::as_str),
                Some("V2_ONLY"),
                "{resolver}: 5.26 members keep discovery v2 only"
            );
            let lts = settings(&cluster("5.26.29", resolver));
            // Discovery reads the same on both sides as on a plain 5.26 cluster.
            for key in [
                "dbms.cluster.discovery.resolver_type",
                "dbms.cluster.discovery.v2.endpoints",
                "dbms.kubernetes.discovery.v2.service_port_name",
                "dbms.kubernetes.label_selector",
            ] {
                assert_eq!(shared.get(key), lts.get(key), "{resolver}: {key}");
            }
            assert!(!shared.contains_key("dbms.security.tls_reload_enabled"));
            assert!(!shared.contains_key("dbms.kubernetes.service_port_name"));
            assert!(!shared.contains_key("dbms.cluster.endpoints"));
        }
        // The names both accept are in the 5.26 catalog and known or accepted by 2025.
        assert!(accepted_by_both_lines(
            "dbms.cluster.discovery.v2.endpoints"
        ));
        assert!(!accepted_by_both_lines("dbms.cluster.endpoints"));
        assert!(!accepted_by_both_lines("dbms.kubernetes.service_port_name"));
    }

    #[test]
    fn sizes_use_binary_suffixes() {
        assert_eq!(neo4j_size(4 * GIB), "4g");
        assert_eq!(neo4j_size(3584 * MIB), "3584m");
    }
}
