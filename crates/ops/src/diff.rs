//! `neo4j-aks diff`: what `apply` would change, as unified diffs of YAML. The live side is
//! reduced to the fields the renderer sets, so server defaults do not drown the changes.

use kube::Client;
use serde_json::Value;
use similar::TextDiff;

use crate::changeset::{self, Live, Planned};
use crate::compare::project;
use crate::error::ApplyError;
use crate::prepare::Prepared;

/// One object that `apply` would change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectDiff {
    pub kind: &'static str,
    pub name: String,
    /// A unified diff (or a one-line note).
    pub text: String,
}

fn yaml(value: &Value) -> String {
    serde_saphyr::to_string(value).unwrap_or_else(|e| format!("<cannot show as YAML: {e}>\n"))
}

fn strip_noise(value: &mut Value) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "managedFields",
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
        ] {
            meta.remove(key);
        }
    }
    if let Some(map) = value.as_object_mut() {
        map.remove("status");
    }
}

/// Every change `apply` would make (the same change set), as diffs and notes.
pub async fn diff(client: &Client, prepared: &Prepared) -> Result<Vec<ObjectDiff>, ApplyError> {
    let live = Live::read(client, prepared).await?;
    Ok(changeset::plan(prepared, &live)
        .into_iter()
        .map(|planned| ObjectDiff {
            kind: planned.kind(),
            name: planned.name().to_string(),
            text: text(&planned),
        })
        .collect())
}

/// A unified diff for objects that would be written; a one-line note otherwise.
fn text(planned: &Planned) -> String {
    let title = format!("{} {}", planned.kind(), planned.name());
    match planned {
        Planned::Create { desired } => TextDiff::from_lines("", &yaml(&desired.value))
            .unified_diff()
            .header("/dev/null", &format!("desired/{title}"))
            .to_string(),
        Planned::Update { desired, live, .. } => {
            let mut live = live.clone();
            strip_noise(&mut live);
            let old = yaml(&project(&desired.value, &live));
            TextDiff::from_lines(&old, &yaml(&desired.value))
                .unified_diff()
                .context_radius(3)
                .header(&format!("live/{title}"), &format!("desired/{title}"))
                .to_string()
        }
        Planned::Conflict { why, .. } => format!("{title}: would be left unchanged: {why}\n"),
        Planned::Delete { .. } => format!("{title}: would be deleted (no longer rendered)\n"),
        Planned::FillPassword { key, .. } => {
            format!("{title}: a random admin password would be written to key {key}\n")
        }
        Planned::IssueCertificates { plan, .. } => {
            format!("{title}: TLS certificates would be issued: {plan}\n")
        }
        Planned::GatherCertificates { step, .. } => match step {
            crate::cert_manager::Step::Gather { .. } => {
                format!("{title}: cert-manager's certificates would be copied in: {step}\n")
            }
            _ => format!("{title}: apply would stop here: {step}\n"),
        },
        Planned::Expand { to, .. } => {
            format!("{title}: storage request would be expanded to {to}\n")
        }
    }
}

/// `neo4j-aks diff`: validate, prepare against the live cluster, compare.
pub async fn diff_spec(
    client: &Client,
    cluster: &neo4j_aks_model::Neo4jCluster,
) -> Result<Result<Vec<ObjectDiff>, neo4j_aks_model::Invalid>, ApplyError> {
    let mut validated = match neo4j_aks_model::validate(cluster) {
        Ok(v) => v,
        Err(invalid) => return Ok(Err(invalid)),
    };
    // What apply would refuse, diff refuses too; mid-roll it compares with what apply would write.
    if let Err(invalid) = crate::upgrade::check_for_cli(client, &mut validated).await? {
        return Ok(Err(invalid));
    }
    let prepared = match crate::prepare::prepare(client, validated, None).await? {
        Ok(p) => p,
        Err(invalid) => return Ok(Err(invalid)),
    };
    Ok(Ok(diff(client, &prepared).await?))
}
