//! The dashboards (Grafana and the Azure Monitor workbook, both from
//! `crates/render/src/monitoring/dashboard.rs`) and the alert rules:
//! - every dashboard query and every alert expression parses as PromQL (GreptimeDB's
//!   `promql-parser`, and promtool, Prometheus' own parser) and names only metrics that exist:
//!   Neo4j's (the metrics table checked against Neo4j's reference), the operator's registry
//!   (`api::metrics::ALL`) and the kubelet's volume statistics;
//! - the Grafana dashboard decodes strictly into the Grafana Foundation SDK's dashboard types
//!   (testenv/grafana-sdk.sh builds the checker), and the checker does reject unknown fields;
//! - the Container Insights log queries name only the tables and columns Microsoft documents,
//!   parse and analyze cleanly with Microsoft's Kusto.Language against those tables
//!   (testenv/kusto.sh installs the checker), and docs/monitoring.md shows exactly them.
//!
//! promtool and the checkers are built by testenv/; scripts/test-all.sh requires them
//! (NEO4J_AKS_REQUIRE_PROMTOOL=1, NEO4J_AKS_REQUIRE_GRAFANA_SDK=1, NEO4J_AKS_REQUIRE_KQL_CHECK=1);
//! a plain `cargo test` skips those parts with a note when they are absent.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use neo4j_aks_render::crd::prometheus::{PrometheusRuleSpec, Rule, RuleGroup};
use neo4j_aks_render::monitoring::{dashboard, grafana, neo4j_metrics, rules, workbook};
use promql_parser::parser::{self, Expr};
use support::{repo_root, run, stdout};

/// Every series name a query may read.
fn known_metrics() -> BTreeSet<String> {
    let mut known: BTreeSet<String> = neo4j_metrics::ALL.iter().map(|m| m.series()).collect();
    known.extend(
        neo4j_aks_model::api::metrics::ALL
            .iter()
            .map(|s| s.to_string()),
    );
    known.extend(rules::KUBELET_METRICS.iter().map(|s| s.to_string()));
    known.extend(rules::CONTAINER_METRICS.iter().map(|s| s.to_string()));
    known
}

/// The metric names an expression selects, from its syntax tree: each vector or matrix
/// selector's name (or its `__name__` matcher).
fn metric_names(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Aggregate(e) => {
            metric_names(&e.expr, out);
            if let Some(param) = &e.param {
                metric_names(param, out);
            }
        }
        Expr::Unary(e) => metric_names(&e.expr, out),
        Expr::Binary(e) => {
            metric_names(&e.lhs, out);
            metric_names(&e.rhs, out);
        }
        Expr::Paren(e) => metric_names(&e.expr, out),
        Expr::Subquery(e) => metric_names(&e.expr, out),
        Expr::VectorSelector(vs) => selector_name(vs, out),
        Expr::MatrixSelector(ms) => selector_name(&ms.vs, out),
        Expr::Call(call) => {
            for arg in &call.args.args {
                metric_names(arg, out);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn selector_name(vs: &parser::VectorSelector, out: &mut Vec<String>) {
    let by_matcher = vs
        .matchers
        .matchers
        .iter()
        .find(|m| m.name == "__name__")
        .map(|m| m.value.clone());
    match vs.name.clone().or(by_matcher) {
        Some(name) => out.push(name),
        // A selector without a name would read every series: never meant.
        None => out.push(format!("<unnamed selector {vs}>")),
    }
}

fn names_in(query: &str) -> Result<Vec<String>, String> {
    let expr = parser::parse(query)?;
    let mut names = Vec::new();
    metric_names(&expr, &mut names);
    Ok(names)
}

/// Every query to check: the dashboard's as Grafana and as the workbook write them, and the
/// alert rules' for every cluster and for one cluster.
fn all_queries() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (form, vars) in [("grafana", grafana::VARS), ("workbook", workbook::VARS)] {
        for (origin, expr) in dashboard::promql(&vars) {
            out.push((format!("{form}: {origin}"), expr));
        }
    }
    for scope in [
        rules::Scope::All,
        rules::Scope::Cluster {
            namespace: "db".into(),
            name: "graph".into(),
        },
    ] {
        for rule in rules::spec(&scope).groups.iter().flat_map(|g| &g.rules) {
            out.push((
                format!("alert {}", rule.alert.as_deref().unwrap_or_default()),
                rule.expr.clone(),
            ));
        }
    }
    out
}

#[test]
fn the_metric_name_walker_finds_every_selector() {
    let names = names_in(
        "sum by (a) (rate(x_total{a=\"1\"}[5m])) / on (a) group_left max({__name__=\"y\"}) > bool scalar(z)",
    )
    .expect("parses");
    assert_eq!(names, ["x_total", "y", "z"]);
    assert!(
        names_in("sum(rate(x[5m])").is_err(),
        "unbalanced parenthesis"
    );
    assert!(
        names_in("x{a=\"$namespace\"} offset").is_err(),
        "offset without a duration"
    );
}

#[test]
fn every_dashboard_query_and_alert_expression_parses_and_names_only_exported_metrics() {
    let known = known_metrics();
    let queries = all_queries();
    assert!(queries.len() > 60, "{} queries", queries.len());
    let mut problems = Vec::new();
    for (origin, query) in &queries {
        match names_in(query) {
            Err(e) => problems.push(format!("{origin}: does not parse: {e}\n  {query}")),
            Ok(names) if names.is_empty() => {
                problems.push(format!("{origin}: names no metric: {query}"))
            }
            Ok(names) => {
                for name in names.into_iter().filter(|n| !known.contains(n)) {
                    problems.push(format!(
                        "{origin}: {name} is not a metric neo4j-aks knows is exported"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_dashboard_shows_every_operator_and_neo4j_metric() {
    let mut read = BTreeSet::new();
    for (_, query) in dashboard::promql(&grafana::VARS) {
        read.extend(names_in(&query).expect("parses"));
    }
    let missing: Vec<String> = known_metrics()
        .into_iter()
        .filter(|m| !read.contains(m))
        .collect();
    assert!(missing.is_empty(), "not on the dashboard: {missing:?}");
}

fn tool(var: &str, require: &str, build: &str) -> Option<PathBuf> {
    let path = std::env::var(var)
        .map(PathBuf::from)
        .ok()
        .filter(|p| p.exists());
    if path.is_none() {
        assert!(
            std::env::var(require).as_deref() != Ok("1"),
            "{var} is required; run {build} and eval \"$({} env)\"",
            build.trim_end_matches(" build")
        );
        eprintln!("skipped: {var} not set ({build})");
    }
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neo4j-aks-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run_tool(tool: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the tool runs");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// A rule file with one recording rule per query, so `promtool check rules` parses each.
fn recording_rules(queries: &[(String, String)]) -> PrometheusRuleSpec {
    PrometheusRuleSpec {
        groups: vec![RuleGroup {
            name: "neo4j-aks-dashboard-queries".into(),
            interval: None,
            rules: queries
                .iter()
                .enumerate()
                .map(|(i, (origin, expr))| Rule {
                    record: Some(format!("neo4j_aks:dashboard_query:{i}")),
                    expr: expr.clone(),
                    labels: [("origin".to_string(), origin.clone())].into(),
                    ..Rule::default()
                })
                .collect(),
        }],
    }
}

#[test]
fn promtool_parses_every_dashboard_query() {
    let Some(promtool) = tool(
        "NEO4J_AKS_PROMTOOL",
        "NEO4J_AKS_REQUIRE_PROMTOOL",
        "testenv/prometheus.sh build",
    ) else {
        return;
    };
    let dir = temp_dir("dashboard-queries");
    let mut queries = Vec::new();
    for (form, vars) in [("grafana", grafana::VARS), ("workbook", workbook::VARS)] {
        for (origin, expr) in dashboard::promql(&vars) {
            queries.push((format!("{form}: {origin}"), expr));
        }
    }
    let text = serde_saphyr::to_string(&recording_rules(&queries)).expect("rules serialize");
    std::fs::write(dir.join("queries.rules.yaml"), text).expect("write rules");
    let (ok, out) = run_tool(&promtool, &dir, &["check", "rules", "queries.rules.yaml"]);
    assert!(ok, "promtool rejected a dashboard query:\n{out}");
    assert!(
        out.contains(&format!("SUCCESS: {} rules found", queries.len())),
        "{out}"
    );
    // The same check fails on a query that does not parse.
    let broken = recording_rules(&[("broken".into(), "sum(rate(x[5m])".into())]);
    std::fs::write(
        dir.join("broken.rules.yaml"),
        serde_saphyr::to_string(&broken).expect("rules serialize"),
    )
    .expect("write rules");
    let (ok, out) = run_tool(&promtool, &dir, &["check", "rules", "broken.rules.yaml"]);
    assert!(!ok, "promtool accepted a broken query:\n{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn grafana_checker() -> Option<PathBuf> {
    tool(
        "NEO4J_AKS_GRAFANA_SDK_CHECK",
        "NEO4J_AKS_REQUIRE_GRAFANA_SDK",
        "testenv/grafana-sdk.sh build",
    )
}

#[test]
fn the_grafana_dashboard_decodes_strictly_into_the_foundation_sdk_types() {
    let Some(checker) = grafana_checker() else {
        return;
    };
    let committed = repo_root().join("deploy/monitoring/neo4j-aks.grafana.json");
    let (ok, out) = run_tool(
        &checker,
        &repo_root(),
        &[committed.to_str().expect("UTF-8 path")],
    );
    assert!(ok, "the Foundation SDK rejects the dashboard:\n{out}");
    println!("{out}");
    let sections = dashboard::sections(&grafana::VARS);
    let entries = sections.len() + sections.iter().map(|s| s.panels.len()).sum::<usize>();
    assert!(
        out.contains(&format!("{entries} rows and panels, 4 variables")),
        "{out}"
    );
}

/// An edit of a dashboard's JSON.
type Change = fn(&mut serde_json::Value);

#[test]
fn the_strict_checker_rejects_unknown_fields_and_wrong_types() {
    let Some(checker) = grafana_checker() else {
        return;
    };
    let generated: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["monitoring", "grafana-dashboard"], None)))
            .expect("dashboard JSON");
    let dir = temp_dir("grafana-strict");
    // (what is changed, the change, what the checker must say)
    let cases: [(&str, Change, &str); 4] = [
        (
            "unknown top-level field",
            |d| d["refreshIntervall"] = "1m".into(),
            "unexpected field 'refreshIntervall'",
        ),
        (
            "unknown panel field",
            |d| d["panels"][1]["gridPosition"] = serde_json::json!({}),
            "unexpected field 'gridPosition'",
        ),
        (
            "unknown stat option",
            |d| d["panels"][1]["options"]["colourMode"] = "value".into(),
            "colourMode",
        ),
        (
            "schemaVersion of the wrong type",
            |d| d["schemaVersion"] = "42".into(),
            "schemaVersion",
        ),
    ];
    assert_eq!(generated["panels"][1]["type"], "stat", "panel 1 is a stat");
    for (what, change, expected) in cases {
        let mut dashboard = generated.clone();
        change(&mut dashboard);
        let path = dir.join("dashboard.json");
        std::fs::write(
            &path,
            serde_json::to_string(&dashboard).expect("serializes"),
        )
        .expect("write");
        let (ok, out) = run_tool(&checker, &dir, &[path.to_str().expect("UTF-8 path")]);
        assert!(!ok, "{what}: the checker accepted it:\n{out}");
        assert!(out.contains(expected), "{what}: {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// KQL operators, functions and keywords the log queries use (lowercase in KQL).
fn is_kql_word(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

#[test]
fn log_queries_name_only_documented_tables_and_columns() {
    for vars in [workbook::LOG_VARS, dashboard::DOCS_LOG_VARS] {
        for query in dashboard::log_queries(&vars) {
            let table = query.kql.lines().next().unwrap_or_default();
            let (_, columns) = dashboard::LOG_TABLES
                .iter()
                .find(|(t, _)| *t == table)
                .unwrap_or_else(|| panic!("{}: unknown table {table}", query.title));
            // Columns the query defines itself (`Name = …`).
            let defined: Vec<&str> = query
                .kql
                .split(['(', ',', '|', '\n'])
                .filter_map(|part| part.trim().split_once(" = ").map(|(n, _)| n.trim()))
                .map(|n| n.rsplit(' ').next().unwrap_or(n))
                .collect();
            let mut outside_strings = String::new();
            for (i, piece) in query.kql.split('\'').enumerate() {
                if i % 2 == 0 {
                    outside_strings.push_str(piece);
                    outside_strings.push(' ');
                }
            }
            for word in outside_strings
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty() && !w.starts_with(|c: char| c.is_ascii_digit()))
            {
                assert!(
                    is_kql_word(word)
                        || word == table
                        || columns.iter().any(|(c, _)| *c == word)
                        || defined.contains(&word)
                        || word == "TimeRange",
                    "{}: {word} is not a column of {table} (Microsoft's table reference)",
                    query.title
                );
            }
        }
    }
}

#[test]
fn the_docs_show_the_workbooks_log_queries() {
    let docs = std::fs::read_to_string(repo_root().join("docs/monitoring.md")).expect("docs");
    for query in dashboard::log_queries(&dashboard::DOCS_LOG_VARS) {
        let block = format!("```kusto\n{}\n```", query.kql);
        assert!(
            docs.contains(&block),
            "docs/monitoring.md lacks the log query \"{}\" as generated:\n{block}",
            query.title
        );
        // The workbook's query is the same with its parameters in place of the values.
        let in_workbook = dashboard::log_queries(&workbook::LOG_VARS)
            .into_iter()
            .find(|q| q.title == query.title)
            .expect("same queries");
        assert_eq!(
            in_workbook
                .kql
                .replace("{TimeRange}", dashboard::DOCS_LOG_VARS.time)
                .replace("{namespace}", dashboard::DOCS_LOG_VARS.namespace)
                .replace("{cluster}", dashboard::DOCS_LOG_VARS.cluster),
            query.kql
        );
    }
}

#[test]
fn the_workbook_carries_every_dashboard_query() {
    let text = stdout(&run(&["monitoring", "azure-workbook"], None));
    let wb: serde_json::Value = serde_json::from_str(&text).expect("workbook JSON");
    assert_eq!(wb["version"], "Notebook/1.0");
    let texts: Vec<String> = wb["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["content"]["queryType"] == 16)
        .filter_map(|i| {
            let inner: serde_json::Value =
                serde_json::from_str(i["content"]["query"].as_str()?).ok()?;
            Some(inner["queryText"].as_str()?.to_string())
        })
        .collect();
    for section in dashboard::sections(&workbook::VARS) {
        for panel in section.panels {
            for query in panel.queries {
                assert!(
                    texts.contains(&query.expr),
                    "{}: {}",
                    panel.title,
                    query.expr
                );
            }
        }
    }
}

/// What testenv/kusto/kql-check.js reads.
#[derive(serde::Serialize)]
struct KqlCheck {
    tables: Vec<KqlTable>,
    queries: Vec<KqlQuery>,
}

#[derive(serde::Serialize)]
struct KqlTable {
    name: String,
    /// `(Column:type, …)`, Kusto's table schema notation.
    schema: String,
}

#[derive(serde::Serialize)]
struct KqlQuery {
    name: String,
    kql: String,
}

fn kql_check(checker: &Path, dir: &Path, queries: Vec<KqlQuery>) -> (bool, String) {
    let input = KqlCheck {
        tables: dashboard::LOG_TABLES
            .iter()
            .map(|(name, columns)| KqlTable {
                name: name.to_string(),
                schema: format!(
                    "({})",
                    columns
                        .iter()
                        .map(|(c, t)| format!("{c}:{t}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect(),
        queries,
    };
    let path = dir.join("kql.json");
    std::fs::write(&path, serde_json::to_string(&input).expect("serializes")).expect("write");
    let node = PathBuf::from("node");
    run_tool(
        &node,
        dir,
        &[
            checker.to_str().expect("UTF-8 path"),
            path.to_str().expect("UTF-8 path"),
        ],
    )
}

#[test]
fn kusto_parses_and_analyzes_every_log_query_against_the_documented_tables() {
    let Some(checker) = tool(
        "NEO4J_AKS_KQL_CHECK",
        "NEO4J_AKS_REQUIRE_KQL_CHECK",
        "testenv/kusto.sh build",
    ) else {
        return;
    };
    let dir = temp_dir("kql-check");
    // The workbook's queries with its parameters expanded (`{TimeRange}` is not KQL; the
    // workbook replaces it before the query runs), which is what docs/monitoring.md shows.
    let queries: Vec<KqlQuery> = dashboard::log_queries(&dashboard::DOCS_LOG_VARS)
        .into_iter()
        .map(|q| KqlQuery {
            name: q.title.into(),
            kql: q.kql,
        })
        .collect();
    let count = queries.len();
    let (ok, out) = kql_check(&checker, &dir, queries);
    assert!(ok, "Kusto.Language reports errors:\n{out}");
    assert_eq!(out.matches(": ok").count(), count, "{out}");
    println!("{out}");
    // The checker fails on a column the table does not have, and on broken syntax.
    for (what, kql) in [
        ("unknown column", "KubeEvents\n| where Reasons == 'x'"),
        ("broken syntax", "KubeEvents\n| wher Reason == 'x'"),
    ] {
        let (ok, out) = kql_check(
            &checker,
            &dir,
            vec![KqlQuery {
                name: what.into(),
                kql: kql.into(),
            }],
        );
        assert!(!ok, "{what}: accepted:\n{out}");
        assert!(out.contains("Error"), "{what}: {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
