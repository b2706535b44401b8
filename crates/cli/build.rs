//! Stamps the build's git commit into the binary (`neo4j-aks --version`).
//!
//! The commit comes from NEO4J_AKS_GIT_COMMIT when it is set and not empty (builds without a .git
//! directory, e.g. a container build given `--build-arg NEO4J_AKS_GIT_COMMIT=$(git rev-parse
//! HEAD)`), else from `git rev-parse HEAD`, else it is `unknown`.

use std::path::Path;
use std::process::Command;

mod build_commit;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=NEO4J_AKS_GIT_COMMIT");
    let from_env = std::env::var("NEO4J_AKS_GIT_COMMIT").ok();
    if from_env.as_deref().is_none_or(|c| c.trim().is_empty()) {
        // Rebuild when HEAD moves: HEAD itself (a branch switch), the branch's ref file (a
        // commit) and packed-refs (a ref packed by gc). Paths resolve worktrees too.
        for path in [
            git(&["rev-parse", "--git-path", "HEAD"]),
            git(&["symbolic-ref", "-q", "HEAD"])
                .and_then(|r| git(&["rev-parse", "--git-path", &r])),
            git(&["rev-parse", "--git-path", "packed-refs"]),
        ]
        .into_iter()
        .flatten()
        {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    let commit = build_commit::resolve(from_env, || git(&["rev-parse", "HEAD"]));
    println!("cargo:rustc-env=NEO4J_AKS_GIT_COMMIT={commit}");
}
