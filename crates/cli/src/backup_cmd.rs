//! `neo4j-aks backup now|list|check|prune NAME`: backups for people.
//!
//! `list`, `check` and `prune` read Blob directly (the target flags, or the environment the CronJobs
//! use), so they work without a Kubernetes cluster, e.g. after losing it. `now` needs the
//! cluster: it creates a Job from the CronJob, as `kubectl create job --from=cronjob/...`.

use std::collections::BTreeMap;

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, PostParams};
use kube::{Client, Resource};
use neo4j_aks_backup::agent::{Agent, ListingRow};
use neo4j_aks_backup::catalogue::VerificationCheck;
use neo4j_aks_backup::retention::RetentionPolicy;
use neo4j_aks_backup::store::ObjectBlobStore;
use neo4j_aks_backup::summary::{DatabaseSummary, overdue, summarize};

use crate::Failure;
use crate::backup_target::{RetentionArgs, TargetArgs};

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Start a backup now: a Job from the CronJob NAME-backup (current kube context), like
    /// `kubectl create job --from=cronjob/NAME-backup`. Prints the Job's name.
    Now {
        /// The Neo4jCluster's name.
        name: String,
        #[arg(short = 'n', long, default_value = "neo4j")]
        namespace: String,
        /// Run the restore-and-check CronJob (NAME-backup-verification) instead.
        #[arg(long)]
        verification: bool,
    },
    /// List the stored backups of cluster NAME from Azure Blob: every complete artifact with its
    /// chain, whether it is restorable, and its newest verification.
    List {
        name: String,
        #[command(flatten)]
        target: TargetArgs,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
        output: ListFormat,
    },
    /// Check that every named database of cluster NAME has a restorable backup younger than
    /// --max-age, straight from Azure Blob (independent of the operator, so it also works as an
    /// outside check, e.g. from a scheduler). Prints one line per database (newest restorable
    /// backup, newest verification, artifacts and size). Exit 0: all fresh; 1: some overdue.
    Check {
        name: String,
        #[command(flatten)]
        target: TargetArgs,
        /// The databases that must have a fresh backup (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "neo4j,system")]
        databases: Vec<String>,
        /// Oldest acceptable restorable backup, in hours.
        #[arg(long, default_value_t = 24)]
        max_age_hours: i64,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
        output: ListFormat,
    },
    /// Apply the retention policy to cluster NAME's backups: delete whole chains outside it.
    /// With --dry-run, print what would be deleted and delete nothing.
    Prune {
        name: String,
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        retention: RetentionArgs,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
        output: ListFormat,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: BackupCommand,
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::Runtime)
}

pub fn run(args: BackupArgs) -> Result<(), Failure> {
    let rt = runtime()?;
    match args.command {
        BackupCommand::Now {
            name,
            namespace,
            verification,
        } => rt.block_on(now(&name, &namespace, verification)),
        BackupCommand::List {
            name,
            target,
            output,
        } => rt.block_on(list(&name, &target, output)),
        BackupCommand::Check {
            name,
            target,
            databases,
            max_age_hours,
            output,
        } => rt.block_on(check(
            &name,
            &target,
            &databases,
            jiff::SignedDuration::from_hours(max_age_hours),
            output,
        )),
        BackupCommand::Prune {
            name,
            target,
            dry_run,
            retention,
            output,
        } => rt.block_on(prune(&name, &target, &retention.policy(), dry_run, output)),
    }
}

/// The Job `kubectl create job --from=cronjob/<cronjob>` would create: the CronJob's job
/// template, owned by the CronJob, marked as a manual run. Pure.
pub fn job_from_cronjob(cronjob: &CronJob, now: Timestamp) -> Result<Job, String> {
    let name = cronjob.metadata.name.clone().unwrap_or_default();
    let template = cronjob
        .spec
        .as_ref()
        .map(|s| s.job_template.clone())
        .ok_or_else(|| format!("CronJob {name} has no spec"))?;
    let uid = cronjob
        .metadata
        .uid
        .clone()
        .ok_or_else(|| format!("CronJob {name} has no uid (not read from the API server)"))?;
    let template_meta = template.metadata.unwrap_or_default();
    // Job names are at most 63 characters; the suffix is the run's time, as the CronJob
    // controller's is (minutes there, seconds here so two manual runs a minute apart differ).
    let suffix = format!("-manual-{}", now.as_second());
    let base: String = name.chars().take(63 - suffix.len()).collect();
    let mut annotations = template_meta.annotations.unwrap_or_default();
    annotations.insert(
        "cronjob.kubernetes.io/instantiate".to_string(),
        "manual".to_string(),
    );
    Ok(Job {
        metadata: ObjectMeta {
            name: Some(format!("{base}{suffix}")),
            namespace: cronjob.metadata.namespace.clone(),
            labels: template_meta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: <CronJob as Resource>::api_version(&()).to_string(),
                kind: <CronJob as Resource>::kind(&()).to_string(),
                name,
                uid,
                controller: Some(true),
                block_owner_deletion: None,
            }]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        ..Job::default()
    })
}

async fn now(name: &str, namespace: &str, verification: bool) -> Result<(), Failure> {
    neo4j_aks_ops::install_crypto_provider();
    let client = Client::try_default().await.map_err(Failure::NoClient)?;
    let cronjob_name = if verification {
        format!("{name}-backup-verification")
    } else {
        format!("{name}-backup")
    };
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), namespace);
    let cronjob = cronjobs
        .get_opt(&cronjob_name)
        .await
        .map_err(Failure::kubernetes(format!(
            "reading CronJob {namespace}/{cronjob_name}"
        )))?
        .ok_or_else(|| {
            Failure::NotFound(format!(
                "CronJob {namespace}/{cronjob_name} not found: is spec.backup.enabled true for Neo4jCluster {name}{}?",
                if verification { " (and verification not disabled)" } else { "" }
            ))
        })?;
    let job = job_from_cronjob(&cronjob, Timestamp::now()).map_err(Failure::IncompleteObject)?;
    let created = Api::<Job>::namespaced(client, namespace)
        .create(&PostParams::default(), &job)
        .await
        .map_err(Failure::kubernetes("creating the Job"))?;
    println!(
        "created Job {namespace}/{}",
        created.metadata.name.unwrap_or_default()
    );
    Ok(())
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The listing as a table (pure).
pub fn listing_table(rows: &[ListingRow]) -> String {
    let mut out =
        String::from("DATABASE\tARTIFACT\tKIND\tCHAIN\tFINISHED\tSIZE\tRESTORABLE\tVERIFICATION\n");
    for r in rows {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            r.database,
            r.artifact,
            r.kind,
            r.chain_id,
            r.finished_at,
            size(r.size_bytes),
            if r.restorable { "yes" } else { "no" },
            match r.verified_at {
                Some(at) => format!("{} ({at})", r.verification),
                None => r.verification.clone(),
            }
        ));
    }
    out
}

/// The agent on cluster NAME's container, after checking the container answers.
async fn checked_agent(name: &str, target: &TargetArgs) -> Result<Agent<ObjectBlobStore>, Failure> {
    let agent = target.agent(name).map_err(Failure::BackupTarget)?;
    agent.check().await?;
    Ok(agent)
}

async fn list(name: &str, target: &TargetArgs, output: ListFormat) -> Result<(), Failure> {
    let agent = checked_agent(name, target).await?;
    let rows = agent.list().await?;
    let text = match output {
        ListFormat::Json => {
            serde_json::to_string_pretty(&rows)
                .map_err(|e| Failure::output("JSON")(e.to_string()))?
                + "\n"
        }
        ListFormat::Text if rows.is_empty() => format!(
            "no complete backups of {name} in {}/{}\n",
            target.account,
            target.container_for(name)
        ),
        ListFormat::Text => listing_table(&rows),
    };
    crate::print(&text)
}

/// What `backup check` prints for one database. Pure.
pub fn check_lines(
    summary: &BTreeMap<String, DatabaseSummary>,
    databases: &[String],
    overdue: &[String],
) -> String {
    let mut out = String::new();
    for db in databases {
        let state = if overdue.contains(db) {
            "OVERDUE"
        } else {
            "ok"
        };
        let newest = summary
            .get(db)
            .and_then(|s| s.last_successful.as_ref())
            .map_or_else(
                || "no restorable backup".to_string(),
                |p| format!("newest {} {} at {}", p.kind, p.artifact, p.finished_at),
            );
        let verified = summary
            .get(db)
            .and_then(|s| s.last_verification.as_ref())
            .map_or_else(
                || "never verified".to_string(),
                |(artifact, v)| {
                    let check = match v.check {
                        VerificationCheck::Checksum => "checksum",
                        VerificationCheck::RestoreCheck => "restore-check",
                    };
                    let result = if v.ok { "ok" } else { "FAILED" };
                    format!("{check} {result} on {artifact} at {}", v.at)
                },
            );
        let stored = summary.get(db).map_or_else(
            || "0 artifacts".to_string(),
            |s| format!("{} artifacts, {}", s.artifacts, size(s.bytes)),
        );
        out.push_str(&format!("{db}\t{state}\t{newest}\t{verified}\t{stored}\n"));
    }
    out
}

async fn check(
    name: &str,
    target: &TargetArgs,
    databases: &[String],
    max_age: jiff::SignedDuration,
    output: ListFormat,
) -> Result<(), Failure> {
    let agent = checked_agent(name, target).await?;
    let catalogue = agent.catalogue().await?;
    let summary = summarize(&catalogue);
    let expected: Vec<&str> = databases.iter().map(String::as_str).collect();
    let late = overdue(&summary, &expected, Timestamp::now(), max_age);
    let text = match output {
        ListFormat::Json => {
            let doc = serde_json::json!({
                "maxAgeHours": max_age.as_hours(),
                "overdue": late,
                "databases": summary,
            });
            serde_json::to_string_pretty(&doc)
                .map_err(|e| Failure::output("JSON")(e.to_string()))?
                + "\n"
        }
        ListFormat::Text => check_lines(&summary, databases, &late),
    };
    crate::print(&text)?;
    if late.is_empty() {
        Ok(())
    } else {
        Err(Failure::Overdue(format!(
            "no restorable backup younger than {}h of {} ({})",
            max_age.as_hours(),
            name,
            late.join(", ")
        )))
    }
}

async fn prune(
    name: &str,
    target: &TargetArgs,
    policy: &RetentionPolicy,
    dry_run: bool,
    output: ListFormat,
) -> Result<(), Failure> {
    let agent = checked_agent(name, target).await?;
    let report = agent.prune(policy, Timestamp::now(), dry_run).await?;
    let text = match output {
        ListFormat::Json => {
            let value = serde_json::json!({
                "dryRun": dry_run,
                "deletions": report.plan.deletions,
                "kept": report.plan.kept,
                "deleted": report.deleted,
            });
            serde_json::to_string_pretty(&value)
                .map_err(|e| Failure::output("JSON")(e.to_string()))?
                + "\n"
        }
        ListFormat::Text => {
            let mut out = String::new();
            let verb = if dry_run { "would delete" } else { "deleted" };
            for k in &report.plan.kept {
                out.push_str(&format!(
                    "keep {} chain {}: {}\n",
                    k.database,
                    k.chain_id,
                    k.reasons.join(", ")
                ));
            }
            let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for d in &report.plan.deletions {
                by_reason.entry(&d.reason).or_default().push(&d.key);
            }
            for (reason, keys) in by_reason {
                for key in keys {
                    out.push_str(&format!("{verb} {key} ({reason})\n"));
                }
            }
            if report.plan.deletions.is_empty() {
                out.push_str("nothing to delete\n");
            }
            out
        }
    };
    crate::print(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::batch::v1::{CronJobSpec, JobSpec, JobTemplateSpec};

    #[test]
    fn a_manual_job_is_the_template_owned_by_the_cronjob() {
        let cronjob = CronJob {
            metadata: ObjectMeta {
                name: Some("graph-backup".into()),
                namespace: Some("db".into()),
                uid: Some("1234".into()),
                ..ObjectMeta::default()
            },
            spec: Some(CronJobSpec {
                schedule: "0 2 * * *".into(),
                job_template: JobTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(BTreeMap::from([("a".into(), "b".into())])),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(JobSpec {
                        backoff_limit: Some(1),
                        ..JobSpec::default()
                    }),
                },
                ..CronJobSpec::default()
            }),
            ..CronJob::default()
        };
        let at: Timestamp = "2026-11-26T13:00:00Z".parse().unwrap();
        let job = job_from_cronjob(&cronjob, at).unwrap();
        assert_eq!(
            job.metadata.name.as_deref(),
            Some("graph-backup-manual-1795698000")
        );
        assert_eq!(job.metadata.namespace.as_deref(), Some("db"));
        assert_eq!(
            job.metadata.annotations.unwrap()["cronjob.kubernetes.io/instantiate"],
            "manual"
        );
        let owner = &job.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
            ("CronJob", "graph-backup", "1234")
        );
        assert_eq!(job.spec.unwrap().backoff_limit, Some(1));
        assert_eq!(job.metadata.labels.unwrap()["a"], "b");

        let mut no_uid = cronjob.clone();
        no_uid.metadata.uid = None;
        assert!(job_from_cronjob(&no_uid, at).is_err());
    }
}
