//! Properties every valid spec's render must have, checked over generated specs.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{PodSpec, Service};
use neo4j_aks_model::catalog::Catalog;
use neo4j_aks_model::spec::{
    DiscoverySpec, ImageSpec, PodAntiAffinitySpec, ResourcesSpec, StorageSpec, TopologySpec,
};
use neo4j_aks_model::validate::{is_dns_label, is_dns_subdomain, is_port_name};
use neo4j_aks_model::{Neo4jCluster, Neo4jClusterSpec};
use neo4j_aks_render::{Object, Rendered, labels, neo4j_conf, render};
use proptest::prelude::*;

fn spec_strategy() -> impl Strategy<Value = Neo4jCluster> {
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
        ),
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
                (prim, hard, lb),
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
                        image: Some(ImageSpec::default()),
                        service: lb.map(|enabled| neo4j_aks_model::spec::ServiceSpec {
                            load_balancer: Some(neo4j_aks_model::spec::LoadBalancerSpec {
                                enabled: Some(enabled),
                                internal: Some(true),
                                ..Default::default()
                            }),
                        }),
                        ..Neo4jClusterSpec::default()
                    },
                );
                cluster.metadata.namespace = Some(namespace);
                cluster
            },
        )
}

fn pod_spec(rendered: &Rendered) -> (&PodSpec, BTreeMap<String, String>) {
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

fn services(rendered: &Rendered) -> Vec<&Service> {
    rendered
        .objects
        .iter()
        .filter_map(|o| match o {
            Object::Service(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn selector_matches(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v) || k == labels::POD_NAME_LABEL)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_valid_spec_renders_a_consistent_cluster(cluster in spec_strategy()) {
        let Ok(rendered) = render(&cluster) else {
            // Generated memory/CPU combinations can be legitimately invalid; those are covered by
            // the bad-spec table. Validity must still be total (no panic).
            return Ok(());
        };
        let c = &rendered.cluster;

        // Names: DNS labels (Services, pods, PVCs) or subdomains, at most 63 characters.
        for object in &rendered.objects {
            prop_assert!(is_dns_subdomain(object.name()) && object.name().len() <= 63, "bad name {}", object.name());
            if object.kind() == "Service" {
                prop_assert!(is_dns_label(object.name()));
            }
        }
        for i in 0..c.members {
            prop_assert!(is_dns_label(&c.pod_name(i)) && is_dns_label(&c.pvc_name(i)));
            prop_assert!(is_dns_label(&c.discovery_service_name(i)));
        }

        // Every Service selects member pods; every port name is a valid IANA name.
        let (pod, pod_labels) = pod_spec(&rendered);
        for service in services(&rendered) {
            let spec = service.spec.as_ref().expect("service spec");
            let selector = spec.selector.clone().unwrap_or_default();
            prop_assert!(!selector.is_empty());
            prop_assert!(selector_matches(&selector, &pod_labels), "{:?} does not match {:?}", selector, pod_labels);
            for port in spec.ports.iter().flatten() {
                prop_assert!(port.name.as_deref().is_some_and(is_port_name), "port name {:?}", port.name);
            }
        }
        for port in pod.containers.iter().flat_map(|c| c.ports.iter().flatten()) {
            prop_assert!(port.name.as_deref().is_some_and(is_port_name));
        }

        // Every referenced ConfigMap, Secret and ServiceAccount is rendered (or user-supplied).
        let rendered_names: BTreeSet<(String, String)> =
            rendered.objects.iter().map(|o| (o.kind().to_string(), o.name().to_string())).collect();
        for volume in pod.volumes.iter().flatten() {
            if let Some(cm) = &volume.config_map {
                prop_assert!(rendered_names.contains(&("ConfigMap".into(), cm.name.clone())));
            }
        }
        for volume in pod.volumes.iter().flatten() {
            if let Some(secret) = volume.secret.as_ref().and_then(|s| s.secret_name.clone()) {
                prop_assert!(rendered_names.contains(&("Secret".into(), secret)));
            }
        }
        // The password never travels through the environment.
        for env in pod.containers.iter().flat_map(|c| c.env.iter().flatten()) {
            prop_assert!(env.value_from.as_ref().and_then(|v| v.secret_key_ref.as_ref()).is_none());
        }
        let account = pod.service_account_name.clone().unwrap_or_default();
        prop_assert_eq!(pod.service_account.as_ref(), Some(&account));
        prop_assert!(account == "default" || rendered_names.contains(&("ServiceAccount".into(), account.clone())));

        // The K8S selector matches exactly nodeCount Services, and nothing when not K8S.
        let selected = services(&rendered)
            .into_iter()
            .filter(|s| {
                let l = s.metadata.labels.clone().unwrap_or_default();
                l.get(labels::CLUSTER_LABEL) == Some(&c.name) && l.get(labels::SERVICE_ROLE_LABEL).map(String::as_str) == Some(labels::DISCOVERY_ROLE)
            })
            .count();
        let expected = if c.resolver() == Some(neo4j_aks_model::validated::Resolver::K8s) { c.members as usize } else { 0 };
        prop_assert_eq!(selected, expected);

        // Every neo4j.conf key, and every per-member setting, is in the version's catalog.
        let catalog = Catalog::for_dialect(c.version.dialect());
        for key in neo4j_conf::settings(c).keys() {
            prop_assert!(catalog.contains(key), "{} not in catalog for {}", key, c.version);
        }
        for (key, _) in neo4j_conf::member_settings(c) {
            prop_assert!(catalog.contains(&key));
        }

        // Deterministic: same spec, same bytes.
        let again = render(&cluster).expect("valid once, valid twice");
        prop_assert_eq!(neo4j_aks_render::output::to_json_list(&rendered), neo4j_aks_render::output::to_json_list(&again));
    }

    /// A scale (nodeCount and nothing else) is not a new revision with the K8S or SRV resolver:
    /// what changes with the count is formation-only or outside the pod template, so no member
    /// restarts. LIST names every member in neo4j.conf, so there it is (and a warning says so).
    #[test]
    fn a_scale_leaves_the_pod_template_alone(
        cluster in spec_strategy(),
        other in 3..=10i32,
    ) {
        let Ok(before) = render(&cluster) else { return Ok(()); };
        let mut scaled = cluster.clone();
        scaled.spec.node_count = Some(other);
        if let Some(topology) = scaled.spec.topology.as_mut() {
            topology.primaries = topology.primaries.map(|p| p.min(other));
        }
        let Ok(after) = render(&scaled) else { return Ok(()); };
        let resolver = before.cluster.resolver();
        prop_assume!(resolver.is_some() && resolver == after.cluster.resolver());
        prop_assume!(resolver != Some(neo4j_aks_model::validated::Resolver::List));
        // The same explicit topology on both sides (the default follows nodeCount).
        prop_assume!(before.cluster.clustering.as_ref().map(|c| c.primaries)
            == after.cluster.clustering.as_ref().map(|c| c.primaries));
        let template = |r: &Rendered| {
            r.objects.iter().find_map(|o| match o {
                Object::StatefulSet(s) => s.spec.as_ref().map(|s| s.template.clone()),
                _ => None,
            })
        };
        prop_assert_eq!(template(&before), template(&after));
    }
}
