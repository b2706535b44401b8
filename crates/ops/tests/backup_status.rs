//! The operator and a cluster with `spec.backup.enabled`, on the testenv: it owns the two backup
//! CronJobs, and it reports finished backup Jobs in `status.backup`, as events and as metrics.
//!
//! SIMULATED run results: kwok runs no containers, so no backup Job of a CronJob ever finishes
//! here. The test creates Jobs with the backup labels and `spec.managedBy` set to a foreign
//! controller (so Kubernetes' Job controller leaves them alone), and unscheduled pods, and
//! writes their status through the API exactly as the Job controller and the kubelet would
//! (conditions, completion time, the agent's termination message). The operator's side (list,
//! read, status, events, metrics) is real.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Patch, PatchParams, PostParams};
use neo4j_aks_testkit::wait_until;
use serde_json::json;
use support::{Harness, WAIT};

const BACKUP_SPEC: &str = r#"  backup:
    enabled: true
    target:
      storageAccount: graphbackups01
    credentials:
      workloadIdentityClientId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301
"#;

fn labels(component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".into(), "neo4j-aks-backup".into()),
        ("app.kubernetes.io/component".into(), component.into()),
        ("app.kubernetes.io/managed-by".into(), "neo4j-aks".into()),
        ("neo4j-aks.io/cluster".into(), "db".into()),
    ])
}

/// A finished Job of the backup CronJob, and its pod with the agent's result line.
async fn finished_run(
    h: &Harness,
    job: &str,
    component: &str,
    succeeded: bool,
    container: &str,
    result_line: &str,
) {
    let jobs = h.api::<Job>();
    let pod_template = PodTemplateSpec {
        metadata: None,
        spec: Some(PodSpec {
            restart_policy: Some("Never".into()),
            containers: vec![Container {
                name: container.into(),
                image: Some("ghcr.io/neo4j-aks/neo4j-aks:0.1.0".into()),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
    };
    jobs.create(
        &PostParams::default(),
        &Job {
            metadata: ObjectMeta {
                name: Some(job.into()),
                labels: Some(labels(component)),
                ..ObjectMeta::default()
            },
            spec: Some(JobSpec {
                managed_by: Some("neo4j-aks.io/test-simulated-runs".into()),
                template: pod_template.clone(),
                ..JobSpec::default()
            }),
            ..Job::default()
        },
    )
    .await
    .expect("create the Job");
    let now = "2026-11-26T02:11:00Z";
    let status = if succeeded {
        json!({"status": {
            "startTime": "2026-11-26T02:00:00Z",
            "completionTime": now,
            "succeeded": 1,
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": now, "lastProbeTime": now},
                {"type": "Complete", "status": "True", "lastTransitionTime": now, "lastProbeTime": now},
            ],
        }})
    } else {
        json!({"status": {
            "startTime": "2026-11-27T02:00:00Z",
            "failed": 2,
            "conditions": [
                {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastTransitionTime": "2026-11-27T02:05:00Z", "lastProbeTime": "2026-11-27T02:05:00Z"},
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastTransitionTime": "2026-11-27T02:05:00Z", "lastProbeTime": "2026-11-27T02:05:00Z"},
            ],
        }})
    };
    jobs.patch_status(job, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("Job status");

    // The pod is never scheduled (no scheduler has this name), so kwok leaves its status alone.
    let mut pod_labels = labels(component);
    pod_labels.insert("job-name".into(), job.into());
    let pods = h.api::<Pod>();
    let pod_name = format!("{job}-x1");
    let mut spec = pod_template.spec.expect("pod spec");
    spec.scheduler_name = Some("neo4j-aks-test-no-scheduler".into());
    pods.create(
        &PostParams::default(),
        &Pod {
            metadata: ObjectMeta {
                name: Some(pod_name.clone()),
                labels: Some(pod_labels),
                ..ObjectMeta::default()
            },
            spec: Some(spec),
            ..Pod::default()
        },
    )
    .await
    .expect("create the pod");
    let state = json!({"status": {
        "phase": if succeeded { "Succeeded" } else { "Failed" },
        "containerStatuses": [{
            "name": container,
            "image": "ghcr.io/neo4j-aks/neo4j-aks:0.1.0",
            "imageID": "",
            "ready": false,
            "restartCount": 0,
            "state": {"terminated": {
                "exitCode": if succeeded { 0 } else { 1 },
                "finishedAt": now,
                "message": result_line,
            }},
        }],
    }});
    pods.patch_status(&pod_name, &PatchParams::default(), &Patch::Merge(&state))
        .await
        .expect("pod status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_backup_jobs_show_in_status_events_and_metrics() {
    let Some(mut h) = Harness::new("ops_backup_status").await else {
        return;
    };
    let metrics = h.start_operator().await;
    h.create(&h.spec(BACKUP_SPEC)).await;
    h.wait_ready(3).await;

    // The CronJobs are the cluster's children.
    let cronjobs = h.api::<CronJob>();
    for name in ["db-backup", "db-backup-verification"] {
        let cj = cronjobs.get(name).await.expect("CronJob");
        let owner = &cj.metadata.owner_references.expect("owner")[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str()),
            ("Neo4jCluster", "db")
        );
    }

    finished_run(
        &h,
        "db-backup-100",
        "backup",
        true,
        "upload",
        r#"{"step":"upload","result":"Succeeded","cluster":"db","message":"uploaded 2 artifact(s) (4096 bytes), 0 already stored; pruned 0 object(s)","sizeBytes":4096,"durationSeconds":301.4}"#,
    )
    .await;
    let c = h
        .wait_status("status.backup.lastSuccessfulBackup", |c| {
            let b = c
                .status
                .as_ref()
                .and_then(|s| s.backup.clone())
                .unwrap_or_default();
            match b.last_successful_backup {
                Some(run) if run.job == "db-backup-100" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let backup = c.status.and_then(|s| s.backup).expect("backup status");
    let run = backup.last_successful_backup.expect("success");
    assert_eq!(run.result, "Succeeded");
    assert_eq!(run.time, "2026-11-26T02:11:00Z");
    assert_eq!(run.size_bytes, Some(4096));
    assert_eq!(run.duration_seconds, Some(301));
    assert_eq!(backup.last_backup.expect("last").job, "db-backup-100");
    let text = metrics.encode();
    let ns = h.ns().to_string();
    assert!(
        text.contains(&format!(
            "neo4j_aks_backup_last_success_timestamp_seconds{{namespace=\"{ns}\",cluster=\"db\"}} 1795659060.0"
        )),
        "{text}"
    );
    wait_until(
        Duration::from_secs(30),
        "a BackupSucceeded event",
        || async {
            let found = h.events("BackupSucceeded").await;
            if found.len() == 1 {
                Ok(())
            } else {
                Err(format!("{} events", found.len()))
            }
        },
    )
    .await;

    // A failed run: the failing step's message; the last success stays; a Warning event.
    finished_run(
        &h,
        "db-backup-101",
        "backup",
        false,
        "select-source",
        r#"{"step":"select-source","result":"Failed","cluster":"db","message":"no member answered SHOW DATABASES"}"#,
    )
    .await;
    let c = h
        .wait_status("status.backup.lastBackup failed", |c| {
            let b = c
                .status
                .as_ref()
                .and_then(|s| s.backup.clone())
                .unwrap_or_default();
            match b.last_backup {
                Some(run) if run.job == "db-backup-101" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let backup = c.status.and_then(|s| s.backup).expect("backup status");
    let last = backup.last_backup.expect("last");
    assert_eq!(last.result, "Failed");
    assert_eq!(
        last.message.as_deref(),
        Some("select-source: no member answered SHOW DATABASES")
    );
    assert_eq!(
        backup.last_successful_backup.expect("kept").job,
        "db-backup-100"
    );
    wait_until(Duration::from_secs(30), "a BackupFailed event", || async {
        let found = h.events("BackupFailed").await;
        match found.first() {
            Some(e) if e.type_.as_deref() == Some("Warning") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(metrics.encode().contains(&format!(
        "neo4j_aks_backup_last_run_failed{{namespace=\"{ns}\",cluster=\"db\"}} 1"
    )));
    // Quiet afterwards: one event per run, not per reconcile.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(h.events("BackupSucceeded").await.len(), 1);
    assert_eq!(h.events("BackupFailed").await.len(), 1);
    let _ = WAIT;
    h.teardown().await;
}
