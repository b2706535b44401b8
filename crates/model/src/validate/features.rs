//! Sections of the schema whose feature is not built yet: refused when enabled, never ignored.

use crate::problems::Findings;
use crate::spec::{FeatureToggle, Neo4jClusterSpec};

pub(super) fn check_not_implemented(f: &mut Findings, spec: &Neo4jClusterSpec) {
    for (path, toggle) in [
        ("spec.tls", &spec.tls),
        ("spec.networkPolicy", &spec.network_policy),
    ] {
        if let Some(FeatureToggle {
            enabled: Some(true),
        }) = toggle
        {
            f.problem(
                format!("{path}.enabled"),
                "this release does not implement it yet; remove the section or set enabled: false (it is refused rather than silently ignored)",
            );
        }
    }
}
