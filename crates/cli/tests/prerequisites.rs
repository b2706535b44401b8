//! `scripts/prerequisites.sh`, the first step of the test command: on a machine without the
//! toolchains it names every missing one with the way to get it, all at once, and fails; on this
//! machine (which runs the whole suite) it finds everything.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{repo_root, stderr, stdout};

fn script() -> PathBuf {
    repo_root().join("scripts/prerequisites.sh")
}

#[test]
fn a_bare_machine_is_told_every_missing_prerequisite_at_once() {
    // A PATH with a shell and the few coreutils the script itself uses, and nothing else.
    let bin = std::env::temp_dir().join(format!("neo4j-aks-bare-path-{}", std::process::id()));
    std::fs::create_dir_all(&bin).expect("temp dir");
    for tool in ["bash", "sed", "sort", "head", "awk", "id"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .expect("sh");
        let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
        let link = bin.join(tool);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&path, &link).expect("symlink");
    }
    let out = Command::new(bin.join("bash"))
        .arg(script())
        .env_clear()
        .env("PATH", &bin)
        .output()
        .expect("run the script");
    let _ = std::fs::remove_dir_all(&bin);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    for named in [
        "cargo (Rust >= 1.89)",
        "go >= 1.26",
        "Java >= 17 (JDK)",
        "maven",
        "node >= 18",
        "npm",
        "python3 >= 3.9",
        "busybox dnsutils jq openssl curl util-linux",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("  - {named}:"))),
            "{named} not named in:\n{text}"
        );
    }
}

#[test]
fn this_machine_has_every_prerequisite() {
    let out = Command::new("bash")
        .arg(script())
        .output()
        .expect("run the script");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("prerequisites: all present"));
}
