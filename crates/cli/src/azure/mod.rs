//! `neo4j-aks azure …`: the Azure side of a cluster (deploy/azure/, docs/azure.md).

pub mod bicepparam;
pub mod names;
pub mod params;
pub mod regions;
pub mod rule_groups;
pub mod up;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use crate::failure::Failure;
use crate::input::SpecArgs;

/// The template, relative to the repository root (and to the working directory of `up`).
pub const TEMPLATE: &str = "deploy/azure/main.bicep";

#[derive(Subcommand)]
pub enum AzureCommand {
    /// Write the parameters of deploy/azure/main.bicep for a Neo4jCluster: a .bicepparam file
    /// (`using '<template>'` + `param name = value`) or, with --format json, an ARM deployment
    /// parameters file. The namespace, ServiceAccounts, member count, backup storage account,
    /// container and retention come from the spec; every bad input is reported at once and
    /// nothing is written.
    Params(ParamsArgs),
    /// From an empty resource group to a running cluster through the `az` and `kubectl` CLIs:
    /// resource group, Bicep deployment, credentials, operator, Neo4jCluster. Progress is shown
    /// per step; a step that finished is recorded in the state directory and skipped when the
    /// command runs again with the same inputs (docs/azure.md).
    Up(up::UpArgs),
    /// Print the alert rules as Azure Monitor managed Prometheus rule-group rules (JSON);
    /// committed as deploy/azure/alert-rules.json, which the Bicep loads.
    AlertRules,
}

#[derive(Args)]
pub struct ParamsArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub azure: params::AzureOptions,
    /// Output file; `-` prints to stdout.
    #[arg(short = 'o', long = "output", default_value = "-")]
    pub output: PathBuf,
    /// Parameter file format.
    #[arg(long = "format", value_enum, default_value_t = ParamsFormat::Bicepparam)]
    pub format: ParamsFormat,
    /// The template the .bicepparam's `using` names (written relative to the output file).
    #[arg(long = "template", default_value = TEMPLATE)]
    pub template: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParamsFormat {
    Bicepparam,
    Json,
}

pub fn run(command: AzureCommand) -> Result<(), Failure> {
    match command {
        AzureCommand::Params(args) => {
            let (_, cluster) = load(&args.spec)?;
            let params = params::params(&cluster, &args.azure)?;
            let text = params_text(&params, args.format, &args.template, &args.output)?;
            if args.output.as_os_str() == "-" {
                crate::print(&text)
            } else {
                std::fs::write(&args.output, text).map_err(|e| {
                    Failure::output("the parameter file")(format!("{}: {e}", args.output.display()))
                })?;
                eprintln!("wrote {}", args.output.display());
                Ok(())
            }
        }
        AzureCommand::Up(args) => up::run(&args, &mut up::Processes),
        AzureCommand::AlertRules => {
            let rules = rule_groups::rules().map_err(Failure::output("the alert rules"))?;
            crate::print(
                &serde_json::to_string_pretty(&rules)
                    .map(|t| t + "\n")
                    .map_err(|e| Failure::output("the alert rules")(e.to_string()))?,
            )
        }
    }
}

/// Stands for the client and tenant IDs of identities the deployment has not created yet: the
/// parameters do not depend on them, and `up` puts the deployed ones into the spec before
/// applying it.
const PENDING_CLIENT_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The spec as written, and validated with pending IDs where the spec leaves out what
/// main.bicep creates: the backup identity's client ID (backups on, no credentials) and the
/// member identity's client ID and tenant of `spec.secrets.keyVault`.
pub fn load(
    spec: &SpecArgs,
) -> Result<
    (
        neo4j_aks_model::Neo4jCluster,
        neo4j_aks_model::ValidatedCluster,
    ),
    Failure,
> {
    let written = spec.load()?;
    let mut completed = written.clone();
    if let Some(backup) = completed.spec.backup.as_mut()
        && backup.enabled == Some(true)
        && backup.credentials.is_none()
    {
        backup.credentials = Some(neo4j_aks_model::spec::BackupCredentials {
            workload_identity_client_id: Some(PENDING_CLIENT_ID.to_string()),
            ..Default::default()
        });
    }
    if let Some(vault) = completed
        .spec
        .secrets
        .as_mut()
        .and_then(|s| s.key_vault.as_mut())
    {
        for id in [&mut vault.client_id, &mut vault.tenant_id] {
            id.get_or_insert_with(|| PENDING_CLIENT_ID.to_string());
        }
    }
    let rendered = neo4j_aks_render::render(&completed)?;
    for warning in &rendered.warnings {
        eprintln!("warning: {warning}");
    }
    Ok((written, rendered.cluster))
}

/// The parameter file's text; `output` decides the `using` path of a .bicepparam.
pub fn params_text(
    params: &params::Params,
    format: ParamsFormat,
    template: &Path,
    output: &Path,
) -> Result<String, Failure> {
    match format {
        ParamsFormat::Json => bicepparam::parameters_json(params),
        ParamsFormat::Bicepparam => {
            let dir = if output.as_os_str() == "-" {
                Path::new(".")
            } else {
                output.parent().unwrap_or(Path::new("."))
            };
            bicepparam::bicepparam(&relative(dir, template)?, params)
        }
    }
    .map_err(|e| Failure::output("the parameter file")(e.to_string()))
}

/// `to` relative to the directory `from` (both taken from the working directory), with `/`.
fn relative(from: &Path, to: &Path) -> Result<String, Failure> {
    let absolute = |p: &Path| {
        std::path::absolute(if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        })
        .map_err(|e| Failure::output("the template path")(e.to_string()))
    };
    let from: Vec<_> = normal(&absolute(from)?);
    let to: Vec<_> = normal(&absolute(to)?);
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(to[common..].iter().cloned());
    Ok(parts.join("/"))
}

/// Path components without `.` and with `..` applied.
fn normal(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn using_paths_are_relative_to_the_output_directory() {
        let r = |from: &str, to: &str| relative(Path::new(from), Path::new(to)).expect("relative");
        assert_eq!(r("deploy/azure", "deploy/azure/main.bicep"), "main.bicep");
        assert_eq!(r(".", "deploy/azure/main.bicep"), "deploy/azure/main.bicep");
        assert_eq!(r("", "deploy/azure/main.bicep"), "deploy/azure/main.bicep");
        assert_eq!(
            r("/tmp/x", "/work/deploy/azure/main.bicep"),
            "../../work/deploy/azure/main.bicep"
        );
        assert_eq!(r("a/b/../c", "a/main.bicep"), "../main.bicep");
    }
}
