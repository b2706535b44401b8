//! The operator and the simulated Neo4j on the testenv, for the tests that drive a cluster
//! through the `neo4j-aks` binary and the runbooks' documented commands.
//!
//! Neo4j is simulated: kwok runs no containers, so no Neo4j server can answer Bolt there. The
//! operator's day-2 executor talks to [`SimulatedNeo4j`] (crates/testkit), whose servers follow
//! the testenv's member pods and which applies ENABLE / DEALLOCATE / DROP / ALTER as the
//! Operations Manual describes them, records every statement and checks quorum at every
//! observation.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_ops::controller::{self, Context, Settings};
use neo4j_aks_ops::member_tls::{BoltMemberTls, MemberTls};
use neo4j_aks_ops::metrics::Metrics;
use neo4j_aks_ops::neo4j::{Admin, Connector, Target};
use neo4j_aks_testkit::simulated_neo4j::SimulatedNeo4j;
use neo4j_aks_testkit::{TestEnv, TestNamespace, wait_until};
use neo4j_aks_topology::AdminClient;
use tokio::task::JoinHandle;

use crate::support::{self, command_on, stderr, stdout};

pub const SETTLE: Duration = Duration::from_secs(120);

pub struct Fixture {
    pub env: TestEnv,
    ns: Option<TestNamespace>,
    /// The Neo4j side: a SIMULATION (kwok runs no containers).
    pub sim: Arc<SimulatedNeo4j>,
    operator: Option<JoinHandle<()>>,
}

impl Fixture {
    pub async fn new(test: &str) -> Option<Fixture> {
        Self::with_member_tls(test, None).await
    }

    /// `member_tls`: how the operator sees the members' certificates (production Bolt when
    /// `None`; kwok members have no Bolt to look at).
    pub async fn with_member_tls(
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

    /// Stops the operator (it is started again with [`Fixture::start_operator`]).
    pub fn stop_operator(&mut self) {
        if let Some(operator) = self.operator.take() {
            operator.abort();
        }
    }

    pub fn ns(&self) -> &str {
        self.ns.as_ref().expect("namespace").name()
    }

    /// The real operator (its reconcile loop and day-2 executor), scoped to this namespace,
    /// reaching the simulated Neo4j.
    pub fn start_operator(&mut self, member_tls: Arc<dyn MemberTls>) {
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

    pub fn clusters(&self) -> Api<Neo4jCluster> {
        Api::namespaced(self.env.client(), self.ns())
    }

    pub async fn create(&self, nodes: i32) {
        self.create_with(nodes, "").await;
    }

    /// A cluster of `nodes` members; `extra` is appended to the spec (indented two spaces).
    pub async fn create_with(&self, nodes: i32, extra: &str) {
        self.create_version(nodes, "5.26.16", extra).await;
    }

    pub async fn create_version(&self, nodes: i32, version: &str, extra: &str) {
        self.create_spec(&format!(
            r#"  neo4jVersion: "{version}"
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
        ))
        .await;
    }

    /// The Neo4jCluster `db` with this `spec:` body (each line indented two spaces).
    pub async fn create_spec(&self, spec: &str) {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: db\n  namespace: {ns}\nspec:\n{spec}",
            ns = self.ns()
        );
        let cluster = Neo4jCluster::from_yaml(&yaml).expect("test spec parses");
        self.clusters()
            .create(&PostParams::default(), &cluster)
            .await
            .expect("create the Neo4jCluster");
    }

    pub async fn patch_tls_off(&self) {
        self.clusters()
            .patch(
                "db",
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({"spec": {"tls": {"enabled": false}}})),
            )
            .await
            .expect("turn TLS off");
    }

    /// The leader of `database` as the operator's status names it now.
    pub async fn leader(&self, database: &str) -> String {
        self.get()
            .await
            .status
            .unwrap_or_default()
            .databases
            .iter()
            .find(|d| d.name == database)
            .and_then(|d| d.leader.clone())
            .unwrap_or_else(|| panic!("{database} has no leader in the status"))
    }

    pub async fn get(&self) -> Neo4jCluster {
        self.clusters().get("db").await.expect("get db")
    }

    pub fn cli(&self, args: &[&str]) -> Command {
        let mut command = command_on(self.env.kubeconfig(), args);
        command.args(["-n", self.ns()]);
        command
    }

    /// Runs the binary to its end (off the runtime's threads, so the operator keeps working).
    pub async fn run(&self, args: &[&str]) -> Output {
        run_to_end(self.cli(args), args).await
    }

    /// A documented command as it stands (its own namespace flag included), run to its end.
    pub async fn run_words(&self, args: &[String]) -> Output {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_to_end(command_on(self.env.kubeconfig(), &args), &args).await
    }

    /// Ready with `n` members, ClusterFormed, the planner done.
    pub async fn wait_settled(&self, n: i32) -> Neo4jCluster {
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
    pub async fn servers(&self) -> BTreeMap<u32, String> {
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

    pub async fn teardown(mut self) {
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
pub async fn run_to_end(mut command: Command, args: &[&str]) -> Output {
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

pub async fn wait_for_gone(api: &Api<Neo4jCluster>) -> bool {
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

/// The command lines of a page's ```shell blocks, in order.
pub fn shell_lines(page: &str) -> Vec<String> {
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
pub async fn run_documented(f: &Fixture, line: &str) -> Output {
    run_documented_with(f, line, &[]).await
}

/// [`run_documented`] with shell variables the page's commands name (`"$NODE"`), as a user
/// sets them from an earlier command's output.
pub async fn run_documented_with(f: &Fixture, line: &str, vars: &[(&str, &str)]) -> Output {
    let out = documented_output(f, line, vars).await;
    assert!(out.status.success(), "`{line}` failed: {}", stderr(&out));
    out
}

/// Runs documented commands (a line, or a whole block as one script) the way
/// [`run_documented_with`] does, whatever their exit status.
pub async fn documented_output(f: &Fixture, script: &str, vars: &[(&str, &str)]) -> Output {
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
    let ns = f.ns();
    let command = script
        .replace("-n graph ", &format!("-n {ns} "))
        .replace("-n graph\n", &format!("-n {ns}\n"))
        .replace(
            "system:serviceaccount:graph:",
            &format!("system:serviceaccount:{ns}:"),
        );
    let command = match command.strip_suffix("-n graph") {
        Some(head) => format!("{head}-n {ns}"),
        None => command,
    };
    let mut bash = Command::new("bash");
    bash.args(["-c", &command])
        .env("PATH", path)
        .env("KUBECONFIG", f.env.kubeconfig())
        .envs(vars.iter().copied())
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
    out
}
