//! The alert rules: promtool accepts them and their unit tests pass (the cluster-independent
//! file and a cluster's own PrometheusRule) and every runbook they link exists; that every
//! metric they name is exported is checked on their syntax tree in tests/dashboards.rs.
//! promtool is built by testenv/prometheus.sh; scripts/test-all.sh requires it (NEO4J_AKS_REQUIRE_PROMTOOL=1), a
//! plain `cargo test` skips the promtool part with a note when it is absent.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use neo4j_aks_render::monitoring::rules;
use support::repo_root;

fn promtool() -> Option<PathBuf> {
    let path = std::env::var("NEO4J_AKS_PROMTOOL")
        .map(PathBuf::from)
        .ok()
        .filter(|p| p.exists());
    if path.is_none() {
        assert!(
            std::env::var("NEO4J_AKS_REQUIRE_PROMTOOL").as_deref() != Ok("1"),
            "promtool is required; run testenv/prometheus.sh build and eval \"$(testenv/prometheus.sh env)\""
        );
        eprintln!("skipped: promtool not built (testenv/prometheus.sh build)");
    }
    path
}

fn promtool_ok(promtool: &Path, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(promtool)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn promtool_checks_and_unit_tests_the_committed_rules() {
    let Some(promtool) = promtool() else { return };
    let dir = repo_root().join("deploy/monitoring");
    let checked = promtool_ok(&promtool, &dir, &["check", "rules", "neo4j-aks.rules.yaml"]);
    assert!(
        checked.contains(&format!("SUCCESS: {} rules found", rules::ALERTS.len())),
        "{checked}"
    );
    let tested = promtool_ok(
        &promtool,
        &dir,
        &["test", "rules", "neo4j-aks.rules.test.yaml"],
    );
    println!("{checked}{tested}");
}

#[test]
fn a_clusters_own_prometheus_rule_passes_the_same_tests() {
    let Some(promtool) = promtool() else { return };
    // The tests' series belong to the cluster neo4j/neo4j: its scoped rules must fire on them.
    let mut cluster = serde_saphyr::from_str::<neo4j_aks_model::Neo4jCluster>(
        "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {name: neo4j, namespace: neo4j}\nspec:\n  neo4jVersion: \"5.26.16\"\n  nodeCount: 3\n  acceptLicenseAgreement: \"yes\"\n  monitoring: {enabled: true}\n",
    )
    .expect("spec parses");
    cluster.metadata.namespace = Some(rules::TEST_NAMESPACE.into());
    let rendered = neo4j_aks_render::render(&cluster).expect("renders");
    let rule = rendered
        .objects
        .iter()
        .find_map(|o| match o {
            neo4j_aks_render::Object::PrometheusRule(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a PrometheusRule is rendered");
    let dir = std::env::temp_dir().join(format!("neo4j-aks-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("cluster.rules.yaml"),
        serde_saphyr::to_string(&rule.spec).expect("rules serialize"),
    )
    .expect("write rules");
    let tests = serde_saphyr::to_string(&neo4j_aks_render::monitoring::promtool::tests(
        "cluster.rules.yaml",
    ))
    .expect("tests serialize");
    std::fs::write(dir.join("cluster.rules.test.yaml"), tests).expect("write tests");
    promtool_ok(&promtool, &dir, &["check", "rules", "cluster.rules.yaml"]);
    promtool_ok(
        &promtool,
        &dir,
        &["test", "rules", "cluster.rules.test.yaml"],
    );
    // Scoped: another cluster's series do not fire this cluster's alerts.
    let other = std::fs::read_to_string(dir.join("cluster.rules.test.yaml"))
        .expect("read tests")
        .replace("cluster=\\\"neo4j\\\"", "cluster=\\\"other\\\"")
        .replace("cluster=\"neo4j\"", "cluster=\"other\"")
        .replace("data-neo4j-0", "data-other-0");
    std::fs::write(dir.join("other.rules.test.yaml"), other).expect("write tests");
    let output = Command::new(&promtool)
        .args(["test", "rules", "other.rules.test.yaml"])
        .current_dir(&dir)
        .output()
        .expect("promtool runs");
    assert!(
        !output.status.success(),
        "another cluster's series fired none of the expected alerts, so the tests must fail"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_alert_has_for_severity_annotations_and_an_existing_runbook() {
    let spec = rules::spec(&rules::Scope::All);
    let all: Vec<_> = spec.groups.iter().flat_map(|g| &g.rules).collect();
    assert_eq!(all.len(), rules::ALERTS.len());
    for rule in all {
        let name = rule.alert.as_deref().expect("alerting rules only");
        assert!(rule.for_.is_some(), "{name} has no `for`");
        assert!(
            ["critical", "high", "medium", "low"].contains(
                &rule
                    .labels
                    .get("severity")
                    .map(String::as_str)
                    .unwrap_or("")
            ),
            "{name}: severity"
        );
        for key in ["summary", "description", "runbook_url"] {
            assert!(
                rule.annotations.get(key).is_some_and(|v| !v.is_empty()),
                "{name}: {key}"
            );
        }
        let url = &rule.annotations["runbook_url"];
        let page = url
            .strip_prefix(rules::RUNBOOK_BASE_URL)
            .unwrap_or_else(|| panic!("{name}: {url} is not under {}", rules::RUNBOOK_BASE_URL));
        let path = repo_root().join("docs/runbooks").join(page);
        assert!(
            path.exists(),
            "{name}: runbook {} is missing",
            path.display()
        );
        let text = std::fs::read_to_string(&path).expect("runbook reads");
        assert!(
            text.contains(name),
            "{} does not mention {name}",
            path.display()
        );
    }
}
