//! Generated specs and what the render tests read from them, shared by the property tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, PodSpec, Service};
use neo4j_aks_model::spec::{
    DiscoverySpec, ImageSpec, PodAntiAffinitySpec, ResourcesSpec, StorageSpec, TopologySpec,
};
use neo4j_aks_model::{Neo4jCluster, Neo4jClusterSpec};
use neo4j_aks_render::{Object, Rendered, labels};
use proptest::prelude::*;

/// Valid specs over names, sizes, resolvers, versions, editions, port names, memory and placement
/// (the property tests require every one to render).
pub fn spec_strategy() -> impl Strategy<Value = Neo4jCluster> {
    (
        "[a-z][a-z0-9-]{0,38}[a-z0-9]",
        "[a-z][a-z0-9-]{0,20}[a-z0-9]",
        prop_oneof![Just(1), 3..=10i32],
        prop::option::of(prop_oneof![Just("LIST"), Just("SRV"), Just("K8S")]),
        prop_oneof![
            Just("5.26.16"),
            Just("5.26.0"),
            Just("2025.01.0"),
            Just("2025.10.1"),
            Just("2026.02.3")
        ],
        1..=4096i32,
        prop::option::of(prop_oneof![
            Just("discovery"),
            Just("tcp-tx"),
            Just("cluster")
        ]),
        (
            2..=64i64,
            prop_oneof![Just("1"), Just("2"), Just("500m"), Just("8")],
        ),
        (
            prop::option::of(1..=5i32),
            any::<bool>(),
            prop::option::of(any::<bool>()),
            any::<bool>(),
        ),
        prop::option::of((
            any::<bool>(),
            any::<bool>(),
            prop_oneof![Just("10s"), Just("60s"), Just("5m")],
        )),
    )
        .prop_map(
            |(
                name,
                namespace,
                nodes,
                resolver,
                version,
                disk,
                port,
                (mem_gi, cpu),
                (prim, hard, lb, community),
                monitoring,
            )| {
                let clustered = nodes > 1;
                let mut cluster = Neo4jCluster::new(
                    &name,
                    Neo4jClusterSpec {
                        neo4j_version: Some(version.to_string()),
                        accept_license_agreement: Some("yes".into()),
                        node_count: Some(nodes),
                        topology: (clustered && prim.is_some()).then(|| TopologySpec {
                            primaries: prim.map(|p| p.min(nodes)),
                            secondaries: None,
                        }),
                        discovery: clustered.then(|| DiscoverySpec {
                            resolver_type: resolver.map(str::to_string),
                            port_name: port.map(str::to_string),
                            srv_wait_timeout_seconds: None,
                        }),
                        storage: Some(StorageSpec {
                            disk_size_gi: Some(disk),
                            ..StorageSpec::default()
                        }),
                        resources: Some(ResourcesSpec {
                            cpu: Some(cpu.to_string()),
                            memory: Some(format!("{mem_gi}Gi")),
                        }),
                        pod_anti_affinity: Some(PodAntiAffinitySpec {
                            mode: Some(if hard { "Hard" } else { "Soft" }.into()),
                            ..Default::default()
                        }),
                        // Community runs only standalone servers.
                        image: Some(ImageSpec {
                            edition: (community && !clustered).then(|| "community".into()),
                            ..ImageSpec::default()
                        }),
                        service: lb.map(|enabled| neo4j_aks_model::spec::ServiceSpec {
                            load_balancer: Some(neo4j_aks_model::spec::LoadBalancerSpec {
                                enabled: Some(enabled),
                                internal: Some(true),
                                ..Default::default()
                            }),
                        }),
                        // Metrics are Enterprise only.
                        monitoring: monitoring.filter(|_| !community || clustered).map(
                            |(pod_monitor, rules, interval)| {
                                neo4j_aks_model::spec::MonitoringSpec {
                                    enabled: Some(true),
                                    interval: Some(interval.to_string()),
                                    kind: pod_monitor.then(|| "PodMonitor".to_string()),
                                    rules: Some(rules),
                                    labels: None,
                                }
                            },
                        ),
                        ..Neo4jClusterSpec::default()
                    },
                );
                cluster.metadata.namespace = Some(namespace);
                cluster
            },
        )
}

pub fn pod_spec(rendered: &Rendered) -> (&PodSpec, BTreeMap<String, String>) {
    let sts = rendered
        .objects
        .iter()
        .find_map(|o| match o {
            Object::StatefulSet(s) => Some(s),
            _ => None,
        })
        .expect("every render has a StatefulSet");
    let template = &sts.spec.as_ref().expect("spec").template;
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    (template.spec.as_ref().expect("pod spec"), labels)
}

pub fn services(rendered: &Rendered) -> Vec<&Service> {
    rendered
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::Service(s) => Some(s),
            _ => None,
        })
        .collect()
}

pub fn selector_matches(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v) || k == labels::POD_NAME_LABEL)
}

pub fn statefulset(rendered: &Rendered) -> &StatefulSet {
    rendered
        .objects
        .iter()
        .find_map(|o| match o {
            Object::StatefulSet(s) => Some(s),
            _ => None,
        })
        .expect("every render has a StatefulSet")
}

pub fn config_map(rendered: &Rendered) -> &ConfigMap {
    rendered
        .objects
        .iter()
        .find_map(|o| match o {
            Object::ConfigMap(c) => Some(c),
            _ => None,
        })
        .expect("every render has the neo4j.conf ConfigMap")
}
