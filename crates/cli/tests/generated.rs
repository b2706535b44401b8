//! Committed generated artifacts must match what the code generates.

mod support;

use support::{repo_root, run, stdout};

#[test]
fn committed_crd_matches_the_code() {
    let output = run(&["crd"], None);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(repo_root().join("deploy/operator/crd.yaml"))
        .expect("deploy/operator/crd.yaml is committed");
    assert_eq!(
        committed,
        stdout(&output),
        "deploy/operator/crd.yaml is stale; regenerate with: cargo run -q -p neo4j-aks -- crd > deploy/operator/crd.yaml"
    );
}

#[test]
fn committed_spec_reference_matches_the_code() {
    let output = run(&["reference"], None);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(repo_root().join("docs/spec.md"))
        .expect("docs/spec.md is committed");
    assert_eq!(
        committed,
        stdout(&output),
        "docs/spec.md is stale; regenerate with: cargo run -q -p neo4j-aks -- reference > docs/spec.md"
    );
}

#[test]
fn committed_operator_manifests_match_the_code() {
    let output = run(&["operator-manifests"], None);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(repo_root().join("deploy/operator/operator.yaml"))
        .expect("deploy/operator/operator.yaml is committed");
    assert_eq!(
        committed,
        stdout(&output),
        "deploy/operator/operator.yaml is stale; regenerate with: cargo run -q -p neo4j-aks -- operator-manifests > deploy/operator/operator.yaml"
    );
}

#[test]
fn operator_manifests_justify_every_rule_and_run_restricted() {
    let text = stdout(&run(&["operator-manifests"], None));
    let docs: Vec<serde_json::Value> = text
        .split("\n---\n")
        .filter_map(|d| serde_saphyr::from_str(d).ok())
        .collect();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // Every ClusterRole rule is preceded by a comment line.
    let rules = text.split("\nrules:\n").nth(1).expect("ClusterRole rules");
    let rules = rules.split("\n---\n").next().unwrap_or_default();
    let mut previous = "";
    for line in rules.lines() {
        if line.starts_with("- ") {
            assert!(
                previous.starts_with("# "),
                "rule without justification: {line}"
            );
        }
        previous = line;
    }
    let deployment = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"][0],
        "ALL"
    );
    assert!(
        container["args"]
            .as_array()
            .expect("args")
            .contains(&"--leader-election".into())
    );
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
}

#[test]
fn crd_has_status_scale_and_printer_columns() {
    let crd: serde_json::Value =
        serde_saphyr::from_str(&stdout(&run(&["crd"], None))).expect("CRD YAML");
    let version = &crd["spec"]["versions"][0];
    assert_eq!(crd["spec"]["group"], "neo4j-aks.io");
    assert_eq!(version["name"], "v1alpha1");
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    assert_eq!(
        version["subresources"]["scale"]["specReplicasPath"],
        ".spec.nodeCount"
    );
    assert!(version["subresources"]["status"].is_object());
    let columns: Vec<_> = version["additionalPrinterColumns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(columns, ["Nodes", "Ready", "Phase", "Version", "Age"]);
}

#[test]
fn committed_monitoring_artifacts_match_the_code() {
    for (command, file) in [
        ("rules", "deploy/monitoring/neo4j-aks.rules.yaml"),
        ("rule-tests", "deploy/monitoring/neo4j-aks.rules.test.yaml"),
        (
            "operator-service-monitor",
            "deploy/monitoring/operator-servicemonitor.yaml",
        ),
        (
            "grafana-dashboard",
            "deploy/monitoring/neo4j-aks.grafana.json",
        ),
        (
            "azure-workbook",
            "deploy/monitoring/neo4j-aks.workbook.json",
        ),
    ] {
        let output = run(&["monitoring", command], None);
        assert!(output.status.success());
        let committed = std::fs::read_to_string(repo_root().join(file))
            .unwrap_or_else(|e| panic!("{file} is committed: {e}"));
        assert_eq!(
            committed,
            stdout(&output),
            "{file} is stale; regenerate with: cargo run -q -p neo4j-aks -- monitoring {command} > {file}"
        );
    }
}

#[test]
fn committed_operator_chart_matches_the_code() {
    let dir = std::env::temp_dir().join(format!("neo4j-aks-chart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = run(
        &["operator-chart", dir.to_str().expect("utf-8 temp dir")],
        None,
    );
    assert!(output.status.success(), "{}", support::stderr(&output));
    let committed = repo_root().join("deploy/helm/neo4j-aks-operator");
    let files = |root: &std::path::Path| {
        let mut found = std::collections::BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("chart dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                    found.insert(rel, std::fs::read_to_string(&path).expect("text file"));
                }
            }
        }
        found
    };
    let (generated, committed) = (files(&dir), files(&committed));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(generated.len() > 5, "{:?}", generated.keys());
    assert_eq!(
        generated.keys().collect::<Vec<_>>(),
        committed.keys().collect::<Vec<_>>(),
        "deploy/helm/neo4j-aks-operator has other files than the generator writes; regenerate with: cargo run -q -p neo4j-aks -- operator-chart deploy/helm/neo4j-aks-operator"
    );
    for (path, text) in &generated {
        assert_eq!(
            &committed[path],
            text,
            "deploy/helm/neo4j-aks-operator/{} is stale; regenerate with: cargo run -q -p neo4j-aks -- operator-chart deploy/helm/neo4j-aks-operator",
            path.display()
        );
    }
}
