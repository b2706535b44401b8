//! The day-2 commands end to end: the real `neo4j-aks` binary (scale, restart, status) against
//! the real operator, started in-process and watching a namespace of its own on the testenv.
//!
//! Neo4j is simulated: kwok runs no containers, so no Neo4j server can answer Bolt there. The
//! operator's day-2 executor talks to [`SimulatedNeo4j`] (crates/testkit), whose servers follow
//! the testenv's member pods and which applies ENABLE / DEALLOCATE / DROP / ALTER as the
//! Operations Manual describes them, records every statement and checks quorum at every
//! observation. Everything else is real: the apiserver, the StatefulSet controller, the CLI
//! process, its kubeconfig and its watch.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_ops::controller::{self, Context, Settings};
use neo4j_aks_ops::member_tls::{BoltMemberTls, MemberTls};
use neo4j_aks_ops::metrics::Metrics;
use neo4j_aks_ops::neo4j::{Admin, Connector, Target};
use neo4j_aks_testkit::simulated_neo4j::SimulatedNeo4j;
use neo4j_aks_testkit::{TestEnv, TestNamespace, wait_until};
use neo4j_aks_topology::AdminClient;
use serde_json::Value;
use support::{command_on, stderr, stdout};
use tokio::task::JoinHandle;

const SETTLE: Duration = Duration::from_secs(120);

struct Fixture {
    env: TestEnv,
    ns: Option<TestNamespace>,
    /// The Neo4j side: a SIMULATION (kwok runs no containers).
    sim: Arc<SimulatedNeo4j>,
    operator: Option<JoinHandle<()>>,
}

impl Fixture {
    async fn new(test: &str) -> Option<Fixture> {
        Self::with_member_tls(test, None).await
    }

    /// `member_tls`: how the operator sees the members' certificates (production Bolt when
    /// `None`; kwok members have no Bolt to look at).
    async fn with_member_tls(
        test: &str,
        member_tls: Option<Arc<dyn MemberTls>>,
    ) -> Option<Fixture> {
        neo4j_aks_ops::telemetry::init();
        let env = TestEnv::connect(test).await?;
        support::install_crd(&env, "neo4j-aks-test").await;
        let ns = env.namespace(test).await;
        let sim = SimulatedNeo4j::new(env.client(), ns.name(), "db");
        let mut fixture = Fixture {
            env,
            ns: Some(ns),
            sim,
            operator: None,
        };
        fixture.start_operator(member_tls.unwrap_or_else(|| Arc::new(BoltMemberTls::default())));
        Some(fixture)
    }

    fn ns(&self) -> &str {
        self.ns.as_ref().expect("namespace").name()
    }

    /// The real operator (its reconcile loop and day-2 executor), scoped to this namespace,
    /// reaching the simulated Neo4j.
    fn start_operator(&mut self, member_tls: Arc<dyn MemberTls>) {
        let sim = self.sim.clone();
        let connector: Arc<dyn Connector> = Arc::new(move |target: &Target| {
            assert_eq!(target.cluster, sim.cluster());
            Ok(sim.clone() as Arc<dyn Admin>)
        });
        let settings = Settings {
            namespace: Some(self.ns().to_string()),
            resync: Duration::from_secs(2),
            not_ready_requeue: Duration::from_secs(2),
            error_requeue: Duration::from_secs(2),
            concurrency: 4,
            debounce: Duration::from_millis(neo4j_aks_ops::context::DEFAULT_DEBOUNCE_MS),
            instance: "cli-day2-operator".to_string(),
        };
        let ctx = Context::with_peers(
            self.env.client(),
            Arc::new(Metrics::new()),
            settings,
            connector,
            member_tls,
        );
        self.operator = Some(tokio::spawn(controller::run(ctx)));
    }

    fn clusters(&self) -> Api<Neo4jCluster> {
        Api::namespaced(self.env.client(), self.ns())
    }

    async fn create(&self, nodes: i32) {
        self.create_with(nodes, "").await;
    }

    /// A cluster of `nodes` members; `extra` is appended to the spec (indented two spaces).
    async fn create_with(&self, nodes: i32, extra: &str) {
        self.create_version(nodes, "5.26.16", extra).await;
    }

    async fn create_version(&self, nodes: i32, version: &str, extra: &str) {
        let yaml = format!(
            r#"apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata:
  name: db
  namespace: {ns}
spec:
  neo4jVersion: "{version}"
  acceptLicenseAgreement: "yes"
  nodeCount: {nodes}
  storage:
    diskSizeGi: 32
    className: {ns}-premium
  resources:
    cpu: "1"
    memory: 4Gi
{extra}"#,
            ns = self.ns()
        );
        let cluster = Neo4jCluster::from_yaml(&yaml).expect("test spec parses");
        self.clusters()
            .create(&PostParams::default(), &cluster)
            .await
            .expect("create the Neo4jCluster");
    }

    async fn patch_tls_off(&self) {
        self.clusters()
            .patch(
                "db",
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({"spec": {"tls": {"enabled": false}}})),
            )
            .await
            .expect("turn TLS off");
    }

    async fn get(&self) -> Neo4jCluster {
        self.clusters().get("db").await.expect("get db")
    }

    fn cli(&self, args: &[&str]) -> Command {
        let mut command = command_on(self.env.kubeconfig(), args);
        command.args(["-n", self.ns()]);
        command
    }

    /// Runs the binary to its end (off the runtime's threads, so the operator keeps working).
    async fn run(&self, args: &[&str]) -> Output {
        run_to_end(self.cli(args), args).await
    }

    /// A documented command as it stands (its own namespace flag included), run to its end.
    async fn run_words(&self, args: &[String]) -> Output {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_to_end(command_on(self.env.kubeconfig(), &args), &args).await
    }

    /// Ready with `n` members, ClusterFormed, the planner done.
    async fn wait_settled(&self, n: i32) -> Neo4jCluster {
        let api = self.clusters();
        wait_until(SETTLE, &format!("{n} members, formed, Done"), || {
            let api = api.clone();
            async move {
                let c = api.get("db").await.map_err(|e| e.to_string())?;
                let s = c.status.clone().unwrap_or_default();
                let formed = s
                    .conditions
                    .iter()
                    .any(|x| x.type_ == "ClusterFormed" && x.status == "True");
                let done = s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done");
                if s.ready_members == Some(n) && formed && done {
                    Ok(c)
                } else {
                    Err(format!(
                        "ready {:?}, formed {formed}, next {:?}",
                        s.ready_members, s.next_step
                    ))
                }
            }
        })
        .await
    }

    /// Member ordinal → server id, as the simulated Neo4j's SHOW SERVERS answers now.
    async fn servers(&self) -> BTreeMap<u32, String> {
        AdminClient::show_servers(&*self.sim)
            .await
            .expect("SHOW SERVERS")
            .into_iter()
            .filter_map(|s| {
                let ordinal = s
                    .address?
                    .strip_prefix("db-")?
                    .split('.')
                    .next()?
                    .parse()
                    .ok()?;
                Some((ordinal, s.server_id))
            })
            .collect()
    }

    async fn teardown(mut self) {
        let api = self.clusters();
        let _ = api.delete("db", &DeleteParams::default()).await;
        let gone = wait_for_gone(&api).await;
        if !gone {
            let _ = api
                .patch(
                    "db",
                    &PatchParams::default(),
                    &Patch::Merge(serde_json::json!({"metadata": {"finalizers": null}})),
                )
                .await;
        }
        if let Some(operator) = self.operator.take() {
            operator.abort();
        }
        if let Some(ns) = self.ns.take() {
            ns.cleanup().await;
        }
    }
}

/// Runs the binary to its end (off the runtime's threads, so the operator keeps working).
async fn run_to_end(mut command: Command, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || command.output().expect("neo4j-aks runs"))
        .await
        .expect("the CLI's thread");
    eprintln!(
        "neo4j-aks {} -> {:?} in {:.1}s\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        started.elapsed().as_secs_f64(),
        stdout(&out),
        stderr(&out)
    );
    out
}

async fn wait_for_gone(api: &Api<Neo4jCluster>) -> bool {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !matches!(api.get_opt("db").await, Ok(None)) {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await
    .is_ok()
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(operator) = self.operator.take() {
            operator.abort();
        }
    }
}

fn count(statements: &[String], wanted: &str) -> usize {
    statements.iter().filter(|s| *s == wanted).count()
}

/// What the pod watch saw: pod name → every uid a pod of that name had, and a timeline.
#[derive(Clone, Debug, Default)]
struct PodHistory {
    uids: BTreeMap<String, BTreeSet<String>>,
    timeline: Vec<String>,
}

/// Starts recording the member pods' uids and returns once the watch has listed `db-0` ..
/// `db-{members-1}`, so that nothing the test does next can be missed.
async fn watch_member_pods(
    f: &Fixture,
    members: usize,
) -> (Arc<Mutex<PodHistory>>, JoinHandle<()>) {
    let (uids, recorder) = record_pod_uids(Api::namespaced(f.env.client(), f.ns()));
    let names: BTreeSet<String> = (0..members).map(|i| format!("db-{i}")).collect();
    wait_until(Duration::from_secs(30), "the pod watch to list", || {
        let uids = uids.clone();
        let names = names.clone();
        async move {
            let seen = uids.lock().expect("pod history").uids.clone();
            if names.iter().all(|m| seen.contains_key(m)) {
                Ok(())
            } else {
                Err(format!("{seen:?}"))
            }
        }
    })
    .await;
    (uids, recorder)
}

/// Each of `members` had exactly `instances` pods (uids) while the watch ran.
fn assert_instances<'a>(
    uids: &Mutex<PodHistory>,
    members: impl IntoIterator<Item = &'a str>,
    instances: usize,
) {
    let history = uids.lock().expect("pod history").clone();
    for member in members {
        assert_eq!(
            history.uids.get(member).map(BTreeSet::len),
            Some(instances),
            "{member}:\n{}",
            history.timeline.join("\n")
        );
    }
}

/// Every pod uid seen per member pod while it runs: a rolling restart recreates each once.
fn record_pod_uids(pods: Api<Pod>) -> (Arc<Mutex<PodHistory>>, JoinHandle<()>) {
    let seen: Arc<Mutex<PodHistory>> = Arc::default();
    let record = seen.clone();
    let task = tokio::spawn(async move {
        // A consistent first list: the apiserver's watch cache (resourceVersion 0) may still
        // hold a pod already replaced, which would look like one restart too many.
        let config = watcher::Config::default().list_semantic(watcher::ListSemantic::MostRecent);
        let mut events = watcher(pods, config)
            .default_backoff()
            .touched_objects()
            .boxed();
        while let Some(event) = events.next().await {
            if let Ok(pod) = event {
                let uid = pod.uid().unwrap_or_default();
                let mut history = record.lock().expect("pod history");
                // The grace period tells who deleted: the operator's delete keeps the pod's
                // (3600 s), the simulated kubelet's removal is immediate (0).
                history.timeline.push(format!(
                    "{} {} uid {uid} created {:?} deleting {:?} grace {:?} revision {:?}",
                    k8s_openapi::jiff::Timestamp::now(),
                    pod.name_any(),
                    pod.metadata
                        .creation_timestamp
                        .as_ref()
                        .map(|t| t.0.to_string()),
                    pod.metadata
                        .deletion_timestamp
                        .as_ref()
                        .map(|t| t.0.to_string()),
                    pod.metadata.deletion_grace_period_seconds,
                    pod.labels().get("controller-revision-hash"),
                ));
                history.uids.entry(pod.name_any()).or_default().insert(uid);
            }
        }
    });
    (seen, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_restart_and_status_through_the_cli_binary_against_the_operator() {
    let Some(f) = Fixture::new("cli_day2_operator").await else {
        return;
    };
    let started = Instant::now();
    f.create(3).await;
    f.wait_settled(3).await;
    eprintln!(
        "formed with 3 members after {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Scale up: the CLI follows until 5 members are ready and their servers enabled.
    let out = f
        .run(&["scale", "db", "--nodes", "5", "--timeout", "3m"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("done: 5 members ready"),
        "{}",
        stdout(&out)
    );
    let s = f.get().await.status.unwrap_or_default();
    assert_eq!(s.ready_members, Some(5));
    assert_eq!(s.members.len(), 5, "{:#?}", s.members);
    assert!(
        s.members
            .iter()
            .all(|m| m.ready && m.server_state.as_deref() == Some("Enabled")),
        "{:#?}",
        s.members
    );

    // Scale down without --yes: refused (exit 2), nothing written.
    let before = f.get().await.resource_version();
    let out = f.run(&["scale", "db", "--nodes", "3"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(f.get().await.resource_version(), before, "nothing changed");

    // Scale down with --yes, interrupted (Ctrl-C) while the operator is at it, then followed
    // again to its end: the operation finishes exactly once.
    let removed = f.servers().await;
    let removed: BTreeMap<u32, String> = removed.into_iter().filter(|(o, _)| *o >= 3).collect();
    assert_eq!(removed.len(), 2, "{removed:?}");
    let args = ["scale", "db", "--nodes", "3", "--yes", "--timeout", "3m"];
    let mut child = f
        .cli(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("neo4j-aks starts");
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut first_run = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !first_run
        .iter()
        .any(|l: &String| l.contains("operation: ScaleDown"))
    {
        assert!(
            Instant::now() < deadline,
            "no ScaleDown operation: {first_run:#?}"
        );
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            first_run.push(line);
        }
    }
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupt.success());
    let (status, err) = tokio::task::spawn_blocking(move || {
        let mut err = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            std::io::Read::read_to_string(&mut pipe, &mut err).expect("stderr");
        }
        (child.wait().expect("the CLI exits"), err)
    })
    .await
    .expect("wait");
    first_run.extend(lines.try_iter());
    eprintln!(
        "interrupted run:\n{}\n--- stderr\n{err}",
        first_run.join("\n")
    );
    assert_eq!(status.code(), Some(3), "Ctrl-C: stopped following (exit 3)");
    assert!(err.contains("interrupted: stopped following"), "{err}");
    assert!(
        !first_run.iter().any(|l| l.starts_with("done:")),
        "interrupted before the end"
    );
    let out = f.run(&args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second_run = stdout(&out);
    assert!(
        second_run.contains("already asks for 3 members"),
        "{second_run}"
    );
    assert!(second_run.contains("done: 3 members ready"), "{second_run}");
    let printed = format!("{}\n{second_run}", first_run.join("\n"));
    for expected in [
        "operation: ScaleDown to 3 members",
        "next step: ",
        "members ready: ",
    ] {
        assert!(printed.contains(expected), "{expected:?} not in\n{printed}");
    }
    let statements = f.sim.statements();
    for server in removed.values() {
        assert_eq!(
            count(&statements, &format!("DEALLOCATE {server}")),
            1,
            "{statements:#?}"
        );
        assert_eq!(
            count(&statements, &format!("DROP {server}")),
            1,
            "{statements:#?}"
        );
    }
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(f.env.client(), f.ns());
    for claim in ["data-db-3", "data-db-4"] {
        assert!(
            claims.get_opt(claim).await.expect("get PVC").is_some(),
            "{claim} kept"
        );
    }
    f.wait_settled(3).await;

    // Rolling restart: every member pod recreated exactly once.
    let (uids, recorder) = watch_member_pods(&f, 3).await;
    let members: BTreeSet<String> = (0..3).map(|i| format!("db-{i}")).collect();
    let out = f.run(&["restart", "db", "--timeout", "3m"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("done: every member restarted"),
        "{}",
        stdout(&out)
    );
    recorder.abort();
    assert_instances(&uids, members.iter().map(String::as_str), 2);
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());

    // status -o json agrees with the simulated Neo4j.
    f.wait_settled(3).await;
    let out = f.run(&["status", "db", "-o", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).expect("status -o json parses");
    let servers = f.servers().await;
    let listed = json["members"].as_array().expect("members");
    assert_eq!(listed.len(), 3, "{json:#}");
    for member in listed {
        let ordinal = member["ordinal"].as_u64().expect("ordinal") as u32;
        assert_eq!(member["ready"], Value::Bool(true), "{member:#}");
        assert_eq!(member["serverState"], "Enabled", "{member:#}");
        assert_eq!(
            member["serverId"].as_str(),
            servers.get(&ordinal).map(String::as_str),
            "{member:#}"
        );
    }
    let neo4j = json["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .find(|d| d["name"] == "neo4j")
        .expect("neo4j listed");
    assert_eq!(neo4j["primaries"], 3, "{neo4j:#}");
    assert_eq!(neo4j["primariesAvailable"], 3, "{neo4j:#}");
    assert_eq!(neo4j["quorum"], true, "{neo4j:#}");
    assert_eq!(neo4j["leader"], "db-0", "{neo4j:#}");
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    eprintln!("whole test body: {:.1}s", started.elapsed().as_secs_f64());
    f.teardown().await;
}

/// The ```shell commands of docs/runbooks/certificate-rotation.md, with the page's namespace
/// (`graph`) replaced by `ns`, as arguments of the binary.
fn rotation_runbook(ns: &str) -> Vec<Vec<String>> {
    let page = support::repo_root().join("docs/runbooks/certificate-rotation.md");
    let text = std::fs::read_to_string(&page).expect("the rotation runbook");
    let mut in_shell = false;
    let mut commands = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("```") {
            in_shell = !in_shell && line == "```shell";
            continue;
        }
        if let Some(rest) = line.strip_prefix("neo4j-aks ").filter(|_| in_shell) {
            commands.push(
                rest.split_whitespace()
                    .map(|w| {
                        if w == "graph" {
                            ns.to_string()
                        } else {
                            w.to_string()
                        }
                    })
                    .collect(),
            );
        }
    }
    commands
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificate_rotation_runbook_rolls_every_member_once_with_a_new_certificate() {
    let Some(f) = Fixture::new("cli_cert_rotation").await else {
        return;
    };
    let started = Instant::now();
    f.create_with(3, "  tls:\n    enabled: true\n").await;
    f.wait_settled(3).await;
    let commands = rotation_runbook(f.ns());
    let [status, rotate, status_json, _rotate_ca] = commands.as_slice() else {
        panic!("the runbook's four commands, found {commands:?}");
    };
    assert_eq!(
        (
            status[0].as_str(),
            rotate[0].as_str(),
            status_json[0].as_str()
        ),
        ("certs", "certs", "certs")
    );

    // Before: issued when the cluster was created, every scope listed, renewed never.
    let out = f.run_words(status).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("renewed never"), "{}", stdout(&out));
    let before: Value = serde_json::from_str(&stdout(&f.run_words(status_json).await))
        .expect("certs status -o json");
    let scopes: Vec<&str> = before["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(|s| s["scope"].as_str())
        .collect();
    assert_eq!(scopes, ["bolt", "https", "cluster", "backup"], "{before:#}");
    assert!(before["caExpiresAt"].is_string(), "{before:#}");
    let issued_before: Vec<String> = before["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["issuedAt"].as_str().expect("issuedAt").to_string())
        .collect();
    assert_eq!(issued_before.len(), 3, "{before:#}");
    // The operator's own copy in the status.
    let status_copy = f.get().await.status.and_then(|s| s.certificates);
    assert_eq!(
        status_copy.as_ref().map(|c| c.members.len()),
        Some(3),
        "{status_copy:?}"
    );

    // Rotate: the CLI follows until every member restarted with its new certificate; every
    // member pod is recreated exactly once, and quorum holds at every step.
    let (uids, recorder) = watch_member_pods(&f, 3).await;
    let out = f.run_words(rotate).await;
    eprintln!("certs rotate:\n{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("done: every member serves"),
        "{}",
        stdout(&out)
    );
    recorder.abort();
    assert_instances(&uids, ["db-0", "db-1", "db-2"], 2);
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());

    // After: every member issued anew, renewedAt set; the CA is the same.
    let after: Value = serde_json::from_str(&stdout(&f.run_words(status_json).await))
        .expect("certs status -o json");
    assert_eq!(after["caExpiresAt"], before["caExpiresAt"], "{after:#}");
    assert!(after["renewedAt"].is_string(), "{after:#}");
    for (member, old) in after["members"]
        .as_array()
        .expect("members")
        .iter()
        .zip(&issued_before)
    {
        assert!(
            member["issuedAt"].as_str() > Some(old.as_str()),
            "{member:#} was issued {old} before"
        );
    }

    // A cluster without TLS: refused with exit 2, nothing written.
    f.patch_tls_off().await;
    let out = f.run_words(rotate).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("has no TLS"), "{}", stderr(&out));
    // Certificates the user provides: nothing for neo4j-aks to issue, refused with the way out.
    f.clusters()
        .patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"tls": {
                "enabled": true, "source": "secret", "secret": {"name": "db-certs"}, "generated": null,
            }}})),
        )
        .await
        .expect("switch to the secret source");
    let out = f.run_words(rotate).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("replace the certificates in Secret db-certs"),
        "{}",
        stderr(&out)
    );
    // Certificates from cert-manager: refused with the command that renews them.
    f.clusters()
        .patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"tls": {
                "source": "certManager", "secret": null, "certManager": {"issuerRef": {"name": "ca"}},
            }}})),
        )
        .await
        .expect("switch to the certManager source");
    let out = f.run_words(rotate).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "cmctl renew -n {} db-0-cert db-1-cert db-2-cert",
            f.ns()
        )),
        "{}",
        stderr(&out)
    );
    eprintln!("whole test body: {:.1}s", started.elapsed().as_secs_f64());
    f.teardown().await;
}

/// What a member loaded when its pod started, SIMULATED from the Secret `db-tls` as the API
/// server held it when the pod appeared (Neo4j 5.26 reads its certificate and the CAs it trusts
/// at start: security/ssl-framework.adoc; kwok mounts nothing).
#[derive(Clone, Debug)]
struct Loaded {
    certificate: String,
    trusted: Vec<String>,
}

/// Every running member's loaded TLS, and every moment at which one presented a certificate
/// that another running member does not trust (on the cluster ports that breaks the cluster).
#[derive(Default)]
struct TrustLog {
    running: BTreeMap<String, (String, Loaded)>,
    broken: Vec<String>,
    starts: usize,
}

fn record_trust(f: &Fixture) -> (Arc<Mutex<TrustLog>>, JoinHandle<()>) {
    let log: Arc<Mutex<TrustLog>> = Arc::default();
    let record = log.clone();
    let pods: Api<Pod> = Api::namespaced(f.env.client(), f.ns());
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(f.env.client(), f.ns());
    let task = tokio::spawn(async move {
        let config = watcher::Config::default().list_semantic(watcher::ListSemantic::MostRecent);
        let mut events = watcher(pods, config)
            .default_backoff()
            .touched_objects()
            .boxed();
        while let Some(Ok(pod)) = events.next().await {
            let name = pod.name_any();
            let uid = pod.uid().unwrap_or_default();
            if pod.metadata.deletion_timestamp.is_some() {
                record.lock().expect("trust log").running.remove(&name);
                continue;
            }
            let known = record
                .lock()
                .expect("trust log")
                .running
                .get(&name)
                .is_some_and(|(u, _)| *u == uid);
            if known {
                continue;
            }
            let Ok(Some(secret)) = secrets.get_opt("db-tls").await else {
                continue;
            };
            let data = neo4j_aks_ops::certificates::text_data(Some(&secret));
            let Some(certificate) = data.get(&format!("{name}.crt")).cloned() else {
                continue;
            };
            let trusted = ["ca.crt", "other-ca.crt"]
                .iter()
                .filter_map(|k| data.get(*k).cloned())
                .collect();
            let mut log = record.lock().expect("trust log");
            log.starts += 1;
            log.running.insert(
                name,
                (
                    uid,
                    Loaded {
                        certificate,
                        trusted,
                    },
                ),
            );
            let running = log.running.clone();
            for (a, (_, loaded_a)) in &running {
                for (b, (_, loaded_b)) in &running {
                    let trusts = loaded_a.trusted.iter().any(|ca| {
                        neo4j_aks_render::certificates::signed_by(&loaded_b.certificate, ca)
                    });
                    if a != b && !trusts {
                        log.broken
                            .push(format!("{a} does not trust the certificate {b} presents"));
                    }
                }
            }
        }
    });
    (log, task)
}

/// The CA replaced on a running 5.26 cluster through the runbook's `certs rotate --ca`: every
/// member restarts twice (trust both CAs, then switch), at no moment does a running member
/// present a certificate another running member does not trust, quorum holds throughout, and
/// the old CA stays trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ca_is_replaced_with_both_cas_trusted_until_every_member_switched() {
    let Some(f) = Fixture::new("cli_ca_rotation").await else {
        return;
    };
    let started = Instant::now();
    f.create_with(3, "  tls:\n    enabled: true\n").await;
    f.wait_settled(3).await;
    let commands = rotation_runbook(f.ns());
    let [_, _, status_json, rotate_ca] = commands.as_slice() else {
        panic!("the runbook's four commands, found {commands:?}");
    };
    assert!(rotate_ca.contains(&"--ca".to_string()), "{rotate_ca:?}");
    let before: Value = serde_json::from_str(&stdout(&f.run_words(status_json).await))
        .expect("certs status -o json");
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(f.env.client(), f.ns());
    let old_ca = neo4j_aks_ops::certificates::text_data(secrets.get("db-tls").await.ok().as_ref())
        ["ca.crt"]
        .clone();

    let (trust, trust_task) = record_trust(&f);
    let (uids, recorder) = watch_member_pods(&f, 3).await;
    let out = f.run_words(rotate_ca).await;
    eprintln!("certs rotate --ca:\n{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("trust it beside the current one"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("done: every member serves"),
        "{}",
        stdout(&out)
    );
    recorder.abort();
    trust_task.abort();
    let (broken, starts) = {
        let trust = trust.lock().expect("trust log");
        (trust.broken.clone(), trust.starts)
    };
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(starts >= 6, "member starts seen: {starts}");
    // Two restarts each: trust both CAs, then serve a certificate of the new one.
    assert_instances(&uids, ["db-0", "db-1", "db-2"], 3);
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());

    // After: a new CA signs every member; the old one is still trusted, until it expires.
    let data = neo4j_aks_ops::certificates::text_data(secrets.get("db-tls").await.ok().as_ref());
    let new_ca = &data["ca.crt"];
    assert_ne!(new_ca, &old_ca);
    assert_eq!(data.get("other-ca.crt"), Some(&old_ca));
    for member in ["db-0", "db-1", "db-2"] {
        assert!(neo4j_aks_render::certificates::signed_by(
            &data[&format!("{member}.crt")],
            new_ca
        ));
    }
    let ca_secret =
        neo4j_aks_ops::certificates::text_data(secrets.get("db-tls-ca").await.ok().as_ref());
    assert_eq!(ca_secret.get("ca.crt"), Some(new_ca));
    assert!(
        !ca_secret.contains_key("next-ca.crt"),
        "{:?}",
        ca_secret.keys()
    );
    let after: Value = serde_json::from_str(&stdout(&f.run_words(status_json).await))
        .expect("certs status -o json");
    assert!(
        after["caIssuedAt"].as_str() > before["caIssuedAt"].as_str(),
        "{after:#}"
    );
    assert_eq!(
        after["previousCaExpiresAt"], before["caExpiresAt"],
        "{after:#}"
    );
    assert!(after.get("nextCaExpiresAt").is_none(), "{after:#}");
    eprintln!("whole test body: {:.1}s", started.elapsed().as_secs_f64());
    f.teardown().await;
}

/// The members' TLS as Neo4j 2025.03+ keeps it, SIMULATED (kwok runs no Neo4j): a member
/// presents the certificate it loaded, loaded when it was first looked at (it started after its
/// certificate was issued) and again on `CALL dbms.security.reloadTLS()`, which reads the
/// certificate files (security/ssl-framework.adoc, "Certificates rotation"). The files are the
/// Secret as the API server holds it now: the kubelet's sync delay is not modelled.
struct SimulatedMemberTls {
    secrets: Api<k8s_openapi::api::core::v1::Secret>,
    loaded: Mutex<BTreeMap<String, Vec<u8>>>,
    reloads: Mutex<Vec<String>>,
}

impl SimulatedMemberTls {
    fn pod(host: &str) -> String {
        host.split('.').next().unwrap_or(host).to_string()
    }

    async fn files(&self, pod: &str) -> Result<Vec<u8>, neo4j_aks_topology::ClientError> {
        use rustls::pki_types::pem::PemObject;
        let secret = self.secrets.get("db-tls").await.map_err(|e| {
            neo4j_aks_topology::ClientError::Unavailable {
                detail: e.to_string(),
            }
        })?;
        let pem = secret
            .data
            .unwrap_or_default()
            .remove(&format!("{pod}.crt"))
            .map(|b| b.0)
            .unwrap_or_default();
        rustls::pki_types::CertificateDer::from_pem_slice(&pem)
            .map(|d| d.as_ref().to_vec())
            .map_err(|e| neo4j_aks_topology::ClientError::Unavailable {
                detail: e.to_string(),
            })
    }
}

impl MemberTls for SimulatedMemberTls {
    fn presented<'a>(
        &'a self,
        host: &'a str,
        _ca_pem: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Vec<u8>, neo4j_aks_topology::ClientError>> {
        Box::pin(async move {
            let pod = Self::pod(host);
            if let Some(der) = self.loaded.lock().expect("loaded").get(&pod).cloned() {
                return Ok(der);
            }
            let der = self.files(&pod).await?;
            self.loaded.lock().expect("loaded").insert(pod, der.clone());
            Ok(der)
        })
    }

    fn reload<'a>(
        &'a self,
        _target: &'a Target,
        host: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), neo4j_aks_topology::ClientError>> {
        Box::pin(async move {
            let pod = Self::pod(host);
            self.reloads.lock().expect("reloads").push(pod.clone());
            let der = self.files(&pod).await?;
            self.loaded.lock().expect("loaded").insert(pod, der);
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_2025_a_rotation_reloads_every_member_and_restarts_none() {
    let test = "cli_cert_reload";
    // The simulated members read the test namespace's Secret: the namespace is known only once
    // the fixture made it, so the simulation is built around a cell the fixture fills.
    let cell: Arc<Mutex<Option<Arc<SimulatedMemberTls>>>> = Arc::default();
    let members = Arc::new(DeferredMemberTls(cell.clone()));
    let Some(f) = Fixture::with_member_tls(test, Some(members)).await else {
        return;
    };
    let sim = Arc::new(SimulatedMemberTls {
        secrets: Api::namespaced(f.env.client(), f.ns()),
        loaded: Mutex::default(),
        reloads: Mutex::default(),
    });
    *cell.lock().expect("cell") = Some(sim.clone());
    f.create_version(3, "2025.10.1", "  tls:\n    enabled: true\n")
        .await;
    f.wait_settled(3).await;
    let (uids, recorder) = watch_member_pods(&f, 3).await;
    // Before the rotation the members present their certificates and nobody was reloaded.
    wait_until(SETTLE, "every member presents its certificate", || {
        let api = f.clusters();
        async move {
            let c = api.get("db").await.map_err(|e| e.to_string())?;
            let members = c
                .status
                .and_then(|s| s.certificates)
                .map(|c| c.members)
                .unwrap_or_default();
            if members.len() == 3
                && members
                    .iter()
                    .all(|m| m.presented.as_deref() == Some("Current"))
            {
                Ok(())
            } else {
                Err(format!("{members:?}"))
            }
        }
    })
    .await;
    assert!(sim.reloads.lock().expect("reloads").is_empty());

    let out = f.run(&["certs", "rotate", "db", "--timeout", "2m"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("done: every member serves"),
        "{}",
        stdout(&out)
    );
    recorder.abort();
    assert_instances(&uids, ["db-0", "db-1", "db-2"], 1);
    let mut reloaded = sim.reloads.lock().expect("reloads").clone();
    reloaded.sort();
    reloaded.dedup();
    assert_eq!(reloaded, ["db-0", "db-1", "db-2"]);
    // The pod template does not carry the renewal (it would restart the members).
    let sts: k8s_openapi::api::apps::v1::StatefulSet = Api::namespaced(f.env.client(), f.ns())
        .get("db")
        .await
        .expect("statefulset");
    let template_annotations = sts
        .spec
        .and_then(|s| s.template.metadata)
        .and_then(|m| m.annotations)
        .unwrap_or_default();
    assert!(
        !template_annotations.contains_key("neo4j-aks.io/certificates-renewed-at"),
        "{template_annotations:?}"
    );
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
}

/// A [`MemberTls`] whose implementation is set after the operator started.
struct DeferredMemberTls(Arc<Mutex<Option<Arc<SimulatedMemberTls>>>>);

impl DeferredMemberTls {
    fn inner(&self) -> Result<Arc<SimulatedMemberTls>, neo4j_aks_topology::ClientError> {
        self.0
            .lock()
            .expect("cell")
            .clone()
            .ok_or(neo4j_aks_topology::ClientError::Unavailable {
                detail: "the simulation is not set up yet".into(),
            })
    }
}

impl MemberTls for DeferredMemberTls {
    fn presented<'a>(
        &'a self,
        host: &'a str,
        ca_pem: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Vec<u8>, neo4j_aks_topology::ClientError>> {
        Box::pin(async move { self.inner()?.presented(host, ca_pem).await })
    }

    fn reload<'a>(
        &'a self,
        target: &'a Target,
        host: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), neo4j_aks_topology::ClientError>> {
        Box::pin(async move { self.inner()?.reload(target, host).await })
    }
}

/// The member pods' `app.kubernetes.io/version` labels, by pod name (terminating pods left out).
async fn member_versions(f: &Fixture) -> BTreeMap<String, String> {
    Api::<Pod>::namespaced(f.env.client(), f.ns())
        .list(&kube::api::ListParams::default().labels("app.kubernetes.io/instance=db"))
        .await
        .expect("list pods")
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .map(|p| {
            let version = p
                .labels()
                .get("app.kubernetes.io/version")
                .cloned()
                .unwrap_or_default();
            (p.name_any(), version)
        })
        .collect()
}

async fn set_version(f: &Fixture, version: &str) {
    f.clusters()
        .patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"neo4jVersion": version}})),
        )
        .await
        .expect("patch spec.neo4jVersion");
}

/// The SpecValid=False message once the operator has seen generation `generation`.
async fn refusal(f: &Fixture, generation: Option<i64>) -> String {
    let api = f.clusters();
    wait_until(SETTLE, "the version change to be refused", || {
        let api = api.clone();
        async move {
            let c = api.get("db").await.map_err(|e| e.to_string())?;
            let s = c.status.clone().unwrap_or_default();
            let refused = s
                .conditions
                .iter()
                .find(|x| x.type_ == "SpecValid" && x.status == "False");
            match refused {
                Some(condition) if s.observed_generation == generation => {
                    Ok(condition.message.clone())
                }
                _ => Err(format!(
                    "observed {:?} of {generation:?}, conditions {:?}",
                    s.observed_generation, s.conditions
                )),
            }
        }
    })
    .await
}

/// A version change rolls every member once, one at a time, through the day-2 executor, and
/// survives an operator restart in the middle; changes the rules refuse (5.26.16 → 2025.10.1
/// from an older patch, a downgrade) change nothing but the status, which names
/// spec.neo4jVersion.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upgrade_rolls_member_by_member_across_an_operator_restart_and_refusals_change_nothing()
{
    let Some(mut f) = Fixture::new("cli_upgrade_operator").await else {
        return;
    };
    f.create(3).await;
    f.wait_settled(3).await;
    let members: BTreeSet<String> = (0..3).map(|i| format!("db-{i}")).collect();
    let on = |version: &str| -> BTreeMap<String, String> {
        members
            .iter()
            .map(|m| (m.clone(), version.to_string()))
            .collect()
    };
    assert_eq!(member_versions(&f).await, on("5.26.16"));
    let statefulsets: Api<k8s_openapi::api::apps::v1::StatefulSet> =
        Api::namespaced(f.env.client(), f.ns());
    let (uids, recorder) = watch_member_pods(&f, 3).await;

    // Refused: into the calendar line from an older 5.26 patch, then a downgrade.
    let sts_before = statefulsets
        .get("db")
        .await
        .expect("sts")
        .resource_version();
    for (version, expected) in [
        ("2025.10.1", "set 5.26.29 first"),
        ("5.26.10", "older than 5.26.16"),
    ] {
        set_version(&f, version).await;
        let generation = f.get().await.metadata.generation;
        let message = refusal(&f, generation).await;
        assert!(message.contains("spec.neo4jVersion"), "{message}");
        assert!(message.contains(expected), "{message}");
        // The CLI's apply path refuses the same change before writing anything.
        let spec = f.get().await;
        let file = std::env::temp_dir().join(format!("{}-{version}.yaml", f.ns()));
        let mut plain = serde_json::to_value(&spec).expect("spec");
        plain["metadata"] = serde_json::json!({"name": "db", "namespace": f.ns()});
        plain.as_object_mut().expect("object").remove("status");
        std::fs::write(&file, serde_json::to_string(&plain).expect("JSON")).expect("spec file");
        // `apply` takes the namespace from the file, not from -n.
        let mut apply = command_on(
            f.env.kubeconfig(),
            &["apply", "-f", file.to_str().expect("utf-8")],
        );
        let out = tokio::task::spawn_blocking(move || apply.output().expect("neo4j-aks runs"))
            .await
            .expect("the CLI's thread");
        let _ = std::fs::remove_file(&file);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("spec.neo4jVersion"),
            "{}",
            stderr(&out)
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        statefulsets
            .get("db")
            .await
            .expect("sts")
            .resource_version(),
        sts_before,
        "a refused change never reaches the StatefulSet"
    );
    assert_eq!(member_versions(&f).await, on("5.26.16"));
    assert_instances(&uids, members.iter().map(String::as_str), 1);

    // Allowed: 5.26.16 → 5.26.29. Stop the operator as soon as the first member runs the new
    // version, look at the status, start a new operator, and let it finish.
    set_version(&f, "5.26.29").await;
    let first = wait_until(SETTLE, "a first member on 5.26.29", || {
        let f = &f;
        async move {
            let versions = member_versions(f).await;
            let upgraded: Vec<String> = versions
                .iter()
                .filter(|(_, v)| v.as_str() == "5.26.29")
                .map(|(p, _)| p.clone())
                .collect();
            if upgraded.is_empty() {
                Err(format!("{versions:?}"))
            } else {
                Ok(versions)
            }
        }
    })
    .await;
    if let Some(operator) = f.operator.take() {
        operator.abort();
    }
    eprintln!("operator stopped mid-roll with {first:?}");
    assert!(
        first.values().any(|v| v == "5.26.16"),
        "stopped before the roll finished: {first:?}"
    );
    let out = f.run(&["status", "db"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Upgrade: 5.26.16 → 5.26.29: "),
        "{}",
        stdout(&out)
    );
    f.start_operator(Arc::new(BoltMemberTls::default()));
    let settled = f.wait_settled(3).await;
    let api = f.clusters();
    let done = wait_until(SETTLE, "the upgrade record to clear", || {
        let api = api.clone();
        async move {
            let c = api.get("db").await.map_err(|e| e.to_string())?;
            let s = c.status.clone().unwrap_or_default();
            if s.upgrade.is_none()
                && s.members
                    .iter()
                    .all(|m| m.version.as_deref() == Some("5.26.29"))
            {
                Ok(c)
            } else {
                Err(format!("{:?} {:?}", s.upgrade, s.members))
            }
        }
    })
    .await;
    recorder.abort();
    assert!(settled.status.is_some() && done.status.is_some());
    assert_eq!(member_versions(&f).await, on("5.26.29"));
    // One restart per member over the whole test (two instances each), never two at once.
    assert_instances(&uids, members.iter().map(String::as_str), 2);
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
}

/// neo4j.conf of the cluster's ConfigMap.
async fn shared_conf(f: &Fixture) -> String {
    Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(f.env.client(), f.ns())
        .get("db-config")
        .await
        .expect("the ConfigMap")
        .data
        .and_then(|d| d.get("neo4j.conf").cloned())
        .expect("neo4j.conf")
}

/// 5.26.29 → 2025.10.1: while members still run 5.26 the shared neo4j.conf keeps the 5.26
/// discovery names (which 2025 accepts), so a 5.26 member that restarts mid-roll still starts;
/// once every member runs 2025.10.1 it switches to the calendar names and rolls once more.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn across_lines_the_configuration_switches_only_after_every_member_moved() {
    let Some(f) = Fixture::new("cli_upgrade_across_lines").await else {
        return;
    };
    f.create_version(3, "5.26.29", "").await;
    f.wait_settled(3).await;
    let before = shared_conf(&f).await;
    assert!(
        before.contains("dbms.cluster.discovery.version=V2_ONLY"),
        "{before}"
    );
    let (uids, recorder) = watch_member_pods(&f, 3).await;
    // docs/runbooks/upgrade.md, step by step.
    let runbook = shell_lines("docs/runbooks/upgrade.md");
    assert_eq!(runbook.len(), 3, "{runbook:?}");
    let out = run_documented(&f, &runbook[0]).await;
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("status -o json");
    let versions: Vec<&str> = doc["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["version"].as_str())
        .collect();
    assert_eq!(versions, ["5.26.29"; 3], "{doc:#}");
    assert!(doc["upgrade"].is_null());
    run_documented(&f, &runbook[1]).await;
    assert_eq!(
        f.get().await.spec.neo4j_version.as_deref(),
        Some("2025.10.1")
    );
    let mid = wait_until(SETTLE, "a first member on 2025.10.1", || {
        let f = &f;
        async move {
            let versions = member_versions(f).await;
            if versions.values().any(|v| v == "2025.10.1")
                && versions.values().any(|v| v == "5.26.29")
            {
                Ok(shared_conf(f).await)
            } else {
                Err(format!("{versions:?}"))
            }
        }
    })
    .await;
    assert!(
        mid.contains("dbms.cluster.discovery.version=V2_ONLY"),
        "{mid}"
    );
    assert!(
        mid.contains("dbms.cluster.discovery.v2.endpoints=")
            || mid.contains("dbms.kubernetes.discovery.v2.service_port_name="),
        "{mid}"
    );
    assert!(!mid.contains("dbms.cluster.endpoints="), "{mid}");
    assert!(
        !mid.contains("dbms.kubernetes.discovery.service_port_name="),
        "{mid}"
    );
    let out = run_documented(&f, &runbook[2]).await;
    assert!(
        stdout(&out).contains("Upgrade: 5.26.29 → 2025.10.1: "),
        "{}",
        stdout(&out)
    );
    let api = f.clusters();
    wait_until(
        SETTLE,
        "every member on 2025.10.1 with its own configuration",
        || {
            let api = api.clone();
            let f = &f;
            async move {
                let c = api.get("db").await.map_err(|e| e.to_string())?;
                let s = c.status.clone().unwrap_or_default();
                let conf = shared_conf(f).await;
                let done = s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done");
                let versions = member_versions(f).await;
                if done
                    && s.ready_members == Some(3)
                    && versions.len() == 3
                    && versions.values().all(|v| v == "2025.10.1")
                    && !conf.contains("dbms.cluster.discovery.version")
                {
                    Ok(())
                } else {
                    Err(format!("{versions:?} next {:?}", s.next_step))
                }
            }
        },
    )
    .await;
    recorder.abort();
    let out = run_documented(&f, &runbook[2]).await;
    assert!(!stdout(&out).contains("Upgrade:"), "{}", stdout(&out));
    let history = uids.lock().expect("pod history").clone();
    for member in ["db-0", "db-1", "db-2"] {
        let instances = history.uids.get(member).map_or(0, BTreeSet::len);
        eprintln!("{member}: {instances} pod instances");
        // The image roll, then the switch to the calendar names (the last member to move may be
        // recreated straight onto the switched revision).
        assert!(
            (2..=3).contains(&instances),
            "{member}: {instances}\n{}",
            history.timeline.join("\n")
        );
    }
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
}

/// The command lines of a page's ```shell blocks, in order.
fn shell_lines(page: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(support::repo_root().join(page)).expect("the documented page");
    let mut in_shell = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("```") {
            in_shell = !in_shell && line == "```shell";
            continue;
        }
        if in_shell && !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    lines
}

/// Runs one documented command line as a user's shell would (bash), with `neo4j-aks` and the
/// testenv's kubectl on PATH and the page's namespace `graph` replaced by the test's; fails the
/// test when the command fails.
async fn run_documented(f: &Fixture, line: &str) -> Output {
    let bin = std::env::temp_dir().join(format!("{}-bin", f.ns()));
    std::fs::create_dir_all(&bin).expect("bin dir");
    let link = bin.join("neo4j-aks");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_neo4j-aks"), &link).expect("symlink");
    }
    let kubectl = f.env.kubectl().await;
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        kubectl.parent().expect("kubectl's dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let command = line
        .replace("-n graph ", &format!("-n {} ", f.ns()))
        .replace("-n graph\n", &format!("-n {}\n", f.ns()));
    let command = match command.strip_suffix("-n graph") {
        Some(head) => format!("{head}-n {}", f.ns()),
        None => command,
    };
    let mut bash = Command::new("bash");
    bash.args(["-c", &command])
        .env("PATH", path)
        .env("KUBECONFIG", f.env.kubeconfig())
        .current_dir(support::repo_root());
    let out = tokio::task::spawn_blocking(move || bash.output().expect("bash runs"))
        .await
        .expect("the command's thread");
    eprintln!(
        "$ {command}\n--- exit {:?}\n{}{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    assert!(out.status.success(), "`{command}` failed: {}", stderr(&out));
    out
}
