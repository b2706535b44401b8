//! `neo4j-aks verify NAME`: the proposal's validation matrix (appendix F, R5.5–R5.8) against a
//! live cluster through the kube context (docs/verify.md).
//!
//! The matrix and every verdict are pure ([`matrix`], [`judge`]); this module reads the cluster,
//! and for the disruptive checks changes it (a spec patch the operator carries out, a pod
//! deleted) and waits until it is back as it was. A check that cannot run here is Skipped with
//! its reason, never passed.

mod bolt;
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
    /// follower's pod, delete the leader's pod, take a backup and restore-check it (a real
    /// backup in Blob, kept by the retention policy). Each waits until the cluster is back.
    #[arg(long)]
    pub allow_disruptive: bool,
    /// Run only this check (repeatable; `scale-up` and `scale-down` always run together, the
    /// second undoing the first). Default: every check. IDs: formation, members-agree, zones,
    /// routing, tls-required, tls-plaintext-rejected, network-policy, rbac, scale-up,
    /// scale-down, member-failure, leader-failover, backup-restore.
    #[arg(long = "check", value_name = "ID", value_parser = parse_check)]
    pub checks: Vec<CheckId>,
    /// Bolt URI for the checks that need Bolt (routing, plaintext refused), for example
    /// through a port-forward. Default: found from NAME as `bench` finds it (docs/bench.md).
    #[arg(long, value_name = "URI")]
    pub bolt: Option<String>,
    /// CA certificate (PEM) to verify the members with; default: the CAs of the cluster's TLS
    /// Secret.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Environment variable holding the admin password (user neo4j); default: the cluster's
    /// password Secret.
    #[arg(long, value_name = "VAR", default_value = "NEO4J_AKS_VERIFY_PASSWORD")]
    pub password_env: String,
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

fn parse_check(text: &str) -> Result<CheckId, String> {
    CheckId::ALL
        .into_iter()
        .find(|c| c.name() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = CheckId::ALL.iter().map(|c| c.name()).collect();
            format!("{text:?} is not a check; one of: {}", names.join(", "))
        })
}

/// The checks a run takes: those asked for with --check (the scale pair together), or all.
fn selected(asked: &[CheckId]) -> Vec<CheckId> {
    let scale = [CheckId::ScaleUp, CheckId::ScaleDown];
    CheckId::ALL
        .into_iter()
        .filter(|c| {
            asked.is_empty()
                || asked.contains(c)
                || (scale.contains(c) && asked.iter().any(|a| scale.contains(a)))
        })
        .collect()
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
        let checks = selected(&args.checks);
        let needs_bolt = checks
            .iter()
            .any(|c| matches!(c, CheckId::Routing | CheckId::TlsPlaintextRejected));
        let endpoint = if needs_bolt {
            Some(bolt::endpoint(args).await)
        } else {
            None
        };
        for &id in checks.iter().filter(|c| !c.needs().disruptive) {
            let started = Instant::now();
            let outcome = match (id, &endpoint) {
                (CheckId::Routing | CheckId::TlsPlaintextRejected, Some(Err(why))) => {
                    Outcome::Skipped(why.clone())
                }
                (CheckId::Routing, Some(Ok(endpoint))) => live.routing(endpoint, &cluster).await,
                (CheckId::TlsPlaintextRejected, Some(Ok(endpoint))) => {
                    bolt::plaintext(endpoint).await
                }
                _ => live.read_only(id, &cluster).await,
            };
            record(
                CheckResult::new(id, outcome, started.elapsed()),
                &mut results,
            );
        }
        if let Some(Ok(bolt::Endpoint {
            written_ca: Some(path),
            ..
        })) = &endpoint
        {
            let _ = std::fs::remove_file(path);
        }
        // The disruptive checks start only from a healthy cluster, whether or not formation
        // was asked for.
        let healthy = matches!(judge::formation(&cluster), Outcome::Pass(_));
        let disruptive: Vec<CheckId> = checks
            .into_iter()
            .filter(|c| c.needs().disruptive)
            .collect();
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
            for result in live.disruptive(&cluster, &disruptive).await {
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
