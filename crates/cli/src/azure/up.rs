//! `neo4j-aks azure up`: an empty subscription to a running cluster, step by step, through the
//! `az`, `kubelogin` and `kubectl` CLIs (behind [`Runner`], so tests put recording fakes on PATH).
//!
//! Resumable: the state directory (default `.neo4j-aks-azure/<resource group>/`) holds the
//! parameter file, the kubeconfig and `state.json`, which records each finished step with a
//! fingerprint of the inputs (spec, Azure options, template files). A run skips the steps
//! recorded with the same fingerprint and starts at the first one missing; when the inputs
//! changed it runs every step again. Every step is idempotent on its own (`az group create`,
//! an incremental ARM deployment, `get-credentials --overwrite-existing`, server-side apply),
//! so a lost or deleted state file costs time, never a second copy of anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Args;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_model::spec::BackupCredentials;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::params::{self, AzureOptions};
use super::{ParamsFormat, TEMPLATE, params_text};
use crate::failure::Failure;
use crate::input::SpecArgs;

#[derive(Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub azure: AzureOptions,
    /// Resource group to create (or reuse) for everything.
    #[arg(long = "resource-group", short = 'g')]
    pub resource_group: String,
    /// Where the parameter file, kubeconfig and step record are kept.
    /// Default .neo4j-aks-azure/<resource group>.
    #[arg(long = "state-dir")]
    pub state_dir: Option<PathBuf>,
    /// Run every step, even those recorded as done.
    #[arg(long)]
    pub restart: bool,
}

/// Runs one external program.
pub trait Runner {
    /// Runs `program args` with `stdin` fed in; its standard output when it exits 0.
    fn run(
        &mut self,
        program: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<String, String>;
}

/// The real programs, found on PATH.
pub struct Processes;

impl Runner for Processes {
    fn run(
        &mut self,
        program: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<String, String> {
        use std::io::Write;
        let mut child = Command::new(program)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e} (is it installed and on PATH?)"))?;
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            input
                .write_all(text.as_bytes())
                .map_err(|e| format!("{program}: cannot write its input: {e}"))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| format!("{program}: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
            Err(format!(
                "{program} {} failed ({}):\n{}",
                args.first().map(String::as_str).unwrap_or_default(),
                output.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ))
        }
    }
}

/// The steps, in order.
pub const STEPS: [&str; 5] = [
    "resource-group",
    "deployment",
    "credentials",
    "operator",
    "cluster",
];

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub fingerprint: String,
    pub done: Vec<String>,
    /// The deployment's outputs (names and client IDs, no secrets).
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
}

/// Template outputs `up` needs (main.bicep's `output` names).
const OUT_AKS: &str = "aksName";
const OUT_BACKUP_CLIENT_ID: &str = "backupClientId";
const OUT_MEMBER_CLIENT_ID: &str = "memberClientId";
const OUT_TENANT_ID: &str = "tenantId";

pub fn run(args: &UpArgs, runner: &mut dyn Runner) -> Result<(), Failure> {
    let (mut cluster_doc, validated) = super::load(&args.spec)?;
    if let Err(message) = super::names::resource_group(&args.resource_group) {
        return Err(Failure::Invalid(neo4j_aks_model::Invalid::single(
            "--resource-group",
            message,
        )));
    }
    let mut azure = args.azure.clone();
    // Validate everything before asking Azure anything.
    params::params(&validated, &azure)?;

    let dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| Path::new(".neo4j-aks-azure").join(&args.resource_group));
    std::fs::create_dir_all(&dir).map_err(write_error(&dir))?;
    let state_path = dir.join("state.json");
    let kubeconfig = dir.join("kubeconfig");
    let params_path = dir.join("main.bicepparam");

    let progress =
        |n: usize, text: &str| eprintln!("[{}/{}] {}: {text}", n + 1, STEPS.len(), STEPS[n]);

    if azure.cluster_admin.is_empty() {
        let id = runner
            .run(
                "az",
                &strings(&["ad", "signed-in-user", "show", "--query", "id", "-o", "tsv"]),
                None,
            )
            .map_err(Failure::Step)?
            .trim()
            .to_string();
        if !params::is_guid(&id) {
            return Err(Failure::Refused(format!(
                "`az ad signed-in-user show` returned {id:?}, not an object ID; pass --cluster-admin OBJECT_ID (a service principal signed in cannot be looked up this way)"
            )));
        }
        eprintln!("cluster admin: the signed-in user {id}");
        azure.cluster_admin.push(id);
    }
    let params = params::params(&validated, &azure)?;
    let text = params_text(
        &params,
        ParamsFormat::Bicepparam,
        Path::new(TEMPLATE),
        &params_path,
    )?;
    let fingerprint = fingerprint(&text, &cluster_doc)?;

    let mut state = match std::fs::read_to_string(&state_path) {
        Ok(saved) => serde_json::from_str::<State>(&saved).map_err(|e| {
            Failure::Refused(format!(
                "{} is not a state file of this command ({e}); remove it to start over (every step is idempotent)",
                state_path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
        Err(e) => return Err(Failure::ReadInput { path: state_path.display().to_string(), source: e }),
    };
    if args.restart || state.fingerprint != fingerprint {
        if !state.done.is_empty() {
            eprintln!("inputs changed since the last run (or --restart): running every step again");
        }
        state = State {
            fingerprint,
            ..State::default()
        };
    }
    std::fs::write(&params_path, &text).map_err(write_error(&params_path))?;
    let save = |state: &State| -> Result<(), Failure> {
        let json = serde_json::to_string_pretty(state)
            .map_err(|e| Failure::output("the state file")(e.to_string()))?;
        std::fs::write(&state_path, json + "\n").map_err(write_error(&state_path))
    };

    let rg = args.resource_group.clone();
    let deployment = format!("neo4j-aks-{}", validated.name);
    let kubeconfig_arg = kubeconfig.display().to_string();
    for (n, step) in STEPS.iter().enumerate() {
        if state.done.iter().any(|d| d == step) {
            progress(n, "done in an earlier run, skipped");
            continue;
        }
        let started = std::time::Instant::now();
        let az = |runner: &mut dyn Runner, a: &[&str]| {
            runner.run("az", &strings(a), None).map_err(Failure::Step)
        };
        match *step {
            "resource-group" => {
                progress(n, &format!("creating {rg} in {}", params.location));
                az(
                    runner,
                    &[
                        "group",
                        "create",
                        "--name",
                        &rg,
                        "--location",
                        &params.location,
                        "--tags",
                        "app=neo4j-aks",
                        "-o",
                        "none",
                    ],
                )?;
            }
            "deployment" => {
                progress(
                    n,
                    &format!(
                        "deploying {} as {deployment} (AKS takes 10-20 minutes)",
                        params_path.display()
                    ),
                );
                let params_arg = params_path.display().to_string();
                az(
                    runner,
                    &[
                        "deployment",
                        "group",
                        "create",
                        "--resource-group",
                        &rg,
                        "--name",
                        &deployment,
                        "--parameters",
                        &params_arg,
                        "-o",
                        "none",
                    ],
                )?;
                let outputs = az(
                    runner,
                    &[
                        "deployment",
                        "group",
                        "show",
                        "--resource-group",
                        &rg,
                        "--name",
                        &deployment,
                        "--query",
                        "properties.outputs",
                        "-o",
                        "json",
                    ],
                )?;
                state.outputs = parse_outputs(&outputs)?;
            }
            "credentials" => {
                let aks = output(&state, OUT_AKS)?;
                progress(
                    n,
                    &format!("kubeconfig of {aks} into {kubeconfig_arg} (Entra ID via kubelogin)"),
                );
                az(
                    runner,
                    &[
                        "aks",
                        "get-credentials",
                        "--resource-group",
                        &rg,
                        "--name",
                        &aks,
                        "--file",
                        &kubeconfig_arg,
                        "--overwrite-existing",
                    ],
                )?;
                runner
                    .run(
                        "kubelogin",
                        &strings(&[
                            "convert-kubeconfig",
                            "-l",
                            "azurecli",
                            "--kubeconfig",
                            &kubeconfig_arg,
                        ]),
                        None,
                    )
                    .map_err(Failure::Step)?;
            }
            "operator" => {
                progress(
                    n,
                    "installing the CRD and the operator (neo4j-aks-system), waiting for it to roll out",
                );
                let manifests = format!(
                    "{}---\n{}",
                    crate::crd::yaml().map_err(Failure::output("the CRD as YAML"))?,
                    neo4j_aks_ops::deploy::manifests()
                        .map_err(Failure::output("the operator manifests"))?
                );
                kubectl_apply(runner, &kubeconfig_arg, &manifests)?;
                runner
                    .run(
                        "kubectl",
                        &strings(&[
                            "--kubeconfig",
                            &kubeconfig_arg,
                            "rollout",
                            "status",
                            "--namespace",
                            neo4j_aks_ops::deploy::NAMESPACE,
                            &format!("deployment/{}", neo4j_aks_ops::deploy::NAME),
                            "--timeout",
                            "10m",
                        ]),
                        None,
                    )
                    .map_err(Failure::Step)?;
            }
            "cluster" => {
                fill_identities(&mut cluster_doc, &state)?;
                if let Some(vault) = validated.password.key_vault() {
                    // The password must be in the vault before a member starts; only its ID is
                    // asked for, never its value.
                    az(runner, &["keyvault", "secret", "show", "--vault-name", &vault.name, "--name", &vault.password_secret, "--query", "id", "-o", "tsv"])
                        .map_err(|e| Failure::Step(format!(
                            "{e}\nthe members read the admin password from Key Vault secret {}/{}: create it (value neo4j/<password>) with `az keyvault secret set --vault-name {} --name {} --file FILE`, then run this command again",
                            vault.name, vault.password_secret, vault.name, vault.password_secret
                        )))?;
                }
                let namespace = &validated.namespace;
                progress(
                    n,
                    &format!("applying Neo4jCluster {namespace}/{}", validated.name),
                );
                let ns = Namespace {
                    metadata: ObjectMeta {
                        name: Some(namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    ..Namespace::default()
                };
                let documents = format!("{}---\n{}", to_yaml(&ns)?, to_yaml(&cluster_doc)?);
                kubectl_apply(runner, &kubeconfig_arg, &documents)?;
            }
            _ => unreachable!("STEPS lists exactly the steps matched above"),
        }
        state.done.push(step.to_string());
        save(&state)?;
        progress(n, &format!("done in {}s", started.elapsed().as_secs()));
    }
    eprintln!(
        "done. Follow the cluster with: KUBECONFIG={kubeconfig_arg} neo4j-aks status {} --namespace {}",
        validated.name, validated.namespace
    );
    Ok(())
}

fn to_yaml<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_saphyr::to_string(value).map_err(|e| Failure::output("a manifest as YAML")(e.to_string()))
}

fn kubectl_apply(
    runner: &mut dyn Runner,
    kubeconfig: &str,
    documents: &str,
) -> Result<(), Failure> {
    runner
        .run(
            "kubectl",
            &strings(&[
                "--kubeconfig",
                kubeconfig,
                "apply",
                "--server-side",
                "--field-manager",
                "neo4j-aks",
                "-f",
                "-",
            ]),
            Some(documents),
        )
        .map(|_| ())
        .map_err(Failure::Step)
}

/// The IDs of the identities main.bicep created go into the spec where it leaves them out: the
/// backup identity's (`spec.backup.credentials`), the member identity's and the tenant
/// (`spec.secrets.keyVault`). A different ID in the spec is refused: that identity would not be
/// federated with the cluster's ServiceAccounts.
fn fill_identities(cluster: &mut Neo4jCluster, state: &State) -> Result<(), Failure> {
    if let Some(backup) = cluster.spec.backup.as_mut()
        && backup.enabled == Some(true)
    {
        let credentials = backup
            .credentials
            .get_or_insert_with(BackupCredentials::default);
        if credentials.account_key_secret_ref.is_none() {
            fill(
                &mut credentials.workload_identity_client_id,
                output(state, OUT_BACKUP_CLIENT_ID)?,
                "spec.backup.credentials.workloadIdentityClientId",
            )?;
        }
    }
    if let Some(vault) = cluster
        .spec
        .secrets
        .as_mut()
        .and_then(|s| s.key_vault.as_mut())
    {
        fill(
            &mut vault.client_id,
            output(state, OUT_MEMBER_CLIENT_ID)?,
            "spec.secrets.keyVault.clientId",
        )?;
        fill(
            &mut vault.tenant_id,
            output(state, OUT_TENANT_ID)?,
            "spec.secrets.keyVault.tenantId",
        )?;
    }
    Ok(())
}

fn fill(given: &mut Option<String>, deployed: String, field: &str) -> Result<(), Failure> {
    match given {
        None => *given = Some(deployed),
        Some(value) if value.eq_ignore_ascii_case(&deployed) => {}
        Some(value) => {
            return Err(Failure::Refused(format!(
                "{field} is {value} but the deployment made {deployed}; remove it from the spec (up fills it in) or deploy with that identity"
            )));
        }
    }
    Ok(())
}

/// `az deployment group show --query properties.outputs`: `{name: {type, value}}`.
fn parse_outputs(json: &str) -> Result<BTreeMap<String, String>, Failure> {
    #[derive(Deserialize)]
    struct Output {
        value: serde_json::Value,
    }
    let outputs: BTreeMap<String, Output> = serde_json::from_str(json)
        .map_err(|e| Failure::Refused(format!("cannot read the deployment's outputs: {e}")))?;
    Ok(outputs
        .into_iter()
        .map(|(k, o)| {
            let value = match o.value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, value)
        })
        .collect())
}

fn output(state: &State, name: &str) -> Result<String, Failure> {
    state.outputs.get(name).cloned().ok_or_else(|| {
        Failure::Refused(format!(
            "the deployment has no output {name}; run again with --restart to redeploy"
        ))
    })
}

/// Changes when the parameters, the spec or a template file change.
fn fingerprint(params: &str, cluster: &Neo4jCluster) -> Result<String, Failure> {
    let mut hash = Sha256::new();
    hash.update(params.as_bytes());
    hash.update(
        serde_json::to_vec(cluster).map_err(|e| Failure::output("the spec")(e.to_string()))?,
    );
    let dir = Path::new(TEMPLATE).parent().unwrap_or(Path::new("."));
    let mut files = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("modules")] {
        if let Ok(entries) = std::fs::read_dir(&sub) {
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file()),
            );
        }
    }
    files.sort();
    for file in files {
        hash.update(file.display().to_string().as_bytes());
        hash.update(std::fs::read(&file).map_err(|source| Failure::ReadInput {
            path: file.display().to_string(),
            source,
        })?);
    }
    Ok(hex::encode(hash.finalize()))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(ToString::to_string).collect()
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> Failure + '_ {
    move |e| Failure::output("the state directory")(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            outputs: BTreeMap::from([
                (
                    OUT_BACKUP_CLIENT_ID.to_string(),
                    "11111111-0000-0000-0000-000000000000".to_string(),
                ),
                (
                    OUT_MEMBER_CLIENT_ID.to_string(),
                    "22222222-0000-0000-0000-000000000000".to_string(),
                ),
                (
                    OUT_TENANT_ID.to_string(),
                    "33333333-0000-0000-0000-000000000000".to_string(),
                ),
            ]),
            ..State::default()
        }
    }

    fn cluster(backup: &str, vault: &str) -> Neo4jCluster {
        Neo4jCluster::from_yaml(&format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {{name: g, namespace: g}}\n\
             spec:\n  nodeCount: 3\n  backup: {{enabled: true, target: {{storageAccount: gbackups}}{backup}}}\n\
             {vault}"
        ))
        .expect("a spec")
    }

    #[test]
    fn deployed_ids_fill_what_the_spec_leaves_out() {
        let mut spec = cluster(
            "",
            "  secrets: {keyVault: {name: kv-g, passwordSecret: pw}}\n",
        );
        fill_identities(&mut spec, &state()).expect("filled");
        let backup = spec
            .spec
            .backup
            .as_ref()
            .and_then(|b| b.credentials.as_ref());
        assert_eq!(
            backup.and_then(|c| c.workload_identity_client_id.as_deref()),
            Some("11111111-0000-0000-0000-000000000000")
        );
        let vault = spec
            .spec
            .secrets
            .as_ref()
            .and_then(|s| s.key_vault.as_ref())
            .expect("vault");
        assert_eq!(
            vault.client_id.as_deref(),
            Some("22222222-0000-0000-0000-000000000000")
        );
        assert_eq!(
            vault.tenant_id.as_deref(),
            Some("33333333-0000-0000-0000-000000000000")
        );
    }

    #[test]
    fn an_id_other_than_the_deployed_one_is_refused() {
        let mut spec = cluster(
            ", credentials: {workloadIdentityClientId: 99999999-0000-0000-0000-000000000000}",
            "",
        );
        let error = fill_identities(&mut spec, &state())
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("spec.backup.credentials.workloadIdentityClientId is 99999999"),
            "{error}"
        );
        // The deployed ID itself is accepted.
        let mut same = cluster(
            ", credentials: {workloadIdentityClientId: 11111111-0000-0000-0000-000000000000}",
            "",
        );
        assert!(fill_identities(&mut same, &state()).is_ok());
        // An account key is left alone.
        let mut key = cluster(", credentials: {accountKeySecretRef: {name: k}}", "");
        fill_identities(&mut key, &state()).expect("untouched");
        let credentials = key
            .spec
            .backup
            .and_then(|b| b.credentials)
            .expect("credentials");
        assert_eq!(credentials.workload_identity_client_id, None);
    }

    #[test]
    fn outputs_are_flattened_to_strings() {
        let outputs = parse_outputs(
            r#"{"aksName":{"type":"String","value":"aks-neo4j"},"count":{"type":"Int","value":3}}"#,
        )
        .expect("outputs");
        assert_eq!(outputs["aksName"], "aks-neo4j");
        assert_eq!(outputs["count"], "3");
        assert!(parse_outputs("not json").is_err());
    }
}
