//! Every example renders, deterministically, to its reviewed snapshot.

mod support;

use support::{run, stderr, stdout};

const EXAMPLES: [&str; 9] = [
    "cluster-3-backup",
    "cluster-3-restore",
    "standalone",
    "cluster-3-k8s",
    "cluster-5-srv",
    "cluster-3-2025",
    "cluster-3-tls",
    "cluster-3-keyvault",
    "cluster-3-certmanager",
];

#[test]
fn examples_render_to_their_snapshots() {
    for example in EXAMPLES {
        let path = format!("examples/{example}.yaml");
        let output = run(&["render", "-f", &path], None);
        assert!(output.status.success(), "{example}: {}", stderr(&output));
        let yaml = stdout(&output);
        insta::assert_snapshot!(format!("render-{example}"), yaml);

        let again = run(&["render", "-f", &path], None);
        assert_eq!(
            yaml,
            stdout(&again),
            "{example}: same input must give the same bytes"
        );
    }
}

#[test]
fn examples_plan_to_their_snapshots() {
    for example in EXAMPLES {
        let output = run(&["plan", "-f", &format!("examples/{example}.yaml")], None);
        assert!(output.status.success(), "{example}: {}", stderr(&output));
        insta::assert_snapshot!(format!("plan-{example}"), stdout(&output));
    }
}

#[test]
fn json_output_is_a_list_of_the_same_objects() {
    let yaml = run(&["render", "-f", "examples/cluster-3-k8s.yaml"], None);
    let json = run(
        &["render", "-f", "examples/cluster-3-k8s.yaml", "-o", "json"],
        None,
    );
    assert!(json.status.success());
    let list: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("render -o json prints JSON");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), stdout(&yaml).matches("\n---\n").count() + 1);
    let kinds: Vec<_> = items
        .iter()
        .map(|i| i["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds.first(), Some(&"StorageClass"));
    assert_eq!(kinds.last(), Some(&"PodDisruptionBudget"));
}

#[test]
fn flags_override_the_file() {
    let output = run(
        &[
            "render",
            "-f",
            "examples/cluster-3-k8s.yaml",
            "--nodes",
            "5",
            "--resolver",
            "LIST",
            "--disk-size",
            "64",
            "--name",
            "sales",
            "-o",
            "json",
        ],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let items = list["items"].as_array().expect("items");
    let sts = items
        .iter()
        .find(|i| i["kind"] == "StatefulSet")
        .expect("a StatefulSet");
    assert_eq!(sts["metadata"]["name"], "sales");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "64Gi"
    );
    assert!(
        !items.iter().any(|i| i["kind"] == "Role"),
        "LIST needs no RBAC"
    );
    let conf = items
        .iter()
        .find(|i| i["kind"] == "ConfigMap")
        .expect("ConfigMap")["data"]["neo4j.conf"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(conf.contains(
        "dbms.cluster.discovery.v2.endpoints=sales-0.sales-headless.neo4j.svc.cluster.local:6000,"
    ));
    assert!(conf.contains("sales-4.sales-headless.neo4j.svc.cluster.local:6000\n"));
}

#[test]
fn flags_alone_render_a_cluster_without_a_file() {
    let output = run(
        &[
            "render",
            "--neo4j-version",
            "2025.10.1",
            "--accept-license",
            "eval",
            "--nodes",
            "3",
            "-o",
            "json",
        ],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let names: Vec<_> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            i["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    for expected in [
        "neo4j-premium",
        "neo4j-sa",
        "neo4j-service-reader",
        "neo4j-service-reader-binding",
        "neo4j-secrets",
        "neo4j-config",
        "neo4j-headless",
        "neo4j-lb",
        "neo4j",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[test]
fn a_spec_can_come_from_standard_input() {
    let spec = std::fs::read_to_string(support::repo_root().join("examples/standalone.yaml"))
        .expect("example");
    let output = run(&["validate", "-f", "-"], Some(&spec));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("graph is valid"));
}

#[test]
fn warnings_go_to_stderr_and_do_not_fail() {
    let output = run(
        &[
            "render",
            "-f",
            "examples/cluster-3-k8s.yaml",
            "--nodes",
            "4",
        ],
        None,
    );
    assert!(output.status.success());
    assert!(
        stderr(&output)
            .contains("warning: spec.nodeCount: 4 members tolerate no more failures than 3")
    );
}

#[test]
fn no_secret_value_is_ever_printed() {
    for example in EXAMPLES {
        let output = run(
            &[
                "render",
                "-f",
                &format!("examples/{example}.yaml"),
                "-o",
                "json",
            ],
            None,
        );
        let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        for item in list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["kind"] == "Secret")
        {
            assert!(
                item.get("data").is_none() && item.get("stringData").is_none(),
                "{example}: a Secret value was printed"
            );
        }
    }
}
