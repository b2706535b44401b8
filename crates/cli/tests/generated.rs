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
