//! The rendered examples pass the external validators: kubernetes-validate --strict for every
//! AKS-supported Kubernetes minor, and checkov with only the documented skips
//! (docs/checkov.md). The validators live in a Python virtualenv made by
//! scripts/validators/install.sh; scripts/test-all.sh requires them
//! (NEO4J_AKS_REQUIRE_VALIDATORS=1), a plain `cargo test` skips with a note when absent.

mod support;

use std::process::Command;

use support::repo_root;

fn venv_ready() -> bool {
    let venv = std::env::var("NEO4J_AKS_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/neo4j-aks/venv")
        });
    venv.join("bin/kubernetes-validate").exists() && venv.join("bin/checkov").exists()
}

/// True when the validators can run; otherwise skips with a note, or fails when CI requires them.
fn validators_ready() -> bool {
    if venv_ready() {
        return true;
    }
    assert!(
        std::env::var("NEO4J_AKS_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "the validators virtualenv is missing; run scripts/validators/install.sh"
    );
    eprintln!("skipped: validators not installed (run scripts/validators/install.sh)");
    false
}

#[test]
fn rendered_examples_pass_kubernetes_validate_and_checkov() {
    if !validators_ready() {
        return;
    }
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/validators/validate-examples.sh"))
        .env(
            "NEO4J_AKS_RENDER",
            format!("{} render -f", env!("CARGO_BIN_EXE_neo4j-aks")),
        )
        .current_dir(repo_root())
        .output()
        .expect("validate-examples.sh runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "validators failed:\n{text}");
    println!("{text}");
}

#[test]
fn operator_manifests_pass_kubernetes_validate() {
    if !validators_ready() {
        return;
    }
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/validators/kubernetes-validate.sh"))
        .arg("deploy/operator/operator.yaml")
        .current_dir(repo_root())
        .output()
        .expect("kubernetes-validate.sh runs");
    assert!(
        output.status.success(),
        "deploy/operator/operator.yaml fails kubernetes-validate:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
