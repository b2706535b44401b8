//! `spec.monitoring`: Neo4j's Prometheus endpoint, the scrape object and the alert rules.

use super::dns::{is_label_value, is_qualified_name};

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::{Edition, MonitorKind, Monitoring};

pub const DEFAULT_SCRAPE_INTERVAL: &str = "60s";

/// Bounds of the scrape interval, in seconds. Below 10 s a member's endpoint (every metric the
/// filter keeps, per database) is read more often than Neo4j's own meters move; above 5 min
/// Prometheus' default lookback (5 min) loses the series between two scrapes and every
/// `absent`/`for` condition flaps.
const MIN_INTERVAL_SECONDS: u64 = 10;
const MAX_INTERVAL_SECONDS: u64 = 300;

/// Seconds of a Prometheus duration with a single unit (`30s`, `1m`, `1500ms`), as the
/// prometheus-operator CRDs accept them; `None` for anything else.
pub fn duration_seconds(text: &str) -> Option<u64> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(digits);
    let n: u64 = number.parse().ok()?;
    let scale_ms = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    Some(n.checked_mul(scale_ms)? / 1000)
}

/// The monitoring section; `Some` only when it is enabled (every field is checked either way).
pub(super) fn check_monitoring(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    edition: Edition,
) -> Option<Monitoring> {
    let monitoring = spec.monitoring.as_ref()?;
    let enabled = monitoring.enabled == Some(true);
    if enabled && edition == Edition::Community {
        // Metrics, and with them the Prometheus endpoint, are an Enterprise feature: the
        // Operations Manual marks monitoring/metrics/expose.adoc and every server.metrics.*
        // setting `enterprise-edition`; Community has no endpoint to scrape.
        f.problem(
            "spec.monitoring.enabled",
            "Neo4j's metrics (and its Prometheus endpoint) exist only in the Enterprise edition; use edition enterprise or disable monitoring",
        );
    }
    let interval = monitoring
        .interval
        .clone()
        .unwrap_or_else(|| DEFAULT_SCRAPE_INTERVAL.to_string());
    match duration_seconds(&interval) {
        Some(s) if (MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS).contains(&s) => {}
        Some(_) => f.problem(
            "spec.monitoring.interval",
            format!("{interval:?} is outside 10s..5m; Prometheus' 5-minute lookback needs at least one sample in it"),
        ),
        None => f.problem(
            "spec.monitoring.interval",
            format!("{interval:?} is not a Prometheus duration such as 30s or 1m"),
        ),
    }
    let kind = match monitoring.kind.as_deref() {
        None | Some("ServiceMonitor") => MonitorKind::ServiceMonitor,
        Some("PodMonitor") => MonitorKind::PodMonitor,
        Some(other) => {
            f.problem(
                "spec.monitoring.kind",
                format!(
                    "{other:?} is not a scrape kind; use ServiceMonitor (default) or PodMonitor"
                ),
            );
            MonitorKind::ServiceMonitor
        }
    };
    let labels = monitoring.labels.clone().unwrap_or_default();
    for (key, value) in &labels {
        let path = format!("spec.monitoring.labels[{key:?}]");
        if crate::api::labels::RESERVED_PREFIXES
            .iter()
            .any(|p| key.starts_with(p))
        {
            f.problem(path, "is set by neo4j-aks; choose another key");
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
    enabled.then_some(Monitoring {
        interval,
        kind,
        rules: monitoring.rules.unwrap_or(true),
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::duration_seconds;

    #[test]
    fn durations_take_one_unit() {
        assert_eq!(duration_seconds("60s"), Some(60));
        assert_eq!(duration_seconds("2m"), Some(120));
        assert_eq!(duration_seconds("1500ms"), Some(1));
        assert_eq!(duration_seconds("1h"), Some(3600));
        for bad in ["", "s", "60", "1m30s", "-1s", "1d", "1.5m"] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
    }
}
