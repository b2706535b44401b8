//! The install paths of docs/install.md other than the chart (tests/helm_chart.rs): the version
//! names the build's commit, completions for each shell, and the binary run by kubectl as its
//! `neo4j` plugin (an executable named kubectl-neo4j on PATH, here a symlink).

mod support;

use std::process::Command;

use support::{repo_root, run, stderr, stdout};

#[test]
fn version_names_the_commit_it_was_built_from() {
    let output = run(&["--version"], None);
    assert!(output.status.success());
    let text = stdout(&output);
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    // NEO4J_AKS_GIT_COMMIT overrides git at build time (build.rs); without either it is unknown.
    let expected = std::env::var("NEO4J_AKS_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or(head)
        .unwrap_or_else(|| "unknown".to_string());
    assert_eq!(
        text,
        format!(
            "neo4j-aks {} (commit {expected})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn completions_are_printed_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _neo4j__aks"),
        ("zsh", "#compdef neo4j-aks"),
        ("fish", "complete -c neo4j-aks"),
        ("elvish", "arg-completer[neo4j-aks]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = run(&["completions", shell], None);
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: {marker} missing");
        // Subcommands are completed.
        assert!(script.contains("operator-chart"), "{shell}");
    }
    let output = run(&["completions", "tcsh"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("possible values"));
}

#[test]
fn bash_accepts_the_bash_completion_script() {
    let script = stdout(&run(&["completions", "bash"], None));
    let dir = std::env::temp_dir().join(format!("neo4j-aks-completion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("neo4j-aks.bash");
    std::fs::write(&file, script).expect("script written");
    // Source it and ask bash for the registered completion, as an interactive shell would.
    let output = Command::new("bash")
        .args([
            "-c",
            &format!("source {} && complete -p neo4j-aks", file.display()),
        ])
        .output()
        .expect("bash runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("_neo4j__aks"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn kubectl_runs_the_binary_as_its_neo4j_plugin() {
    let dir = std::env::temp_dir().join(format!("neo4j-aks-plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let link = dir.join("kubectl-neo4j");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_neo4j-aks"), &link).expect("symlink");
    let via = |args: &[&str]| {
        Command::new(&link)
            .args(args)
            .current_dir(repo_root())
            .output()
            .expect("kubectl-neo4j runs")
    };
    // The same commands, the same output.
    let plugin = via(&["render", "-f", "examples/cluster-3-k8s.yaml"]);
    let direct = run(&["render", "-f", "examples/cluster-3-k8s.yaml"], None);
    assert!(plugin.status.success(), "{}", stderr(&plugin));
    assert_eq!(plugin.stdout, direct.stdout);
    assert!(stdout(&plugin).contains("kind: StatefulSet"));
    // Help and errors name the command the user typed.
    let help = stdout(&via(&["--help"]));
    assert!(help.contains("Usage: kubectl neo4j <COMMAND>"), "{help}");
    let error = via(&["no-such-command"]);
    assert_eq!(error.status.code(), Some(2));
    assert!(
        stderr(&error).contains("kubectl neo4j"),
        "{}",
        stderr(&error)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// kubectl itself (the testenv's) finds the binary as a plugin on PATH under the documented
/// name and runs it: `kubectl plugin list` lists it and `kubectl neo4j --version` is the
/// binary's own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_finds_and_runs_the_plugin() {
    let Some(env) = neo4j_aks_testkit::TestEnv::connect("kubectl plugin").await else {
        return;
    };
    let kubectl = env.kubectl().await;
    let dir = std::env::temp_dir().join(format!("neo4j-aks-kubectl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let link = dir.join("kubectl-neo4j");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_neo4j-aks"), &link).expect("symlink");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let kubectl_run = |args: &[&str]| {
        Command::new(&kubectl)
            .args(args)
            .env("PATH", &path)
            .env("KUBECONFIG", env.kubeconfig())
            .output()
            .expect("kubectl runs")
    };
    let list = kubectl_run(&["plugin", "list"]);
    assert!(
        stdout(&list).contains(&link.display().to_string()),
        "{}{}",
        stdout(&list),
        stderr(&list)
    );
    let version = kubectl_run(&["neo4j", "--version"]);
    assert!(version.status.success(), "{}", stderr(&version));
    assert_eq!(version.stdout, run(&["--version"], None).stdout);
    let _ = std::fs::remove_dir_all(&dir);
}
