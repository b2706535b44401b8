//! The rendered NetworkPolicies checked by an independent analyzer, cyclonus
//! (github.com/mattfenwick/cyclonus, built by testenv/netpol-analyzer.sh): for every example, the
//! policies and a set of representative pods go into a directory, cyclonus computes which pod
//! may reach which on each port (`analyze --mode probe`), and the verdicts are compared with the
//! explicit tables below.
//!
//! The representative pods carry the labels the renderer really puts on its pods (read from the
//! rendered StatefulSet and CronJobs); the others are what a cluster has around them: clients in
//! the cluster's namespace, in `app` and in `other`, a Prometheus in `monitoring`, the operator in
//! `neo4j-aks-system`, kube-dns in `kube-system`, and addresses outside the cluster (stand-ins
//! for load-balancer clients, Azure Blob and the API server) as pods of a namespace no policy
//! names, so that only their IP can match. Every pod listens on every probed port.
//!
//! A table row `(from, to, port, verdict)` names pods by role or group. Every row must hold, and
//! every connection from or to a pod the policies select that the analyzer allows must be allowed
//! by a row: nothing is open that the table does not say.
//!
//! Without the analyzer the test prints `skipped: ...`; with
//! `NEO4J_AKS_REQUIRE_NETPOL_ANALYZER=1` (scripts/test-all.sh) it fails instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_render::{Object, network_policy, ports};
use serde_json::{Value, json};

/// `(from, to, port, allowed)`; a port is `"7687"` (TCP) or `"53/UDP"`.
type Row = (&'static str, &'static str, &'static str, bool);

/// Every probed port: the members' ports, the ones later features add (HTTPS, metrics), discovery
/// v1, DNS, HTTPS egress and an arbitrary one.
const PROBED: [&str; 13] = [
    "6000", "5000", "7000", "7688", "7687", "7474", "7473", "6362", "2004", "443", "8080",
    "53/UDP", "53/TCP",
];

/// Roles of the pods no policy selects; `outside` is any of them.
const OUTSIDE: [&str; 11] = [
    "client-ns",
    "client-app",
    "client-other",
    "monitoring",
    "operator",
    "dns",
    "vnet",
    "range-203",
    "range-198",
    "internet",
    "azure",
];

/// What holds for every example.
const COMMON: &[Row] = &[
    // DNS, and only to kube-dns.
    ("member", "dns", "53/UDP", true),
    ("member", "dns", "53/TCP", true),
    ("member", "client-ns", "53/UDP", false),
    ("member", "internet", "53/UDP", false),
    // The operator's Bolt (day-2 operations, status).
    ("operator", "member", "7687", true),
    // Nothing listens on 5000 (discovery v1 off); the backup port is the Job's only.
    ("member", "member", "5000", false),
    ("member", "member", "6362", false),
    ("dns", "member", "6362", false),
    ("client-ns", "member", "6362", false),
    // Members open nothing else.
    ("member", "internet", "8080", false),
    ("member", "client-ns", "7687", false),
    ("member", "operator", "8080", false),
    ("member", "member", "7687", false),
];

/// No HTTPS without spec.tls: nothing listens on 7473.
const NO_HTTPS: &[Row] = &[("client-ns", "member", "7473", false)];

/// examples/cluster-3-tls.yaml: HTTPS replaces HTTP; an internal load balancer without source
/// ranges admits any address.
const TLS_CLIENTS: &[Row] = &[
    ("client-ns", "member", "7473", true),
    ("outside", "member", "7473", true),
    ("outside", "member", "7687", true),
    ("client-ns", "member", "7474", false),
    ("outside", "member", "7474", false),
    ("client-other", "member", "6000", false),
];

/// No metrics port on the members (spec.monitoring off): nobody scrapes.
const NO_METRICS: &[Row] = &[
    ("monitoring", "member", "2004", false),
    ("dns", "member", "2004", false),
];

/// Members of a cluster (not a standalone server) talk on the cluster ports, both ways.
const PEERS: &[Row] = &[
    ("member", "member", "6000", true),
    ("member", "member", "7000", true),
    ("member", "member", "7688", true),
    ("client-ns", "member", "6000", false),
    ("client-other", "member", "7000", false),
    ("operator", "member", "7688", false),
];

/// The K8S resolver reaches the API server: port 443 on any address by default.
const K8S_API: &[Row] = &[("member", "outside", "443", true)];

/// No resolver needs the API server, no seed step needs Azure.
const NO_API: &[Row] = &[
    ("member", "azure", "443", false),
    ("member", "dns", "443", false),
];

/// An internal load balancer without source ranges admits any address, and so do the policies.
const OPEN_CLIENTS: &[Row] = &[
    ("outside", "member", "7687", true),
    ("outside", "member", "7474", true),
    ("client-other", "member", "6000", false),
    ("internet", "member", "7000", false),
];

/// examples/standalone.yaml: namespace `dev` and the load balancer's 203.0.113.0/24.
const STANDALONE_CLIENTS: &[Row] = &[
    ("client-ns", "member", "7687", true),
    ("client-ns", "member", "7474", true),
    ("range-203", "member", "7687", true),
    ("range-203", "member", "7474", true),
    ("client-app", "member", "7687", false),
    ("client-other", "member", "7474", false),
    ("range-198", "member", "7687", false),
    ("internet", "member", "7687", false),
    ("monitoring", "member", "7687", false),
    ("dns", "member", "7687", false),
    ("operator", "member", "7474", false),
    ("member", "member", "6000", false),
];

/// examples/cluster-3-2025.yaml: namespace `neo4j` and the load balancer's 198.51.100.0/24.
const CATALOG_CLIENTS: &[Row] = &[
    ("client-ns", "member", "7687", true),
    ("client-ns", "member", "7474", true),
    ("range-198", "member", "7687", true),
    ("range-198", "member", "7474", true),
    ("client-other", "member", "7687", false),
    ("range-203", "member", "7687", false),
    ("vnet", "member", "7687", false),
    ("internet", "member", "7474", false),
    ("operator", "member", "7474", false),
];

/// examples/cluster-3-backup.yaml: `clients` lists `graph`, `app` and 10.20.0.0/16.
const BACKUP_CLIENTS: &[Row] = &[
    ("client-ns", "member", "7687", true),
    ("client-ns", "member", "7474", true),
    ("client-app", "member", "7687", true),
    ("client-app", "member", "7474", true),
    ("vnet", "member", "7687", true),
    ("vnet", "member", "7474", true),
    ("client-other", "member", "7687", false),
    ("internet", "member", "7687", false),
    ("monitoring", "member", "7474", false),
];

/// The backup Job reaches the members' backup port and Bolt, DNS and Azure Blob; the verification
/// Job only DNS and Azure Blob; nothing reaches either.
const BACKUP_JOBS: &[Row] = &[
    ("backup", "member", "6362", true),
    ("backup", "member", "7687", true),
    ("backup", "dns", "53/UDP", true),
    ("backup", "dns", "53/TCP", true),
    ("backup", "outside", "443", true),
    ("verification", "dns", "53/UDP", true),
    ("verification", "dns", "53/TCP", true),
    ("verification", "outside", "443", true),
    ("backup", "member", "7474", false),
    ("backup", "member", "6000", false),
    ("backup", "client-ns", "7687", false),
    ("verification", "member", "6362", false),
    ("verification", "member", "7687", false),
    ("member", "backup", "6362", false),
    ("member", "verification", "443", false),
    ("client-ns", "backup", "8080", false),
    ("backup", "verification", "443", false),
];

/// examples/cluster-3-k8s.yaml with the metrics port spec.monitoring adds: scraped from the default
/// metrics namespaces, `monitoring` and `kube-system`, only.
const METRICS: &[Row] = &[
    ("monitoring", "member", "2004", true),
    ("dns", "member", "2004", true),
    ("client-ns", "member", "2004", false),
    ("client-other", "member", "2004", false),
    ("member", "member", "2004", false),
];

struct Case {
    example: &'static str,
    with_metrics_port: bool,
    tables: &'static [&'static [Row]],
}

const CASES: &[Case] = &[
    Case {
        example: "standalone.yaml",
        with_metrics_port: false,
        tables: &[COMMON, NO_HTTPS, NO_METRICS, NO_API, STANDALONE_CLIENTS],
    },
    Case {
        example: "cluster-3-k8s.yaml",
        with_metrics_port: false,
        tables: &[COMMON, NO_HTTPS, NO_METRICS, PEERS, K8S_API, OPEN_CLIENTS],
    },
    Case {
        example: "cluster-5-srv.yaml",
        with_metrics_port: false,
        tables: &[COMMON, NO_HTTPS, NO_METRICS, PEERS, NO_API, OPEN_CLIENTS],
    },
    // spec.monitoring is on in this example: its members expose the metrics port.
    Case {
        example: "cluster-3-2025.yaml",
        with_metrics_port: false,
        tables: &[COMMON, NO_HTTPS, METRICS, PEERS, K8S_API, CATALOG_CLIENTS],
    },
    Case {
        example: "cluster-3-backup.yaml",
        with_metrics_port: false,
        tables: &[
            COMMON,
            NO_HTTPS,
            NO_METRICS,
            PEERS,
            K8S_API,
            BACKUP_CLIENTS,
            BACKUP_JOBS,
        ],
    },
    // Seeding members also reach Azure Blob on 443, which the K8S resolver's rule already opens.
    Case {
        example: "cluster-3-restore.yaml",
        with_metrics_port: false,
        tables: &[COMMON, NO_HTTPS, NO_METRICS, PEERS, K8S_API, OPEN_CLIENTS],
    },
    Case {
        example: "cluster-3-tls.yaml",
        with_metrics_port: false,
        tables: &[COMMON, NO_METRICS, PEERS, K8S_API, TLS_CLIENTS],
    },
    // The CSI driver fetches the Key Vault secret from the node, not from the member pods: the
    // members' rules are those of cluster-3-k8s.yaml, which this example extends.
    Case {
        example: "cluster-3-keyvault.yaml",
        with_metrics_port: false,
        tables: &[COMMON, NO_HTTPS, NO_METRICS, PEERS, K8S_API, OPEN_CLIENTS],
    },
    Case {
        example: "cluster-3-k8s.yaml",
        with_metrics_port: true,
        tables: &[COMMON, NO_HTTPS, METRICS, PEERS, K8S_API, OPEN_CLIENTS],
    },
];

#[test]
fn every_example_allows_exactly_what_its_table_says() {
    let Some(analyzer) = analyzer() else {
        return;
    };
    let mut failures = Vec::new();
    for case in CASES {
        let label = format!(
            "{}{}",
            case.example,
            if case.with_metrics_port {
                " + metrics port"
            } else {
                ""
            }
        );
        let (policies, pods) = render(case);
        let verdicts = run_cyclonus(&analyzer, &label, &policies, &pods);
        failures.extend(
            compare(&pods, &verdicts, case.tables)
                .into_iter()
                .map(|f| format!("{label}: {f}")),
        );
    }
    assert!(
        failures.is_empty(),
        "the analyzer disagrees with the tables:\n{}",
        failures.join("\n")
    );
}

/// A pod of the synthetic cluster: its role in the tables, where it is and what selects it.
#[derive(Clone, Debug)]
struct Pod {
    role: &'static str,
    namespace: String,
    name: String,
    labels: BTreeMap<String, String>,
    ip: String,
}

impl Pod {
    fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Selected by one of the cluster's policies.
    fn isolated(&self) -> bool {
        matches!(self.role, "member" | "backup" | "verification")
    }

    fn in_group(&self, group: &str) -> bool {
        self.role == group || (group == "outside" && OUTSIDE.contains(&self.role))
    }
}

/// The example's NetworkPolicies (as a NetworkPolicyList) and the representative pods.
fn render(case: &Case) -> (Value, Vec<Pod>) {
    let path = repo_root().join("examples").join(case.example);
    let text = std::fs::read_to_string(&path).expect("example readable");
    let cluster = Neo4jCluster::from_yaml(&text).expect("example parses");
    let rendered = neo4j_aks_render::render(&cluster).expect("example renders");
    let mut objects = rendered.objects.clone();
    if case.with_metrics_port {
        // What spec.monitoring adds to the members' container ports.
        let mut member_ports = ports::member_ports(&rendered.cluster);
        member_ports.push(("metrics".to_string(), ports::METRICS));
        objects.retain(|o| !matches!(o, Object::NetworkPolicy(_)));
        objects.extend(
            network_policy::build_for_ports(&rendered.cluster, &member_ports)
                .into_iter()
                .map(Object::NetworkPolicy),
        );
    }
    let values: Vec<Value> = objects.iter().map(Object::to_value).collect();
    let policies: Vec<Value> = values
        .iter()
        .filter(|v| v["kind"] == "NetworkPolicy")
        .cloned()
        .collect();
    assert!(!policies.is_empty(), "{}: no NetworkPolicy", case.example);
    let list = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": policies});
    let ns = rendered.cluster.namespace.clone();
    let mut pods = Vec::new();
    let mut next_ip = 10;
    let mut pod =
        |role: &'static str, namespace: &str, name: String, labels: BTreeMap<String, String>| {
            next_ip += 1;
            pods.push(Pod {
                role,
                namespace: namespace.to_string(),
                name,
                labels,
                ip: format!("10.244.0.{next_ip}"),
            });
        };
    let statefulset = values
        .iter()
        .find(|v| v["kind"] == "StatefulSet")
        .expect("a StatefulSet");
    let member_labels = labels_of(&statefulset["spec"]["template"]["metadata"]["labels"]);
    for i in 0..statefulset["spec"]["replicas"].as_i64().unwrap_or(1) {
        let mut labels = member_labels.clone();
        labels.insert(
            "statefulset.kubernetes.io/pod-name".into(),
            format!("{}-{i}", rendered.cluster.name),
        );
        pod("member", &ns, format!("member-{i}"), labels);
    }
    for cronjob in values.iter().filter(|v| v["kind"] == "CronJob") {
        let labels =
            labels_of(&cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]);
        let role = match labels
            .get("app.kubernetes.io/component")
            .map(String::as_str)
        {
            Some("backup") => "backup",
            Some("backup-verification") => "verification",
            other => panic!("a CronJob of unknown component {other:?}"),
        };
        // The Job controller adds these to the pods.
        let mut labels = labels;
        labels.insert("batch.kubernetes.io/job-name".into(), format!("{role}-1"));
        pod(role, &ns, format!("{role}-1-x"), labels);
    }
    let client = || BTreeMap::from([("app".to_string(), "client".to_string())]);
    pod("client-ns", &ns, "client".into(), client());
    pod("client-app", "app", "client".into(), client());
    pod("client-other", "other", "client".into(), client());
    pod(
        "monitoring",
        "monitoring",
        "prometheus-0".into(),
        BTreeMap::from([("app.kubernetes.io/name".into(), "prometheus".into())]),
    );
    pod(
        "operator",
        "neo4j-aks-system",
        "operator".into(),
        operator_pod_labels(),
    );
    pod(
        "dns",
        "kube-system",
        "coredns".into(),
        BTreeMap::from([("k8s-app".into(), "kube-dns".into())]),
    );
    // Outside the cluster: only their address can match a rule.
    for (role, ip) in [
        ("vnet", "10.20.5.5"),
        ("range-203", "203.0.113.9"),
        ("range-198", "198.51.100.9"),
        ("internet", "192.0.2.55"),
        ("azure", "20.60.40.4"),
    ] {
        pods.push(Pod {
            role,
            namespace: "external".into(),
            name: role.into(),
            labels: BTreeMap::new(),
            ip: ip.into(),
        });
    }
    (list, pods)
}

fn labels_of(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .expect("labels")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// The operator pods' labels as deploy/operator/operator.yaml gives them.
fn operator_pod_labels() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("deploy/operator/operator.yaml"))
        .expect("operator.yaml");
    for doc in text.split("\n---\n") {
        let Ok(value) = serde_saphyr::from_str::<Value>(doc) else {
            continue;
        };
        if value["kind"] == "Deployment" {
            return labels_of(&value["spec"]["template"]["metadata"]["labels"]);
        }
    }
    panic!("deploy/operator/operator.yaml has no Deployment");
}

/// `(from key, to key, port) -> allowed`, as cyclonus computes it.
type Verdicts = BTreeMap<(String, String, &'static str), bool>;

fn run_cyclonus(analyzer: &Path, label: &str, policies: &Value, pods: &[Pod]) -> Verdicts {
    let dir = std::env::temp_dir().join(format!(
        "neo4j-aks-netpol-{}-{}",
        std::process::id(),
        label.replace(['/', ' ', '+'], "_")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).expect("temp dir");
    std::fs::write(
        dir.join("policies/policies.json"),
        serde_json::to_string_pretty(policies).expect("json"),
    )
    .expect("write policies");
    let namespaces: BTreeSet<&str> = pods.iter().map(|p| p.namespace.as_str()).collect();
    let probes: Vec<Value> = PROBED
        .iter()
        .map(|p| {
            let (port, protocol) = port_protocol(p);
            json!({"Port": port, "Protocol": protocol})
        })
        .collect();
    let containers: Vec<Value> = PROBED
        .iter()
        .map(|p| {
            let (port, protocol) = port_protocol(p);
            json!({"Name": format!("p{port}-{}", protocol.to_lowercase()), "Port": port, "Protocol": protocol, "PortName": format!("p{port}")})
        })
        .collect();
    let model = json!({
        "Resources": {
            "Namespaces": namespaces.iter().map(|n| (n.to_string(), json!({"kubernetes.io/metadata.name": n}))).collect::<serde_json::Map<_, _>>(),
            "Pods": pods.iter().map(|p| json!({
                "Namespace": p.namespace, "Name": p.name, "Labels": p.labels, "IP": p.ip,
                "Containers": containers,
            })).collect::<Vec<_>>(),
        },
        "Probes": probes,
    });
    std::fs::write(
        dir.join("probe.json"),
        serde_json::to_string_pretty(&model).expect("json"),
    )
    .expect("write probe model");
    let output = Command::new(analyzer)
        .args(["analyze", "--mode", "probe", "--policy-path"])
        .arg(dir.join("policies"))
        .arg("--probe-path")
        .arg(dir.join("probe.json"))
        .output()
        .expect("cyclonus runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{label}: cyclonus failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tables = combined_tables(&stdout);
    assert_eq!(
        tables.len(),
        PROBED.len(),
        "{label}: expected one connectivity table per probed port in:\n{stdout}"
    );
    let mut verdicts = Verdicts::new();
    for (port, table) in PROBED.iter().zip(tables) {
        for ((from, to), allowed) in table {
            verdicts.insert((from, to, *port), allowed);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    verdicts
}

fn port_protocol(port: &str) -> (i64, &'static str) {
    let (number, protocol) = port.split_once('/').unwrap_or((port, "TCP"));
    let protocol = match protocol {
        "UDP" => "UDP",
        _ => "TCP",
    };
    (number.parse().expect("a port number"), protocol)
}

/// The `Combined:` tables of cyclonus's output, in probe order: rows are sources, columns
/// destinations, `.` allowed and `X` denied. The last, empty one (pods read from a cluster) is
/// dropped.
fn combined_tables(stdout: &str) -> Vec<BTreeMap<(String, String), bool>> {
    let mut tables = Vec::new();
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() != "Combined:" {
            continue;
        }
        let rows: Vec<Vec<String>> = lines
            .by_ref()
            .take_while(|l| l.starts_with('+') || l.starts_with('|'))
            .filter(|l| l.starts_with('|'))
            .map(|l| {
                l.trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect()
            })
            .collect();
        let Some((header, body)) = rows.split_first() else {
            continue;
        };
        let columns: Vec<String> = header.iter().skip(1).map(|c| c.to_lowercase()).collect();
        if columns.iter().all(String::is_empty) {
            continue;
        }
        let mut table = BTreeMap::new();
        for row in body {
            let from = row[0].clone();
            for (to, cell) in columns.iter().zip(&row[1..]) {
                let allowed = match cell.as_str() {
                    "." => true,
                    "X" => false,
                    other => panic!("unknown cell {other:?} for {from} -> {to}"),
                };
                table.insert((from.clone(), to.clone()), allowed);
            }
        }
        tables.push(table);
    }
    tables
}

fn compare(pods: &[Pod], verdicts: &Verdicts, tables: &[&[Row]]) -> Vec<String> {
    let rows: Vec<Row> = tables.iter().flat_map(|t| t.iter().copied()).collect();
    let mut failures = Vec::new();
    for row @ (from, to, port, _) in &rows {
        assert!(PROBED.contains(port), "row {row:?}: port not probed");
        let matched = pods.iter().any(|p| p.in_group(from)) && pods.iter().any(|p| p.in_group(to));
        assert!(matched, "row {row:?} names a role no pod has");
    }
    for from in pods {
        for to in pods {
            if from.key() == to.key() {
                continue;
            }
            for port in PROBED {
                let said: Vec<bool> = rows
                    .iter()
                    .filter(|(f, t, p, _)| *p == port && from.in_group(f) && to.in_group(t))
                    .map(|r| r.3)
                    .collect();
                let expected_allowed = said.contains(&true);
                assert!(
                    !(expected_allowed && said.contains(&false)),
                    "the table says both for {} -> {} on {port}",
                    from.role,
                    to.role
                );
                let allowed = *verdicts
                    .get(&(from.key(), to.key(), port))
                    .unwrap_or_else(|| {
                        panic!("no verdict for {} -> {} on {port}", from.key(), to.key())
                    });
                let concerned = from.isolated() || to.isolated();
                if !said.is_empty() && allowed != expected_allowed {
                    failures.push(format!(
                        "{} ({}) -> {} ({}) on {port}: the analyzer says {}, the table {}",
                        from.key(),
                        from.role,
                        to.key(),
                        to.role,
                        verdict(allowed),
                        verdict(expected_allowed)
                    ));
                } else if said.is_empty() && concerned && allowed {
                    failures.push(format!(
                        "{} ({}) -> {} ({}) on {port}: allowed, but no row of the table allows it",
                        from.key(),
                        from.role,
                        to.key(),
                        to.role
                    ));
                }
            }
        }
    }
    failures
}

fn verdict(allowed: bool) -> &'static str {
    if allowed { "allowed" } else { "denied" }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The cyclonus binary: `NEO4J_AKS_NETPOL_ANALYZER`, or where testenv/netpol-analyzer.sh builds it.
fn analyzer() -> Option<PathBuf> {
    let from_env = std::env::var_os("NEO4J_AKS_NETPOL_ANALYZER").map(PathBuf::from);
    let built = Command::new("bash")
        .arg(repo_root().join("testenv/netpol-analyzer.sh"))
        .arg("path")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(path) = from_env.or(built).filter(|p| p.is_file()) {
        return Some(path);
    }
    assert!(
        std::env::var("NEO4J_AKS_REQUIRE_NETPOL_ANALYZER").as_deref() != Ok("1"),
        "the network-policy analyzer is required but missing; run testenv/netpol-analyzer.sh build"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: no network-policy analyzer (run testenv/netpol-analyzer.sh build)"
    );
    None
}
