//! TLS: scopes, Bolt's level, the names on generated certificates and their lifetimes.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::dns::is_dns_subdomain;
use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::{Edition, LoadBalancer, Tls, TlsScope, TlsSource};

const DEFAULT_CERTIFICATE_DAYS: u32 = 90;
const DEFAULT_RENEW_BEFORE_DAYS: u32 = 30;
const DEFAULT_CA_DAYS: u32 = 3650;
/// The CA/Browser Forum's limit for public certificates; nothing Neo4j needs is longer.
const MAX_CERTIFICATE_DAYS: u32 = 398;
const MAX_CA_DAYS: u32 = 36500;

pub(super) fn check_tls(
    f: &mut Findings,
    cluster_name: Option<&str>,
    spec: &Neo4jClusterSpec,
    members: Option<i32>,
    edition: Edition,
    load_balancer: Option<&LoadBalancer>,
) -> Option<Tls> {
    let tls = spec.tls.as_ref().filter(|t| t.enabled == Some(true))?;
    let clustered = members.is_some_and(|m| m > 1);

    let source_name = tls.source.as_deref().unwrap_or("generated");
    // Each section belongs to one source; with another it would be silently ignored.
    let sections = [
        ("generated", tls.generated.is_some(), "spec.tls.generated"),
        ("secret", tls.secret.is_some(), "spec.tls.secret"),
        (
            "certManager",
            tls.cert_manager.is_some(),
            "spec.tls.certManager",
        ),
    ];
    if ["generated", "secret", "certManager"].contains(&source_name) {
        for (owner, present, path) in sections {
            if present && owner != source_name {
                f.problem(
                    path,
                    format!(
                        "applies only to source: {owner} (this cluster's source is {source_name}); remove it, or set spec.tls.source: {owner}"
                    ),
                );
            }
        }
    }
    let source = match source_name {
        "generated" => TlsSource::Generated,
        "secret" => {
            let name = tls.secret.as_ref().and_then(|s| s.name.clone());
            match name {
                None => {
                    f.problem(
                        "spec.tls.secret.name",
                        "required with source: secret: the Secret (in the cluster's namespace) holding <pod>.crt, <pod>.key and ca.crt for every member",
                    );
                    TlsSource::Secret(String::new())
                }
                Some(name) => {
                    if !is_dns_subdomain(&name) {
                        f.problem(
                            "spec.tls.secret.name",
                            format!(
                                "{name:?} is not a Secret name (lowercase letters, digits, '-' and '.', at most 253 characters)"
                            ),
                        );
                    } else if let Some(cluster) = cluster_name
                        && [format!("{cluster}-tls"), format!("{cluster}-tls-ca")].contains(&name)
                    {
                        // The generated source's Secrets are neo4j-aks's own: pruned when no
                        // longer rendered, which would delete the user's certificates.
                        f.problem(
                            "spec.tls.secret.name",
                            format!(
                                "{name:?} is reserved for the generated source's Secrets; give your Secret another name"
                            ),
                        );
                    }
                    TlsSource::Secret(name)
                }
            }
        }
        "certManager" => TlsSource::CertManager(super::cert_manager::check_cert_manager(
            f,
            tls.cert_manager.as_ref(),
        )),
        other => {
            f.problem(
                "spec.tls.source",
                format!(
                    "{other:?} is not a source; use \"generated\", \"secret\" or \"certManager\""
                ),
            );
            TlsSource::Generated
        }
    };

    let available: Vec<TlsScope> = TlsScope::ALL
        .into_iter()
        .filter(|s| match s {
            TlsScope::Cluster => clustered,
            // Online backup is an Enterprise feature: Community has no backup server to encrypt.
            TlsScope::Backup => edition == Edition::Enterprise,
            TlsScope::Bolt | TlsScope::Https => true,
        })
        .collect();
    let scopes: BTreeSet<TlsScope> = match &tls.scopes {
        None => available.iter().copied().collect(),
        Some(names) => {
            if names.is_empty() {
                f.problem(
                    "spec.tls.scopes",
                    "empty: list at least one of bolt, https, cluster, backup, or leave it out for all",
                );
            }
            let mut seen = BTreeSet::new();
            for (i, name) in names.iter().enumerate() {
                let path = format!("spec.tls.scopes[{i}]");
                match TlsScope::parse(name) {
                    None => f.problem(
                        path,
                        format!("{name:?} is not a scope; use bolt, https, cluster or backup"),
                    ),
                    Some(scope) if !available.contains(&scope) => f.problem(
                        path,
                        match scope {
                            TlsScope::Cluster => {
                                "cluster traffic exists only between members of a cluster (nodeCount of 3 or more)"
                            }
                            _ => "backup needs the enterprise edition (Community has no backup server)",
                        },
                    ),
                    Some(scope) => {
                        if !seen.insert(scope) {
                            f.problem(path, format!("{name:?} is listed twice"));
                        }
                    }
                }
            }
            seen
        }
    };

    let bolt_required = match tls.bolt_tls_level.as_deref() {
        None | Some("REQUIRED") => true,
        Some("OPTIONAL") => false,
        Some(other) => {
            f.problem(
                "spec.tls.boltTlsLevel",
                format!("{other:?} is not a level; use REQUIRED or OPTIONAL"),
            );
            true
        }
    };

    let extra_dns_names = tls.extra_dns_names.clone().unwrap_or_default();
    for (i, name) in extra_dns_names.iter().enumerate() {
        let host = name.strip_prefix("*.").unwrap_or(name);
        if !is_dns_subdomain(host) {
            f.problem(
                format!("spec.tls.extraDnsNames[{i}]"),
                format!("{name:?} is not a DNS name (lowercase labels separated by dots, optionally starting with \"*.\")"),
            );
        }
    }
    let mut extra_ip_addresses = Vec::new();
    for (i, ip) in tls.extra_ip_addresses.iter().flatten().enumerate() {
        match ip.parse::<IpAddr>() {
            Ok(ip) => extra_ip_addresses.push(ip),
            Err(_) => f.problem(
                format!("spec.tls.extraIpAddresses[{i}]"),
                format!("{ip:?} is not an IPv4 or IPv6 address"),
            ),
        }
    }
    // Clients that reach the load balancer by its static IP check that IP against the certificate.
    let static_ip = load_balancer
        .and(spec.service.as_ref())
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.static_ip.as_deref())
        .and_then(|ip| ip.parse::<IpAddr>().ok());
    if let Some(ip) = static_ip.filter(|ip| !extra_ip_addresses.contains(ip)) {
        extra_ip_addresses.push(ip);
    }

    let generated = tls.generated.clone().unwrap_or_default();
    let certificate_days = generated
        .certificate_days
        .unwrap_or(DEFAULT_CERTIFICATE_DAYS);
    let renew_before_days = generated
        .renew_before_days
        .unwrap_or(DEFAULT_RENEW_BEFORE_DAYS);
    let ca_days = generated.ca_days.unwrap_or(DEFAULT_CA_DAYS);
    if !(1..=MAX_CERTIFICATE_DAYS).contains(&certificate_days) {
        f.problem(
            "spec.tls.generated.certificateDays",
            format!("{certificate_days} is out of range; use 1 to {MAX_CERTIFICATE_DAYS}"),
        );
    }
    if renew_before_days == 0 || renew_before_days >= certificate_days {
        f.problem(
            "spec.tls.generated.renewBeforeDays",
            format!(
                "{renew_before_days} must be at least 1 and less than certificateDays ({certificate_days}), or every reconcile would renew"
            ),
        );
    }
    if ca_days <= certificate_days || ca_days > MAX_CA_DAYS {
        f.problem(
            "spec.tls.generated.caDays",
            format!(
                "{ca_days} must be longer than certificateDays ({certificate_days}) and at most {MAX_CA_DAYS}"
            ),
        );
    }

    Some(Tls {
        source,
        scopes,
        bolt_required,
        extra_dns_names,
        extra_ip_addresses,
        certificate_days,
        renew_before_days,
        ca_days,
        rotate_requested_at: None,
        rotate_ca_requested_at: None,
        renewed_at: None,
        trusted_ca_added_at: None,
    })
}

/// With the `backup` scope the members' backup port requires a client certificate signed by the
/// cluster CA. The operator issues one to the backup Jobs with generated certificates; the
/// layouts of `secret` and `certManager` have no place for it yet.
pub(super) fn check_tls_and_backup(f: &mut Findings, tls: Option<&Tls>, backup_enabled: bool) {
    let Some(tls) = tls.filter(|_| backup_enabled) else {
        return;
    };
    let source = match tls.source {
        TlsSource::Generated => return,
        TlsSource::Secret(_) => "secret",
        TlsSource::CertManager(_) => "certManager",
    };
    if tls.covers(TlsScope::Backup) {
        f.problem(
            "spec.tls.scopes",
            format!(
                "with source: {source} the backup Jobs have no client certificate for the backup scope (mutual TLS on 6362); leave backup out of spec.tls.scopes, or use source: generated, which issues them one"
            ),
        );
    }
}
