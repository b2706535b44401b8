//! promtool's unit-test file (`promtool test rules`), generated from [`super::rules::ALERTS`]:
//! for every alert, its firing input makes it fire (and not before its `for` elapsed), its
//! quiet input never does. Format: Prometheus docs, "Unit testing for rules".

use std::collections::BTreeMap;

use serde::Serialize;

use super::rules::{ALERTS, Alert, TEST_CLUSTER, TEST_NAMESPACE};

#[derive(Serialize)]
pub struct TestFile {
    pub rule_files: Vec<String>,
    pub evaluation_interval: String,
    pub tests: Vec<TestGroup>,
}

#[derive(Serialize)]
pub struct TestGroup {
    pub name: String,
    pub interval: String,
    pub input_series: Vec<InputSeries>,
    pub alert_rule_test: Vec<AlertRuleTest>,
}

#[derive(Serialize)]
pub struct InputSeries {
    pub series: String,
    pub values: String,
}

#[derive(Serialize)]
pub struct AlertRuleTest {
    pub eval_time: String,
    pub alertname: String,
    pub exp_alerts: Vec<ExpAlert>,
}

#[derive(Serialize)]
pub struct ExpAlert {
    pub exp_labels: BTreeMap<String, String>,
    pub exp_annotations: BTreeMap<String, String>,
}

fn inputs(series: Vec<(String, String)>) -> Vec<InputSeries> {
    series
        .into_iter()
        .map(|(series, values)| InputSeries { series, values })
        .collect()
}

fn expected(alert: &Alert, labels: &[(&str, &str)]) -> ExpAlert {
    let mut exp: BTreeMap<String, String> = BTreeMap::new();
    exp.insert("namespace".into(), TEST_NAMESPACE.into());
    // Claim and container series (kubelet, cAdvisor, kube-state-metrics) carry no cluster label.
    if !labels
        .iter()
        .any(|(k, _)| *k == "persistentvolumeclaim" || *k == "pod")
    {
        exp.insert("cluster".into(), TEST_CLUSTER.into());
    }
    for (k, v) in labels {
        exp.insert((*k).into(), (*v).into());
    }
    let description = alert.description_with(&exp);
    exp.insert("severity".into(), alert.severity.as_str().into());
    exp.insert("alertname".into(), alert.name.into());
    ExpAlert {
        exp_labels: exp,
        exp_annotations: BTreeMap::from([
            ("summary".to_string(), alert.summary.to_string()),
            ("description".to_string(), description),
            ("runbook_url".to_string(), alert.runbook_url()),
        ]),
    }
}

/// The test file for the rule file at `rule_file` (a path relative to the test file).
pub fn tests(rule_file: &str) -> TestFile {
    let mut tests = Vec::new();
    for alert in ALERTS {
        let case = (alert.case)();
        tests.push(TestGroup {
            name: format!("{} fires", alert.name),
            interval: "1m".into(),
            input_series: inputs(case.firing),
            alert_rule_test: vec![
                AlertRuleTest {
                    eval_time: case.before.into(),
                    alertname: alert.name.into(),
                    exp_alerts: Vec::new(),
                },
                AlertRuleTest {
                    eval_time: case.at.into(),
                    alertname: alert.name.into(),
                    exp_alerts: vec![expected(alert, &case.labels)],
                },
            ],
        });
        tests.push(TestGroup {
            name: format!("{} stays quiet", alert.name),
            interval: "1m".into(),
            input_series: inputs(case.quiet),
            alert_rule_test: [case.before, case.at]
                .into_iter()
                .map(|t| AlertRuleTest {
                    eval_time: t.into(),
                    alertname: alert.name.into(),
                    exp_alerts: Vec::new(),
                })
                .collect(),
        });
    }
    TestFile {
        rule_files: vec![rule_file.to_string()],
        evaluation_interval: "1m".into(),
        tests,
    }
}
