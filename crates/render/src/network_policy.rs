//! NetworkPolicies (`spec.networkPolicy`, docs/security/network-policy.md): every pod the cluster
//! renders is selected by exactly one policy that names both directions, so whatever its rules do
//! not allow is denied, in and out.
//!
//! - `<name>-members`: in, the cluster ports from the other members, the client ports (Bolt,
//!   HTTP, and HTTPS once TLS serves it) from the allowed namespaces and CIDRs, Bolt from the
//!   operator, backup and Bolt from the backup Job, metrics from the monitoring namespaces while
//!   the members expose a metrics port; out, DNS, the other members' cluster ports, the API server
//!   for the K8S resolver, Azure Blob while seeding from a backup.
//! - `<name>-backup`: in, nothing; out, DNS, the members' backup and Bolt ports, Azure Blob.
//! - `<name>-backup-verification`: in, nothing; out, DNS and Azure Blob (its throw-away server
//!   listens on loopback, which no policy filters).
//!
//! Which rule a port gets follows from the ports the rendered members' Neo4j container declares
//! ([`declared_ports`]): a port the members do not listen on gets no rule, and a port a later
//! feature adds (HTTPS with TLS, metrics with monitoring) gets its rule without a change here.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::api::network::{
    AZURE_HTTPS_PORT, DNS_NAMESPACE, DNS_POD_LABEL, DNS_PORT, NAMESPACE_NAME_LABEL, OPERATOR_NAME,
};
use neo4j_aks_model::validated::{NetworkPolicy as Settings, Peers, Resolver};

use crate::backup::{BACKUP_COMPONENT, VERIFICATION_COMPONENT, pod_selector};
use crate::{labels, meta, ports};

/// Ports members open only to each other: discovery v2 / catch-up, Raft, server-side routing,
/// and discovery v1 on a line that still listens on it.
pub const PEER_PORTS: [i32; 4] = [
    ports::DISCOVERY,
    ports::DISCOVERY_V1,
    ports::RAFT,
    ports::ROUTING,
];
/// Ports clients use.
pub const CLIENT_PORTS: [i32; 3] = [ports::BOLT, ports::HTTP, ports::HTTPS];
/// What the backup Job opens on a member: the backup port, and Bolt to choose its source.
pub const BACKUP_JOB_PORTS: [i32; 2] = [ports::BACKUP, ports::BOLT];

/// Every policy of the cluster, in apply order; none when `spec.networkPolicy.enabled: false`.
pub fn build(cluster: &ValidatedCluster) -> Vec<NetworkPolicy> {
    build_for(cluster, &crate::statefulset::build(cluster, ""))
}

/// [`build`] for the members the rendered StatefulSet runs: the ports its Neo4j container
/// declares decide which rules exist.
pub fn build_for(cluster: &ValidatedCluster, members: &StatefulSet) -> Vec<NetworkPolicy> {
    build_for_ports(cluster, &declared_ports(members))
}

/// `(name, port)` of every port the members' Neo4j container declares.
pub fn declared_ports(members: &StatefulSet) -> Vec<(String, i32)> {
    members
        .spec
        .iter()
        .filter_map(|s| s.template.spec.as_ref())
        .flat_map(|pod| &pod.containers)
        .filter(|c| c.name == neo4j_aks_model::api::containers::NEO4J)
        .flat_map(|c| c.ports.iter().flatten())
        .map(|p| (p.name.clone().unwrap_or_default(), p.container_port))
        .collect()
}

/// [`build`] for members that declare `member_ports`.
pub fn build_for_ports(
    cluster: &ValidatedCluster,
    member_ports: &[(String, i32)],
) -> Vec<NetworkPolicy> {
    let Some(settings) = &cluster.network_policy else {
        return Vec::new();
    };
    let mut policies = vec![members(cluster, settings, member_ports)];
    if let Some(backup) = &cluster.backup {
        policies.push(policy(
            cluster,
            cluster.backup_network_policy_name(),
            pod_selector(cluster, BACKUP_COMPONENT),
            Vec::new(),
            vec![
                dns(),
                egress(
                    vec![pods(labels::selector(cluster))],
                    tcp(&exposed(member_ports, &BACKUP_JOB_PORTS)),
                ),
                azure_storage(settings),
            ],
        ));
        if backup.verification_schedule.is_some() {
            policies.push(policy(
                cluster,
                cluster.verification_network_policy_name(),
                pod_selector(cluster, VERIFICATION_COMPONENT),
                Vec::new(),
                vec![dns(), azure_storage(settings)],
            ));
        }
    }
    policies
}

fn members(
    cluster: &ValidatedCluster,
    settings: &Settings,
    member_ports: &[(String, i32)],
) -> NetworkPolicy {
    let members = || pods(labels::selector(cluster));
    let peer_ports = if cluster.is_cluster() {
        exposed(member_ports, &PEER_PORTS)
    } else {
        Vec::new()
    };
    let mut ingress = Vec::new();
    let mut egress_rules = vec![dns()];
    if !peer_ports.is_empty() {
        ingress.push(ingress_rule(vec![members()], tcp(&peer_ports)));
        egress_rules.push(egress(vec![members()], tcp(&peer_ports)));
    }
    let client_ports = exposed(member_ports, &CLIENT_PORTS);
    if !settings.clients.is_empty() && !client_ports.is_empty() {
        ingress.push(ingress_rule(peers(&settings.clients), tcp(&client_ports)));
    }
    ingress.push(ingress_rule(
        vec![NetworkPolicyPeer {
            namespace_selector: Some(namespace_selector(std::slice::from_ref(
                &settings.operator_namespace,
            ))),
            pod_selector: Some(match_labels(BTreeMap::from([(
                neo4j_aks_model::api::labels::NAME.to_string(),
                OPERATOR_NAME.to_string(),
            )]))),
            ..NetworkPolicyPeer::default()
        }],
        tcp(&exposed(member_ports, &[ports::BOLT])),
    ));
    if cluster.backup.is_some() {
        ingress.push(ingress_rule(
            vec![pods(pod_selector(cluster, BACKUP_COMPONENT))],
            tcp(&exposed(member_ports, &BACKUP_JOB_PORTS)),
        ));
    }
    let metrics_ports = exposed(member_ports, &[ports::METRICS]);
    if !metrics_ports.is_empty() && !settings.metrics.is_empty() {
        ingress.push(ingress_rule(peers(&settings.metrics), tcp(&metrics_ports)));
    }
    if cluster.resolver() == Some(Resolver::K8s) {
        egress_rules.push(egress(
            ip_blocks(&settings.api_server_cidrs),
            tcp(&[settings.api_server_port]),
        ));
    }
    if cluster.bootstrap.is_some() {
        // The seed init containers download the chain from Azure Blob.
        egress_rules.push(azure_storage(settings));
    }
    policy(
        cluster,
        cluster.members_network_policy_name(),
        labels::selector(cluster),
        ingress,
        egress_rules,
    )
}

/// The ports of `wanted` that the members declare, in the members' order.
fn exposed(member_ports: &[(String, i32)], wanted: &[i32]) -> Vec<i32> {
    member_ports
        .iter()
        .map(|(_, port)| *port)
        .filter(|port| wanted.contains(port))
        .collect()
}

/// Both directions are named, each with its rules; a direction without rules denies everything.
fn policy(
    cluster: &ValidatedCluster,
    name: String,
    selector: BTreeMap<String, String>,
    ingress: Vec<NetworkPolicyIngressRule>,
    egress: Vec<NetworkPolicyEgressRule>,
) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta::namespaced(cluster, name),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(match_labels(selector)),
            policy_types: Some(vec!["Ingress".to_string(), "Egress".to_string()]),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
        }),
    }
}

fn ingress_rule(
    from: Vec<NetworkPolicyPeer>,
    ports: Vec<NetworkPolicyPort>,
) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        from: Some(from),
        ports: Some(ports),
    }
}

fn egress(to: Vec<NetworkPolicyPeer>, ports: Vec<NetworkPolicyPort>) -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(to),
        ports: Some(ports),
    }
}

/// Cluster DNS: the kube-dns pods in kube-system, UDP and TCP 53 (a Service's traffic is matched
/// after it was translated to the pod).
fn dns() -> NetworkPolicyEgressRule {
    let (key, value) = DNS_POD_LABEL;
    egress(
        vec![NetworkPolicyPeer {
            namespace_selector: Some(namespace_selector(&[DNS_NAMESPACE.to_string()])),
            pod_selector: Some(match_labels(BTreeMap::from([(
                key.to_string(),
                value.to_string(),
            )]))),
            ..NetworkPolicyPeer::default()
        }],
        [("UDP", DNS_PORT), ("TCP", DNS_PORT)]
            .into_iter()
            .map(|(protocol, port)| port_of(protocol, port))
            .collect(),
    )
}

fn azure_storage(settings: &Settings) -> NetworkPolicyEgressRule {
    egress(
        ip_blocks(&settings.azure_storage_cidrs),
        tcp(&[AZURE_HTTPS_PORT]),
    )
}

fn peers(allowed: &Peers) -> Vec<NetworkPolicyPeer> {
    let mut peers = Vec::new();
    if !allowed.namespaces.is_empty() {
        peers.push(NetworkPolicyPeer {
            namespace_selector: Some(namespace_selector(&allowed.namespaces)),
            ..NetworkPolicyPeer::default()
        });
    }
    peers.extend(ip_blocks(&allowed.cidrs));
    peers
}

fn ip_blocks(cidrs: &[String]) -> Vec<NetworkPolicyPeer> {
    cidrs
        .iter()
        .map(|cidr| NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.clone(),
                except: None,
            }),
            ..NetworkPolicyPeer::default()
        })
        .collect()
}

fn pods(selector: BTreeMap<String, String>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(match_labels(selector)),
        ..NetworkPolicyPeer::default()
    }
}

/// Namespaces by name, through the label Kubernetes puts on every namespace.
fn namespace_selector(names: &[String]) -> LabelSelector {
    LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: NAMESPACE_NAME_LABEL.to_string(),
            operator: "In".to_string(),
            values: Some(names.to_vec()),
        }]),
        ..LabelSelector::default()
    }
}

fn match_labels(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
        ..LabelSelector::default()
    }
}

fn tcp(ports: &[i32]) -> Vec<NetworkPolicyPort> {
    ports.iter().map(|p| port_of("TCP", *p)).collect()
}

fn port_of(protocol: &str, port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(port)),
        protocol: Some(protocol.to_string()),
        end_port: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neo4j_aks_model::{Neo4jCluster, validate};

    fn cluster(extra: &str) -> ValidatedCluster {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: g\n  namespace: db\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n{extra}"
        );
        validate(&Neo4jCluster::from_yaml(&yaml).expect("parses")).expect("valid")
    }

    fn rule_ports(rule: &NetworkPolicyIngressRule) -> Vec<i32> {
        rule.ports
            .iter()
            .flatten()
            .filter_map(|p| match p.port {
                Some(IntOrString::Int(n)) => Some(n),
                _ => None,
            })
            .collect()
    }

    fn ingress_of(policy: &NetworkPolicy) -> Vec<NetworkPolicyIngressRule> {
        policy
            .spec
            .as_ref()
            .and_then(|s| s.ingress.clone())
            .unwrap_or_default()
    }

    #[test]
    fn metrics_get_a_rule_only_while_the_members_declare_the_port() {
        let c = cluster("  networkPolicy:\n    metrics:\n      namespaces: [prometheus]\n");
        let without = build(&c);
        assert!(
            ingress_of(&without[0])
                .iter()
                .all(|r| !rule_ports(r).contains(&ports::METRICS)),
            "no metrics port, no metrics rule"
        );
        // What spec.monitoring adds to the members' container ports.
        let mut with_metrics = ports::member_ports(&c);
        with_metrics.push(("metrics".to_string(), ports::METRICS));
        let with = build_for_ports(&c, &with_metrics);
        let rules: Vec<_> = ingress_of(&with[0])
            .into_iter()
            .filter(|r| rule_ports(r).contains(&ports::METRICS))
            .collect();
        assert_eq!(rules.len(), 1);
        assert_eq!(rule_ports(&rules[0]), [ports::METRICS]);
        let from = rules[0].from.clone().unwrap_or_default();
        assert_eq!(from.len(), 1);
        let selector = from[0].namespace_selector.clone().expect("by namespace");
        let expression = &selector.match_expressions.expect("by name")[0];
        assert_eq!(expression.key, NAMESPACE_NAME_LABEL);
        assert_eq!(
            expression.values.as_deref(),
            Some(&["prometheus".into()][..])
        );
        assert!(from[0].pod_selector.is_none());
    }

    #[test]
    fn the_rules_follow_the_ports_the_rendered_container_declares() {
        let c = cluster("");
        let members = crate::statefulset::build(&c, "");
        assert_eq!(declared_ports(&members), ports::member_ports(&c));
        // A container that declares the metrics port gets the metrics rule.
        let mut with_metrics = members.clone();
        if let Some(pod) = with_metrics
            .spec
            .as_mut()
            .and_then(|s| s.template.spec.as_mut())
        {
            pod.containers[0].ports.get_or_insert_with(Vec::new).push(
                k8s_openapi::api::core::v1::ContainerPort {
                    name: Some("metrics".into()),
                    container_port: ports::METRICS,
                    protocol: Some("TCP".into()),
                    ..Default::default()
                },
            );
        }
        assert!(
            ingress_of(&build_for(&c, &with_metrics)[0])
                .iter()
                .any(|r| rule_ports(r) == [ports::METRICS])
        );
    }

    #[test]
    fn https_joins_the_client_rule_when_the_members_declare_it() {
        let c = cluster("");
        let mut with_tls = ports::member_ports(&c);
        with_tls.push(("https".to_string(), ports::HTTPS));
        let policies = build_for_ports(&c, &with_tls);
        let client_rule = ingress_of(&policies[0])
            .into_iter()
            .find(|r| rule_ports(r).contains(&ports::HTTP))
            .expect("a client rule");
        assert_eq!(
            rule_ports(&client_rule),
            [ports::BOLT, ports::HTTP, ports::HTTPS]
        );
    }

    #[test]
    fn disabled_renders_nothing_and_a_standalone_server_has_no_peer_rule() {
        assert!(build(&cluster("  networkPolicy:\n    enabled: false\n")).is_empty());
        let standalone = cluster("").clone();
        let standalone = ValidatedCluster {
            clustering: None,
            members: neo4j_aks_model::validated::Members::new(1),
            ..standalone
        };
        let policies = build(&standalone);
        assert!(
            ingress_of(&policies[0])
                .iter()
                .all(|r| !rule_ports(r).contains(&ports::RAFT))
        );
    }

    /// Every pod template the renderer produces is selected by exactly one of the policies, and
    /// that policy names both directions: a new kind of pod without a policy fails here.
    #[test]
    fn every_rendered_pod_is_isolated_by_exactly_one_policy() {
        let specs = [
            "",
            "  discovery:\n    resolverType: SRV\n",
            "  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: key\n",
            "  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: key\n      databases: [neo4j]\n",
        ];
        for extra in specs {
            let rendered = crate::build(cluster(extra));
            let values = rendered.to_json_values();
            let policies: Vec<&serde_json::Value> = values
                .iter()
                .filter(|v| v["kind"] == "NetworkPolicy")
                .collect();
            let templates: Vec<&serde_json::Value> = values
                .iter()
                .filter_map(|v| match v["kind"].as_str() {
                    Some("StatefulSet") => Some(&v["spec"]["template"]),
                    Some("CronJob") => Some(&v["spec"]["jobTemplate"]["spec"]["template"]),
                    _ => None,
                })
                .collect();
            assert!(!templates.is_empty());
            for template in templates {
                let labels = &template["metadata"]["labels"];
                let selecting: Vec<&&serde_json::Value> = policies
                    .iter()
                    .filter(|p| {
                        p["spec"]["podSelector"]["matchLabels"]
                            .as_object()
                            .expect("selects by labels")
                            .iter()
                            .all(|(k, v)| &labels[k] == v)
                    })
                    .collect();
                assert_eq!(selecting.len(), 1, "{extra}: {labels}");
                assert_eq!(
                    selecting[0]["spec"]["policyTypes"],
                    serde_json::json!(["Ingress", "Egress"])
                );
            }
        }
    }

    #[test]
    fn every_policy_names_both_directions() {
        let c = cluster(
            "  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: key\n",
        );
        let policies = build(&c);
        assert_eq!(policies.len(), 3);
        for p in &policies {
            let spec = p.spec.as_ref().expect("spec");
            assert_eq!(
                spec.policy_types.as_deref(),
                Some(&["Ingress".to_string(), "Egress".to_string()][..])
            );
        }
    }
}
