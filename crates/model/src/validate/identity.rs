//! Who the cluster is: name, image and edition, licence, labels and annotations, restart requests.

use super::DEFAULT_NAMESPACE;
use super::MAX_NAME_LENGTH;
use super::RESERVED_LABEL_PREFIXES;
use super::dns::is_dns_label;
use super::dns::is_dns_subdomain;
use super::dns::is_label_value;
use super::dns::is_qualified_name;
use std::collections::BTreeMap;

use crate::problems::Findings;
use crate::spec::{Neo4jCluster, Neo4jClusterSpec};
use crate::validated::{Edition, Image, License};
use crate::version::Neo4jVersion;

pub(super) fn check_name(f: &mut Findings, name: Option<&str>) -> Option<String> {
    match name {
        None => {
            f.problem("metadata.name", "required; a DNS label such as neo4j");
            None
        }
        Some(name) if !is_dns_label(name) || name.len() > MAX_NAME_LENGTH => {
            f.problem(
                "metadata.name",
                format!(
                    "{name:?} must be a DNS label (lowercase letters, digits and '-', starting with a letter) of at most {MAX_NAME_LENGTH} characters, so that derived names such as {name}-service-reader-binding stay within 63"
                ),
            );
            None
        }
        Some(name) if !name.starts_with(|c: char| c.is_ascii_lowercase()) => {
            f.problem(
                "metadata.name",
                format!("{name:?} must start with a letter: Service names derive from it"),
            );
            None
        }
        Some(name) => Some(name.to_string()),
    }
}

pub(super) fn check_image(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    version: Option<&Neo4jVersion>,
) -> (Option<Image>, Edition) {
    let image = spec.image.clone().unwrap_or_default();
    let edition = match image.edition.as_deref() {
        None | Some("enterprise") => Edition::Enterprise,
        Some("community") => Edition::Community,
        Some(other) => {
            f.problem(
                "spec.image.edition",
                format!("{other:?} is not an edition; use enterprise or community"),
            );
            Edition::Enterprise
        }
    };
    let repository = image.repository.unwrap_or_else(|| "neo4j".to_string());
    if repository.is_empty()
        || repository
            .chars()
            .any(|c| c.is_whitespace() || c == '@' || c.is_ascii_uppercase())
    {
        f.problem("spec.image.repository", format!("{repository:?} is not an image repository, e.g. neo4j or myregistry.azurecr.io/neo4j"));
    }
    let tag = match (image.tag, version) {
        (Some(tag), _) => {
            let valid = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
                && !tag.starts_with(['.', '-']);
            if !valid {
                f.problem(
                    "spec.image.tag",
                    format!(
                        "{tag:?} is not an image tag (letters, digits, '_', '.', '-', at most 128)"
                    ),
                );
            }
            Some(tag)
        }
        (None, Some(v)) => Some(format!(
            "{v}-{}",
            if edition == Edition::Enterprise {
                "enterprise"
            } else {
                "community"
            }
        )),
        (None, None) => None,
    };
    let pull_policy = image
        .pull_policy
        .unwrap_or_else(|| "IfNotPresent".to_string());
    if !["IfNotPresent", "Always", "Never"].contains(&pull_policy.as_str()) {
        f.problem(
            "spec.image.pullPolicy",
            format!("{pull_policy:?} is not allowed; use IfNotPresent, Always or Never"),
        );
    }
    let pull_secrets = image.pull_secrets.unwrap_or_default();
    for (i, secret) in pull_secrets.iter().enumerate() {
        if !is_dns_subdomain(&secret.name) {
            f.problem(
                format!("spec.image.pullSecrets[{i}].name"),
                format!("{:?} is not a Secret name", secret.name),
            );
        }
    }
    let image = tag.map(|tag| Image {
        reference: format!("{repository}:{tag}"),
        pull_policy,
        pull_secrets,
    });
    (image, edition)
}

pub(super) fn check_license(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    edition: Edition,
) -> License {
    match spec.accept_license_agreement.as_deref() {
        Some("yes") => License::Yes,
        Some("eval") => License::Eval,
        None if edition == Edition::Community => License::Yes,
        None => {
            f.problem(
                "spec.acceptLicenseAgreement",
                "required for Neo4j Enterprise: \"yes\" if you hold a commercial licence, \"eval\" to evaluate",
            );
            License::Eval
        }
        Some(other) => {
            f.problem(
                "spec.acceptLicenseAgreement",
                format!("{other:?} is not accepted; use \"yes\" or \"eval\""),
            );
            License::Eval
        }
    }
}

pub(super) fn check_labels(f: &mut Findings, spec: &Neo4jClusterSpec) -> BTreeMap<String, String> {
    let labels = spec.labels.clone().unwrap_or_default();
    for (key, value) in &labels {
        let path = format!("spec.labels[{key:?}]");
        if RESERVED_LABEL_PREFIXES.iter().any(|p| key.starts_with(p)) {
            f.problem(
                path,
                "is set by neo4j-aks (it selects the member pods); choose another key",
            );
        } else if !is_qualified_name(key) {
            f.problem(
                path,
                "is not a label key ([prefix/]name, name at most 63 characters)",
            );
        } else if !is_label_value(value) {
            f.problem(
                path,
                format!(
                    "{value:?} is not a label value (at most 63 letters, digits, '-', '_', '.')"
                ),
            );
        }
    }
    labels
}

pub(super) fn check_annotations(
    f: &mut Findings,
    path: &str,
    annotations: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let annotations = annotations.cloned().unwrap_or_default();
    for key in annotations.keys() {
        if !is_qualified_name(key) {
            f.problem(
                format!("{path}[{key:?}]"),
                "is not an annotation key ([prefix/]name)",
            );
        } else if key.starts_with("neo4j-aks.io/") {
            f.problem(
                format!("{path}[{key:?}]"),
                "the neo4j-aks.io/ prefix is reserved",
            );
        }
    }
    annotations
}

/// `neo4j-aks.io/restart-requested-at` must be an RFC 3339 timestamp (what `kubectl rollout
/// restart` and the CLI write), so a typo is reported instead of silently rolling the cluster.
pub(super) fn check_restart_request(f: &mut Findings, cluster: &Neo4jCluster) -> Option<String> {
    use crate::operation::RESTART_REQUESTED_ANNOTATION;
    check_timestamp_annotation(
        f,
        cluster,
        RESTART_REQUESTED_ANNOTATION,
        "a new value restarts every member once",
    )
    .map(|(text, _)| text)
}

/// `neo4j-aks.io/rotate-certificates-requested-at` (written by `neo4j-aks certs rotate`): an
/// RFC 3339 timestamp, as Unix seconds.
pub(super) fn check_rotate_request(f: &mut Findings, cluster: &Neo4jCluster) -> Option<i64> {
    use crate::api::annotations::ROTATE_CERTIFICATES_REQUESTED_AT;
    check_timestamp_annotation(
        f,
        cluster,
        ROTATE_CERTIFICATES_REQUESTED_AT,
        "member certificates issued before it are issued again",
    )
    .map(|(_, at)| at)
}

/// `neo4j-aks.io/rotate-ca-requested-at` (written by `neo4j-aks certs rotate --ca`): an RFC 3339
/// timestamp, as Unix seconds.
pub(super) fn check_rotate_ca_request(f: &mut Findings, cluster: &Neo4jCluster) -> Option<i64> {
    use crate::api::annotations::ROTATE_CA_REQUESTED_AT;
    check_timestamp_annotation(
        f,
        cluster,
        ROTATE_CA_REQUESTED_AT,
        "a CA issued before it is replaced",
    )
    .map(|(_, at)| at)
}

/// An annotation holding an RFC 3339 timestamp: its trimmed text and Unix seconds.
fn check_timestamp_annotation(
    f: &mut Findings,
    cluster: &Neo4jCluster,
    key: &str,
    meaning: &str,
) -> Option<(String, i64)> {
    let value = cluster.metadata.annotations.as_ref()?.get(key)?;
    match value.trim().parse::<k8s_openapi::jiff::Timestamp>() {
        Ok(at) => Some((value.trim().to_string(), at.as_second())),
        Err(_) => {
            f.problem(
                format!("metadata.annotations[{key}]"),
                format!(
                    "{value:?} is not an RFC 3339 timestamp; use e.g. \"2026-11-26T13:00:00Z\" ({meaning})"
                ),
            );
            None
        }
    }
}

pub(super) fn check_namespace(f: &mut Findings, namespace: Option<&str>) -> String {
    let namespace = namespace.unwrap_or(DEFAULT_NAMESPACE).to_string();
    if !is_dns_label(&namespace) {
        f.problem(
            "metadata.namespace",
            format!("{namespace:?} is not a valid namespace name (lowercase letters, digits and '-', at most 63 characters)"),
        );
    }
    namespace
}

pub(super) fn check_version(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<Neo4jVersion> {
    match spec.neo4j_version.as_deref() {
        None => {
            f.problem(
                "spec.neo4jVersion",
                "required; e.g. 5.26.16 (LTS) or 2025.10.1",
            );
            None
        }
        Some(text) => Neo4jVersion::parse(text)
            .map_err(|e| f.problem("spec.neo4jVersion", e))
            .ok(),
    }
}
