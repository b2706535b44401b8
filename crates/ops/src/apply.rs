//! Server-side apply of the prepared objects: skip what the server already holds, apply what
//! differs (field manager `neo4j-aks`, forced), fill the generated password once, delete what is
//! no longer rendered, expand claims. A resync with nothing changed sends no write at all.

use std::fmt;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret};
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::json;

use crate::changeset::{self, Live, Planned};
use crate::error::ApplyError;
use crate::kinds::KindApi;
use crate::prepare::{Desired, Prepared};
use crate::stores::Stores;
use crate::{FIELD_MANAGER, PASSWORD_FIELD_MANAGER, certificates, password};

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    /// The first field path that differed.
    Updated(String),
    Deleted,
    PasswordGenerated,
    /// What was issued, and why (no key material).
    CertificatesIssued(String),
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
            Action::CertificatesIssued(_) => "CertificatesIssued",
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
            Action::CertificatesIssued(what) => {
                write!(f, "issued TLS certificates into {kind} {name}: {what}")
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

/// Applies `prepared` and returns every change made: the change set of [`changeset::plan`],
/// carried out in its order.
pub async fn apply(client: &Client, prepared: &Prepared) -> Result<Vec<Change>, ApplyError> {
    apply_with(client, None, prepared).await
}

/// [`apply`], comparing with the watch caches. A stale cache cannot cause a wrong write: the
/// writes are server-side applies of the desired state (idempotent), deletions are guarded by
/// the cached uid and the labels the cache matched, and a plan that would generate a password
/// or issue certificates is decided again on a direct read.
pub async fn apply_with(
    client: &Client,
    stores: Option<&Stores>,
    prepared: &Prepared,
) -> Result<Vec<Change>, ApplyError> {
    let mut live = Live::read_with(client, stores, prepared).await?;
    let mut planned = changeset::plan(prepared, &live);
    if stores.is_some() && planned.iter().any(Planned::needs_fresh_read) {
        live.refresh_for_secrets(client, prepared).await?;
        planned = changeset::plan(prepared, &live);
    }
    let ns = prepared.rendered.cluster.namespace.as_str();
    let mut changes = Vec::new();
    for planned in planned {
        let kind = planned.kind();
        let name = planned.name().to_string();
        let action = match planned {
            Planned::Create { desired } => {
                server_side_apply(client, ns, &desired).await?;
                Action::Created
            }
            Planned::Update { desired, path, .. } => {
                server_side_apply(client, ns, &desired).await?;
                Action::Updated(path)
            }
            Planned::Conflict { why, .. } => Action::Conflict(why),
            Planned::Delete { kind, name, uid } => {
                let params = DeleteParams {
                    preconditions: uid.map(|uid| Preconditions {
                        uid: Some(uid),
                        resource_version: None,
                    }),
                    ..DeleteParams::background()
                };
                match kind.api(client, ns).delete(&name, &params).await {
                    Ok(_) => Action::Deleted,
                    Err(kube::Error::Api(s)) if s.is_not_found() => continue,
                    // Replaced since it was read (uid precondition): the watch brings the new
                    // object and the next reconcile decides on it.
                    Err(kube::Error::Api(s)) if s.code == 409 => continue,
                    Err(source) => {
                        return Err(ApplyError::DeleteFailed {
                            kind: kind.name(),
                            name,
                            source,
                        });
                    }
                }
            }
            Planned::FillPassword { secret, key } => {
                fill_password(client, ns, &secret, &key).await?;
                Action::PasswordGenerated
            }
            Planned::IssueCertificates { plan, .. } => {
                let cluster = &prepared.rendered.cluster;
                certificates::issue(client, cluster, &live, &plan, live.read_at).await?;
                Action::CertificatesIssued(plan.to_string())
            }
            Planned::GatherCertificates { step, .. } => {
                let cluster = &prepared.rendered.cluster;
                crate::cert_manager::gather(client, cluster, &live, &step, live.read_at).await?;
                Action::CertificatesIssued(step.to_string())
            }
            Planned::Expand { claim, from, to } => {
                let patch = json!({"spec": {"resources": {"requests": {"storage": to}}}});
                Api::<PersistentVolumeClaim>::namespaced(client.clone(), ns)
                    .patch(&claim, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(|source| ApplyError::ExpandFailed {
                        name: claim.clone(),
                        source,
                    })?;
                Action::VolumeExpanded(from, to)
            }
        };
        changes.push(Change { kind, name, action });
    }
    Ok(changes)
}

async fn server_side_apply(client: &Client, ns: &str, desired: &Desired) -> Result<(), ApplyError> {
    desired
        .kind
        .api(client, ns)
        .patch(
            &desired.name,
            &apply_params(),
            &Patch::Apply(&desired.value),
        )
        .await
        .map(|_| ())
        .map_err(|source| ApplyError::ApplyFailed {
            kind: desired.kind.name(),
            name: desired.name.clone(),
            source,
        })
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
    let mut validated = match neo4j_aks_model::validate(cluster) {
        Ok(v) => v,
        Err(invalid) => return Ok(Err(invalid)),
    };
    // The operator's own check: a version change the members cannot take changes nothing.
    if let Err(invalid) = crate::upgrade::check_for_cli(client, &mut validated).await? {
        return Ok(Err(invalid));
    }
    let prepared = match crate::prepare::prepare(client, validated, None).await? {
        Ok(p) => p,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let changes = apply(client, &prepared).await?;
    Ok(Ok((changes, prepared)))
}
