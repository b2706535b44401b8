//! The checks' IO: what each reads from the cluster, and what the disruptive ones change and
//! wait for. Verdicts come from [`super::judge`].

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::{Client, ResourceExt};
use neo4j_aks_model::{BackupRun, BackupStatus, Neo4jCluster, ValidatedCluster};
use neo4j_aks_render::network_policy::PEER_PORTS;

use super::judge::{self, Access, Sample};
use super::matrix::{CheckId, CheckResult, Measurement, Outcome, Point};
use crate::day2::Target;

/// How often a disruptive check looks at the cluster.
const POLL: Duration = Duration::from_millis(500);

pub struct Live {
    pub client: Client,
    pub namespace: String,
    pub api: Api<Neo4jCluster>,
    pub target: Target,
    pub timeout: Duration,
    pub failover_limit: f64,
}

/// What the members' ServiceAccount must never do, whatever the resolver (R5.8: "attempt
/// unauthorized operation"): `(verb, API group, resource)`.
const DENIED: [(&str, &str, &str); 9] = [
    ("get", "", "secrets"),
    ("list", "", "secrets"),
    ("create", "", "pods"),
    ("delete", "", "pods"),
    ("create", "", "services"),
    ("delete", "", "services"),
    ("update", "", "configmaps"),
    ("patch", "apps", "statefulsets"),
    ("patch", "neo4j-aks.io", "neo4jclusters"),
];

fn validated(cluster: &Neo4jCluster) -> Result<ValidatedCluster, Outcome> {
    neo4j_aks_model::validate(cluster).map_err(|invalid| {
        Outcome::Fail(format!(
            "the live spec does not validate, so what it should render is unknown: {invalid}"
        ))
    })
}

fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// When the status subresource was last written (managedFields, seconds precision).
fn status_written_at(cluster: &Neo4jCluster) -> Option<Timestamp> {
    cluster
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter(|f| f.subresource.as_deref() == Some("status"))
        .filter_map(|f| f.time.as_ref().map(|t| t.0))
        .max()
}

fn settled(cluster: &Neo4jCluster, members: i32, generation: i64) -> bool {
    let Some(s) = &cluster.status else {
        return false;
    };
    s.observed_generation.unwrap_or(0) >= generation
        && s.ready_members == Some(members)
        && s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
        && !s.databases.is_empty()
        && s.databases.iter().all(|d| d.quorum && d.leader.is_some())
        && (members < 3
            || s.conditions
                .iter()
                .any(|c| c.type_ == "ClusterFormed" && c.status == "True"))
}

impl Live {
    pub async fn read_only(&self, id: CheckId, cluster: &Neo4jCluster) -> Outcome {
        match id {
            CheckId::Formation => judge::formation(cluster),
            CheckId::MembersAgree => judge::members_agree(cluster),
            CheckId::Zones => judge::zones(cluster),
            CheckId::TlsRequired => self.tls(cluster).await,
            CheckId::NetworkPolicy => self.network_policy(cluster).await,
            CheckId::Rbac => self.rbac(cluster).await,
            other => Outcome::Skipped(format!("{}: not a check of this step", other.name())),
        }
    }

    /// The routing table of the first user database, against the members' advertised names.
    pub async fn routing(
        &self,
        endpoint: &super::bolt::Endpoint,
        cluster: &Neo4jCluster,
    ) -> Outcome {
        let validated = match validated(cluster) {
            Ok(v) => v,
            Err(outcome) => return outcome,
        };
        let database = cluster
            .status
            .as_ref()
            .and_then(|s| s.databases.iter().find(|d| d.name != "system"))
            .map_or_else(|| "neo4j".to_owned(), |d| d.name.clone());
        let hosts: Vec<String> = (0..judge::wanted_members(cluster))
            .map(|i| validated.member_fqdn(i))
            .collect();
        super::bolt::routing(endpoint, &database, &hosts).await
    }

    async fn tls(&self, cluster: &Neo4jCluster) -> Outcome {
        let validated = match validated(cluster) {
            Ok(v) => v,
            Err(outcome) => return outcome,
        };
        if validated.tls.is_none() {
            return Outcome::Fail(
                "spec.tls is off: Bolt and the cluster ports are plaintext".to_owned(),
            );
        }
        let name = validated.config_map_name();
        let maps: Api<ConfigMap> = Api::namespaced(self.client.clone(), &self.namespace);
        match maps.get_opt(&name).await {
            Err(e) => Outcome::Fail(format!("cannot read ConfigMap {name}: {e}")),
            Ok(None) => Outcome::Fail(format!("ConfigMap {name} does not exist")),
            Ok(Some(map)) => match map
                .data
                .as_ref()
                .and_then(|d| d.get(neo4j_aks_render::config::CONF_FILE))
            {
                None => Outcome::Fail(format!("ConfigMap {name} has no neo4j.conf")),
                Some(conf) => judge::tls_required(conf),
            },
        }
    }

    async fn network_policy(&self, cluster: &Neo4jCluster) -> Outcome {
        let validated = match validated(cluster) {
            Ok(v) => v,
            Err(outcome) => return outcome,
        };
        let rendered = neo4j_aks_render::network_policy::build(&validated);
        let policies: Api<NetworkPolicy> = Api::namespaced(self.client.clone(), &self.namespace);
        let live = match policies.list(&ListParams::default()).await {
            Ok(list) => list.items,
            Err(e) => return Outcome::Fail(format!("cannot list NetworkPolicies: {e}")),
        };
        let members = neo4j_aks_render::labels::selector(&validated);
        judge::network_policy(&rendered, &live, &members, &PEER_PORTS)
    }

    async fn rbac(&self, cluster: &Neo4jCluster) -> Outcome {
        let validated = match validated(cluster) {
            Ok(v) => v,
            Err(outcome) => return outcome,
        };
        let sets: Api<StatefulSet> = Api::namespaced(self.client.clone(), &self.namespace);
        let set_name = validated.statefulset_name();
        let account = match sets.get_opt(&set_name).await {
            Err(e) => return Outcome::Fail(format!("cannot read StatefulSet {set_name}: {e}")),
            Ok(None) => return Outcome::Fail(format!("StatefulSet {set_name} does not exist")),
            Ok(Some(set)) => set
                .spec
                .and_then(|s| s.template.spec)
                .and_then(|p| p.service_account_name)
                .unwrap_or_else(|| "default".to_owned()),
        };
        let mut wanted: Vec<(String, String, String, bool)> = Vec::new();
        if let (_, Some((role, _))) = neo4j_aks_render::rbac::build(&validated) {
            for rule in role.rules.iter().flatten() {
                let group = rule
                    .api_groups
                    .iter()
                    .flatten()
                    .next()
                    .cloned()
                    .unwrap_or_default();
                for resource in rule.resources.iter().flatten() {
                    for verb in &rule.verbs {
                        wanted.push((verb.clone(), group.clone(), resource.clone(), true));
                    }
                }
            }
        }
        for (verb, group, resource) in DENIED {
            if !wanted
                .iter()
                .any(|(v, g, r, _)| v == verb && g == group && r == resource)
            {
                wanted.push((verb.into(), group.into(), resource.into(), false));
            }
        }
        let user = format!("system:serviceaccount:{}:{account}", self.namespace);
        let reviews: Api<SubjectAccessReview> = Api::all(self.client.clone());
        let mut answers = Vec::new();
        for (verb, group, resource, expected) in wanted {
            let review = SubjectAccessReview {
                spec: SubjectAccessReviewSpec {
                    user: Some(user.clone()),
                    groups: Some(vec![
                        "system:serviceaccounts".to_owned(),
                        format!("system:serviceaccounts:{}", self.namespace),
                        "system:authenticated".to_owned(),
                    ]),
                    resource_attributes: Some(ResourceAttributes {
                        namespace: Some(self.namespace.clone()),
                        verb: Some(verb.clone()),
                        group: Some(group.clone()),
                        resource: Some(resource.clone()),
                        ..ResourceAttributes::default()
                    }),
                    ..SubjectAccessReviewSpec::default()
                },
                ..SubjectAccessReview::default()
            };
            match reviews.create(&PostParams::default(), &review).await {
                Ok(answer) => answers.push(Access {
                    verb,
                    resource: if group.is_empty() {
                        resource
                    } else {
                        format!("{resource}.{group}")
                    },
                    allowed: answer.status.is_some_and(|s| s.allowed),
                    expected,
                }),
                Err(kube::Error::Api(s)) if s.code == 403 => {
                    return Outcome::Skipped(format!(
                        "this kube context may not create SubjectAccessReviews: {}",
                        s.message
                    ));
                }
                Err(e) => return Outcome::Fail(format!("SubjectAccessReview: {e}")),
            }
        }
        judge::rbac(&account, &answers)
    }

    /// The disruptive checks in order; each waits until the cluster is back before the next.
    pub async fn disruptive(&self, cluster: &Neo4jCluster, checks: &[CheckId]) -> Vec<CheckResult> {
        let mut results = Vec::new();
        if checks.contains(&CheckId::ScaleUp) {
            results = self.scale(cluster).await;
        }
        let mut healthy = results
            .iter()
            .all(|r| !matches!(r.outcome, Outcome::Fail(_)));
        for id in [CheckId::MemberFailure, CheckId::LeaderFailover] {
            if !checks.contains(&id) {
                continue;
            }
            if !healthy {
                results.push(CheckResult::new(
                    id,
                    Outcome::Skipped(
                        "the cluster did not come back from the check before".to_owned(),
                    ),
                    Duration::ZERO,
                ));
                continue;
            }
            let started = Instant::now();
            let result = match self.fresh().await {
                Err(e) => CheckResult::new(id, Outcome::Fail(e), started.elapsed()),
                Ok(now) => self.delete_member(id, &now, started).await,
            };
            healthy = !matches!(result.outcome, Outcome::Fail(_));
            results.push(result);
        }
        if checks.contains(&CheckId::BackupRestore) {
            results.push(self.backup_restore(cluster).await);
        }
        results
    }

    /// A backup now, then the restore-and-check of the newest backup in a throw-away server
    /// (the verification CronJob's Job), each judged from the run the operator records in
    /// `status.backup`. Both Jobs are deleted afterwards; the backup itself stays in Blob under
    /// the retention policy, like a scheduled one.
    async fn backup_restore(&self, cluster: &Neo4jCluster) -> CheckResult {
        let started = Instant::now();
        let skip = |reason: &str| {
            CheckResult::new(
                CheckId::BackupRestore,
                Outcome::Skipped(reason.to_owned()),
                Duration::ZERO,
            )
        };
        let validated = match validated(cluster) {
            Ok(v) => v,
            Err(outcome) => {
                return CheckResult::new(CheckId::BackupRestore, outcome, Duration::ZERO);
            }
        };
        let Some(backup) = &validated.backup else {
            return skip("spec.backup is not set");
        };
        if backup.verification_schedule.is_none() {
            return skip("spec.backup.verification is off: nothing restores the backup");
        }
        let mut measurements = Vec::new();
        let outcome = match self
            .run_cronjob(&validated.backup_cronjob_name(), |b| b.last_backup.clone())
            .await
        {
            Err(e) => Outcome::Fail(e),
            Ok((taken, seconds)) => {
                measurements.push(Measurement {
                    name: "backup".to_owned(),
                    seconds,
                    limit_seconds: None,
                });
                if taken.result != "Succeeded" {
                    judge::backup_restore(&taken, None)
                } else {
                    match self
                        .run_cronjob(&validated.verification_cronjob_name(), |b| {
                            b.last_verification.clone()
                        })
                        .await
                    {
                        Err(e) => Outcome::Fail(e),
                        Ok((checked, seconds)) => {
                            measurements.push(Measurement {
                                name: "restore and check".to_owned(),
                                seconds,
                                limit_seconds: None,
                            });
                            judge::backup_restore(&taken, Some(&checked))
                        }
                    }
                }
            }
        };
        let mut result = CheckResult::new(CheckId::BackupRestore, outcome, started.elapsed());
        result.measurements = measurements;
        result
    }

    /// Starts a Job from the CronJob (as `neo4j-aks backup now` does), waits until the operator
    /// records its run (`recorded` picks it from `status.backup`), and deletes the Job. The run
    /// and the seconds it took.
    async fn run_cronjob(
        &self,
        cronjob: &str,
        recorded: fn(&BackupStatus) -> Option<BackupRun>,
    ) -> Result<(BackupRun, f64), String> {
        let cronjobs: Api<CronJob> = Api::namespaced(self.client.clone(), &self.namespace);
        let jobs: Api<Job> = Api::namespaced(self.client.clone(), &self.namespace);
        let template = cronjobs
            .get(cronjob)
            .await
            .map_err(|e| format!("cannot read CronJob {cronjob}: {e}"))?;
        let job = crate::backup_cmd::job_from_cronjob(&template, Timestamp::now())?;
        let name = job.name_any();
        jobs.create(&PostParams::default(), &job)
            .await
            .map_err(|e| format!("cannot create Job {name} from CronJob {cronjob}: {e}"))?;
        let started = Instant::now();
        let run = loop {
            let seen = self
                .fresh()
                .await?
                .status
                .and_then(|s| s.backup)
                .and_then(|b| recorded(&b))
                .filter(|run| run.job == name);
            if let Some(run) = seen {
                break Ok(run);
            }
            if started.elapsed() > self.timeout {
                break Err(format!(
                    "Job {name} (from CronJob {cronjob}) had no result in status.backup after {}s: kubectl logs job/{name} --all-containers -n {}",
                    self.timeout.as_secs(),
                    self.namespace
                ));
            }
            tokio::time::sleep(POLL).await;
        };
        let seconds = started.elapsed().as_secs_f64();
        // The run is recorded; its Job and pods are no longer needed (a failed one is kept for
        // its logs).
        if run.as_ref().is_ok_and(|r| r.result == "Succeeded") {
            let _ = jobs.delete(&name, &DeleteParams::background()).await;
        }
        run.map(|r| (r, seconds))
    }

    async fn fresh(&self) -> Result<Neo4jCluster, String> {
        self.api
            .get(&self.target.name)
            .await
            .map_err(|e| format!("cannot read Neo4jCluster {}: {e}", self.target.name))
    }

    /// Scale up by one and back down to the original count.
    async fn scale(&self, cluster: &Neo4jCluster) -> Vec<CheckResult> {
        let members = judge::wanted_members(cluster);
        let skip = |reason: &str| {
            [CheckId::ScaleUp, CheckId::ScaleDown]
                .map(|id| CheckResult::new(id, Outcome::Skipped(reason.to_owned()), Duration::ZERO))
                .to_vec()
        };
        if members < 3 {
            return skip("a standalone server does not scale to a cluster (1 or 3 to 10 members)");
        }
        let max = neo4j_aks_model::api::members::MAX_MEMBERS as i32;
        if members >= max {
            return skip("already at the largest member count");
        }
        // The claim of the member the check adds: removed at the end only if the check made it
        // (a claim kept from an earlier scale-down may hold data someone still wants).
        let claims: Api<PersistentVolumeClaim> =
            Api::namespaced(self.client.clone(), &self.namespace);
        let claim = match validated(cluster) {
            Ok(v) => v.pvc_name(members),
            Err(outcome) => {
                return [CheckId::ScaleUp, CheckId::ScaleDown]
                    .map(|id| CheckResult::new(id, outcome.clone(), Duration::ZERO))
                    .to_vec();
            }
        };
        let claim_existed = match claims.get_opt(&claim).await {
            Ok(found) => found.is_some(),
            Err(e) => return skip(&format!("cannot read PVC {claim}: {e}")),
        };
        let up = self.scale_to(CheckId::ScaleUp, members + 1).await;
        let changed = !matches!(&up.outcome, Outcome::Fail(d) if d.starts_with("refused"));
        let down = if changed {
            // Back to where it was, whatever the scale-up did: the check cleans up after itself.
            let mut down = self.scale_to(CheckId::ScaleDown, members).await;
            if let (Outcome::Pass(detail), false) = (&mut down.outcome, claim_existed) {
                match claims.delete(&claim, &DeleteParams::default()).await {
                    Ok(_) => detail.push_str(&format!("; PVC {claim}, made by the check, deleted")),
                    Err(kube::Error::Api(e)) if e.code == 404 => {}
                    Err(e) => {
                        down.outcome = Outcome::Fail(format!(
                            "{detail}; but PVC {claim}, made by the check, could not be deleted: {e}"
                        ));
                    }
                }
            }
            down
        } else {
            CheckResult::new(
                CheckId::ScaleDown,
                Outcome::Skipped("the scale-up changed nothing".to_owned()),
                Duration::ZERO,
            )
        };
        vec![up, down]
    }

    async fn scale_to(&self, id: CheckId, members: i32) -> CheckResult {
        let started = Instant::now();
        let name = &self.target.name;
        let current = match self.fresh().await {
            Ok(c) => c,
            Err(e) => return CheckResult::new(id, Outcome::Fail(e), started.elapsed()),
        };
        let request = match crate::day2::scale::decide(&current, members) {
            Ok(r) => r,
            Err(invalid) => {
                return CheckResult::new(
                    id,
                    Outcome::Fail(format!("refused: {invalid}")),
                    started.elapsed(),
                );
            }
        };
        let written = match crate::day2::write(
            &self.api,
            name,
            &request.patch(current.resource_version().as_deref()),
        )
        .await
        {
            Ok(w) => w,
            Err(e) => {
                return CheckResult::new(
                    id,
                    Outcome::Fail(format!("refused: {e}")),
                    started.elapsed(),
                );
            }
        };
        let generation = written.metadata.generation.unwrap_or(0);
        let mut timeline = Vec::new();
        let mut lost_quorum = None;
        let deadline = started + self.timeout;
        loop {
            let now = started.elapsed().as_secs_f64();
            match self.fresh().await {
                Ok(c) => {
                    let status = c.status.clone().unwrap_or_default();
                    let quorum = status.databases.iter().all(|d| d.quorum);
                    if !quorum && lost_quorum.is_none() {
                        lost_quorum = Some(now);
                    }
                    timeline.push(Point {
                        seconds: now,
                        ready_members: status.ready_members.unwrap_or(0),
                        quorum,
                    });
                    if settled(&c, members, generation) {
                        break;
                    }
                }
                Err(e) => eprintln!("warning: {e}; retrying"),
            }
            if Instant::now() >= deadline {
                let mut result = CheckResult::new(
                    id,
                    Outcome::Fail(format!(
                        "{members} members not settled (ready, formed, planner Done) after {}s",
                        self.timeout.as_secs()
                    )),
                    started.elapsed(),
                );
                result.timeline = timeline;
                return result;
            }
            tokio::time::sleep(POLL).await;
        }
        let took = started.elapsed();
        let outcome = match lost_quorum {
            Some(at) => Outcome::Fail(format!("a database lost its quorum {at:.1}s in")),
            None => Outcome::Pass(format!(
                "{} -> {members} members, quorum kept throughout",
                request.current
            )),
        };
        let mut result = CheckResult::new(id, outcome, took);
        result.measurements.push(Measurement {
            name: "settled".to_owned(),
            seconds: took.as_secs_f64(),
            limit_seconds: None,
        });
        result.timeline = timeline;
        result
    }

    /// Delete one member's pod (a follower, or the leader of `neo4j`) and sample until the
    /// cluster is whole again.
    async fn delete_member(
        &self,
        id: CheckId,
        cluster: &Neo4jCluster,
        started: Instant,
    ) -> CheckResult {
        let members = judge::wanted_members(cluster);
        let status = cluster.status.clone().unwrap_or_default();
        let leaders: Vec<&str> = status
            .databases
            .iter()
            .filter_map(|d| d.leader.as_deref())
            .collect();
        let neo4j_leader = status
            .databases
            .iter()
            .find(|d| d.name != "system")
            .or(status.databases.first())
            .and_then(|d| d.leader.clone());
        let victim = match id {
            CheckId::LeaderFailover => neo4j_leader,
            _ => status
                .members
                .iter()
                .rev()
                .map(|m| m.pod.clone())
                .find(|p| !leaders.contains(&p.as_str()))
                .or_else(|| {
                    status
                        .members
                        .iter()
                        .rev()
                        .map(|m| m.pod.clone())
                        .find(|p| Some(p) != neo4j_leader.as_ref())
                }),
        };
        let Some(victim) = victim else {
            return CheckResult::new(
                id,
                Outcome::Fail(
                    "no member to disrupt: the status names no leader or members".to_owned(),
                ),
                started.elapsed(),
            );
        };
        if members < 3 {
            return CheckResult::new(
                id,
                Outcome::Skipped("a standalone server has no quorum to keep".to_owned()),
                started.elapsed(),
            );
        }
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        let old_uid = match pods.get(&victim).await {
            Ok(p) => p.uid(),
            Err(e) => {
                return CheckResult::new(
                    id,
                    Outcome::Fail(format!("cannot read pod {victim}: {e}")),
                    started.elapsed(),
                );
            }
        };
        let deleted_at = Timestamp::now();
        let disrupted = Instant::now();
        if let Err(e) = pods.delete(&victim, &DeleteParams::default()).await {
            return CheckResult::new(
                id,
                Outcome::Fail(format!("cannot delete pod {victim}: {e}")),
                started.elapsed(),
            );
        }
        let mut samples = Vec::new();
        let deadline = disrupted + self.timeout;
        loop {
            let at = disrupted.elapsed().as_secs_f64();
            let replaced = match pods.get_opt(&victim).await {
                Ok(Some(p)) => p.uid() != old_uid && pod_ready(&p),
                _ => false,
            };
            if let Ok(c) = self.fresh().await {
                let fresh =
                    status_written_at(&c).is_some_and(|t| t.as_second() > deleted_at.as_second());
                let sample =
                    Sample::from_status(at, fresh, &c.status.clone().unwrap_or_default(), replaced);
                let done = sample.settled(members);
                samples.push(sample);
                if done {
                    break;
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        let verdict = match id {
            CheckId::LeaderFailover => {
                judge::leader_failover(&samples, &victim, members, self.failover_limit)
            }
            _ => judge::member_failure(&samples, &victim, members),
        };
        let mut result = CheckResult::new(id, verdict.outcome, started.elapsed());
        result.measurements = verdict.measurements;
        result.timeline = verdict.timeline;
        result
    }
}
