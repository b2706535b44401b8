//! The backup CronJobs on the local control plane (testenv): `neo4j-aks apply` of a cluster with
//! `spec.backup.enabled` creates them and the API server accepts them as rendered;
//! `neo4j-aks backup now` creates a Job from each, like `kubectl create job --from`; turning
//! backups off deletes them. (kwok runs no containers: the pods are created and scheduled, the
//! agent and neo4j-admin inside them run only on AKS.)

mod support;

use std::process::Output;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kube::api::{Api, ListParams};
use neo4j_aks_testkit::TestEnv;
use support::{SpecFile, run_on, stderr, stdout};

fn run(env: &TestEnv, args: &[&str]) -> Output {
    run_on(env.kubeconfig(), args)
}

fn spec(ns: &str, backup: bool) -> String {
    format!(
        r#"apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata:
  name: db
  namespace: {ns}
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: 3
  storage:
    className: {ns}-premium
    createStorageClass: false
    diskSizeGi: 16
  backup:
    enabled: {backup}
    schedule: "15 1 * * *"
    target:
      storageAccount: graphbackups01
    credentials:
      workloadIdentityClientId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_cronjobs_apply_run_now_and_go_away() {
    let Some(env) = TestEnv::connect("cli_backup_cronjobs").await else {
        return;
    };
    let ns = env.namespace("cli_backup_cronjobs").await;
    let spec_file = SpecFile::new(ns.name());
    let path = spec_file.path.clone();
    spec_file.write(spec(ns.name(), true));

    let applied = run(&env, &["apply", "-f", &path]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let out = stdout(&applied);
    for line in [
        "created ServiceAccount db-backup",
        "created CronJob db-backup",
        "created CronJob db-backup-verification",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
    // Converged: the API server's defaults on CronJobs are not differences.
    let diff = run(&env, &["diff", "-f", &path]);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}{}",
        stdout(&diff),
        stderr(&diff)
    );

    let cronjobs: Api<CronJob> = Api::namespaced(env.client(), ns.name());
    let backup = cronjobs.get("db-backup").await.expect("CronJob db-backup");
    let schedule = backup.spec.as_ref().expect("spec");
    assert_eq!(schedule.schedule, "15 1 * * *");
    assert_eq!(schedule.concurrency_policy.as_deref(), Some("Forbid"));
    let account = Api::<ServiceAccount>::namespaced(env.client(), ns.name())
        .get("db-backup")
        .await
        .expect("ServiceAccount db-backup");
    assert_eq!(
        account.metadata.annotations.expect("annotations")["azure.workload.identity/client-id"],
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    );

    // backup now: a Job from the template, owned by the CronJob, marked manual.
    let now = run(&env, &["backup", "now", "db", "-n", ns.name()]);
    assert!(now.status.success(), "{}", stderr(&now));
    let printed = stdout(&now);
    let job_name = printed
        .trim()
        .rsplit('/')
        .next()
        .expect("created Job ns/name")
        .to_string();
    assert!(job_name.starts_with("db-backup-manual-"), "{printed}");
    let jobs: Api<Job> = Api::namespaced(env.client(), ns.name());
    let job = jobs.get(&job_name).await.expect("the Job exists");
    let owner = &job.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("CronJob", "db-backup")
    );
    assert_eq!(Some(owner.uid.as_str()), backup.metadata.uid.as_deref());
    assert_eq!(
        job.metadata.annotations.as_ref().expect("annotations")["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    // The Job controller makes its pod; it carries the backup labels, never the members'.
    let pods: Api<Pod> = Api::namespaced(env.client(), ns.name());
    let pod = neo4j_aks_testkit::wait_until(
        std::time::Duration::from_secs(60),
        "the backup Job's pod",
        || {
            let pods = pods.clone();
            let job_name = job_name.clone();
            async move {
                pods.list(&ListParams::default().labels(&format!("job-name={job_name}")))
                    .await
                    .map_err(|e| e.to_string())?
                    .items
                    .into_iter()
                    .next()
                    .ok_or_else(|| "no pod yet".to_string())
            }
        },
    )
    .await;
    let labels = pod.metadata.labels.expect("labels");
    assert_eq!(labels["app.kubernetes.io/component"], "backup");
    assert_eq!(labels["azure.workload.identity/use"], "true");
    assert_ne!(labels["app.kubernetes.io/name"], "neo4j");
    let init: Vec<String> = pod
        .spec
        .expect("pod spec")
        .init_containers
        .expect("init containers")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(init, ["select-source", "fetch", "neo4j-admin-backup"]);

    let verification = run(
        &env,
        &["backup", "now", "db", "-n", ns.name(), "--verification"],
    );
    assert!(verification.status.success(), "{}", stderr(&verification));
    assert!(stdout(&verification).contains("db-backup-verification-manual-"));

    // Turned off: both CronJobs and the ServiceAccount are deleted by apply.
    spec_file.write(spec(ns.name(), false));
    let applied = run(&env, &["apply", "-f", &path]);
    let out = stdout(&applied);
    for line in [
        "deleted CronJob db-backup",
        "deleted CronJob db-backup-verification",
        "deleted ServiceAccount db-backup",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
    let missing = run(&env, &["backup", "now", "db", "-n", ns.name()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("is spec.backup.enabled true"),
        "{}",
        stderr(&missing)
    );
    let _ = std::fs::remove_dir_all(&spec_file.dir);
    ns.cleanup().await;
}
