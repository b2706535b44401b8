//! Services: the headless Service (stable member names, SRV records), one discovery Service per
//! member for the K8S resolver, and the client LoadBalancer.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::Resolver;
use std::collections::BTreeMap;

use crate::{labels, meta, ports};

fn service_ports(ports: Vec<(String, i32)>) -> Vec<ServicePort> {
    ports
        .into_iter()
        .map(|(name, port)| ServicePort {
            name: Some(name),
            port,
            target_port: Some(IntOrString::Int(port)),
            protocol: Some("TCP".to_string()),
            ..ServicePort::default()
        })
        .collect()
}

/// Members must reach each other while the cluster forms, before any of them is Ready, so
/// not-ready addresses are published (otherwise formation waits on readiness, which waits on
/// formation).
pub fn headless(cluster: &ValidatedCluster) -> Service {
    Service {
        metadata: meta::namespaced(cluster, cluster.headless_service_name()),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_string()),
            publish_not_ready_addresses: Some(true),
            selector: Some(labels::selector(cluster)),
            ports: Some(service_ports(ports::member_ports(cluster))),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// The K8S resolver treats every Service it matches as one member, so each member gets its own,
/// selecting exactly one pod by the StatefulSet's pod-name label.
pub fn discovery(cluster: &ValidatedCluster) -> Vec<Service> {
    let Some(clustering) = cluster
        .clustering
        .as_ref()
        .filter(|c| c.resolver == Resolver::K8s)
    else {
        return Vec::new();
    };
    (0..cluster.members.rendered())
        .map(|ordinal| {
            let mut selector = labels::selector(cluster);
            selector.insert(
                labels::POD_NAME_LABEL.to_string(),
                cluster.pod_name(ordinal),
            );
            Service {
                metadata: meta::with_labels(
                    cluster,
                    cluster.discovery_service_name(ordinal),
                    labels::discovery(cluster),
                ),
                spec: Some(ServiceSpec {
                    type_: Some("ClusterIP".to_string()),
                    publish_not_ready_addresses: Some(true),
                    selector: Some(selector),
                    ports: Some(service_ports(vec![(
                        clustering.port_name.clone(),
                        ports::DISCOVERY,
                    )])),
                    ..ServiceSpec::default()
                }),
                ..Service::default()
            }
        })
        .collect()
}

/// Clients reach any Ready member; server-side routing takes writes to the leader.
pub fn load_balancer(cluster: &ValidatedCluster) -> Option<Service> {
    let lb = cluster.load_balancer.as_ref()?;
    let mut metadata = meta::namespaced(cluster, cluster.load_balancer_name());
    let mut annotations: BTreeMap<String, String> = metadata.annotations.take().unwrap_or_default();
    annotations.extend(lb.annotations.clone());
    metadata.annotations = (!annotations.is_empty()).then_some(annotations);
    Some(Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".to_string()),
            selector: Some(labels::selector(cluster)),
            ports: Some(service_ports(ports::client_ports(cluster))),
            // Keeps the client address, which loadBalancerSourceRanges and audit logs need.
            external_traffic_policy: Some("Local".to_string()),
            session_affinity: Some("None".to_string()),
            load_balancer_source_ranges: (!lb.source_ranges.is_empty())
                .then(|| lb.source_ranges.clone()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}
