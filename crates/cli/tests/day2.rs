//! `neo4j-aks status`, `scale`, `restart` and `restore --member` against the local control plane
//! (testenv): the real binary, a real Neo4jCluster object in a namespace of its own.
//!
//! The operator is NOT running here: each test plays it with a SIMULATED OPERATOR that writes the
//! Neo4jCluster's status subresource (members, databases, operation, nextStep) the way the
//! operator's day-2 planner does, so the CLI's reading, refusing, writing and following are
//! tested against what the apiserver really stores and streams.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams, PostParams};
use neo4j_aks_model::{Neo4jCluster, Neo4jClusterSpec};
use neo4j_aks_testkit::{TestEnv, TestNamespace};
use serde_json::{Value, json};
use support::{command_on, stderr, stdout};

const CONFIRM: &str = "neo4j-aks.io/confirm-scale-down";
const RESTART: &str = "neo4j-aks.io/restart-requested-at";
const REPLACE: &str = "neo4j-aks.io/replace-member";

/// Installs the CRD under a field manager of its own: other test suites apply their (possibly
/// older) CRD as `neo4j-aks-test`, and server-side apply keeps the union of both managers' fields,
/// so the status fields these tests write are not pruned while suites run side by side.
async fn install_crd(env: &TestEnv) {
    support::install_crd(env, "neo4j-aks-test-day2").await;
}

struct Fixture {
    env: TestEnv,
    ns: TestNamespace,
    api: Api<Neo4jCluster>,
}

impl Fixture {
    async fn new(test: &str, nodes: i32) -> Option<Fixture> {
        let env = TestEnv::connect(test).await?;
        install_crd(&env).await;
        let ns = env.namespace(test).await;
        let api: Api<Neo4jCluster> = Api::namespaced(env.client(), ns.name());
        let mut cluster = Neo4jCluster::new(
            "db",
            Neo4jClusterSpec {
                neo4j_version: Some("5.26.16".into()),
                accept_license_agreement: Some("yes".into()),
                node_count: Some(nodes),
                ..Neo4jClusterSpec::default()
            },
        );
        cluster.metadata.namespace = Some(ns.name().to_string());
        api.create(&PostParams::default(), &cluster)
            .await
            .expect("create the Neo4jCluster");
        Some(Fixture { env, ns, api })
    }

    fn cli(&self, args: &[&str]) -> Command {
        let mut command = command_on(self.env.kubeconfig(), args);
        command.args(["-n", self.ns.name()]);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cli(args).output().expect("neo4j-aks runs")
    }

    /// Starts a following command; its stdout lines arrive on the returned channel.
    fn spawn(&self, args: &[&str]) -> Following {
        let mut child = self
            .cli(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("neo4j-aks starts");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Following {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    async fn get(&self) -> Neo4jCluster {
        self.api.get("db").await.expect("get db")
    }

    async fn resource_version(&self) -> String {
        self.get()
            .await
            .resource_version()
            .expect("resourceVersion")
    }

    /// SIMULATED OPERATOR: writes the whole status (server-side apply on the status subresource
    /// under its own field manager, so a field left out is removed) and checks the apiserver
    /// stored all of it.
    async fn operator_writes(&self, status: Value) {
        let patch = json!({
            "apiVersion": "neo4j-aks.io/v1alpha1",
            "kind": "Neo4jCluster",
            "status": status,
        });
        let stored = self
            .api
            .patch_status(
                "db",
                &PatchParams::apply("simulated-operator").force(),
                &Patch::Apply(&patch),
            )
            .await
            .expect("simulated operator writes status");
        let stored = serde_json::to_value(stored.status).expect("status");
        assert_eq!(
            stored, patch["status"],
            "the apiserver pruned status fields: is an older Neo4jCluster CRD installed?"
        );
    }

    /// SIMULATED OPERATOR: removes an annotation, as the operator does when a request is done.
    async fn operator_removes_annotation(&self, key: &str) {
        self.api
            .patch(
                "db",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"annotations": {key: null}}})),
            )
            .await
            .expect("remove annotation");
    }
}

struct Following {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Following {
    /// A failing test must not leave a following command behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Following {
    /// Waits until a stdout line contains `text`.
    fn expect_line(&mut self, text: &str) {
        if self.seen.iter().any(|l| l.contains(text)) {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {text:?}; seen:\n{}", self.seen.join("\n"));
    }

    /// Waits for the command to exit; returns its exit code, all stdout lines and stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the command did not finish; its output:\n{}",
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status.code(), self.seen.join("\n"), err)
    }
}

fn member(i: i32, ready: bool) -> Value {
    json!({
        "pod": format!("db-{i}"),
        "ordinal": i,
        "ready": ready,
        "zone": format!("eastus-{}", i % 3 + 1),
        "serverId": format!("server-{i}"),
        "serverState": "Enabled",
        "health": if ready { "Available" } else { "Unavailable" },
        "databases": [
            {"name": "neo4j", "role": "primary", "writer": i == 0, "status": "online", "lag": i},
            {"name": "system", "role": "primary", "writer": i == 1, "status": "online", "lag": 0},
        ],
    })
}

/// What the operator's status says of `members` ready members at `generation`.
fn status(generation: i64, members: i32, extra: Value) -> Value {
    let mut status = json!({
        "observedGeneration": generation,
        "phase": "Ready",
        "readyMembers": members,
        "replicas": members,
        "members": (0..members).map(|i| member(i, true)).collect::<Vec<_>>(),
        "databases": [
            {"name": "neo4j", "status": "online", "primaries": 3, "primariesAvailable": 3, "quorum": true, "leader": "db-0"},
            {"name": "system", "status": "online", "primaries": members, "primariesAvailable": members, "quorum": true, "leader": "db-1"},
        ],
        "conditions": [{
            "type": "Ready", "status": "True", "reason": "AllMembersReady", "message": "",
            "lastTransitionTime": "2026-11-26T12:00:00Z",
        }],
    });
    if let (Some(status), Some(extra)) = (status.as_object_mut(), extra.as_object()) {
        status.extend(extra.clone());
    }
    status
}

fn step(action: &str, member: Option<i32>, reason: &str) -> Value {
    let mut step = json!({"action": action, "reason": reason, "at": now()});
    if let Some(member) = member {
        step["member"] = json!(member);
    }
    step
}

fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_prints_the_members_table_and_the_stable_json_document() {
    let Some(f) = Fixture::new("cli_day2_status", 3).await else {
        return;
    };
    // Before the operator wrote anything: dashes, not errors.
    let out = f.run(&["status", "db"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("phase -, - of 3 members ready"), "{text}");
    assert!(
        text.contains("Members: -") && text.contains("Next step: -"),
        "{text}"
    );

    let mut s = status(
        1,
        3,
        json!({
            "nextStep": {"action": "Done", "reason": "observed topology matches the spec", "at": "2026-11-26T12:00:00Z"},
        }),
    );
    s["members"][2] = json!({"pod": "db-2", "ordinal": 2, "ready": false});
    s["readyMembers"] = json!(2);
    s["conditions"]
        .as_array_mut()
        .expect("conditions")
        .push(json!({
            "type": "Degraded", "status": "True", "reason": "MemberNotReady",
            "message": "db-2 is not ready", "lastTransitionTime": "2026-11-26T12:00:00Z",
        }));
    f.operator_writes(s).await;

    let out = f.run(&["status", "db"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "Neo4jCluster NS/db: phase Ready, 2 of 3 members ready".replace("NS", f.ns.name()),
        "MEMBER  ZONE      READY  SERVER   HEALTH     ROLES                                 LAG"
            .into(),
        "db-0    eastus-1  yes    Enabled  Available  neo4j:primary(writer) system:primary  0"
            .into(),
        "db-2    -         no     -        -          -                                     -"
            .into(),
        "neo4j     online  3/3        yes     db-0".into(),
        "Operation: none".into(),
        "Next step: Done: observed topology matches the spec (decided 2026-11-26T12:00:00Z)".into(),
        "  Degraded=True (MemberNotReady): db-2 is not ready".into(),
    ] {
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
    }

    let out = f.run(&["status", "db", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["format"], "neo4j-aks.io/status/v1");
    assert_eq!(doc["namespace"], f.ns.name());
    assert_eq!(doc["readyMembers"], 2);
    assert_eq!(doc["members"][1]["serverState"], "Enabled");
    assert_eq!(doc["members"][1]["databases"][1]["writer"], true);
    assert!(doc["members"][2]["serverState"].is_null());
    assert_eq!(doc["databases"][0]["quorum"], true);
    assert!(doc["operation"].is_null());
    assert_eq!(doc["conditions"][1]["healthy"], false);

    let missing = f.run(&["status", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no Neo4jCluster nope"),
        "{}",
        stderr(&missing)
    );
    f.ns.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_refusals_change_nothing_on_the_server() {
    let Some(f) = Fixture::new("cli_day2_scale_refusals", 5).await else {
        return;
    };
    f.operator_writes(status(1, 5, json!({}))).await;
    let before = f.resource_version().await;
    for (args, says) in [
        (
            vec!["scale", "db", "--nodes", "2", "--yes"],
            "spec.nodeCount: 2 would take a 5-member cluster below 3 members",
        ),
        (
            vec!["scale", "db", "--nodes", "1", "--yes"],
            "below 3 members",
        ),
        (vec!["scale", "db", "--nodes", "11"], "spec.nodeCount"),
        (
            vec!["scale", "db", "--nodes", "3"],
            "scaling db down from 5 to 3 members removes 2 member(s)",
        ),
    ] {
        let out = f.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert_eq!(
            f.resource_version().await,
            before,
            "{args:?} changed the object"
        );
    }
    let out = f.run(&["scale", "db", "--nodes", "3"]);
    let err = stderr(&out);
    assert!(
        err.contains("db-4: its server is deallocated") && err.contains("PVC data-db-3 is kept"),
        "{err}"
    );
    assert!(
        err.contains("refused: nothing was changed: a scale-down needs --yes"),
        "{err}"
    );

    // Another problem in the live spec is reported too (every rule applies), and still nothing changes.
    f.api
        .patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"acceptLicenseAgreement": null}})),
        )
        .await
        .expect("break the spec");
    let before = f.resource_version().await;
    let out = f.run(&["scale", "db", "--nodes", "7"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("error: spec.acceptLicenseAgreement"),
        "{}",
        stderr(&out)
    );
    assert_eq!(f.resource_version().await, before);
    f.ns.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_down_with_yes_writes_one_patch_and_follows_the_operator_to_completion() {
    let Some(f) = Fixture::new("cli_day2_scale_down", 5).await else {
        return;
    };
    f.operator_writes(status(
        1,
        5,
        json!({"nextStep": step("Done", None, "matches")}),
    ))
    .await;
    let mut run = f.spawn(&["scale", "db", "--nodes", "3", "--yes", "--timeout", "2m"]);
    run.expect_line("db: nodeCount 5 -> 3 (scale-down confirmed)");
    run.expect_line("members ready: 5 (nodeCount 3)");

    // One patch by neo4j-aks-cli set both the count and the consent.
    let cluster = f.get().await;
    assert_eq!(cluster.spec.node_count, Some(3));
    assert_eq!(
        cluster.annotations().get(CONFIRM).map(String::as_str),
        Some("3")
    );
    let generation = cluster.metadata.generation.expect("generation");
    let cli_updates: Vec<_> = cluster
        .managed_fields()
        .iter()
        .filter(|m| m.manager.as_deref() == Some("neo4j-aks-cli"))
        .collect();
    assert_eq!(cli_updates.len(), 1, "{:?}", cluster.managed_fields());
    let owned = serde_json::to_string(&cli_updates[0].fields_v1).expect("fields");
    assert!(
        owned.contains("f:nodeCount") && owned.contains(CONFIRM),
        "{owned}"
    );

    // SIMULATED OPERATOR: deallocate db-4, drop it, shrink, then the same for db-3.
    let op = |member: i32, phase: &str| {
        json!({"kind": "ScaleDown", "target": 3, "member": member, "server": format!("server-{member}"),
               "phase": phase, "startedAt": now()})
    };
    f.operator_writes(status(
        generation,
        5,
        json!({
            "operation": op(4, "Deallocating"),
            "nextStep": step("Wait", Some(4), "waiting for db-4's server to show Deallocated"),
        }),
    ))
    .await;
    run.expect_line("next step: Wait on member 4: waiting for db-4's server to show Deallocated");
    run.expect_line(
        "operation: ScaleDown to 3 members: member 4 (server server-4), phase Deallocating",
    );
    f.operator_writes(status(
        generation,
        4,
        json!({
            "operation": op(3, "Dropped"),
            "nextStep": step("ScaleStatefulSet", Some(3), "shrink to 3; PVC data-db-3 kept"),
        }),
    ))
    .await;
    run.expect_line("members ready: 4 (nodeCount 3)");
    run.expect_line("next step: ScaleStatefulSet on member 3: shrink to 3; PVC data-db-3 kept");
    f.operator_writes(status(
        generation,
        3,
        json!({
            "nextStep": step("Done", None, "observed topology matches the spec"),
        }),
    ))
    .await;
    let (code, out, err) = run.finish();
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("operation: finished") && out.ends_with("done: 3 members ready"),
        "{out}"
    );
    // Each step printed once.
    assert_eq!(out.matches("waiting for db-4's server").count(), 1, "{out}");

    // Running it again writes nothing and finds the goal reached at once.
    let before = f.resource_version().await;
    let again = f.run(&["scale", "db", "--nodes", "3", "--yes"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("db already asks for 3 members"),
        "{}",
        stdout(&again)
    );
    assert_eq!(f.resource_version().await, before);
    f.ns.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_a_scale_ends_with_the_operators_refusal() {
    let Some(f) = Fixture::new("cli_day2_scale_refused", 3).await else {
        return;
    };
    f.operator_writes(status(1, 3, json!({}))).await;
    // The consent left by an earlier scale-down to 3.
    f.api
        .patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {CONFIRM: "3"}}})),
        )
        .await
        .expect("annotate");
    let mut run = f.spawn(&["scale", "db", "--nodes", "5", "--timeout", "2m"]);
    run.expect_line("db: nodeCount 3 -> 5");
    let generation = f.get().await.metadata.generation.expect("generation");
    assert!(
        f.get().await.annotations().get(CONFIRM).is_none(),
        "a scale-up removes an old consent, so it cannot confirm a later shrink"
    );
    f.operator_writes(status(generation, 3, json!({
        "nextStep": step("Refuse", None, "servers of db-3 and db-4 stay Free: enable them or set autoEnableServers"),
    })))
    .await;
    let (code, out, err) = run.finish();
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        err.contains("error: the operator refuses: Refuse: servers of db-3 and db-4 stay Free"),
        "{err}"
    );
    f.ns.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_sets_the_annotation_follows_and_resumes_after_an_interruption() {
    let Some(f) = Fixture::new("cli_day2_restart", 3).await else {
        return;
    };
    f.operator_writes(status(
        1,
        3,
        json!({"nextStep": {"action": "Done", "reason": "observed topology matches the spec", "at": "2020-01-01T00:00:00Z"}}),
    ))
    .await;
    let mut run = f.spawn(&["restart", "db", "--timeout", "2m"]);
    run.expect_line("db: rolling restart requested at ");
    let requested = f
        .get()
        .await
        .annotations()
        .get(RESTART)
        .cloned()
        .expect("annotation");
    requested
        .parse::<k8s_openapi::jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{requested} is not RFC 3339: {e}"));
    run.expect_line("operation: none in flight");

    // SIMULATED OPERATOR picks it up.
    let op = json!({"kind": "Restart", "member": 2, "revision": "rev-2", "startedAt": now()});
    f.operator_writes(status(
        1,
        3,
        json!({
            "operation": op,
            "nextStep": step("RestartMember", Some(2), "secondaries first"),
        }),
    ))
    .await;
    run.expect_line("next step: RestartMember on member 2: secondaries first");

    // Ctrl-C stops following, not the restart.
    let pid = run.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let (code, _, err) = run.finish();
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("interrupted: stopped following; the operator carries on"),
        "{err}"
    );

    // Running it again follows the restart in flight: no new request.
    let mut run = f.spawn(&["restart", "db", "--timeout", "2m"]);
    run.expect_line("db: a rolling restart is in flight; following it");
    run.expect_line("operation: Restart: member 2");
    assert_eq!(f.get().await.annotations().get(RESTART), Some(&requested));
    f.operator_writes(status(
        1,
        3,
        json!({"nextStep": step("Done", None, "every member runs rev-2")}),
    ))
    .await;
    let (code, out, err) = run.finish();
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.ends_with("done: every member restarted and ready"),
        "{out}"
    );

    // No operator answers: following gives up at the timeout, exit 3.
    f.operator_writes(status(
        1,
        3,
        json!({"nextStep": {"action": "Done", "reason": "observed topology matches the spec", "at": "2020-01-01T00:00:00Z"}}),
    ))
    .await;
    let (code, out, err) = {
        let run = f.spawn(&["restart", "db", "--timeout", "2s"]);
        run.finish()
    };
    assert_eq!(code, Some(3), "{out}\n{err}");
    assert!(err.contains("still in progress after 2s"), "{err}");
    f.ns.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_member_refuses_what_cannot_be_done_and_requests_the_replacement() {
    let Some(f) = Fixture::new("cli_day2_restore", 3).await else {
        return;
    };
    f.operator_writes(status(1, 3, json!({}))).await;
    let before = f.resource_version().await;
    let refusals: [(&[&str], &str); 3] = [
        (
            &["restore", "db", "--member", "3", "--yes"],
            "--member 3: db has no such member",
        ),
        (
            &["restore", "db", "--member", "1"],
            "replacing a member needs --yes",
        ),
        (&["restore", "db", "--member", "-1", "--yes"], "--member"),
    ];
    for (args, says) in refusals {
        let out = f.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert_eq!(
            f.resource_version().await,
            before,
            "{args:?} changed the object"
        );
    }
    let explained = stderr(&f.run(&["restore", "db", "--member", "1"]));
    assert!(
        explained.contains("pod db-1 and its PVC data-db-1 are deleted"),
        "{explained}"
    );

    // Another operation in flight.
    f.operator_writes(status(
        1,
        3,
        json!({
            "operation": {"kind": "Restart", "member": 0, "startedAt": now()},
        }),
    ))
    .await;
    let before = f.resource_version().await;
    let out = f.run(&["restore", "db", "--member", "1", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("another operation is in flight (Restart: member 0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(f.resource_version().await, before);

    // Quiet again: the request is written.
    f.operator_writes(status(1, 3, json!({}))).await;
    let out = f.run(&["restore", "db", "--member", "1", "--yes", "--no-wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        f.get().await.annotations().get(REPLACE).map(String::as_str),
        Some("1")
    );
    // A second member while the first is pending: refused.
    let out = f.run(&["restore", "db", "--member", "2", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the replacement of member 1 was requested"),
        "{}",
        stderr(&out)
    );

    // Following it (no --yes needed to follow) until the SIMULATED OPERATOR is done.
    let mut run = f.spawn(&["restore", "db", "--member", "1", "--timeout", "2m"]);
    run.expect_line("db: the replacement of member 1 is in flight; following it");
    let mut s = status(
        1,
        3,
        json!({
            "operation": {"kind": "ReplaceMember", "member": 1, "server": "server-1", "phase": "Deallocating", "startedAt": now()},
            "nextStep": step("DeallocateServer", Some(1), "move db-1's copies away"),
        }),
    );
    s["members"][1] = member(1, false);
    s["readyMembers"] = json!(2);
    f.operator_writes(s).await;
    run.expect_line("operation: ReplaceMember: member 1 (server server-1), phase Deallocating");
    f.operator_removes_annotation(REPLACE).await;
    f.operator_writes(status(
        1,
        3,
        json!({"nextStep": step("Done", None, "matches")}),
    ))
    .await;
    let (code, out, err) = run.finish();
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.ends_with("done: member 1 replaced, ready, and re-seeded by Neo4j"),
        "{out}"
    );
    f.ns.cleanup().await;
}
