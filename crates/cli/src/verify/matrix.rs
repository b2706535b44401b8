//! The verification matrix: which checks exist (the proposal's appendix F and R5.5–R5.8), what
//! each needs, and what a run's results add up to. Pure: no cluster here.

use std::time::Duration;

use serde::Serialize;

/// One row of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    Formation,
    MembersAgree,
    Zones,
    Routing,
    TlsRequired,
    TlsPlaintextRejected,
    NetworkPolicy,
    Rbac,
    ScaleUp,
    ScaleDown,
    MemberFailure,
    LeaderFailover,
    BackupRestore,
}

/// What a check needs before it can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Needs {
    /// Changes the cluster (members restart or come and go): only with --allow-disruptive.
    pub disruptive: bool,
    /// Its numbers mean something only on a real Neo4j Enterprise cluster (docs/verify.md).
    pub enterprise: bool,
}

impl CheckId {
    /// Every check, in the order a run takes them: read-only ones first, then the disruptive
    /// ones, each leaving the cluster as it found it.
    pub const ALL: [CheckId; 13] = [
        CheckId::Formation,
        CheckId::MembersAgree,
        CheckId::Zones,
        CheckId::Routing,
        CheckId::TlsRequired,
        CheckId::TlsPlaintextRejected,
        CheckId::NetworkPolicy,
        CheckId::Rbac,
        CheckId::ScaleUp,
        CheckId::ScaleDown,
        CheckId::MemberFailure,
        CheckId::LeaderFailover,
        CheckId::BackupRestore,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CheckId::Formation => "formation",
            CheckId::MembersAgree => "members-agree",
            CheckId::Zones => "zones",
            CheckId::Routing => "routing",
            CheckId::TlsRequired => "tls-required",
            CheckId::TlsPlaintextRejected => "tls-plaintext-rejected",
            CheckId::NetworkPolicy => "network-policy",
            CheckId::Rbac => "rbac",
            CheckId::ScaleUp => "scale-up",
            CheckId::ScaleDown => "scale-down",
            CheckId::MemberFailure => "member-failure",
            CheckId::LeaderFailover => "leader-failover",
            CheckId::BackupRestore => "backup-restore",
        }
    }

    /// The proposal's test category (appendix F), the JUnit suite it lands in.
    pub fn category(self) -> &'static str {
        match self {
            CheckId::Formation | CheckId::MembersAgree | CheckId::Zones | CheckId::Routing => {
                "Deployment"
            }
            CheckId::ScaleUp | CheckId::ScaleDown => "Operations",
            CheckId::MemberFailure | CheckId::LeaderFailover => "Resilience",
            CheckId::BackupRestore => "Backup",
            CheckId::TlsRequired
            | CheckId::TlsPlaintextRejected
            | CheckId::NetworkPolicy
            | CheckId::Rbac => "Security",
        }
    }

    /// What passing means, as the proposal states the criterion.
    pub fn criterion(self) -> &'static str {
        match self {
            CheckId::Formation => {
                "every member ready and Enabled, the cluster formed, every database online with quorum and a leader (R5.5)"
            }
            CheckId::MembersAgree => {
                "the members' database copies agree: one writer per database, the one the database names as leader, primaries counted alike (R5.5)"
            }
            CheckId::Zones => "no zone holds a majority of the members (R5.5 multi-zone)",
            CheckId::Routing => {
                "the routing table names a WRITE server and READ servers among the members (R5.5)"
            }
            CheckId::TlsRequired => {
                "the live neo4j.conf requires TLS on Bolt and mutual TLS between members (R5.6, R5.8)"
            }
            CheckId::TlsPlaintextRejected => "a plaintext bolt:// connection is refused (F)",
            CheckId::NetworkPolicy => {
                "the live NetworkPolicies are the rendered ones and open the cluster ports to members only (R5.8)"
            }
            CheckId::Rbac => {
                "the members' ServiceAccount may do what the K8S resolver needs and nothing more (R5.8)"
            }
            CheckId::ScaleUp => "one more member joins and the cluster settles (R5.6)",
            CheckId::ScaleDown => {
                "back to the original count, quorum kept throughout, PVCs kept (R5.6)"
            }
            CheckId::MemberFailure => {
                "a follower's pod deleted: quorum kept throughout, the member rejoins (R5.6)"
            }
            CheckId::LeaderFailover => {
                "the leader's pod deleted: a leader with quorum again within 30 s (F)"
            }
            CheckId::BackupRestore => {
                "a backup taken and restored into a scratch database with the same counts (R5.6)"
            }
        }
    }

    pub fn needs(self) -> Needs {
        let (disruptive, enterprise) = match self {
            CheckId::Formation | CheckId::MembersAgree | CheckId::Zones => (false, false),
            CheckId::TlsRequired | CheckId::NetworkPolicy | CheckId::Rbac => (false, false),
            CheckId::Routing | CheckId::TlsPlaintextRejected => (false, true),
            CheckId::ScaleUp | CheckId::ScaleDown => (true, false),
            CheckId::MemberFailure | CheckId::LeaderFailover => (true, true),
            CheckId::BackupRestore => (true, true),
        };
        Needs {
            disruptive,
            enterprise,
        }
    }
}

/// How one check ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "camelCase")]
pub enum Outcome {
    Pass(String),
    Fail(String),
    Skipped(String),
}

impl Outcome {
    /// Every problem found, or a pass that says what was seen.
    pub fn from_problems(problems: Vec<String>, passed: impl FnOnce() -> String) -> Outcome {
        if problems.is_empty() {
            Outcome::Pass(passed())
        } else {
            Outcome::Fail(problems.join("; "))
        }
    }

    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Pass(_) => "PASS",
            Outcome::Fail(_) => "FAIL",
            Outcome::Skipped(_) => "SKIP",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Outcome::Pass(d) | Outcome::Fail(d) | Outcome::Skipped(d) => d,
        }
    }
}

/// A number a check measured, with the limit it was judged against.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    pub name: String,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_seconds: Option<f64>,
}

/// Ready members and quorum over time while a disruptive check ran, for the plots.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    pub seconds: f64,
    pub ready_members: i32,
    pub quorum: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub id: CheckId,
    pub category: &'static str,
    pub criterion: &'static str,
    pub needs: Needs,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Point>,
}

impl CheckResult {
    pub fn new(id: CheckId, outcome: Outcome, took: Duration) -> CheckResult {
        CheckResult {
            id,
            category: id.category(),
            criterion: id.criterion(),
            needs: id.needs(),
            outcome,
            seconds: took.as_secs_f64(),
            measurements: Vec::new(),
            timeline: Vec::new(),
        }
    }

    /// A disruptive check not asked for.
    pub fn not_allowed(id: CheckId) -> CheckResult {
        CheckResult::new(
            id,
            Outcome::Skipped("disruptive: run with --allow-disruptive".to_owned()),
            Duration::ZERO,
        )
    }
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub cluster: String,
    pub namespace: String,
    /// RFC 3339.
    pub started_at: String,
    pub results: Vec<CheckResult>,
    pub summary: Summary,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Report {
    pub fn new(
        cluster: &str,
        namespace: &str,
        started_at: String,
        results: Vec<CheckResult>,
    ) -> Report {
        let mut summary = Summary::default();
        for r in &results {
            match r.outcome {
                Outcome::Pass(_) => summary.passed += 1,
                Outcome::Fail(_) => summary.failed += 1,
                Outcome::Skipped(_) => summary.skipped += 1,
            }
        }
        Report {
            cluster: cluster.to_owned(),
            namespace: namespace.to_owned(),
            started_at,
            results,
            summary,
        }
    }

    /// A failed check fails the run; skipped ones do not, but they are listed.
    pub fn passed(&self) -> bool {
        self.summary.failed == 0
    }

    pub fn to_json(&self) -> String {
        // A tree of strings, numbers and plain structs: serializing cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn summary_line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.summary.passed, self.summary.failed, self.summary.skipped
        )
    }
}

/// The header of the table printed while the checks run.
pub fn table_header() -> String {
    format!(
        "{:<24} {:<11} {:<4} {:>8}  DETAIL",
        "CHECK", "CATEGORY", "", "SECONDS"
    )
}

/// One line of that table, printed as the check ends.
pub fn table_row(result: &CheckResult) -> String {
    let mut detail = result.outcome.detail().to_owned();
    for m in &result.measurements {
        detail.push_str(&format!(" [{} {:.1}s]", m.name, m.seconds));
    }
    format!(
        "{:<24} {:<11} {:<4} {:>8.1}  {detail}",
        result.id.name(),
        result.category,
        result.outcome.word(),
        result.seconds
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_is_listed_once_and_disruptive_ones_come_last() {
        let names: std::collections::BTreeSet<_> = CheckId::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), CheckId::ALL.len());
        let first_disruptive = CheckId::ALL
            .iter()
            .position(|c| c.needs().disruptive)
            .expect("some are disruptive");
        assert!(
            CheckId::ALL[first_disruptive..]
                .iter()
                .all(|c| c.needs().disruptive)
        );
    }

    #[test]
    fn a_failure_fails_the_run_and_skips_do_not() {
        let results = vec![
            CheckResult::new(
                CheckId::Formation,
                Outcome::Pass("ok".into()),
                Duration::ZERO,
            ),
            CheckResult::not_allowed(CheckId::ScaleUp),
        ];
        let report = Report::new("db", "ns", "t".into(), results.clone());
        assert!(report.passed());
        assert_eq!(report.summary_line(), "1 passed, 0 failed, 1 skipped");
        let mut failing = results;
        failing.push(CheckResult::new(
            CheckId::Rbac,
            Outcome::Fail("no".into()),
            Duration::ZERO,
        ));
        assert!(!Report::new("db", "ns", "t".into(), failing).passed());
    }

    #[test]
    fn json_names_the_check_its_result_and_why() {
        let report = Report::new(
            "db",
            "ns",
            "t".into(),
            vec![CheckResult::not_allowed(CheckId::LeaderFailover)],
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
        let row = &json["results"][0];
        assert_eq!(row["id"], "leader-failover");
        assert_eq!(row["result"], "skipped");
        assert_eq!(row["detail"], "disruptive: run with --allow-disruptive");
        assert_eq!(row["needs"]["disruptive"], true);
        assert_eq!(json["summary"]["skipped"], 1);
    }
}
