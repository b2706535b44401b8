//! The client load balancer.

use super::check_annotations;
use super::dns::is_dns_label;
use std::net::IpAddr;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::LoadBalancer;

pub(super) fn check_load_balancer(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
) -> Option<LoadBalancer> {
    let lb = spec
        .service
        .as_ref()
        .and_then(|s| s.load_balancer.clone())
        .unwrap_or_default();
    if lb.enabled == Some(false) {
        return None;
    }
    const PREFIX: &str = "service.beta.kubernetes.io/";
    let mut annotations = check_annotations(
        f,
        "spec.service.loadBalancer.annotations",
        lb.annotations.as_ref(),
    );
    let internal = lb.internal.unwrap_or(false);
    if internal {
        annotations.insert(
            format!("{PREFIX}azure-load-balancer-internal"),
            "true".into(),
        );
    }
    if let Some(group) = lb.static_ip_resource_group {
        if group.is_empty() || group.len() > 90 || group.ends_with('.') {
            f.problem(
                "spec.service.loadBalancer.staticIpResourceGroup",
                format!("{group:?} is not an Azure resource group name"),
            );
        }
        annotations.insert(format!("{PREFIX}azure-load-balancer-resource-group"), group);
    }
    if let Some(ip) = lb.static_ip {
        if !matches!(ip.parse::<IpAddr>(), Ok(IpAddr::V4(_))) {
            f.problem(
                "spec.service.loadBalancer.staticIp",
                format!("{ip:?} is not an IPv4 address"),
            );
        }
        annotations.insert(format!("{PREFIX}azure-load-balancer-ipv4"), ip);
    }
    if let Some(label) = lb.dns_label {
        if internal {
            f.problem(
                "spec.service.loadBalancer.dnsLabel",
                "Azure DNS labels name public IPs; an internal load balancer has none",
            );
        }
        if !is_dns_label(&label) {
            f.problem(
                "spec.service.loadBalancer.dnsLabel",
                format!("{label:?} is not a DNS label"),
            );
        }
        annotations.insert(format!("{PREFIX}azure-dns-label-name"), label);
    }
    let source_ranges = lb.load_balancer_source_ranges.unwrap_or_default();
    for (i, range) in source_ranges.iter().enumerate() {
        if !is_cidr(range) {
            f.problem(
                format!("spec.service.loadBalancer.loadBalancerSourceRanges[{i}]"),
                format!("{range:?} is not a CIDR such as 203.0.113.0/24"),
            );
        }
    }
    if !internal && source_ranges.is_empty() {
        f.warning("spec.service.loadBalancer", "a public load balancer open to any address; set loadBalancerSourceRanges or internal: true");
    }
    Some(LoadBalancer {
        annotations,
        source_ranges,
    })
}

/// A CIDR as the load balancer takes it: host bits are allowed (the cloud provider masks them).
pub(super) fn is_cidr(s: &str) -> bool {
    s.parse::<ipnet::IpNet>().is_ok()
}
