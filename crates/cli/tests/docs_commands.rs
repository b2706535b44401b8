//! Every `neo4j-aks` command shown in README.md and docs/**/*.md runs and succeeds.
//! (`scripts/test-all.sh` and the testenv commands are what CI itself runs.) Commands that need
//! a running cluster stand in ```shell blocks and run where that cluster exists: those of
//! docs/runbooks/certificate-rotation.md in crates/cli/tests/day2_operator.rs. Each ```shell block
//! says where it runs (`<!-- runs-in: TEST FILE -->`) or why it cannot run here
//! (`<!-- not-run: REASON -->`); `every_shell_block_runs_in_a_test_or_says_why_not` checks and
//! counts them.

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

/// Every relative link and every repository path in backquotes in README.md and docs/**/*.md
/// names a file that is in the repository: no document points at one that is not.
#[test]
fn documented_paths_exist() {
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    let mut pending = vec![root.join("docs")];
    while let Some(dir) = pending.pop() {
        for path in std::fs::read_dir(&dir)
            .expect("docs/ is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
        {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                files.push(path);
            }
        }
    }
    let mut missing = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("doc is readable");
        let dir = file.parent().expect("a doc is in a directory");
        // Markdown links: `](target)` or `](target#anchor)`, relative to the document.
        for piece in text.split("](").skip(1) {
            let target = piece.split([')', '#', ' ']).next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !dir.join(target).exists() {
                missing.push(format!("{}: link {target}", file.display()));
            }
        }
        // Nothing outside the repository (the team's workspace is not the reader's).
        for outside in ["/work/", "../shared/"] {
            if text.contains(outside) {
                missing.push(format!("{}: refers to {outside}", file.display()));
            }
        }
        // Paths in backquotes that start at the repository root.
        for (i, piece) in text.split('`').enumerate() {
            let is_code = i % 2 == 1;
            let rooted = [
                "docs/",
                "crates/",
                "scripts/",
                "testenv/",
                "deploy/",
                "examples/",
            ]
            .iter()
            .any(|p| piece.starts_with(p));
            let literal = !piece.contains([' ', '*', '<', '{', '$']);
            if is_code && rooted && literal {
                // `file.rs::test_name` names a test in that file.
                let path = piece.split("::").next().unwrap_or(piece);
                let path = path.trim_end_matches(['.', ',', ':', ';']);
                if !root.join(path).exists() {
                    missing.push(format!("{}: path {path}", file.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// What the ```shell blocks of the pages say about themselves.
#[derive(Default)]
struct Tally {
    ran: Vec<String>,
    reasons: Vec<String>,
    problems: Vec<String>,
    commands_in_text: usize,
}

impl Tally {
    /// Reads one page (`page` relative to `root`).
    fn page(&mut self, root: &std::path::Path, page: &str, text: &str) {
        let mut previous = "";
        let mut fence: Option<&str> = None;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with("```") {
                fence = match fence {
                    Some(_) => None,
                    None => Some(trimmed),
                };
                if fence == Some("```shell") {
                    self.block(root, page, n + 1, previous);
                }
            } else if fence == Some("```text")
                && page.starts_with("docs/runbooks/")
                && ["neo4j-aks ", "kubectl ", "helm ", "az "]
                    .iter()
                    .any(|c| trimmed.starts_with(c))
            {
                self.commands_in_text += 1;
            }
            if !trimmed.is_empty() {
                previous = trimmed;
            }
        }
    }

    /// A ```shell block at `page:line`, `previous` the line before it.
    fn block(&mut self, root: &std::path::Path, page: &str, line: usize, previous: &str) {
        let marker = if let Some(path) = previous
            .strip_prefix("<!-- runs-in: ")
            .and_then(|r| r.strip_suffix(" -->"))
        {
            ShellBlock::RunsIn(path.trim().to_string())
        } else if let Some(why) = previous
            .strip_prefix("<!-- not-run: ")
            .and_then(|r| r.strip_suffix(" -->"))
        {
            ShellBlock::NotRun(why.trim().to_string())
        } else {
            ShellBlock::Unmarked
        };
        let at = format!("{page}:{line}");
        match marker {
            ShellBlock::RunsIn(test) => match std::fs::read_to_string(root.join(&test)) {
                Ok(source) if source.contains(page) => self.ran.push(at),
                Ok(_) => self.problems.push(format!(
                    "{at}: {test} does not name {page}, so it cannot run this block"
                )),
                Err(_) => self.problems.push(format!("{at}: no test file {test}")),
            },
            ShellBlock::NotRun(why) if why.len() >= 10 => self.reasons.push(format!("{at}: {why}")),
            ShellBlock::NotRun(_) => self
                .problems
                .push(format!("{at}: a not-run reason says too little")),
            ShellBlock::Unmarked => self.problems.push(format!(
                "{at}: a ```shell block needs <!-- runs-in: TEST FILE --> or <!-- not-run: REASON --> on the line before"
            )),
        }
    }
}

#[test]
fn unmarked_unlinked_and_unexplained_shell_blocks_are_problems() {
    let root = repo_root();
    let mut tally = Tally::default();
    let page = "docs/runbooks/upgrade.md";
    tally.page(
        &root,
        page,
        "<!-- runs-in: crates/cli/tests/day2_operator.rs -->\n```shell\nneo4j-aks status db\n```\n\n\
         <!-- runs-in: crates/cli/tests/install.rs -->\n```shell\nx\n```\n\
         <!-- runs-in: crates/cli/tests/nothing.rs -->\n```shell\nx\n```\n\
         <!-- not-run: no -->\n```shell\nx\n```\n\
         <!-- not-run: needs a real AKS node pool -->\n```shell\nx\n```\n\
         ```shell\nx\n```\n```text\nkubectl get pods\n```\n",
    );
    assert_eq!(tally.ran, [format!("{page}:2")]);
    assert_eq!(tally.reasons.len(), 1, "{:?}", tally.reasons);
    assert_eq!(tally.problems.len(), 4, "{:#?}", tally.problems);
    assert!(tally.problems[0].contains("install.rs does not name"));
    assert!(tally.problems[1].contains("no test file"));
    assert!(tally.problems[2].contains("says too little"));
    assert!(tally.problems[3].contains("needs <!-- runs-in"));
    assert_eq!(tally.commands_in_text, 1);
}

/// The marker before a ```shell block: the test that runs it, or why it cannot run here.
enum ShellBlock {
    RunsIn(String),
    NotRun(String),
    Unmarked,
}

/// Every ```shell block of README.md and docs/ (commands that need a cluster) either runs in a
/// test, marked `<!-- runs-in: crates/…/tests/file.rs -->` on the line before it, where that file
/// exists and names the page (the test reads its commands from there), or carries
/// `<!-- not-run: why -->`. The count of each is printed; an unmarked block fails.
#[test]
fn every_shell_block_runs_in_a_test_or_says_why_not() {
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    let mut pending = vec![root.join("docs")];
    while let Some(dir) = pending.pop() {
        for path in std::fs::read_dir(&dir)
            .expect("docs/ is readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
        {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut tally = Tally::default();
    for file in &files {
        let page = file
            .strip_prefix(&root)
            .expect("under the root")
            .display()
            .to_string();
        let text = std::fs::read_to_string(file).expect("doc is readable");
        tally.page(&root, &page, &text);
    }
    let Tally {
        ran,
        reasons,
        problems,
        commands_in_text,
    } = tally;
    println!(
        "shell blocks: {} run by tests, {} not run here with a reason",
        ran.len(),
        reasons.len()
    );
    for reason in &reasons {
        println!("  not run: {reason}");
    }
    // Runbook commands still shown as plain text (neither run nor accounted for); reported so
    // the number only goes down.
    println!("runbook command lines in ```text blocks: {commands_in_text}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(ran.len() >= 7, "{ran:?}");
}
