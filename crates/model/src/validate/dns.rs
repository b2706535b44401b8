//! Kubernetes name rules, and the lengths of every derived name.

use super::Findings;
use crate::problems::Invalid;
use crate::spec::Neo4jClusterSpec;
use crate::validated::ValidatedCluster;

pub(super) fn check_dns_lengths(cluster: &ValidatedCluster) -> Result<(), Invalid> {
    let longest = cluster.member_fqdn(cluster.members.asked() - 1);
    if longest.len() > 253 {
        return Err(Invalid::single(
            "metadata.namespace",
            format!(
                "member address {longest} exceeds 253 characters; shorten the name, namespace or clusterDomain"
            ),
        ));
    }
    Ok(())
}

pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// IANA service name, which Kubernetes requires of named ports.
pub fn is_port_name(s: &str) -> bool {
    is_dns_label(s)
        && s.len() <= 15
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.contains("--")
}

pub fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

pub fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, s),
    };
    prefix.is_none_or(is_dns_subdomain) && !name.is_empty() && is_label_value(name)
}

pub(super) fn check_cluster_domain(f: &mut Findings, spec: &Neo4jClusterSpec) -> String {
    let cluster_domain = spec
        .cluster_domain
        .clone()
        .unwrap_or_else(|| "cluster.local".to_string());
    if !is_dns_subdomain(&cluster_domain) {
        f.problem(
            "spec.clusterDomain",
            format!("{cluster_domain:?} is not a DNS domain, e.g. cluster.local"),
        );
    }
    cluster_domain
}
