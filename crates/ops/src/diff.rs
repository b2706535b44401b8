//! `neo4j-aks diff`: what `apply` would change, as unified diffs of YAML. The live side is
//! reduced to the fields the renderer sets, so server defaults do not drown the changes.

use std::collections::BTreeSet;

use kube::Client;
use neo4j_aks_model::validated::PasswordSource;
use neo4j_aks_render::config::PASSWORD_ANNOTATION;
use serde_json::Value;
use similar::TextDiff;

use crate::apply::{live_objects, take_live};
use crate::compare::{first_difference, project};
use crate::error::ApplyError;
use crate::kinds::Kind;
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

/// Every difference between the prepared objects and the live cluster.
pub async fn diff(client: &Client, prepared: &Prepared) -> Result<Vec<ObjectDiff>, ApplyError> {
    let cluster = &prepared.rendered.cluster;
    let ns = cluster.namespace.as_str();
    let mut live = live_objects(client, ns, &cluster.name).await?;
    let mut out = Vec::new();
    let mut desired_keys = BTreeSet::new();
    let mut secret_live: Option<Value> = None;
    for desired in &prepared.desired {
        let key = (desired.kind, desired.name.clone());
        desired_keys.insert(key.clone());
        let current = take_live(client, ns, &mut live, desired).await?;
        let title = format!("{} {}", desired.kind.name(), desired.name);
        let new = yaml(&desired.value);
        match current {
            None => {
                let text = TextDiff::from_lines("", &new)
                    .unified_diff()
                    .header("/dev/null", &format!("desired/{title}"))
                    .to_string();
                out.push(ObjectDiff {
                    kind: desired.kind.name(),
                    name: desired.name.clone(),
                    text,
                });
            }
            Some(object) => {
                let mut live_value = serde_json::to_value(&object).unwrap_or(Value::Null);
                if desired.kind == Kind::Secret {
                    secret_live = Some(live_value.clone());
                }
                if first_difference(&desired.value, &live_value).is_some() {
                    strip_noise(&mut live_value);
                    let old = yaml(&project(&desired.value, &live_value));
                    let text = TextDiff::from_lines(&old, &new)
                        .unified_diff()
                        .context_radius(3)
                        .header(&format!("live/{title}"), &format!("desired/{title}"))
                        .to_string();
                    out.push(ObjectDiff {
                        kind: desired.kind.name(),
                        name: desired.name.clone(),
                        text,
                    });
                }
            }
        }
    }
    if let PasswordSource::Generated { secret, key } = &cluster.password {
        let filled = secret_live
            .as_ref()
            .and_then(|s| s.get("data"))
            .and_then(|d| d.get(key))
            .is_some();
        if !filled {
            out.push(ObjectDiff {
                kind: "Secret",
                name: secret.clone(),
                text: format!(
                    "Secret {secret}: a random admin password would be written to key {key}\n"
                ),
            });
        }
    }
    for ((kind, name), object) in live {
        let generated = kind == Kind::Secret
            && object
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(PASSWORD_ANNOTATION));
        if generated || desired_keys.contains(&(kind, name.clone())) {
            continue;
        }
        out.push(ObjectDiff {
            kind: kind.name(),
            name: name.clone(),
            text: format!(
                "{} {name}: would be deleted (no longer rendered)\n",
                kind.name()
            ),
        });
    }
    for claim in &prepared.findings.expand {
        out.push(ObjectDiff {
            kind: "PersistentVolumeClaim",
            name: claim.clone(),
            text: format!(
                "PersistentVolumeClaim {claim}: storage request would be expanded to {}\n",
                prepared.findings.disk_size
            ),
        });
    }
    Ok(out)
}

/// `neo4j-aks diff`: validate, prepare against the live cluster, compare.
pub async fn diff_spec(
    client: &Client,
    cluster: &neo4j_aks_model::Neo4jCluster,
) -> Result<Result<Vec<ObjectDiff>, neo4j_aks_model::Invalid>, ApplyError> {
    let validated = match neo4j_aks_model::validate(cluster) {
        Ok(v) => v,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let prepared = match crate::prepare::prepare(client, validated, None).await? {
        Ok(p) => p,
        Err(invalid) => return Ok(Err(invalid)),
    };
    Ok(Ok(diff(client, &prepared).await?))
}
