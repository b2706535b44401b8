//! Every `neo4j-aks` command shown in README.md and docs/**/*.md runs and succeeds.
//! (`scripts/test-all.sh` and the testenv commands are what CI itself runs.)

mod support;

use support::{repo_root, run, stderr};

fn documented_commands() -> Vec<(String, String)> {
    let mut files = vec![repo_root().join("README.md")];
    let mut pending = vec![repo_root().join("docs")];
    let mut docs = Vec::new();
    while let Some(dir) = pending.pop() {
        for path in std::fs::read_dir(&dir)
            .expect("docs/ is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
        {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                docs.push(path);
            }
        }
    }
    docs.sort();
    files.extend(docs);
    let mut commands = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("doc is readable");
        let mut in_shell_block = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_shell_block = !in_shell_block && (line == "```sh" || line == "```bash");
                continue;
            }
            let line = line.trim();
            let line = line
                .strip_prefix("cargo run -q -p neo4j-aks -- ")
                .map(|rest| format!("neo4j-aks {rest}"))
                .unwrap_or_else(|| line.to_string());
            if in_shell_block && line.starts_with("neo4j-aks ") {
                commands.push((file.display().to_string(), line));
            }
        }
    }
    commands
}

#[test]
fn documented_commands_succeed() {
    let commands = documented_commands();
    assert!(
        commands.len() >= 8,
        "expected the README's commands, found {commands:?}"
    );
    for (file, line) in commands {
        // One plain command, optionally redirected into a file.
        let (command, redirect) = match line.split_once(" > ") {
            Some((command, path)) => (command, Some(path.trim())),
            None => (line.as_str(), None),
        };
        assert!(
            !command.contains(['|', '>', '<', '\'', '"']),
            "{file}: keep documented commands simple: {line}"
        );
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let output = run(&args, None);
        assert!(
            output.status.success(),
            "{file}: `{line}` failed: {}",
            stderr(&output)
        );
        assert!(
            !output.stdout.is_empty() || args[0] == "validate",
            "{file}: `{line}` printed nothing"
        );
        if let Some(path) = redirect {
            std::fs::write(path, &output.stdout)
                .unwrap_or_else(|e| panic!("{file}: cannot write {path}: {e}"));
        }
    }
}
