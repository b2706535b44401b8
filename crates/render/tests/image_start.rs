//! What Neo4j reads after the official image's entrypoint has rewritten the rendered neo4j.conf
//! (testkit's SIMULATION of docker-entrypoint.sh, which cites the script), over generated specs:
//! every address the image would default to the pod's short hostname is set explicitly, to a
//! name the cluster's DNS serves for that member, and nothing the pod's environment turns into a
//! setting is outside Neo4j's catalog.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Service;
use neo4j_aks_model::catalog::Catalog;
use neo4j_aks_model::validated::Edition;
use neo4j_aks_render::{Rendered, render};
use neo4j_aks_testkit::image_entrypoint::{
    ImageLine, ImageStart, StartedConf, container_env, image_defaulted_addresses, start,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use support::{config_map, services, spec_strategy, statefulset};

/// The DNS names Kubernetes serves for member `ordinal`: its pod name under the StatefulSet's
/// governing Service when that Service is headless (DNS for Services and Pods: a pod with
/// `hostname` and `subdomain` set — the StatefulSet sets both — gets
/// `<hostname>.<subdomain>.<ns>.svc.<domain>`), and the name of every Service with a cluster IP
/// that selects this pod alone. Read from the rendered objects, not from the renderer's helpers.
fn served_names(rendered: &Rendered, ordinal: i32) -> BTreeSet<String> {
    let c = &rendered.cluster;
    let pod = c.pod_name(ordinal);
    let domain = format!("{}.svc.{}", c.namespace, c.cluster_domain);
    let sts = statefulset(rendered);
    let governing = sts.spec.as_ref().and_then(|s| s.service_name.clone());
    let mut names = BTreeSet::new();
    for service in services(rendered) {
        let name = service.metadata.name.clone().unwrap_or_default();
        let spec = service.spec.as_ref().expect("service spec");
        let not_ready_published = spec.publish_not_ready_addresses == Some(true);
        if spec.cluster_ip.as_deref() == Some("None") && governing.as_deref() == Some(&name) {
            // Members reach each other while forming, before any is Ready.
            if not_ready_published {
                names.insert(format!("{pod}.{name}.{domain}"));
            }
        } else if spec
            .selector
            .as_ref()
            .and_then(|s| s.get("statefulset.kubernetes.io/pod-name"))
            == Some(&pod)
            && not_ready_published
        {
            names.insert(format!("{name}.{domain}"));
        }
    }
    names
}

/// Services as the API server would hold them: a cluster IP on every non-headless Service, so
/// that service-link variables would be generated if the pod asked for them.
fn with_cluster_ips(services: Vec<&Service>) -> Vec<Service> {
    services
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut s = s.clone();
            if let Some(spec) = s.spec.as_mut()
                && spec.cluster_ip.as_deref() != Some("None")
            {
                spec.cluster_ip = Some(format!("10.96.0.{}", i + 10));
            }
            s
        })
        .collect()
}

fn member_start(rendered: &Rendered, ordinal: i32) -> StartedConf {
    let c = &rendered.cluster;
    let sts = statefulset(rendered);
    let pod = sts
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod spec");
    let neo4j = pod
        .containers
        .iter()
        .find(|c| c.name == "neo4j")
        .expect("neo4j container");
    let name = c.pod_name(ordinal);
    let env = container_env(
        pod,
        neo4j,
        &name,
        &c.namespace,
        &with_cluster_ips(services(rendered)),
    )
    .expect("every variable is a literal or the pod's name");
    let conf = config_map(rendered)
        .data
        .as_ref()
        .and_then(|d| d.get("neo4j.conf"))
        .cloned()
        .expect("neo4j.conf");
    let mounts: BTreeSet<String> = neo4j
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.mount_path.clone())
        .collect();
    start(&ImageStart {
        line: ImageLine::of_version(c.version.as_str()),
        enterprise: c.edition == Edition::Enterprise,
        // A StatefulSet pod's hostname is its name.
        hostname: name,
        env,
        conf_dir: mounts
            .contains("/conf")
            .then(|| BTreeMap::from([("neo4j.conf".to_string(), conf)])),
        mounts,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_image_defaulted_address_is_explicit_and_served_by_the_cluster_dns(cluster in spec_strategy()) {
        let rendered = render(&cluster).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        let c = &rendered.cluster;
        let line = ImageLine::of_version(c.version.as_str());
        let catalog = Catalog::for_dialect(c.version.dialect());
        for ordinal in 0..c.members.rendered() {
            let started = member_start(&rendered, ordinal);
            let served = served_names(&rendered, ordinal);
            prop_assert!(started.duplicates().is_empty(), "{:?}", started.duplicates());
            if c.edition == Edition::Enterprise {
                for (key, port) in image_defaulted_addresses(line) {
                    let value = started.get(key).unwrap_or_default();
                    let (host, got_port) = value.rsplit_once(':').unwrap_or((value, ""));
                    prop_assert_eq!(got_port, port.to_string(), "{}={}", key, value);
                    prop_assert!(served.contains(host), "{key}={value}: not one of {served:?}");
                }
            } else {
                prop_assert!(started.lines.iter().all(|(k, _)| !k.ends_with(".advertised_address") || k == "server.default_advertised_address"));
            }
            let default = started.get("server.default_advertised_address").unwrap_or_default();
            prop_assert!(served.contains(default), "default address {default}: not one of {served:?}");
            // The image dropped its conf directory, and with it Neo4j's JVM defaults: they are back.
            let jvm: Vec<&str> = started.lines.iter().filter(|(k, _)| k == "server.jvm.additional").map(|(_, v)| v.as_str()).collect();
            prop_assert_eq!(jvm, neo4j_aks_render::jvm::default_flags(&c.version, c.edition));
            if c.edition == Edition::Enterprise {
                prop_assert_eq!(started.get("server.panic.shutdown_on_panic"), Some("true"));
            }
            // Every setting that came from the environment is a real one (no service links,
            // no control variable slipping through).
            for setting in &started.from_env {
                prop_assert!(catalog.contains(setting), "{setting} from the environment is not a Neo4j {} setting", c.version);
            }
        }
    }
}

/// A cluster named `neo4j` (the proposal's default) has Services `neo4j-lb` and `neo4j-0-discovery`:
/// with service links their variables would start with `NEO4J_`, and the image would write them
/// into neo4j.conf as settings such as `LB.SERVICE.HOST`.
#[test]
fn a_cluster_named_neo4j_gets_no_service_link_settings() {
    for resolver in ["K8S", "SRV", "LIST"] {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {{name: neo4j, namespace: neo4j}}\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: eval\n  nodeCount: 3\n  discovery: {{resolverType: {resolver}}}\n"
        );
        let cluster = neo4j_aks_model::Neo4jCluster::from_yaml(&yaml).expect("spec parses");
        let rendered = render(&cluster).expect("renders");
        let catalog = Catalog::for_dialect(rendered.cluster.version.dialect());
        for ordinal in 0..3 {
            let started = member_start(&rendered, ordinal);
            let bogus: Vec<&String> = started
                .from_env
                .iter()
                .filter(|s| !catalog.contains(s))
                .collect();
            assert!(bogus.is_empty(), "{resolver}: {bogus:?}");
        }
    }
}
