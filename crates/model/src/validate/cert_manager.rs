//! `spec.tls.certManager`: the issuer reference and the lifetimes cert-manager is asked for.
//!
//! The testenv runs no cert-manager webhook, and on AKS a refused Certificate would only show
//! up in the operator's apply error: the limits cert-manager's webhook enforces
//! (`internal/apis/certmanager/validation/certificate.go`, v1.21.2) are checked here, before
//! anything is applied.

use super::dns::is_dns_subdomain;
use crate::problems::Findings;
use crate::spec::CertManagerTlsSpec;
use crate::validated::CertManagerIssuance;

const GROUP: &str = "cert-manager.io";
/// cert-manager's default `spec.duration` (90 days).
const DEFAULT_DURATION_NANOS: f64 = 2160.0 * HOUR;
/// `MinimumCertificateDuration` and `MinimumRenewBefore` of cert-manager v1.21.2.
const MIN_DURATION_NANOS: f64 = HOUR;
const MIN_RENEW_BEFORE_NANOS: f64 = 5.0 * MINUTE;
const MINUTE: f64 = 60e9;
const HOUR: f64 = 3600e9;

pub(super) fn check_cert_manager(
    f: &mut Findings,
    spec: Option<&CertManagerTlsSpec>,
) -> CertManagerIssuance {
    let spec = spec.cloned().unwrap_or_default();
    let issuer = spec.issuer_ref.unwrap_or_default();
    let issuer_name = match issuer.name {
        None => {
            f.problem(
                "spec.tls.certManager.issuerRef.name",
                "required with source: certManager: the Issuer (in the cluster's namespace) or ClusterIssuer that signs the members' certificates",
            );
            String::new()
        }
        Some(name) => {
            if !is_dns_subdomain(&name) {
                f.problem(
                    "spec.tls.certManager.issuerRef.name",
                    format!("{name:?} is not an issuer name (lowercase letters, digits, '-' and '.', at most 253 characters)"),
                );
            }
            name
        }
    };
    let issuer_kind = issuer.kind.unwrap_or_else(|| "Issuer".into());
    if !["Issuer", "ClusterIssuer"].contains(&issuer_kind.as_str()) {
        f.problem(
            "spec.tls.certManager.issuerRef.kind",
            format!("{issuer_kind:?} is not an issuer kind; use Issuer or ClusterIssuer"),
        );
    }
    let issuer_group = issuer.group.unwrap_or_else(|| GROUP.into());
    if !is_dns_subdomain(&issuer_group) {
        f.problem(
            "spec.tls.certManager.issuerRef.group",
            format!("{issuer_group:?} is not an API group (a DNS name such as cert-manager.io)"),
        );
    }

    let mut lifetime = |path: &str, text: &Option<String>, min: f64, min_text: &str| {
        let text = text.as_ref()?;
        match go_duration_nanos(text) {
            None => {
                f.problem(
                    path,
                    format!("{text:?} is not a Go duration; write hours, minutes and seconds such as \"2160h\" or \"720h30m\" (no days)"),
                );
                None
            }
            Some(n) if n < min => {
                f.problem(
                    path,
                    format!("{text:?} is shorter than cert-manager's minimum of {min_text}"),
                );
                None
            }
            Some(n) => Some(n),
        }
    };
    let duration = lifetime(
        "spec.tls.certManager.duration",
        &spec.duration,
        MIN_DURATION_NANOS,
        "1h",
    );
    let renew_before = lifetime(
        "spec.tls.certManager.renewBefore",
        &spec.renew_before,
        MIN_RENEW_BEFORE_NANOS,
        "5m",
    );
    if let Some(renew_before) = renew_before
        && renew_before >= duration.unwrap_or(DEFAULT_DURATION_NANOS)
    {
        f.problem(
            "spec.tls.certManager.renewBefore",
            format!(
                "must be shorter than the duration ({}), or cert-manager would renew continuously",
                spec.duration
                    .as_deref()
                    .unwrap_or("2160h, cert-manager's default")
            ),
        );
    }
    CertManagerIssuance {
        issuer_name,
        issuer_kind,
        issuer_group,
        duration: spec.duration,
        renew_before: spec.renew_before,
    }
}

/// A duration as Go's `time.ParseDuration` reads it (what `metav1.Duration` uses): an optional
/// sign, then one or more decimal numbers each with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`,
/// `h`); `0` alone is allowed. In nanoseconds; `None` when Go would refuse it (also above
/// Go's range of about 292 years).
pub fn go_duration_nanos(text: &str) -> Option<f64> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        // Digits before or after the point, at most one point.
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => MINUTE,
            "h" => HOUR,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * scale;
    }
    // time.Duration is an int64 of nanoseconds.
    if total > i64::MAX as f64 {
        return None;
    }
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validated::TlsSource;
    use crate::{Neo4jCluster, validate};

    fn spec(tls: &str) -> Neo4jCluster {
        Neo4jCluster::from_yaml(&format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {{name: db, namespace: ns}}\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  tls:\n    enabled: true\n{tls}"
        ))
        .expect("parses")
    }

    fn problems(tls: &str) -> Vec<(String, String)> {
        match validate(&spec(tls)) {
            Ok(_) => Vec::new(),
            Err(invalid) => invalid
                .problems
                .into_iter()
                .map(|p| (p.path, p.message))
                .collect(),
        }
    }

    #[test]
    fn a_minimal_issuer_ref_takes_cert_managers_defaults() {
        let valid = validate(&spec(
            "    source: certManager\n    certManager:\n      issuerRef: {name: ca}\n",
        ))
        .expect("valid");
        let tls = valid.tls.expect("tls");
        assert_eq!(
            tls.source,
            TlsSource::CertManager(CertManagerIssuance {
                issuer_name: "ca".into(),
                issuer_kind: "Issuer".into(),
                issuer_group: "cert-manager.io".into(),
                duration: None,
                renew_before: None,
            })
        );
        assert_eq!(tls.user_secret(), None);
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_path() {
        let found = problems(
            "    source: certManager\n    generated: {certificateDays: 60}\n    secret: {name: mine}\n    certManager:\n      issuerRef: {kind: Cluster, group: \"Not A Group\"}\n      duration: 90d\n      renewBefore: 1m\n",
        );
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.tls.generated",
                "spec.tls.secret",
                "spec.tls.certManager.issuerRef.name",
                "spec.tls.certManager.issuerRef.kind",
                "spec.tls.certManager.issuerRef.group",
                "spec.tls.certManager.duration",
                "spec.tls.certManager.renewBefore",
            ],
            "{found:?}"
        );
        assert!(found[5].1.contains("no days"), "{found:?}");
        assert!(found[6].1.contains("5m"), "{found:?}");
    }

    #[test]
    fn renew_before_must_be_shorter_than_the_duration_or_the_default() {
        let at = |d: &str| {
            problems(&format!(
                "    source: certManager\n    certManager:\n      issuerRef: {{name: ca}}\n{d}"
            ))
        };
        let found = at("      duration: 24h\n      renewBefore: 24h\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "spec.tls.certManager.renewBefore");
        assert!(
            at("      renewBefore: 2160h\n")[0]
                .1
                .contains("2160h, cert-manager's default")
        );
        assert!(at("      duration: 30m\n")[0].1.contains("minimum of 1h"));
        assert!(at("      duration: 48h\n      renewBefore: 1h30m\n").is_empty());
    }

    #[test]
    fn the_section_is_refused_with_another_source() {
        let found = problems("    certManager:\n      issuerRef: {name: ca}\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "spec.tls.certManager");
        assert!(found[0].1.contains("source: certManager"), "{found:?}");
    }

    #[test]
    fn durations_parse_as_go_parses_them() {
        assert_eq!(go_duration_nanos("2160h"), Some(2160.0 * HOUR));
        assert_eq!(go_duration_nanos("1h30m"), Some(90.0 * MINUTE));
        assert_eq!(go_duration_nanos("1.5h"), Some(90.0 * MINUTE));
        assert_eq!(go_duration_nanos(".5h"), Some(30.0 * MINUTE));
        assert_eq!(go_duration_nanos("300ms"), Some(300e6));
        assert_eq!(go_duration_nanos("-5m"), Some(-5.0 * MINUTE));
        assert_eq!(go_duration_nanos("0"), Some(0.0));
        for refused in [
            "", "90d", "2160", "h", "1..5h", ".h", "1h ", " 1h", "1H", "3000000h", "+",
        ] {
            assert_eq!(go_duration_nanos(refused), None, "{refused:?}");
        }
    }
}
