//! Backup results in the Neo4jCluster status (issue 6): `status.backup.lastBackup`,
//! `lastSuccessfulBackup` and `lastVerification`, read from the finished Jobs of the cluster's
//! two backup CronJobs (their conditions, and the JSON line the agent leaves as its container's
//! termination message), an event per newly finished run, and a metric per cluster for the
//! alert "no successful backup in 24h" (docs/backup.md).
//!
//! The CronJobs keep 3 finished Jobs of each kind and a Job lives a week after it finished, so
//! the status keeps the newest result it has seen even after its Job is gone.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::runtime::events::EventType;
use kube::{Client, ResourceExt};
use neo4j_aks_model::api::containers::{BACKUP_COMPONENT, VERIFICATION_COMPONENT};
use neo4j_aks_model::{BackupRun, BackupStatus, ValidatedCluster};
use neo4j_aks_model::{Neo4jCluster, Neo4jClusterStatus};
use neo4j_aks_render::labels::CLUSTER_LABEL;
use serde::Deserialize;
use tracing::warn;

use crate::context::Context;

/// The containers whose termination message is the run's result line.
use neo4j_aks_model::api::containers::RESULT_CONTAINERS;

/// The fields of the agent's result line the status shows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultLine {
    result: String,
    #[serde(default)]
    message: String,
    size_bytes: Option<u64>,
    duration_seconds: Option<f64>,
}

/// A finished Job as a run, or `None` while it runs. Pure.
pub fn run_of(job: &Job, pods: &[Pod]) -> Option<BackupRun> {
    let name = job.name_any();
    let status = job.status.as_ref()?;
    let finished = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.status == "True" && (c.type_ == "Complete" || c.type_ == "Failed"))?;
    let succeeded = finished.type_ == "Complete";
    let time = status
        .completion_time
        .as_ref()
        .or(finished.last_transition_time.as_ref())
        .map(|t| t.0.to_string())
        .unwrap_or_default();
    let job_pods: Vec<&Pod> = pods
        .iter()
        .filter(|p| p.labels().get("job-name") == Some(&name))
        .collect();
    // The result line of the newest pod that left one (a retried Job has several pods).
    let line = job_pods
        .iter()
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| {
            s.container_statuses
                .iter()
                .flatten()
                .chain(s.init_container_statuses.iter().flatten())
        })
        .filter_map(|c| {
            let terminated = c.state.as_ref()?.terminated.as_ref()?;
            let line: ResultLine = serde_json::from_str(terminated.message.as_deref()?).ok()?;
            let preferred = RESULT_CONTAINERS.contains(&c.name.as_str());
            Some((
                preferred,
                terminated.finished_at.clone(),
                c.name.clone(),
                line,
            ))
        })
        .max_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let duration_from_job = match (&status.start_time, &status.completion_time) {
        (Some(start), Some(end)) => Some(end.0.as_second() - start.0.as_second()),
        _ => None,
    };
    let message = match &line {
        Some((_, _, container, l)) if l.result != "Succeeded" || succeeded => {
            Some(if l.result == "Succeeded" {
                l.message.clone()
            } else {
                format!("{container}: {}", l.message)
            })
        }
        _ if !succeeded => Some(
            [finished.reason.as_deref(), finished.message.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": "),
        ),
        _ => None,
    };
    let line = line.map(|(_, _, _, l)| l);
    Some(BackupRun {
        time,
        result: if succeeded { "Succeeded" } else { "Failed" }.to_string(),
        job: name,
        size_bytes: line
            .as_ref()
            .and_then(|l| l.size_bytes)
            .and_then(|b| i64::try_from(b).ok()),
        duration_seconds: line
            .as_ref()
            .and_then(|l| l.duration_seconds)
            .map(|d| d.round() as i64)
            .or(duration_from_job),
        message: message.filter(|m| !m.is_empty()),
    })
}

fn newest(a: Option<BackupRun>, b: Option<BackupRun>) -> Option<BackupRun> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if (&b.time, &b.job) > (&a.time, &a.job) {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

/// The status from the previous one and the runs seen now. Pure.
pub fn summarize(
    previous: Option<&BackupStatus>,
    backups: &[BackupRun],
    verifications: &[BackupRun],
) -> BackupStatus {
    let previous = previous.cloned().unwrap_or_default();
    let newest_of = |runs: &[BackupRun], ok_only: bool| {
        runs.iter()
            .filter(|r| !ok_only || r.result == "Succeeded")
            .max_by(|a, b| (&a.time, &a.job).cmp(&(&b.time, &b.job)))
            .cloned()
    };
    BackupStatus {
        last_backup: newest(previous.last_backup, newest_of(backups, false)),
        last_successful_backup: newest(previous.last_successful_backup, newest_of(backups, true)),
        last_verification: newest(previous.last_verification, newest_of(verifications, false)),
    }
}

/// Runs that finished since `previous` was written: one event each.
pub fn newly_finished<'a>(
    previous: Option<&BackupStatus>,
    now: &'a BackupStatus,
) -> Vec<(&'static str, &'a BackupRun)> {
    let is_new = |old: Option<&BackupRun>, new: &BackupRun| old.is_none_or(|o| o.job != new.job);
    let mut out = Vec::new();
    if let Some(run) = &now.last_backup
        && is_new(previous.and_then(|p| p.last_backup.as_ref()), run)
    {
        out.push(("Backup", run));
    }
    if let Some(run) = &now.last_verification
        && is_new(previous.and_then(|p| p.last_verification.as_ref()), run)
    {
        out.push(("BackupVerification", run));
    }
    out
}

/// Reads the cluster's backup Jobs and their pods and returns the new backup status; `None`
/// when backups are off and nothing was ever recorded.
pub async fn observe(
    client: &Client,
    cluster: &ValidatedCluster,
    previous: Option<&BackupStatus>,
) -> Result<Option<BackupStatus>, kube::Error> {
    if cluster.backup.is_none() && previous.is_none() {
        return Ok(None);
    }
    let selector = format!(
        "{CLUSTER_LABEL}={},app.kubernetes.io/name=neo4j-aks-backup",
        cluster.name
    );
    let params = ListParams::default().labels(&selector);
    let jobs = Api::<Job>::namespaced(client.clone(), &cluster.namespace)
        .list(&params)
        .await?
        .items;
    let pods = Api::<Pod>::namespaced(client.clone(), &cluster.namespace)
        .list(&params)
        .await?
        .items;
    let runs = |component: &str| -> Vec<BackupRun> {
        jobs.iter()
            .filter(|j| {
                j.labels()
                    .get(neo4j_aks_model::api::labels::COMPONENT)
                    .map(String::as_str)
                    == Some(component)
            })
            .filter_map(|j| run_of(j, &pods))
            .collect()
    };
    Ok(Some(summarize(
        previous,
        &runs(BACKUP_COMPONENT),
        &runs(VERIFICATION_COMPONENT),
    )))
}

/// The reconcile's hook: fills `status.backup`, publishes an event per newly finished run and
/// updates the metrics. Listing Jobs failing is logged and leaves the previous result in place:
/// backup reporting never fails a reconcile.
pub async fn update(
    ctx: &Context,
    cluster: &Neo4jCluster,
    validated: &ValidatedCluster,
    status: &mut Neo4jClusterStatus,
) {
    let previous = cluster.status.as_ref().and_then(|s| s.backup.as_ref());
    let current = match observe(&ctx.client, validated, previous).await {
        Ok(current) => current,
        Err(e) => {
            warn!(cluster = %validated.name, error = %e, "cannot read the backup Jobs");
            return;
        }
    };
    if let Some(current) = &current {
        for (reason, run) in newly_finished(previous, current) {
            let type_ = if run.result == "Succeeded" {
                EventType::Normal
            } else {
                EventType::Warning
            };
            let note = format!(
                "{} {} (Job {}){}",
                if reason == "Backup" {
                    "backup"
                } else {
                    "restore-and-check"
                },
                run.result.to_lowercase(),
                run.job,
                run.message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            );
            let reason = format!("{reason}{}", run.result);
            ctx.publish(cluster, type_, &reason, note).await;
        }
        ctx.metrics
            .backup
            .record(&validated.namespace, &validated.name, current);
    }
    status.backup = current;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::BackupMetrics;
    use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateTerminated, ContainerStatus, PodStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
    use prometheus_client::registry::Registry;
    use std::collections::BTreeMap;

    fn time(s: &str) -> Time {
        Time(s.parse().unwrap())
    }

    fn job(name: &str, condition: &str, start: &str, end: &str) -> Job {
        Job {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            status: Some(JobStatus {
                start_time: Some(time(start)),
                completion_time: (condition == "Complete").then(|| time(end)),
                conditions: Some(vec![JobCondition {
                    type_: condition.into(),
                    status: "True".into(),
                    last_transition_time: Some(time(end)),
                    reason: (condition == "Failed").then(|| "BackoffLimitExceeded".into()),
                    message: (condition == "Failed")
                        .then(|| "Job has reached the specified backoff limit".into()),
                    ..JobCondition::default()
                }]),
                ..JobStatus::default()
            }),
            ..Job::default()
        }
    }

    fn pod(job: &str, container: &str, init: bool, message: &str) -> Pod {
        let status = ContainerStatus {
            name: container.into(),
            state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    message: Some(message.into()),
                    finished_at: Some(time("2026-11-26T02:10:00Z")),
                    ..ContainerStateTerminated::default()
                }),
                ..ContainerState::default()
            }),
            ..ContainerStatus::default()
        };
        Pod {
            metadata: ObjectMeta {
                name: Some(format!("{job}-x")),
                labels: Some(BTreeMap::from([("job-name".into(), job.into())])),
                ..ObjectMeta::default()
            },
            status: Some(PodStatus {
                container_statuses: (!init).then(|| vec![status.clone()]),
                init_container_statuses: init.then(|| vec![status]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn a_successful_run_carries_the_agents_numbers() {
        let j = job(
            "g-backup-1",
            "Complete",
            "2026-11-26T02:00:00Z",
            "2026-11-26T02:11:00Z",
        );
        let p = pod(
            "g-backup-1",
            "upload",
            false,
            r#"{"step":"upload","result":"Succeeded","cluster":"g","message":"uploaded 2 artifact(s)","sizeBytes":4096,"durationSeconds":301.4}"#,
        );
        let run = run_of(&j, &[p]).expect("finished");
        assert_eq!(run.result, "Succeeded");
        assert_eq!(run.time, "2026-11-26T02:11:00Z");
        assert_eq!(run.size_bytes, Some(4096));
        assert_eq!(run.duration_seconds, Some(301));
        assert_eq!(run.message.as_deref(), Some("uploaded 2 artifact(s)"));
    }

    #[test]
    fn a_failed_run_names_the_failing_step_or_the_jobs_reason() {
        let j = job(
            "g-backup-2",
            "Failed",
            "2026-11-27T02:00:00Z",
            "2026-11-27T02:01:00Z",
        );
        let p = pod(
            "g-backup-2",
            "select-source",
            true,
            r#"{"step":"select-source","result":"Failed","cluster":"g","message":"no member answered SHOW DATABASES"}"#,
        );
        let run = run_of(&j, &[p]).expect("finished");
        assert_eq!(run.result, "Failed");
        assert_eq!(
            run.message.as_deref(),
            Some("select-source: no member answered SHOW DATABASES")
        );
        assert_eq!(run.duration_seconds, None);
        // neo4j-admin leaves no JSON: the Job's own reason is shown.
        let run = run_of(&j, &[]).expect("finished");
        assert_eq!(
            run.message.as_deref(),
            Some("BackoffLimitExceeded: Job has reached the specified backoff limit")
        );
        let mut running = j.clone();
        running.status.as_mut().unwrap().conditions = None;
        assert_eq!(run_of(&running, &[]), None);
    }

    fn run(job: &str, result: &str, time: &str) -> BackupRun {
        BackupRun {
            time: time.into(),
            result: result.into(),
            job: job.into(),
            ..BackupRun::default()
        }
    }

    #[test]
    fn the_status_keeps_the_newest_results_after_their_jobs_are_gone() {
        let first = summarize(
            None,
            &[
                run("b1", "Succeeded", "2026-11-25T02:10:00Z"),
                run("b2", "Failed", "2026-11-26T02:10:00Z"),
            ],
            &[run("v1", "Succeeded", "2026-11-23T04:30:00Z")],
        );
        assert_eq!(first.last_backup.as_ref().unwrap().job, "b2");
        assert_eq!(first.last_successful_backup.as_ref().unwrap().job, "b1");
        assert_eq!(first.last_verification.as_ref().unwrap().job, "v1");
        let events = newly_finished(None, &first);
        assert_eq!(events.len(), 2);

        // The Jobs are gone (TTL); a new success arrives.
        let second = summarize(
            Some(&first),
            &[run("b3", "Succeeded", "2026-11-27T02:10:00Z")],
            &[],
        );
        assert_eq!(second.last_backup.as_ref().unwrap().job, "b3");
        assert_eq!(second.last_successful_backup.as_ref().unwrap().job, "b3");
        assert_eq!(second.last_verification.as_ref().unwrap().job, "v1");
        let events = newly_finished(Some(&first), &second);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, "Backup");
        // Nothing new: no event, same status.
        let third = summarize(Some(&second), &[], &[]);
        assert_eq!(third, second);
        assert!(newly_finished(Some(&second), &third).is_empty());
    }

    #[test]
    fn metrics_expose_the_last_success_per_cluster() {
        let mut registry = Registry::with_prefix("neo4j_aks");
        let metrics = BackupMetrics::register(&mut registry);
        let status = summarize(
            None,
            &[
                run("b1", "Succeeded", "2026-11-25T02:10:00Z"),
                run("b2", "Failed", "2026-11-26T02:10:00Z"),
            ],
            &[],
        );
        metrics.record("db", "graph", &status);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains(
                r#"neo4j_aks_backup_last_success_timestamp_seconds{namespace="db",cluster="graph"} 1795572600.0"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"neo4j_aks_backup_last_run_failed{namespace="db",cluster="graph"} 1"#),
            "{text}"
        );
    }
}
