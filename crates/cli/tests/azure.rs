//! `neo4j-aks azure`: parameter files (golden), refusals of bad input, the generated alert rules
//! the Bicep loads (drift-checked), the Bicep parsed by pycep and checked by checkov, and
//! `azure up` step by step.
//!
//! `azure up` drives the `az`, `kubelogin` and `kubectl` CLIs against a real subscription. No
//! Azure subscription (and no Bicep CLI) is reachable from this machine, so the test puts
//! recording fakes of those three programs first on PATH: the only way to run it here. They
//! log every call and answer as the real ones do for the calls `up` makes; what they cannot show
//! is that Azure accepts the template (docs/azure.md, "What was not deployed").

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{repo_root, run, stderr, stdout};

const SPEC: &str = "deploy/azure/examples/graph.yaml";
const GOLDEN: &str = "deploy/azure/examples/graph.bicepparam";
const ADMIN: &str = "00000000-0000-0000-0000-000000000001";

fn params_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    params_in("westeurope", extra)
}

fn params_in<'a>(location: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "azure",
        "params",
        "-f",
        SPEC,
        "--location",
        location,
        "--key-vault",
        "kv-graph-01",
        "--cluster-admin",
        ADMIN,
        "--allow-ip",
        "203.0.113.0/24",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn committed_bicepparam_matches_the_code() {
    let dir = tempdir("golden");
    let out = dir.join("graph.bicepparam");
    let out_arg = out.display().to_string();
    let output = run(
        &params_args(&["--template", "deploy/azure/main.bicep", "-o", &out_arg]),
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(&out).expect("written");
    // Written elsewhere, `using` points back at the template.
    assert!(written.starts_with("using '"), "{written}");
    assert!(written.contains("deploy/azure/main.bicep'\n"), "{written}");

    // Printed, not written over the committed file: that one is the expectation.
    let output = run(&params_args(&[]), None);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(
        printed.starts_with("using 'deploy/azure/main.bicep'\n"),
        "{printed}"
    );
    let committed = std::fs::read_to_string(repo_root().join(GOLDEN)).expect("committed");
    assert_eq!(
        committed.split_once('\n').map(|(using, _)| using),
        Some("using '../main.bicep'")
    );
    let body = |text: &str| text.split_once('\n').map(|(_, rest)| rest.to_string());
    // The same parameters wherever the file goes.
    assert_eq!(body(&written), body(&printed));
    assert_eq!(
        body(&committed),
        body(&printed),
        "{GOLDEN} is stale; regenerate with: cargo run -q -p neo4j-aks -- {}",
        params_args(&["-o", GOLDEN]).join(" ")
    );
}

#[test]
fn params_come_from_the_spec_and_the_rendered_names() {
    let output = run(&params_args(&["--format", "json"]), None);
    assert!(output.status.success(), "{}", stderr(&output));
    let file: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let p = &file["parameters"];
    let value = |name: &str| p[name]["value"].clone();
    assert_eq!(value("neo4jNamespace"), "graph");
    // The renderer's ServiceAccount names, which the identities federate with.
    assert_eq!(value("memberServiceAccount"), "graph-sa");
    assert_eq!(value("backupServiceAccount"), "graph-backup");
    assert_eq!(value("operatorNamespace"), "neo4j-aks-system");
    assert_eq!(value("operatorServiceAccount"), "neo4j-aks-operator");
    assert_eq!(value("storageAccountName"), "graphbackups01");
    assert_eq!(value("backupContainerName"), "neo4j-backups-graph");
    assert_eq!(value("neo4jNodeMinCount"), 3);
    // Retention 7 daily / 4 weekly / 12 monthly: only monthly points are older than 28 days.
    assert_eq!(value("backupCoolAfterDays"), 29);
    assert!(p.get("actionGroupId").is_none());

    // The same names as `render` gives the objects.
    // `render` needs the client ID that `up` fills in after the deployment.
    let mut spec: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(repo_root().join(SPEC)).expect("spec"))
            .expect("spec YAML");
    spec["spec"]["backup"]["credentials"] =
        serde_json::json!({"workloadIdentityClientId": "11111111-2222-3333-4444-555555555555"});
    let spec = serde_json::to_string(&spec).expect("JSON");
    let rendered = run(&["render", "-f", "-", "-o", "json"], Some(&spec));
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    let rendered: serde_json::Value =
        serde_json::from_str(&stdout(&rendered)).expect("a JSON List");
    let mut accounts: Vec<String> = rendered["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|o| o["kind"] == "ServiceAccount")
        .map(|o| {
            o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    accounts.sort();
    assert_eq!(accounts, ["graph-backup", "graph-sa"]);
}

#[test]
fn every_bad_input_is_refused_at_once_with_the_rule() {
    let output = run(
        &[
            "azure",
            "params",
            "-f",
            "examples/cluster-3-backup.yaml",
            "--location",
            "westus",
            "--key-vault",
            "kv--neo4j",
            "--storage-account",
            "Graph-Backups",
            "--allow-ip",
            "10.0.0.0/8",
            "--cluster-admin",
            "me",
            "-o",
            "/nonexistent/never-written.bicepparam",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    for expected in [
        "error: --location: westus has no availability zones",
        "error: --key-vault: \"kv--neo4j\" is refused: a Key Vault name is 3 to 24 letters, digits and hyphens, starts with a letter, ends with a letter or digit, has no consecutive hyphens",
        "error: --storage-account: \"Graph-Backups\" differs from spec.backup.target.storageAccount",
        "error: --storage-account: \"Graph-Backups\" is refused: a storage account name is 3 to 24 lowercase letters and digits",
        "error: spec.backup.credentials: accountKeySecretRef cannot work here",
        "error: --allow-ip: \"10.0.0.0/8\" is not a public address",
        "error: --cluster-admin: \"me\" is not an Entra object ID",
    ] {
        assert!(
            errors.contains(expected),
            "missing {expected:?} in:\n{errors}"
        );
    }
    assert!(stdout(&output).is_empty());

    let unknown = run(&params_in("West Europe", &[]), None);
    assert!(
        stderr(&unknown).contains("programmatic names"),
        "{}",
        stderr(&unknown)
    );
    let assumed = run(&params_in("newregion", &["--assume-zones"]), None);
    assert!(assumed.status.success(), "{}", stderr(&assumed));
}

#[test]
fn committed_alert_rules_match_the_code_and_the_prometheus_rules() {
    let output = run(&["azure", "alert-rules"], None);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(repo_root().join("deploy/azure/alert-rules.json"))
        .expect("deploy/azure/alert-rules.json is committed");
    assert_eq!(
        committed,
        stdout(&output),
        "deploy/azure/alert-rules.json is stale; regenerate with: cargo run -q -p neo4j-aks -- azure alert-rules > deploy/azure/alert-rules.json"
    );
    // One source: the same alerts and expressions as the Prometheus rule file.
    let azure: Vec<serde_json::Value> = serde_json::from_str(&committed).expect("JSON");
    let prometheus: serde_json::Value =
        serde_saphyr::from_str(&stdout(&run(&["monitoring", "rules"], None))).expect("YAML");
    let rules = prometheus["groups"][0]["rules"].as_array().expect("rules");
    assert_eq!(azure.len(), rules.len());
    for (a, p) in azure.iter().zip(rules) {
        assert_eq!(a["alert"], p["alert"]);
        assert_eq!(a["expression"], p["expr"]);
        assert_eq!(a["annotations"], p["annotations"]);
    }
    let bicep = std::fs::read_to_string(repo_root().join("deploy/azure/modules/prometheus.bicep"))
        .expect("prometheus.bicep");
    assert!(bicep.contains("loadJsonContent('../alert-rules.json')"));
}

fn venv() -> PathBuf {
    std::env::var("NEO4J_AKS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/neo4j-aks/venv")
        })
}

fn validators_ready() -> bool {
    if venv().join("bin/checkov").exists() {
        return true;
    }
    assert!(
        std::env::var("NEO4J_AKS_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "the validators virtualenv is missing; run scripts/validators/install.sh"
    );
    eprintln!("skipped: validators not installed (run scripts/validators/install.sh)");
    false
}

#[test]
fn every_bicep_file_parses_with_pycep() {
    if !validators_ready() {
        return;
    }
    // pycep is the parser checkov's Bicep framework uses; it reports what it cannot parse as an
    // exception. Every module, and main.bicep's references to them, must parse.
    let script = r#"
import json, pathlib, sys
from pycep import BicepParser
parser = BicepParser()
parsed = {}
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.bicep")):
    tree = parser.parse(text=path.read_text())
    parsed[str(path.relative_to(sys.argv[1]))] = sorted(tree.get("resources", {}).keys()) + sorted("module:" + m for m in tree.get("modules", {}).keys())
print(json.dumps(parsed))
"#;
    let output = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg(script)
        .arg(repo_root().join("deploy/azure"))
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "pycep failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    let names = |file: &str| -> Vec<String> {
        parsed[file]
            .as_array()
            .unwrap_or_else(|| panic!("{file} not parsed: {parsed}"))
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()
    };
    for module in [
        "network",
        "monitoring",
        "aks",
        "storage",
        "keyVault",
        "identities",
        "prometheus",
    ] {
        assert!(
            names("main.bicep").contains(&format!("module:{module}")),
            "{parsed}"
        );
    }
    for (file, resource) in [
        ("modules/aks.bicep", "aks"),
        ("modules/aks.bicep", "maintenance"),
        ("modules/storage.bicep", "lifecycle"),
        ("modules/keyvault.bicep", "vault"),
        ("modules/identities.bicep", "credential"),
        ("modules/prometheus.bicep", "alerts"),
        ("modules/network.bicep", "nsg"),
    ] {
        assert!(
            names(file).contains(&resource.to_string()),
            "{file}: {parsed}"
        );
    }
}

/// What pycep reads from main.bicep and its modules: each file's declared parameters (type,
/// whether it has a default), main.bicep's outputs, and the parameters main.bicep passes to each
/// module. What the Bicep CLI would check at compile time about these names, checked here.
fn bicep_interface() -> serde_json::Value {
    let script = r#"
import json, pathlib, sys
from pycep import BicepParser
root = pathlib.Path(sys.argv[1])
parser = BicepParser()
def declared(path):
    tree = parser.parse(text=path.read_text())
    params = {n: {"type": p["type"], "required": p.get("default") is None} for n, p in tree.get("parameters", {}).items()}
    return tree, params
main, main_params = declared(root / "main.bicep")
modules = {}
for name, module in main.get("modules", {}).items():
    path = module["detail"]["path"]
    _, params = declared(root / path)
    modules[name] = {"path": path, "declared": params, "passed": sorted(module["config"]["params"].keys())}
print(json.dumps({"parameters": main_params, "outputs": sorted(main.get("outputs", {}).keys()), "modules": modules}))
"#;
    let output = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg(script)
        .arg(repo_root().join("deploy/azure"))
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "pycep failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

#[test]
fn generated_parameters_fit_main_bicep_and_modules_get_what_they_declare() {
    if !validators_ready() {
        return;
    }
    let bicep = bicep_interface();
    let declared = bicep["parameters"].as_object().expect("parameters");
    let output = run(&params_args(&["--format", "json"]), None);
    assert!(output.status.success(), "{}", stderr(&output));
    let file: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let given = file["parameters"].as_object().expect("parameters");
    for (name, value) in given {
        let decl = declared
            .get(name)
            .unwrap_or_else(|| panic!("params writes {name}, main.bicep does not declare it"));
        let value = &value["value"];
        let fits = match decl["type"].as_str().unwrap_or_default() {
            "string" => value.is_string(),
            "int" => value.is_i64() || value.is_u64(),
            "bool" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            other => panic!("{name}: unexpected Bicep type {other}"),
        };
        assert!(fits, "{name}: {value} is not a Bicep {}", decl["type"]);
    }
    for (name, decl) in declared {
        if decl["required"] == true {
            assert!(
                given.contains_key(name),
                "main.bicep requires {name}; params does not write it"
            );
        }
    }
    // The outputs `up` reads.
    let outputs = bicep["outputs"].as_array().expect("outputs");
    for name in ["aksName", "backupClientId", "memberClientId", "tenantId"] {
        assert!(
            outputs.contains(&name.into()),
            "main.bicep has no output {name}"
        );
    }
    // Every module gets exactly the parameters it declares, at least the required ones.
    for (module, m) in bicep["modules"].as_object().expect("modules") {
        let passed: Vec<&str> = m["passed"]
            .as_array()
            .expect("passed")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let declared = m["declared"].as_object().expect("declared");
        for name in &passed {
            assert!(
                declared.contains_key(*name),
                "{module}: passes {name}, {} does not declare it",
                m["path"]
            );
        }
        for (name, decl) in declared {
            if decl["required"] == true {
                assert!(
                    passed.contains(&name.as_str()),
                    "{module}: {} requires {name}",
                    m["path"]
                );
            }
        }
    }
}

#[test]
fn bicep_passes_checkov_with_only_the_argued_skips() {
    if !validators_ready() {
        return;
    }
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/validators/checkov.sh"))
        .args(["--bicep", "deploy/azure"])
        .current_dir(repo_root())
        .output()
        .expect("checkov.sh runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "checkov:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("failed 0"), "{text}");
    // Every skip is argued in docs/checkov.md.
    let docs =
        std::fs::read_to_string(repo_root().join("docs/checkov.md")).expect("docs/checkov.md");
    let skips =
        std::fs::read_to_string(repo_root().join("scripts/validators/checkov-bicep-skips.txt"))
            .expect("skip list");
    for id in skips
        .lines()
        .filter(|l| l.starts_with("CKV"))
        .filter_map(|l| l.split_whitespace().next())
    {
        assert!(
            docs.contains(&format!("### {id} ")),
            "{id} is not argued in docs/checkov.md"
        );
    }
    println!("{text}");
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neo4j-aks-azure-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Recording fakes of `az`, `kubelogin` and `kubectl`: each appends its arguments to calls.log
/// and `kubectl apply` keeps its standard input; `az deployment group create` fails while the
/// file `fail-deployment` exists.
fn fakes(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let az = r#"#!/bin/sh
echo "az $*" >> "$FAKE_DIR/calls.log"
case "$*" in
  "ad signed-in-user show"*) echo "00000000-0000-0000-0000-0000000000ad" ;;
  "deployment group create"*)
    if [ -e "$FAKE_DIR/fail-deployment" ]; then echo "ERROR: InvalidTemplateDeployment: quota exceeded" >&2; exit 1; fi ;;
  "deployment group show"*)
    echo '{"aksName":{"type":"String","value":"aks-graph"},"backupClientId":{"type":"String","value":"11111111-2222-3333-4444-555555555555"},"memberClientId":{"type":"String","value":"66666666-2222-3333-4444-555555555555"},"tenantId":{"type":"String","value":"77777777-2222-3333-4444-555555555555"}}' ;;
  "keyvault secret show"*)
    if [ -e "$FAKE_DIR/missing-secret" ]; then echo "ERROR: (SecretNotFound) A secret with (name/id) neo4j-password was not found in this key vault." >&2; exit 1; fi
    echo "https://kv-graph-01.vault.azure.net/secrets/neo4j-password/0123" ;;
esac
exit 0
"#;
    let kubectl = r#"#!/bin/sh
echo "kubectl $*" >> "$FAKE_DIR/calls.log"
case "$*" in
  *" apply "*) cat >> "$FAKE_DIR/applied.yaml" ;;
esac
exit 0
"#;
    let kubelogin = "#!/bin/sh\necho \"kubelogin $*\" >> \"$FAKE_DIR/calls.log\"\n";
    for (name, text) in [("az", az), ("kubectl", kubectl), ("kubelogin", kubelogin)] {
        let path = bin.join(name);
        std::fs::write(&path, text).expect("fake");
        Command::new("chmod")
            .arg("+x")
            .arg(&path)
            .status()
            .expect("chmod");
    }
    bin
}

fn up(dir: &Path, bin: &Path) -> std::process::Output {
    up_with(dir, bin, SPEC)
}

fn up_with(dir: &Path, bin: &Path, spec: &str) -> std::process::Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(env!("CARGO_BIN_EXE_neo4j-aks"))
        .args([
            "azure",
            "up",
            "-f",
            spec,
            "--location",
            "westeurope",
            "--key-vault",
            "kv-graph-01",
            "--resource-group",
            "rg-graph",
            "--state-dir",
        ])
        .arg(dir.join("state"))
        .current_dir(repo_root())
        .env("PATH", path)
        .env("FAKE_DIR", dir)
        .output()
        .expect("neo4j-aks runs")
}

fn calls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn up_runs_each_step_once_and_resumes_after_a_failure() {
    let dir = tempdir("up");
    let bin = fakes(&dir);

    // 1. The deployment fails: the resource group is recorded, nothing after the deployment ran.
    std::fs::write(dir.join("fail-deployment"), "").expect("flag");
    let first = up(&dir, &bin);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("quota exceeded"),
        "{}",
        stderr(&first)
    );
    assert!(stderr(&first).contains("[1/5] resource-group: creating rg-graph in westeurope"));
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("state/state.json")).expect("state file"),
    )
    .expect("state JSON");
    assert_eq!(state["done"], serde_json::json!(["resource-group"]));
    let params = std::fs::read_to_string(dir.join("state/main.bicepparam")).expect("params");
    assert!(
        params.contains(
            "param clusterAdminPrincipalIds = [\n  '00000000-0000-0000-0000-0000000000ad'\n]"
        ),
        "{params}"
    );
    assert!(params.starts_with("using '"), "{params}");
    assert!(!calls(&dir).iter().any(|c| c.starts_with("kubectl")));

    // 2. Run again: the resource group is skipped, the rest runs in order.
    std::fs::remove_file(dir.join("fail-deployment")).expect("unflag");
    let second = up(&dir, &bin);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stderr(&second).contains("[1/5] resource-group: done in an earlier run, skipped"));
    let log = calls(&dir);
    let count = |prefix: &str| log.iter().filter(|c| c.starts_with(prefix)).count();
    assert_eq!(
        count("az group create --name rg-graph --location westeurope"),
        1,
        "{log:#?}"
    );
    assert_eq!(
        count(
            "az deployment group create --resource-group rg-graph --name neo4j-aks-graph --parameters "
        ),
        2
    );
    assert_eq!(
        count("az aks get-credentials --resource-group rg-graph --name aks-graph --file "),
        1
    );
    assert_eq!(
        count("kubelogin convert-kubeconfig -l azurecli --kubeconfig "),
        1
    );
    assert_eq!(count("kubectl --kubeconfig "), 3, "{log:#?}");
    let order: Vec<&str> = log
        .iter()
        .filter_map(|c| c.split_whitespace().nth(1).map(|_| c.as_str()))
        .filter(|c| !c.starts_with("az ad "))
        .collect();
    let position = |needle: &str| {
        order
            .iter()
            .position(|c| c.contains(needle))
            .unwrap_or(usize::MAX)
    };
    assert!(position("get-credentials") < position("rollout status"));
    assert!(
        position("rollout status")
            < order
                .iter()
                .rposition(|c| c.contains(" apply "))
                .unwrap_or(0)
    );

    // What was applied: the CRD and operator, then the namespace and the cluster with the
    // deployed backup identity filled in.
    let applied = std::fs::read_to_string(dir.join("applied.yaml")).expect("applied");
    assert!(applied.contains("kind: CustomResourceDefinition"));
    assert!(applied.contains("kind: Deployment"));
    assert!(applied.contains("kind: Namespace"));
    assert!(applied.contains("kind: Neo4jCluster"));
    assert!(
        applied.contains("workloadIdentityClientId: 11111111-2222-3333-4444-555555555555"),
        "{applied}"
    );

    // 3. Once more: every step is skipped, nothing is deployed or applied again.
    let before = calls(&dir).len();
    let third = up(&dir, &bin);
    assert!(third.status.success(), "{}", stderr(&third));
    let after = calls(&dir);
    assert!(
        after[before..]
            .iter()
            .all(|c| c.starts_with("az ad signed-in-user show")),
        "{:#?}",
        &after[before..]
    );
    assert_eq!(
        stderr(&third)
            .matches("done in an earlier run, skipped")
            .count(),
        5
    );
}

#[test]
fn up_fills_the_key_vault_identity_and_waits_for_the_password_secret() {
    let dir = tempdir("up-kv");
    let bin = fakes(&dir);
    // The example spec with the admin password in Key Vault; client and tenant IDs left out.
    let mut spec: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(repo_root().join(SPEC)).expect("spec"))
            .expect("spec YAML");
    spec["spec"]["secrets"] = serde_json::json!({
        "keyVault": {"name": "kv-graph-01", "passwordSecret": "neo4j-password"}
    });
    let spec_path = dir.join("graph-kv.yaml");
    std::fs::write(&spec_path, serde_json::to_string(&spec).expect("JSON")).expect("spec file");
    let spec_arg = spec_path.display().to_string();

    std::fs::write(dir.join("missing-secret"), "").expect("flag");
    let first = up_with(&dir, &bin, &spec_arg);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert!(
        stderr(&first)
            .contains("az keyvault secret set --vault-name kv-graph-01 --name neo4j-password"),
        "{}",
        stderr(&first)
    );
    assert!(
        !std::fs::read_to_string(dir.join("applied.yaml"))
            .unwrap_or_default()
            .contains("passwordSecret: neo4j-password")
    );

    std::fs::remove_file(dir.join("missing-secret")).expect("unflag");
    let second = up_with(&dir, &bin, &spec_arg);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stderr(&second).contains("[4/5] operator: done in an earlier run, skipped"));
    let applied = std::fs::read_to_string(dir.join("applied.yaml")).expect("applied");
    assert!(
        applied.contains("clientId: 66666666-2222-3333-4444-555555555555"),
        "{applied}"
    );
    assert!(
        applied.contains("tenantId: 77777777-2222-3333-4444-555555555555"),
        "{applied}"
    );
    // Only the secret's ID was asked for, never its value.
    assert!(calls(&dir).iter().any(|c| c.contains(
        "keyvault secret show --vault-name kv-graph-01 --name neo4j-password --query id"
    )));

    // A vault in the spec and a different --key-vault: refused before anything runs.
    let before = calls(&dir).len();
    let output = run(
        &[
            "azure",
            "params",
            "-f",
            &spec_arg,
            "--location",
            "westeurope",
            "--key-vault",
            "kv-other",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "--key-vault: \"kv-other\" differs from spec.secrets.keyVault.name \"kv-graph-01\""
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(calls(&dir).len(), before);
}
