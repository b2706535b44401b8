//! `neo4j-aks verify` end to end: the real binary against the real operator (in-process,
//! watching a namespace of its own on the testenv), its JUnit and HTML reports read back by a
//! real XML parser (Python's xml.etree), not by string matching.
//!
//! Neo4j is SIMULATED: kwok runs no containers, so no Neo4j server can answer Bolt there. The
//! operator talks to [`SimulatedNeo4j`] (crates/testkit), whose servers follow the testenv's
//! member pods (a deleted pod is an unavailable server; the leader is the lowest-ordinal
//! available primary) and which checks quorum at every observation. Everything else is real:
//! the apiserver (RBAC authorization, SubjectAccessReview), the StatefulSet controller, the
//! NetworkPolicies and ConfigMap the operator applied, the CLI process and its kubeconfig. The
//! recovery times measured here are the simulation's and kwok's, not Neo4j's (docs/verify.md).

mod operator_fixture;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, ResourceQuota, ResourceQuotaSpec};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicySpec,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use neo4j_aks_testkit::wait_until;
use operator_fixture::Fixture;
use serde_json::Value;
use support::{command_on, stderr, stdout};

/// Reads a JUnit file with xml.etree and prints what it holds as JSON.
const JUNIT_READER: &str = r#"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = []
for suite in root.findall("testsuite"):
    cases = []
    for case in suite.findall("testcase"):
        failure, skipped = case.find("failure"), case.find("skipped")
        status = "failure" if failure is not None else "skipped" if skipped is not None else "passed"
        node = failure if failure is not None else skipped
        props = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        cases.append({"name": case.get("name"), "classname": case.get("classname"),
                      "time": float(case.get("time")), "status": status,
                      "message": None if node is None else node.get("message"), "properties": props})
    suites.append({"name": suite.get("name"), "tests": int(suite.get("tests")),
                   "failures": int(suite.get("failures")),
                   # quick-junit counts skipped cases as "disabled" (the JUnit XSD's name).
                   "disabled": int(suite.get("disabled") or 0),
                   "cases": cases})
print(json.dumps({"tests": int(root.get("tests")), "failures": int(root.get("failures")),
                  "suites": suites}))
"#;

/// Reads the HTML report as XML and prints its result rows and what its plots hold.
const HTML_READER: &str = r#"
import json, sys, xml.etree.ElementTree as ET
X, S = "{http://www.w3.org/1999/xhtml}", "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
table = [t for t in root.iter(X + "table") if t.get("id") == "results"][0]
rows = {tr.get("id"): tr.get("class") for tr in table.findall(X + "tr") if tr.get("id")}
svgs = list(root.iter(S + "svg"))
plots = []
for svg in svgs:
    texts = [t.text.strip() for t in svg.iter(S + "text") if t.text]
    lines = [p for p in svg.iter(S + "polyline")]
    rects = [r for r in svg.iter(S + "rect")]
    plots.append({"texts": texts, "polylines": len(lines), "rects": len(rects)})
print(json.dumps({"rows": rows, "plots": plots}))
"#;

/// The `neo4j-aks verify` lines of the ```shell blocks of docs/verify.md that run here, as
/// arguments of the binary: the page's namespace `graph` replaced by `ns`, its report files put
/// into `dir`.
fn documented(ns: &str, dir: &Path) -> Vec<Vec<String>> {
    let page = support::repo_root().join("docs/verify.md");
    let text = std::fs::read_to_string(&page).expect("docs/verify.md");
    let mut in_shell = false;
    let mut commands = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_shell = line == "```shell";
            continue;
        }
        let Some(rest) = line
            .strip_prefix("neo4j-aks verify db ")
            .filter(|_| in_shell)
        else {
            continue;
        };
        let mut args = vec!["verify".to_owned(), "db".to_owned()];
        for word in rest.split_whitespace() {
            args.push(match word {
                "graph" => ns.to_owned(),
                "verify.xml" | "verify.html" => dir.join(word).display().to_string(),
                other => other.to_owned(),
            });
        }
        commands.push(args);
    }
    commands
}

fn python(script: &str, file: &Path) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the XML reader failed on {}:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

fn result<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {json:#}"))
}

fn junit_case<'a>(junit: &'a Value, id: &str) -> &'a Value {
    junit["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .flat_map(|s| s["cases"].as_array().expect("cases"))
        .find(|c| c["name"] == id)
        .unwrap_or_else(|| panic!("{id} not in {junit:#}"))
}

/// The JUnit file says for every check what the JSON report says.
fn assert_junit_agrees(junit: &Value, json: &Value) {
    let results = json["results"].as_array().expect("results");
    assert_eq!(junit["tests"].as_u64(), Some(results.len() as u64));
    assert_eq!(junit["failures"], json["summary"]["failed"]);
    for suite in junit["suites"].as_array().expect("suites") {
        let cases = suite["cases"].as_array().expect("cases");
        let count = |status: &str| cases.iter().filter(|c| c["status"] == status).count() as u64;
        assert_eq!(
            suite["tests"].as_u64(),
            Some(cases.len() as u64),
            "{suite:#}"
        );
        assert_eq!(
            suite["failures"].as_u64(),
            Some(count("failure")),
            "{suite:#}"
        );
        assert_eq!(
            suite["disabled"].as_u64(),
            Some(count("skipped")),
            "{suite:#}"
        );
    }
    for r in results {
        let id = r["id"].as_str().expect("id");
        let case = junit_case(junit, id);
        let status = match r["result"].as_str() {
            Some("pass") => "passed",
            Some("fail") => "failure",
            Some("skipped") => "skipped",
            other => panic!("{other:?}"),
        };
        assert_eq!(case["status"], status, "{id}: {case:#}");
        assert_eq!(
            case["classname"],
            format!("verify.{}", r["category"].as_str().expect("category"))
        );
        if status != "passed" {
            assert_eq!(case["message"], r["detail"], "{id}");
        }
        for m in r["measurements"].as_array().into_iter().flatten() {
            let key = format!("{}.seconds", m["name"].as_str().expect("name"));
            let written: f64 = case["properties"][&key]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{id}: no {key} in {case:#}"));
            assert!((written - m["seconds"].as_f64().expect("seconds")).abs() < 0.001);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verify_runs_the_matrix_against_the_operator_and_its_reports_read_back() {
    let Some(f) = Fixture::new("cli_verify").await else {
        return;
    };
    let started = Instant::now();
    f.create_with(3, "  tls:\n    enabled: true\n").await;
    f.wait_settled(3).await;
    let dir = std::env::temp_dir().join(f.ns());
    std::fs::create_dir_all(&dir).expect("temp dir");
    let junit_path = dir.join("verify.xml");
    let html_path = dir.join("verify.html");

    // The page's commands: read-only first, then disruptive with every output at once.
    let commands = documented(f.ns(), &dir);
    assert_eq!(commands.len(), 2, "{commands:?}");
    let (read_only, disruptive) = (&commands[0], &commands[1]);
    assert!(
        disruptive.contains(&"--allow-disruptive".to_owned())
            && !read_only.contains(&"--allow-disruptive".to_owned())
    );
    let out = f.run_words(disruptive).await;
    let json: Value = serde_json::from_str(&stdout(&out)).expect("verify -o json parses");
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    for id in [
        "formation",
        "members-agree",
        "zones",
        "tls-required",
        "network-policy",
        "rbac",
        "scale-up",
        "scale-down",
        "member-failure",
        "leader-failover",
    ] {
        assert_eq!(result(&json, id)["result"], "pass", "{id}: {json:#}");
    }
    // The routing table and a plaintext attempt need Bolt, and no backup is configured: each
    // says why it did not run.
    for (id, why) in [
        ("routing", "no Bolt address"),
        ("tls-plaintext-rejected", "no Bolt address"),
        ("backup-restore", "spec.backup is not set"),
    ] {
        let r = result(&json, id);
        assert_eq!(r["result"], "skipped", "{id}: {r:#}");
        assert!(
            r["detail"].as_str().expect("detail").contains(why),
            "{id}: {r:#}"
        );
    }
    // The member the scale-up added is gone, and so is the claim the check made for it.
    let scaled_down = result(&json, "scale-down")["detail"]
        .as_str()
        .expect("detail")
        .to_owned();
    assert!(
        scaled_down.contains("PVC data-db-3, made by the check, deleted"),
        "{scaled_down}"
    );
    let claims: Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> =
        Api::namespaced(f.env.client(), f.ns());
    wait_until(Duration::from_secs(30), "data-db-3 deleted", || {
        let claims = claims.clone();
        async move {
            match claims.get_opt("data-db-3").await {
                Ok(None) => Ok(()),
                Ok(Some(c)) => Err(format!("still there: {:?}", c.metadata.deletion_timestamp)),
                Err(e) => Err(e.to_string()),
            }
        }
    })
    .await;
    assert!(claims.get_opt("data-db-2").await.expect("get").is_some());
    let failover = result(&json, "leader-failover");
    let measured: Vec<&str> = failover["measurements"]
        .as_array()
        .expect("measurements")
        .iter()
        .map(|m| m["name"].as_str().expect("name"))
        .collect();
    assert_eq!(measured, ["failover", "recovery"], "{failover:#}");
    assert_eq!(failover["measurements"][0]["limitSeconds"], 30.0);
    assert!(
        !failover["timeline"]
            .as_array()
            .expect("timeline")
            .is_empty()
    );
    // The table went to stderr while JSON took stdout.
    assert!(stderr(&out).contains("leader-failover"), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 skipped"), "{}", stderr(&out));

    let junit = python(JUNIT_READER, &junit_path);
    assert_junit_agrees(&junit, &json);
    let suites: Vec<&str> = junit["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        suites,
        [
            "Deployment",
            "Security",
            "Operations",
            "Resilience",
            "Backup"
        ]
    );

    let html = python(HTML_READER, &html_path);
    assert_eq!(
        html["rows"].as_object().expect("rows").len(),
        13,
        "{html:#}"
    );
    assert_eq!(html["rows"]["leader-failover"], "PASS");
    assert_eq!(html["rows"]["routing"], "SKIP");
    let plots = html["plots"].as_array().expect("plots");
    assert_eq!(plots.len(), 2, "{html:#}");
    // One line per disruptive check on the timeline, and its legend names them.
    let legend: Vec<&str> = plots[0]["texts"]
        .as_array()
        .expect("texts")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in [
        "scale-up",
        "scale-down",
        "member-failure",
        "leader-failover",
    ] {
        assert!(legend.contains(&id), "{id} not in {legend:?}");
    }
    assert!(plots[0]["polylines"].as_u64() >= Some(4), "{html:#}");
    assert!(plots[1]["rects"].as_u64() >= Some(4), "{html:#}");
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());

    // The Bolt checks against a real server when the Neo4j harness is up (Community, one
    // server, Bolt TLS OPTIONAL on one port): both must fail, the plaintext connection being
    // accepted and the routing table naming the harness, not the members.
    if let (Ok(uri), Ok(ca), Ok(password)) = (
        std::env::var("NEO4J_AKS_TEST_BOLT_TLS"),
        std::env::var("NEO4J_AKS_TEST_CA"),
        std::env::var("NEO4J_AKS_TEST_PASSWORD"),
    ) {
        let mut command = command_on(
            f.env.kubeconfig(),
            &[
                "verify",
                "db",
                "-n",
                f.ns(),
                "--check",
                "routing",
                "--check",
                "tls-plaintext-rejected",
                "--bolt",
                &uri,
                "--ca-file",
                &ca,
                "-o",
                "json",
            ],
        );
        command.env("NEO4J_AKS_VERIFY_PASSWORD", &password);
        let out = tokio::task::spawn_blocking(move || command.output().expect("neo4j-aks runs"))
            .await
            .expect("the CLI's thread");
        eprintln!("{}\n{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let json: Value = serde_json::from_str(&stdout(&out)).expect("verify -o json parses");
        assert_eq!(
            json["results"].as_array().map(Vec::len),
            Some(2),
            "{json:#}"
        );
        let plain = result(&json, "tls-plaintext-rejected");
        assert_eq!(plain["result"], "fail", "{plain:#}");
        assert!(
            plain["detail"]
                .as_str()
                .expect("detail")
                .contains("accepted a plaintext bolt://")
        );
        let routing = result(&json, "routing");
        assert_eq!(routing["result"], "fail", "{routing:#}");
        assert!(
            routing["detail"]
                .as_str()
                .expect("detail")
                .contains("not members"),
            "{routing:#}"
        );
        assert!(!stdout(&out).contains(&password) && !stderr(&out).contains(&password));
    } else {
        eprintln!(
            "the Bolt checks against a server: skipped (no Neo4j harness: NEO4J_AKS_TEST_BOLT_TLS unset)"
        );
    }

    // A failover the operator sees: a ResourceQuota of two pods keeps the deleted leader's pod
    // from coming back until the test lifts it, HOLD after the pod is gone (on kwok a pod is
    // otherwise back before the operator looks, which the run above reports as such).
    const HOLD: Duration = Duration::from_secs(8);
    let leader = f.leader("neo4j").await;
    let quotas: Api<ResourceQuota> = Api::namespaced(f.env.client(), f.ns());
    quotas
        .create(
            &PostParams::default(),
            &ResourceQuota {
                metadata: ObjectMeta {
                    name: Some("hold-members".into()),
                    ..ObjectMeta::default()
                },
                spec: Some(ResourceQuotaSpec {
                    hard: Some(BTreeMap::from([("pods".to_string(), Quantity("2".into()))])),
                    ..ResourceQuotaSpec::default()
                }),
                ..ResourceQuota::default()
            },
        )
        .await
        .expect("create the quota");
    let lifter = {
        let pods: Api<Pod> = Api::namespaced(f.env.client(), f.ns());
        let leader = leader.clone();
        tokio::spawn(async move {
            let old = pods
                .get(&leader)
                .await
                .expect("the leader's pod")
                .metadata
                .uid;
            loop {
                match pods.get_opt(&leader).await {
                    Ok(Some(p)) if p.metadata.uid == old => {}
                    Ok(_) => break,
                    Err(e) => eprintln!("watching {leader}: {e}"),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let gone = Instant::now();
            tokio::time::sleep(HOLD).await;
            quotas
                .delete("hold-members", &DeleteParams::default())
                .await
                .expect("lift the quota");
            gone
        })
    };
    let out = f
        .run(&[
            "verify",
            "db",
            "--allow-disruptive",
            "--check",
            "leader-failover",
            "-o",
            "json",
        ])
        .await;
    let json: Value = serde_json::from_str(&stdout(&out)).expect("verify -o json parses");
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    lifter.await.expect("the quota was lifted");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "only the check asked for: {json:#}");
    let failover = &results[0];
    assert_eq!(failover["id"], "leader-failover");
    assert_eq!(failover["result"], "pass", "{failover:#}");
    let detail = failover["detail"].as_str().expect("detail");
    assert!(!detail.contains("did not change"), "{detail}");
    assert!(
        !detail.contains(&format!("leader(s) {leader} ")),
        "a new leader: {detail}"
    );
    let seconds = |i: usize| {
        failover["measurements"][i]["seconds"]
            .as_f64()
            .expect("seconds")
    };
    let (elected, recovered) = (seconds(0), seconds(1));
    eprintln!(
        "observed failover: a new leader after {elected:.1}s, {leader} back after {recovered:.1}s"
    );
    assert!(
        elected < HOLD.as_secs_f64(),
        "elected while {leader} was held: {failover:#}"
    );
    assert!(
        recovered >= HOLD.as_secs_f64(),
        "back only after the hold: {failover:#}"
    );
    let timeline = failover["timeline"].as_array().expect("timeline");
    assert!(
        timeline.iter().any(|p| p["readyMembers"] == 2),
        "the operator saw the member gone: {failover:#}"
    );
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());

    // Now break two things: a policy that opens every port of the members to everyone, and a
    // Role that lets the members read Secrets. Read-only, the run fails and names both.
    let client = f.env.client();
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), f.ns());
    let allow_all = NetworkPolicy {
        metadata: ObjectMeta {
            name: Some("allow-everything".into()),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            ingress: Some(vec![NetworkPolicyIngressRule::default()]),
            ..NetworkPolicySpec::default()
        }),
    };
    policies
        .create(&PostParams::default(), &allow_all)
        .await
        .expect("create the allow-all policy");
    let set: k8s_openapi::api::apps::v1::StatefulSet = Api::namespaced(client.clone(), f.ns())
        .get("db")
        .await
        .expect("the members' StatefulSet");
    let account = set
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|p| p.service_account_name)
        .unwrap_or_else(|| "default".into());
    let roles: Api<Role> = Api::namespaced(client.clone(), f.ns());
    roles
        .create(
            &PostParams::default(),
            &Role {
                metadata: ObjectMeta {
                    name: Some("read-secrets".into()),
                    ..ObjectMeta::default()
                },
                rules: Some(vec![PolicyRule {
                    api_groups: Some(vec![String::new()]),
                    resources: Some(vec!["secrets".into()]),
                    verbs: vec!["get".into()],
                    ..PolicyRule::default()
                }]),
            },
        )
        .await
        .expect("create the Role");
    let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), f.ns());
    bindings
        .create(
            &PostParams::default(),
            &RoleBinding {
                metadata: ObjectMeta {
                    name: Some("read-secrets".into()),
                    ..ObjectMeta::default()
                },
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "Role".into(),
                    name: "read-secrets".into(),
                },
                subjects: Some(vec![Subject {
                    kind: "ServiceAccount".into(),
                    name: account.clone(),
                    namespace: Some(f.ns().to_string()),
                    ..Subject::default()
                }]),
            },
        )
        .await
        .expect("bind the Role");
    let out = f.run_words(read_only).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("verify: 2 check(s) failed: network-policy, rbac"),
        "{}",
        stderr(&out)
    );
    let table = stdout(&out);
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} not in\n{table}"))
            .to_owned()
    };
    assert!(row("network-policy").contains("FAIL"), "{table}");
    assert!(
        row("network-policy").contains("allow-everything: port 5000 is open to every source"),
        "{table}"
    );
    assert!(
        row("rbac").contains(&format!("{account} may get secrets")),
        "{table}"
    );
    assert!(row("scale-up").contains("--allow-disruptive"), "{table}");
    let junit = python(JUNIT_READER, &junit_path);
    assert_eq!(junit["failures"], 2, "{junit:#}");
    for id in ["network-policy", "rbac"] {
        assert_eq!(junit_case(&junit, id)["status"], "failure", "{junit:#}");
    }
    assert_eq!(junit_case(&junit, "leader-failover")["status"], "skipped");
    let html = python(HTML_READER, &html_path);
    assert_eq!(html["rows"]["rbac"], "FAIL", "{html:#}");
    assert_eq!(html["rows"]["formation"], "PASS", "{html:#}");
    assert_eq!(
        html["plots"].as_array().map(Vec::len),
        Some(0),
        "nothing disruptive ran"
    );

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("whole test body: {:.1}s", started.elapsed().as_secs_f64());
    f.teardown().await;
}

#[test]
fn a_check_that_does_not_exist_is_refused_with_the_list() {
    let out = support::run(&["verify", "db", "--check", "failover"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("\"failover\" is not a check; one of: formation,")
            && text.contains("leader-failover"),
        "{text}"
    );
    let out = support::run(&["verify", "db", "--timeout", "0s"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("must be longer than zero"),
        "{}",
        stderr(&out)
    );
}

/// `backup-restore` through the real CronJobs, Job controller and operator: a backup Job and a
/// restore-check Job made from the cluster's CronJobs, their runs recorded by the operator, the
/// Jobs gone after. kwok completes the Jobs' pods without running them (no backup is taken
/// here; docs/verify.md), so this proves the wiring and the verdict's inputs, not a backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_restore_runs_a_backup_then_its_restore_check() {
    let Some(f) = Fixture::new("cli_verify_backup").await else {
        return;
    };
    f.create_with(
        3,
        "  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      workloadIdentityClientId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n",
    )
    .await;
    f.wait_settled(3).await;
    let out = f
        .run(&["verify", "db", "--check", "backup-restore", "-o", "json"])
        .await;
    let json: Value = serde_json::from_slice(&out.stdout).expect("the report");
    assert_eq!(
        result(&json, "backup-restore")["detail"],
        "disruptive: run with --allow-disruptive",
        "{json:#}"
    );
    let out = f
        .run(&[
            "verify",
            "db",
            "--check",
            "backup-restore",
            "--allow-disruptive",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).expect("the report");
    let check = result(&json, "backup-restore");
    assert_eq!(check["result"], "pass", "{json:#}");
    let status = f.get().await.status.unwrap_or_default();
    let backup = status.backup.expect("status.backup");
    let taken = backup.last_backup.expect("the backup run");
    let checked = backup.last_verification.expect("the restore-check run");
    assert!(taken.job.starts_with("db-backup-manual-"), "{taken:?}");
    assert!(
        checked.job.starts_with("db-backup-verification-manual-"),
        "{checked:?}"
    );
    let detail = check["detail"].as_str().expect("detail");
    assert!(
        detail.contains(&taken.job) && detail.contains(&checked.job),
        "{detail}"
    );
    let names: Vec<&str> = check["measurements"]
        .as_array()
        .expect("measurements")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, ["backup", "restore and check"], "{json:#}");
    // The check's Jobs are gone (deleted with their pods in the background).
    let jobs: Api<k8s_openapi::api::batch::v1::Job> = Api::namespaced(f.env.client(), f.ns());
    wait_until(Duration::from_secs(60), "the check's Jobs deleted", || {
        let jobs = jobs.clone();
        let made = [taken.job.clone(), checked.job.clone()];
        async move {
            let mut left = Vec::new();
            for job in &made {
                if jobs
                    .get_opt(job)
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some()
                {
                    left.push(job.clone());
                }
            }
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("still there: {left:?}"))
            }
        }
    })
    .await;
    f.teardown().await;
}
