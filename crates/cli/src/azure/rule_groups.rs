//! The alert rules of `neo4j-aks monitoring rules`, as Azure Monitor managed Prometheus takes
//! them: the `rules` of a `Microsoft.AlertsManagement/prometheusRuleGroups` resource (API
//! 2023-03-01: `alert`, `expression`, `for` as an ISO 8601 duration, `severity` 0-4, `labels`,
//! `annotations`, `enabled`, `resolveConfiguration`). Generated from the same `ALERTS` as the
//! Prometheus rule file and committed as deploy/azure/alert-rules.json, which
//! deploy/azure/modules/monitoring.bicep loads with `loadJsonContent`.

use std::collections::BTreeMap;

use neo4j_aks_render::monitoring::rules::{ALERTS, Scope};
use serde::Serialize;

/// Azure Monitor resolves a fired alert after the rule has been healthy this long (1-15 min).
const TIME_TO_RESOLVE: &str = "PT10M";

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRule {
    pub alert: String,
    pub expression: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub severity: u8,
    pub enabled: bool,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub resolve_configuration: ResolveConfiguration,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResolveConfiguration {
    pub auto_resolved: bool,
    pub time_to_resolve: String,
}

/// A Prometheus duration (`90s`, `5m`, `1h`, `1h30m`, `2d`) as ISO 8601 (`PT90S`, `PT5M`, ...).
pub fn iso8601(duration: &str) -> Result<String, String> {
    let mut days = 0u64;
    let mut time = String::new();
    let mut digits = String::new();
    for c in duration.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("{duration:?}: a number must precede {c:?}"))?;
        digits.clear();
        match c {
            'w' => days += 7 * n,
            'd' => days += n,
            'h' => time.push_str(&format!("{n}H")),
            'm' => time.push_str(&format!("{n}M")),
            's' => time.push_str(&format!("{n}S")),
            other => {
                return Err(format!(
                    "{duration:?}: unit {other:?} has no ISO 8601 form here (w, d, h, m, s)"
                ));
            }
        }
    }
    if !digits.is_empty() || duration.is_empty() {
        return Err(format!("{duration:?}: expected <number><unit>..."));
    }
    let mut out = "P".to_string();
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if !time.is_empty() {
        out.push('T');
        out.push_str(&time);
    }
    Ok(out)
}

/// Every alert, in the order of the Prometheus rule file.
pub fn rules() -> Result<Vec<PrometheusRule>, String> {
    ALERTS
        .iter()
        .map(|alert| {
            let rule = alert.rule(&Scope::All);
            Ok(PrometheusRule {
                alert: alert.name.to_string(),
                expression: rule.expr,
                for_: iso8601(alert.for_).map_err(|e| format!("{}: {e}", alert.name))?,
                severity: alert.severity.level(),
                enabled: true,
                labels: rule.labels,
                annotations: rule.annotations,
                resolve_configuration: ResolveConfiguration {
                    auto_resolved: true,
                    time_to_resolve: TIME_TO_RESOLVE.to_string(),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations_become_iso8601() {
        assert_eq!(iso8601("1m").as_deref(), Ok("PT1M"));
        assert_eq!(iso8601("15m").as_deref(), Ok("PT15M"));
        assert_eq!(iso8601("90s").as_deref(), Ok("PT90S"));
        assert_eq!(iso8601("1h30m").as_deref(), Ok("PT1H30M"));
        assert_eq!(iso8601("2d").as_deref(), Ok("P2D"));
        assert_eq!(iso8601("1w1d2h").as_deref(), Ok("P8DT2H"));
        assert!(iso8601("5").is_err());
        assert!(iso8601("").is_err());
        assert!(iso8601("100ms").is_err());
        assert!(iso8601("m").is_err());
    }

    #[test]
    fn every_alert_is_carried_over_with_its_severity_number() {
        let rules = rules().expect("every for converts");
        assert_eq!(rules.len(), ALERTS.len());
        for (rule, alert) in rules.iter().zip(ALERTS) {
            assert_eq!(rule.alert, alert.name);
            assert_eq!(rule.severity, alert.severity.level());
            assert!(rule.severity <= 4, "Azure takes severities 0-4");
            assert_eq!(rule.labels["severity"], alert.severity.as_str());
            assert!(rule.annotations.contains_key("runbook_url"));
            assert!(rule.for_.starts_with('P'));
        }
    }
}
