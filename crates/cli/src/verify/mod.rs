//! `neo4j-aks verify NAME`: the proposal's validation matrix (appendix F, R5.5–R5.8) against a
//! live cluster through the kube context (docs/verify.md).
//!
//! The matrix and every verdict are pure ([`matrix`], [`judge`]); this module reads the cluster,
//! and for the disruptive checks changes it (a spec patch the operator carries out, a pod
//! deleted) and waits until it is back as it was. A check that cannot run here is Skipped with
//! its reason, never passed.

pub mod html;
pub mod judge;
pub mod junit;
pub mod matrix;
mod probe;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use crate::Failure;
use crate::day2::Target;
use matrix::{CheckId, CheckResult, Outcome, Report};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VerifyFormat {
    Table,
    Json,
}

#[derive(Args, Clone, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub target: Target,
    /// Also run the checks that change the cluster: scale up and back down, delete a
    /// follower's pod, delete the leader's pod. Each waits until the cluster is back.
    #[arg(long)]
    pub allow_disruptive: bool,
    /// Write the results as JUnit XML (one suite per category) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write an HTML report with plots (inline SVG) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// `table`: one line per check as it ends; `json`: the whole report at the end (the lines
    /// go to stderr).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = VerifyFormat::Table)]
    pub output: VerifyFormat,
    /// How long each disruptive check waits for the cluster to settle: 90s, 10m.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// The longest a leader failover may take (appendix F: 30 s).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub failover_limit: Duration,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let signed: k8s_openapi::jiff::SignedDuration = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 30s or 10m: {e}"))?;
    Duration::try_from(signed)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?}: must be longer than zero"))
}

/// Prints each result as it ends: on stdout for the table, on stderr when stdout carries JSON.
struct Progress {
    json: bool,
}

impl Progress {
    fn line(&self, text: &str) {
        if self.json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }
}

pub fn run(args: &VerifyArgs) -> Result<(), Failure> {
    let progress = Progress {
        json: matches!(args.output, VerifyFormat::Json),
    };
    let report = crate::day2::runtime()?.block_on(async {
        let (client, namespace, api) = crate::day2::client_and_api(&args.target).await?;
        let cluster = crate::day2::fetch(&api, &args.target).await?;
        let started_at = k8s_openapi::jiff::Timestamp::now().to_string();
        let live = probe::Live {
            client,
            namespace: namespace.clone(),
            api,
            target: args.target.clone(),
            timeout: args.timeout,
            failover_limit: args.failover_limit.as_secs_f64(),
        };
        progress.line(&matrix::table_header());
        let mut results: Vec<CheckResult> = Vec::new();
        let record = |result: CheckResult, results: &mut Vec<CheckResult>| {
            progress.line(&matrix::table_row(&result));
            results.push(result);
        };
        for id in CheckId::ALL.into_iter().filter(|c| !c.needs().disruptive) {
            let started = Instant::now();
            let outcome = live.read_only(id, &cluster).await;
            record(
                CheckResult::new(id, outcome, started.elapsed()),
                &mut results,
            );
        }
        let healthy = matches!(results.first().map(|r| &r.outcome), Some(Outcome::Pass(_)));
        let disruptive = CheckId::ALL.into_iter().filter(|c| c.needs().disruptive);
        if !args.allow_disruptive {
            for id in disruptive {
                record(CheckResult::not_allowed(id), &mut results);
            }
        } else if !healthy {
            for id in disruptive {
                record(
                    CheckResult::new(
                        id,
                        Outcome::Skipped(
                            "the cluster is not healthy to begin with (see formation)".to_owned(),
                        ),
                        Duration::ZERO,
                    ),
                    &mut results,
                );
            }
        } else {
            for result in live.disruptive(&cluster).await {
                record(result, &mut results);
            }
        }
        Ok::<_, Failure>(Report::new(
            &args.target.name,
            &namespace,
            started_at,
            results,
        ))
    })?;
    progress.line(&report.summary_line());
    if let Some(path) = &args.junit {
        let xml = junit::xml(&report).map_err(Failure::output("the JUnit report"))?;
        write_file(path, &xml, "the JUnit report")?;
    }
    if let Some(path) = &args.html {
        let page = html::page(&report).map_err(Failure::output("the HTML report"))?;
        write_file(path, &page, "the HTML report")?;
    }
    if let VerifyFormat::Json = args.output {
        crate::print(&report.to_json())?;
    }
    if report.passed() {
        Ok(())
    } else {
        Err(Failure::Verify(format!(
            "{} check(s) failed: {}",
            report.summary.failed,
            report
                .results
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
                .map(|r| r.id.name())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

fn write_file(path: &std::path::Path, text: &str, what: &'static str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| Failure::Output {
        what,
        detail: format!("{}: {e}", path.display()),
    })
}
