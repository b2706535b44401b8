//! Server-side apply of the prepared objects: skip what the server already holds, apply what
//! differs (field manager `neo4j-aks`, forced), fill the generated password once, delete what is
//! no longer rendered, expand claims. A resync with nothing changed sends no write at all.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use neo4j_aks_model::validated::PasswordSource;
use neo4j_aks_render::config::PASSWORD_ANNOTATION;
use serde_json::{Value, json};

use crate::compare::first_difference;
use crate::error::ApplyError;
use crate::kinds::{Kind, NAMESPACED};
use crate::prepare::{Desired, Prepared, owned_selector};
use crate::{FIELD_MANAGER, PASSWORD_FIELD_MANAGER, password};

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    /// The first field path that differed.
    Updated(String),
    Deleted,
    PasswordGenerated,
    /// `(from, to)` storage request.
    VolumeExpanded(String, String),
    /// Not applied: a cluster-scoped object owned by someone else differs in immutable fields.
    Conflict(String),
}

impl Action {
    /// Event reason and metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            Action::Created => "Created",
            Action::Updated(_) => "Updated",
            Action::Deleted => "Deleted",
            Action::PasswordGenerated => "PasswordGenerated",
            Action::VolumeExpanded(..) => "VolumeExpanded",
            Action::Conflict(_) => "StorageClassConflict",
        }
    }
}

/// One change made (or, for `Conflict`, refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: &'static str,
    pub name: String,
    pub action: Action,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, name) = (self.kind, &self.name);
        match &self.action {
            Action::Created => write!(f, "created {kind} {name}"),
            Action::Updated(path) => write!(f, "updated {kind} {name} ({path} changed)"),
            Action::Deleted => write!(f, "deleted {kind} {name} (no longer rendered)"),
            Action::PasswordGenerated => {
                write!(f, "generated the admin password in {kind} {name}")
            }
            Action::VolumeExpanded(from, to) => {
                write!(f, "expanded {kind} {name} from {from} to {to}")
            }
            Action::Conflict(why) => write!(f, "left {kind} {name} unchanged: {why}"),
        }
    }
}

pub fn apply_params() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

/// The live objects of the cluster that carry its labels, by kind and name.
/// The live object for `desired`: from the listing of our labelled objects, or, when it is not
/// labelled as ours (yet) or is cluster-scoped, asked for by name.
pub async fn take_live(
    client: &Client,
    namespace: &str,
    live: &mut BTreeMap<(Kind, String), DynamicObject>,
    desired: &Desired,
) -> Result<Option<DynamicObject>, ApplyError> {
    if let Some(object) = live.remove(&(desired.kind, desired.name.clone())) {
        return Ok(Some(object));
    }
    desired
        .kind
        .api(client, namespace)
        .get_opt(&desired.name)
        .await
        .map_err(|source| ApplyError::ReadFailed {
            what: format!("{} {}", desired.kind.name(), desired.name),
            source,
        })
}

pub async fn live_objects(
    client: &Client,
    namespace: &str,
    cluster: &str,
) -> Result<BTreeMap<(Kind, String), DynamicObject>, ApplyError> {
    let mut live = BTreeMap::new();
    let selector = ListParams::default().labels(&owned_selector(cluster));
    for kind in NAMESPACED {
        let list = kind
            .api(client, namespace)
            .list(&selector)
            .await
            .map_err(|source| ApplyError::ReadFailed {
                what: format!("{} of {cluster}", kind.name()),
                source,
            })?;
        for object in list.items {
            if let Some(name) = object.metadata.name.clone() {
                live.insert((kind, name), object);
            }
        }
    }
    Ok(live)
}

/// Fields of a StorageClass the API server does not let anyone change.
const STORAGE_CLASS_IMMUTABLE: [&str; 4] = [
    "provisioner",
    "parameters",
    "reclaimPolicy",
    "volumeBindingMode",
];

/// Applies `prepared` and returns every change made.
pub async fn apply(client: &Client, prepared: &Prepared) -> Result<Vec<Change>, ApplyError> {
    let cluster = &prepared.rendered.cluster;
    let ns = cluster.namespace.as_str();
    let mut live = live_objects(client, ns, &cluster.name).await?;
    let mut changes = Vec::new();
    let mut desired_keys = BTreeSet::new();
    let mut applied_secret: Option<Value> = None;

    for desired in &prepared.desired {
        let key = (desired.kind, desired.name.clone());
        desired_keys.insert(key.clone());
        let api = desired.kind.api(client, ns);
        let current = take_live(client, ns, &mut live, desired).await?;
        let current_value = current
            .as_ref()
            .map(|o| serde_json::to_value(o).unwrap_or(Value::Null));
        let action = match &current_value {
            None => Some(Action::Created),
            Some(live_value) => {
                first_difference(&desired.value, live_value).map(|path| {
                    if desired.kind == Kind::StorageClass
                        && let Some(field) = STORAGE_CLASS_IMMUTABLE
                            .iter()
                            .find(|f| path.starts_with(&format!(".{f}")))
                    {
                        Action::Conflict(format!(
                            "the existing class differs in {field}, which cannot change; use another spec.storage.className or spec.storage.createStorageClass: false"
                        ))
                    } else {
                        Action::Updated(path)
                    }
                })
            }
        };
        let stored = match action {
            None => current_value,
            Some(Action::Conflict(why)) => {
                changes.push(Change {
                    kind: desired.kind.name(),
                    name: desired.name.clone(),
                    action: Action::Conflict(why),
                });
                current_value
            }
            Some(action) => {
                let result = api
                    .patch(
                        &desired.name,
                        &apply_params(),
                        &Patch::Apply(&desired.value),
                    )
                    .await
                    .map_err(|source| ApplyError::ApplyFailed {
                        kind: desired.kind.name(),
                        name: desired.name.clone(),
                        source,
                    })?;
                changes.push(Change {
                    kind: desired.kind.name(),
                    name: desired.name.clone(),
                    action,
                });
                Some(serde_json::to_value(result).unwrap_or(Value::Null))
            }
        };
        if desired.kind == Kind::Secret {
            applied_secret = stored;
        }
    }

    if let PasswordSource::Generated { secret, key } = &cluster.password {
        let filled = applied_secret
            .as_ref()
            .and_then(|s| s.get("data"))
            .and_then(|d| d.get(key))
            .is_some();
        if !filled {
            fill_password(client, ns, secret, key).await?;
            changes.push(Change {
                kind: "Secret",
                name: secret.clone(),
                action: Action::PasswordGenerated,
            });
        }
    }

    // What is left in `live` carries our labels but is no longer rendered.
    for ((kind, name), object) in live {
        let generated_password = kind == Kind::Secret
            && object
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(PASSWORD_ANNOTATION))
                .is_some();
        if generated_password || desired_keys.contains(&(kind, name.clone())) {
            // Never delete a generated password: switching to passwordSecretRef and back
            // must not lose it.
            continue;
        }
        match kind
            .api(client, ns)
            .delete(&name, &DeleteParams::background())
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.is_not_found() => continue,
            Err(source) => {
                return Err(ApplyError::DeleteFailed {
                    kind: kind.name(),
                    name,
                    source,
                });
            }
        }
        changes.push(Change {
            kind: kind.name(),
            name,
            action: Action::Deleted,
        });
    }

    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), ns);
    for name in &prepared.findings.expand {
        let from = prepared
            .claims
            .iter()
            .find(|c| c.metadata.name.as_ref() == Some(name))
            .and_then(|c| c.spec.as_ref()?.resources.as_ref()?.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.clone())
            .unwrap_or_default();
        let to = prepared.findings.disk_size.clone();
        let patch = json!({"spec": {"resources": {"requests": {"storage": to}}}});
        claims
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|source| ApplyError::ExpandFailed {
                name: name.clone(),
                source,
            })?;
        changes.push(Change {
            kind: "PersistentVolumeClaim",
            name: name.clone(),
            action: Action::VolumeExpanded(from, to),
        });
    }
    Ok(changes)
}

/// Writes `neo4j/<random>` into the Secret's key, with its own field manager and without
/// force: if anyone else set the key meanwhile, the server reports a conflict instead of
/// overwriting it.
async fn fill_password(client: &Client, ns: &str, name: &str, key: &str) -> Result<(), ApplyError> {
    let value = format!("neo4j/{}", password::generate()?);
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "data": {key: ByteString(value.into_bytes())},
    });
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    match api
        .patch(
            name,
            &PatchParams::apply(PASSWORD_FIELD_MANAGER),
            &Patch::Apply(&secret),
        )
        .await
    {
        Ok(_) => Ok(()),
        // Someone else holds the key: it is filled, which is all we wanted.
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(source) => Err(ApplyError::PasswordFailed {
            name: name.to_string(),
            source,
        }),
    }
}

/// `neo4j-aks apply`: validate, prepare against the live cluster, apply (no owner reference:
/// there is no Neo4jCluster object). `Ok(Err(invalid))` when the spec is refused.
pub async fn apply_spec(
    client: &Client,
    cluster: &neo4j_aks_model::Neo4jCluster,
) -> Result<Result<(Vec<Change>, crate::prepare::Prepared), neo4j_aks_model::Invalid>, ApplyError> {
    let validated = match neo4j_aks_model::validate(cluster) {
        Ok(v) => v,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let prepared = match crate::prepare::prepare(client, validated, None).await? {
        Ok(p) => p,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let changes = apply(client, &prepared).await?;
    Ok(Ok((changes, prepared)))
}
