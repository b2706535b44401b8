//! `--junit FILE`: one test suite per category, one test case per check (a skipped check is a
//! `<skipped>` with its reason, a failed one a `<failure>`), measurements as properties.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report as JUnit, TestCase, TestCaseStatus, TestSuite};

use super::matrix::{Outcome, Report};

pub fn xml(report: &Report) -> Result<String, String> {
    let mut junit = JUnit::new(format!("neo4j-aks verify {}", report.cluster));
    let mut total = 0.0;
    let mut categories: Vec<&str> = report.results.iter().map(|r| r.category).collect();
    categories.dedup();
    let mut seen = Vec::new();
    for category in categories {
        if seen.contains(&category) {
            continue;
        }
        seen.push(category);
        let mut suite = TestSuite::new(category);
        suite.add_property(Property::new("cluster", report.cluster.as_str()));
        suite.add_property(Property::new("namespace", report.namespace.as_str()));
        for result in report.results.iter().filter(|r| r.category == category) {
            let mut status = match &result.outcome {
                Outcome::Pass(_) => TestCaseStatus::success(),
                Outcome::Fail(detail) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(detail.as_str());
                    s
                }
                Outcome::Skipped(reason) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(reason.as_str());
                    s
                }
            };
            status.set_description(result.criterion);
            let mut case = TestCase::new(result.id.name(), status);
            case.set_classname(format!("verify.{category}"));
            case.set_time(Duration::from_secs_f64(result.seconds.max(0.0)));
            if let Outcome::Pass(detail) = &result.outcome {
                case.set_system_out(detail.as_str());
            }
            case.add_property(Property::new(
                "disruptive",
                result.needs.disruptive.to_string(),
            ));
            case.add_property(Property::new(
                "enterprise",
                result.needs.enterprise.to_string(),
            ));
            for m in &result.measurements {
                case.add_property(Property::new(
                    format!("{}.seconds", m.name),
                    format!("{:.3}", m.seconds),
                ));
            }
            total += result.seconds;
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.set_time(Duration::from_secs_f64(total.max(0.0)));
    junit.to_string().map_err(|e| e.to_string())
}
