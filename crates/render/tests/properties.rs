//! Properties every valid spec's render must have, checked over generated specs.

mod support;

use std::collections::BTreeSet;

use neo4j_aks_model::catalog::Catalog;
use neo4j_aks_model::validate::{is_dns_label, is_dns_subdomain, is_port_name};
use neo4j_aks_render::{Object, Rendered, labels, neo4j_conf, render};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use support::{pod_spec, selector_matches, services, spec_strategy};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_valid_spec_renders_a_consistent_cluster(cluster in spec_strategy()) {
        // Every generated spec is valid (the bad-spec table covers invalid ones), so every one
        // must render: a refusal here is a validation bug, not a skipped case.
        let rendered = render(&cluster).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        let c = &rendered.cluster;

        // Names: DNS labels (Services, pods, PVCs) or subdomains, at most 63 characters.
        for object in &rendered.objects {
            prop_assert!(is_dns_subdomain(object.name()) && object.name().len() <= 63, "bad name {}", object.name());
            if object.kind() == "Service" {
                prop_assert!(is_dns_label(object.name()));
            }
        }
        for i in 0..c.members.rendered() {
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

        // Monitoring: the port the scrape object names is on the member container, and on the
        // headless Service for a ServiceMonitor; without monitoring no metrics port is exposed.
        let container_ports: Vec<&str> = pod.containers.iter()
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| p.name.as_deref())
            .collect();
        let scrape_port = rendered.objects.iter().find_map(|o| match o {
            Object::ServiceMonitor(m) => m.spec.endpoints.first().and_then(|e| e.port.clone()),
            Object::PodMonitor(m) => m.spec.pod_metrics_endpoints.first().and_then(|e| e.port.clone()),
            _ => None,
        });
        prop_assert_eq!(scrape_port.is_some(), c.monitoring.is_some());
        prop_assert_eq!(container_ports.contains(&"metrics"), c.monitoring.is_some());
        if let Some(port) = &scrape_port {
            prop_assert!(container_ports.contains(&port.as_str()));
        }
        let rules = rendered.objects.iter().any(|o| matches!(o, Object::PrometheusRule(_)));
        prop_assert_eq!(rules, c.monitoring.as_ref().is_some_and(|m| m.rules));

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
        let expected = if c.resolver() == Some(neo4j_aks_model::validated::Resolver::K8s) { c.members.rendered() as usize } else { 0 };
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
        let before = render(&cluster).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
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
