//! `spec.networkPolicy`: on by default, every namespace a DNS-1123 label, every CIDR a real one.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use super::dns::is_dns_label;
use crate::api::network::{
    ANY_IPV4, DEFAULT_API_SERVER_PORT, DEFAULT_METRICS_NAMESPACES, OPERATOR_NAMESPACE,
};
use crate::problems::Findings;
use crate::spec::{NetworkPolicyPeers, NetworkPolicySpec};
use crate::validated::{LoadBalancer, NetworkPolicy, Peers, Resolver};

/// `None` only when the spec says `enabled: false`. Absent, the section is on with its defaults.
pub(super) fn check_network_policy(
    f: &mut Findings,
    spec: Option<&NetworkPolicySpec>,
    namespace: &str,
    load_balancer: Option<&LoadBalancer>,
    resolver: Option<Resolver>,
) -> Option<NetworkPolicy> {
    let section = spec.cloned().unwrap_or_default();
    if section.enabled == Some(false) {
        return None;
    }
    let clients = section.clients.unwrap_or_default();
    let clients = Peers {
        namespaces: namespaces(
            f,
            "spec.networkPolicy.clients.namespaces",
            clients.namespaces,
            || vec![namespace.to_string()],
        ),
        cidrs: match clients.cidrs {
            Some(cidrs) => check_cidrs(f, "spec.networkPolicy.clients.cidrs", &cidrs),
            None => load_balancer_clients(load_balancer),
        },
    };
    let NetworkPolicyPeers {
        namespaces: metrics_namespaces,
        cidrs: metrics_cidrs,
    } = section.metrics.unwrap_or_default();
    let metrics = Peers {
        namespaces: namespaces(
            f,
            "spec.networkPolicy.metrics.namespaces",
            metrics_namespaces,
            || {
                DEFAULT_METRICS_NAMESPACES
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            },
        ),
        cidrs: check_cidrs(
            f,
            "spec.networkPolicy.metrics.cidrs",
            &metrics_cidrs.unwrap_or_default(),
        ),
    };
    let operator_namespace = section
        .operator_namespace
        .unwrap_or_else(|| OPERATOR_NAMESPACE.to_string());
    if !is_dns_label(&operator_namespace) {
        f.problem(
            "spec.networkPolicy.operatorNamespace",
            not_a_namespace(&operator_namespace),
        );
    }
    let api_server = section.api_server.unwrap_or_default();
    let api_server_cidrs = match api_server.cidrs {
        Some(cidrs) => check_cidrs(f, "spec.networkPolicy.apiServer.cidrs", &cidrs),
        None => {
            if resolver == Some(Resolver::K8s) {
                f.warning(
                    "spec.networkPolicy.apiServer.cidrs",
                    "the K8S resolver's members may open the API server port on any address; list the API server's addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes) or use the LIST or SRV resolver, which needs no API access",
                );
            }
            vec![ANY_IPV4.to_string()]
        }
    };
    let api_server_port = api_server.port.unwrap_or(DEFAULT_API_SERVER_PORT);
    if !(1..=65535).contains(&api_server_port) {
        f.problem(
            "spec.networkPolicy.apiServer.port",
            format!("{api_server_port} is not a port (1 to 65535)"),
        );
    }
    let azure_storage_cidrs = match section.azure_storage.and_then(|a| a.cidrs) {
        Some(cidrs) => check_cidrs(f, "spec.networkPolicy.azureStorage.cidrs", &cidrs),
        None => vec![ANY_IPV4.to_string()],
    };
    Some(NetworkPolicy {
        clients,
        metrics,
        operator_namespace,
        api_server_cidrs,
        api_server_port,
        azure_storage_cidrs,
    })
}

/// What the load balancer admits is what the policy admits: its source ranges (normalized to
/// their network address), or any address when it has none (the LB already warned about that);
/// nothing from outside without a load balancer.
fn load_balancer_clients(load_balancer: Option<&LoadBalancer>) -> Vec<String> {
    let Some(lb) = load_balancer else {
        return Vec::new();
    };
    if lb.source_ranges.is_empty() {
        return vec![ANY_IPV4.to_string()];
    }
    let mut cidrs: Vec<String> = lb
        .source_ranges
        .iter()
        // Each was checked to be a CIDR by the load balancer's own validation.
        .filter_map(|r| IpNet::from_str(r).ok())
        .map(|net| net.trunc().to_string())
        .collect();
    dedup_in_order(&mut cidrs);
    cidrs
}

fn namespaces(
    f: &mut Findings,
    path: &str,
    given: Option<Vec<String>>,
    default: impl FnOnce() -> Vec<String>,
) -> Vec<String> {
    let Some(mut names) = given else {
        return default();
    };
    for (i, name) in names.iter().enumerate() {
        if !is_dns_label(name) {
            f.problem(format!("{path}[{i}]"), not_a_namespace(name));
        }
    }
    dedup_in_order(&mut names);
    names
}

fn not_a_namespace(name: &str) -> String {
    format!(
        "{name:?} is not a namespace name (DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)"
    )
}

/// Every entry must parse as a CIDR and name a network, not a host in it: `10.1.2.3/8` is
/// refused with the network it probably means, since a policy is no place to guess.
fn check_cidrs(f: &mut Findings, path: &str, cidrs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, text) in cidrs.iter().enumerate() {
        let at = format!("{path}[{i}]");
        match IpNet::from_str(text) {
            Ok(net) if net.trunc() != net => f.problem(
                at,
                format!(
                    "{text:?} has host bits set; write the network, {}",
                    net.trunc()
                ),
            ),
            Ok(net) => out.push(net.to_string()),
            Err(_) => {
                let hint = match IpAddr::from_str(text) {
                    Ok(IpAddr::V4(_)) => format!("; a single address is {text}/32"),
                    Ok(IpAddr::V6(_)) => format!("; a single address is {text}/128"),
                    Err(_) => String::new(),
                };
                f.problem(
                    at,
                    format!("{text:?} is not a CIDR such as 203.0.113.0/24 or 2001:db8::/48{hint}"),
                );
            }
        }
    }
    dedup_in_order(&mut out);
    out
}

fn dedup_in_order(items: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    items.retain(|i| seen.insert(i.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(cidrs: &[&str]) -> Vec<String> {
        let mut f = Findings::default();
        let cidrs: Vec<String> = cidrs.iter().map(ToString::to_string).collect();
        check_cidrs(&mut f, "p", &cidrs);
        f.problems.into_iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn cidrs_must_parse_and_name_a_network() {
        assert!(problems(&["10.0.0.0/8", "2001:db8::/48", "0.0.0.0/0"]).is_empty());
        assert_eq!(
            problems(&["10.1.2.3/8"]),
            ["p[0]: \"10.1.2.3/8\" has host bits set; write the network, 10.0.0.0/8"]
        );
        assert!(problems(&["10.0.0.1"])[0].contains("a single address is 10.0.0.1/32"));
        assert!(problems(&["", "10.0.0.0/33", "example.com/24"]).len() == 3);
    }

    #[test]
    fn load_balancer_ranges_become_networks() {
        let lb = LoadBalancer {
            annotations: Default::default(),
            source_ranges: vec!["203.0.113.7/24".into(), "203.0.113.0/24".into()],
        };
        assert_eq!(load_balancer_clients(Some(&lb)), ["203.0.113.0/24"]);
        let open = LoadBalancer {
            annotations: Default::default(),
            source_ranges: vec![],
        };
        assert_eq!(load_balancer_clients(Some(&open)), ["0.0.0.0/0"]);
        assert!(load_balancer_clients(None).is_empty());
    }
}
