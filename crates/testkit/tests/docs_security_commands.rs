//! The `kubectl` commands of docs/security/*.md run on the testenv and do what the pages say:
//! the cluster's namespace (`graph` in the pages) becomes a test namespace holding the rendered
//! examples/cluster-3-backup.yaml. (The pages' `neo4j-aks` commands run in
//! crates/cli/tests/docs_commands.rs.)

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use neo4j_aks_testkit::TestEnv;
use support::render_example;

/// `(page, command)` for every `kubectl` line of a ```sh block of docs/security/.
fn documented_kubectl() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/security");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("docs/security")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    let mut commands = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("page");
        let mut in_shell = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_shell = !in_shell && (line == "```sh" || line == "```bash");
                continue;
            }
            if in_shell && line.trim().starts_with("kubectl ") {
                commands.push((page.display().to_string(), line.trim().to_string()));
            }
        }
    }
    commands
}

#[tokio::test]
async fn the_security_pages_kubectl_commands_work() {
    let test = "docs_security_commands";
    let Some(env) = TestEnv::connect(test).await else {
        return;
    };
    let commands = documented_kubectl();
    assert!(
        commands.len() >= 2,
        "expected the pages' kubectl commands, found {commands:?}"
    );
    let ns = env.namespace(test).await;
    let (_, objects) = render_example("cluster-3-backup.yaml", ns.name());
    for o in objects.iter().filter(|o| o["kind"] == "NetworkPolicy") {
        env.apply(o)
            .await
            .expect("a rendered NetworkPolicy applies");
    }
    let kubectl = env.kubectl().await;
    for (page, line) in &commands {
        let args: Vec<String> = line
            .split_whitespace()
            .skip(1)
            .map(|word| {
                if word == "graph" {
                    ns.name().to_string()
                } else {
                    word.to_string()
                }
            })
            .collect();
        let output = Command::new(&kubectl)
            .args(&args)
            .env("KUBECONFIG", env.kubeconfig())
            .output()
            .expect("kubectl runs");
        assert!(
            output.status.success(),
            "{page}: `{line}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // What the pod-security page's label command did.
    let labels = Api::<Namespace>::all(env.client())
        .get(ns.name())
        .await
        .expect("the namespace")
        .metadata
        .labels
        .unwrap_or_default();
    for mode in ["enforce", "warn", "audit"] {
        assert_eq!(
            labels
                .get(&format!("pod-security.kubernetes.io/{mode}"))
                .map(String::as_str),
            Some("restricted"),
            "{mode}"
        );
    }
    ns.cleanup().await;
}
