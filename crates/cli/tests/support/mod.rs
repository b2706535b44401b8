//! Running the built `neo4j-aks` binary as users do.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary from the repository root, optionally feeding standard input.
pub fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_neo4j-aks"))
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the neo4j-aks binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("stdin accepts the spec");
    drop(input);
    child.wait_with_output().expect("neo4j-aks finishes")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// The binary, from the repository root, talking to the cluster of `kubeconfig`.
pub fn command_on(kubeconfig: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neo4j-aks"));
    command
        .args(args)
        .current_dir(repo_root())
        .env("KUBECONFIG", kubeconfig);
    command
}

/// Runs the binary to its end against the cluster of `kubeconfig`.
pub fn run_on(kubeconfig: &Path, args: &[&str]) -> Output {
    command_on(kubeconfig, args)
        .output()
        .expect("neo4j-aks runs")
}

/// Installs the Neo4jCluster CRD as `field_manager` and waits until it is served.
pub async fn install_crd(env: &neo4j_aks_testkit::TestEnv, field_manager: &str) {
    use kube::CustomResourceExt;
    neo4j_aks_testkit::install_crd(
        &env.client(),
        &neo4j_aks_model::Neo4jCluster::crd(),
        field_manager,
    )
    .await;
}

/// A spec file `db.yaml` in a temporary directory of the test's namespace (created): the path
/// the commands get with `-f`, and the directory to remove at the end.
pub struct SpecFile {
    pub dir: PathBuf,
    pub file: PathBuf,
    pub path: String,
}

impl SpecFile {
    pub fn new(namespace: &str) -> SpecFile {
        let dir = std::env::temp_dir().join(namespace);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("db.yaml");
        let path = file.to_str().expect("utf-8 path").to_string();
        SpecFile { dir, file, path }
    }

    pub fn write(&self, text: String) {
        std::fs::write(&self.file, text).expect("write spec");
    }
}
