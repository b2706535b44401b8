//! The one comparison of desired and live objects that both `apply` (which carries it out) and
//! `diff` (which shows it) use, so that what diff promises is what apply does. Reading the live
//! side is the only IO here; deciding the changes ([`plan`]) is pure.

use std::collections::{BTreeMap, BTreeSet};

use kube::Client;
use kube::api::{DynamicObject, ListParams};
use neo4j_aks_model::validated::PasswordSource;
use serde_json::Value;
use time::OffsetDateTime;

use crate::certificates::{self, CertificatePlan};
use crate::compare::first_difference;
use crate::error::ApplyError;
use crate::kinds::{self, Kind, KindApi};
use crate::prepare::{Desired, Prepared, owned_selector};
use crate::stores::Stores;

/// Fields of a StorageClass the API server does not let anyone change.
const STORAGE_CLASS_IMMUTABLE: [&str; 4] = [
    "provisioner",
    "parameters",
    "reclaimPolicy",
    "volumeBindingMode",
];

/// What the API server holds for a cluster: every object labelled as ours, and every desired
/// object that is not labelled (yet) or is cluster-scoped, asked for by name.
#[derive(Clone, Debug)]
pub struct Live {
    pub objects: BTreeMap<(Kind, String), Value>,
    /// When it was read: what certificate expiry is judged against.
    pub read_at: OffsetDateTime,
    /// `source: certManager`: the data of each member's cert-manager Secret, by pod.
    pub issued: BTreeMap<String, BTreeMap<String, String>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            objects: BTreeMap::new(),
            read_at: OffsetDateTime::UNIX_EPOCH,
            issued: BTreeMap::new(),
        }
    }
}

impl Live {
    pub async fn read(client: &Client, prepared: &Prepared) -> Result<Live, ApplyError> {
        Self::read_with(client, None, prepared).await
    }

    /// [`Live::read`], taking the labelled objects from the watch caches where they have
    /// listed. A desired object missing from a listed cache is planned as a create: server-side
    /// apply, the same write that would update it if it existed without our labels. Desired
    /// objects of a kind without a listed cache are asked for by name; the StorageClass comes from
    /// the cache of managed classes once it listed.
    pub async fn read_with(
        client: &Client,
        stores: Option<&Stores>,
        prepared: &Prepared,
    ) -> Result<Live, ApplyError> {
        let cluster = &prepared.rendered.cluster;
        let ns = cluster.namespace.as_str();
        let (labelled, cached) = labelled_objects_with(client, stores, ns, &cluster.name).await?;
        let mut objects: BTreeMap<(Kind, String), Value> = labelled
            .into_iter()
            .map(|(key, object)| (key, to_value(&object)))
            .collect();
        for desired in &prepared.desired {
            let key = (desired.kind, desired.name.clone());
            if objects.contains_key(&key) || cached.contains(&desired.kind) {
                continue;
            }
            if desired.kind == Kind::StorageClass
                && let Some(class) = stores.and_then(|s| s.storage_class(&desired.name))
            {
                if let Some(object) = class.and_then(|c| serde_json::to_value(c).ok()) {
                    objects.insert(key, object);
                }
                continue;
            }
            if let Some(object) = read_desired(client, ns, desired).await? {
                objects.insert(key, object);
            }
        }
        Ok(Live {
            objects,
            read_at: OffsetDateTime::now_utc(),
            issued: crate::cert_manager::read_issued(client, cluster).await?,
        })
    }

    /// Reads the Secrets and the StatefulSet again from the API server (a list by label, then
    /// the desired ones by name): what a password or certificate decision rests on is never a
    /// cached copy.
    pub async fn refresh_for_secrets(
        &mut self,
        client: &Client,
        prepared: &Prepared,
    ) -> Result<(), ApplyError> {
        let cluster = &prepared.rendered.cluster;
        let ns = cluster.namespace.as_str();
        let selector = ListParams::default().labels(&owned_selector(&cluster.name));
        for kind in [Kind::Secret, Kind::StatefulSet] {
            self.objects.retain(|(k, _), _| *k != kind);
            let list = kind
                .api(client, ns)
                .list(&selector)
                .await
                .map_err(|source| ApplyError::ReadFailed {
                    what: format!("{} of {}", kind.name(), cluster.name),
                    source,
                })?;
            for object in list.items {
                if let Some(name) = object.metadata.name.clone() {
                    self.objects.insert((kind, name), to_value(&object));
                }
            }
            for desired in prepared.desired.iter().filter(|d| d.kind == kind) {
                let key = (kind, desired.name.clone());
                if self.objects.contains_key(&key) {
                    continue;
                }
                if let Some(object) = read_desired(client, ns, desired).await? {
                    self.objects.insert(key, object);
                }
            }
        }
        self.read_at = OffsetDateTime::now_utc();
        Ok(())
    }
}

async fn read_desired(
    client: &Client,
    ns: &str,
    desired: &Desired,
) -> Result<Option<Value>, ApplyError> {
    let found = desired
        .kind
        .api(client, ns)
        .get_opt(&desired.name)
        .await
        .map_err(|source| ApplyError::ReadFailed {
            what: format!("{} {}", desired.kind.name(), desired.name),
            source,
        })?;
    Ok(found.map(|o| to_value(&o)))
}

/// The objects of every namespaced kind that carry the cluster's labels, by kind and name.
pub async fn labelled_objects(
    client: &Client,
    namespace: &str,
    cluster: &str,
) -> Result<BTreeMap<(Kind, String), DynamicObject>, ApplyError> {
    Ok(labelled_objects_with(client, None, namespace, cluster)
        .await?
        .0)
}

/// [`labelled_objects`], from the watch cache of each kind that has listed; also the kinds
/// that came from a cache.
pub async fn labelled_objects_with(
    client: &Client,
    stores: Option<&Stores>,
    namespace: &str,
    cluster: &str,
) -> Result<(BTreeMap<(Kind, String), DynamicObject>, BTreeSet<Kind>), ApplyError> {
    let selector = ListParams::default().labels(&owned_selector(cluster));
    let mut objects = BTreeMap::new();
    let mut cached_kinds = BTreeSet::new();
    for kind in kinds::namespaced() {
        if let Some(cached) = stores.and_then(|s| s.labelled(kind, namespace, cluster)) {
            cached_kinds.insert(kind);
            for object in cached {
                if let Some(name) = object.metadata.name.clone() {
                    objects.insert((kind, name), std::sync::Arc::unwrap_or_clone(object));
                }
            }
            continue;
        }
        let list = match kind.api(client, namespace).list(&selector).await {
            Ok(list) => list,
            // A third-party kind whose CRD is not installed (prometheus-operator's, on a cluster
            // without it) has no objects to own; rendering one fails its apply with the reason.
            Err(kube::Error::Api(s)) if s.code == 404 => continue,
            Err(source) => {
                return Err(ApplyError::ReadFailed {
                    what: format!("{} of {cluster}", kind.name()),
                    source,
                });
            }
        };
        for object in list.items {
            if let Some(name) = object.metadata.name.clone() {
                objects.insert((kind, name), object);
            }
        }
    }
    Ok((objects, cached_kinds))
}

fn to_value(object: &DynamicObject) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// One change the desired state asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Planned {
    /// Not on the server: server-side apply creates it.
    Create { desired: Desired },
    /// Differs, first at `path`: server-side apply updates it.
    Update {
        desired: Desired,
        path: String,
        live: Value,
    },
    /// A cluster-scoped object owned by someone else differs in fields nobody may change: left
    /// alone, and said why.
    Conflict {
        desired: Desired,
        why: String,
        live: Value,
    },
    /// Labelled as ours but no longer rendered.
    Delete {
        kind: Kind,
        name: String,
        /// The uid of the copy read: the delete is refused if the object was replaced since.
        uid: Option<String>,
    },
    /// The generated-password Secret has no password yet.
    FillPassword { secret: String, key: String },
    /// TLS certificates to issue into `secret` (and its CA Secret), before the members use them.
    IssueCertificates {
        secret: String,
        plan: CertificatePlan,
    },
    /// `source: certManager`: gather cert-manager's certificates into `secret`, or stop before
    /// the members until they can be.
    GatherCertificates {
        secret: String,
        step: crate::cert_manager::Step,
    },
    /// A claim's storage request is below the spec's disk size.
    Expand {
        claim: String,
        from: String,
        to: String,
    },
}

impl Planned {
    /// A change that must not be decided on a cached copy: a second generated password or a
    /// second issue of certificates would replace what the members already use.
    pub fn needs_fresh_read(&self) -> bool {
        matches!(
            self,
            Planned::FillPassword { .. } | Planned::IssueCertificates { .. }
        )
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Planned::Create { desired }
            | Planned::Update { desired, .. }
            | Planned::Conflict { desired, .. } => desired.kind.name(),
            Planned::Delete { kind, .. } => kind.name(),
            Planned::FillPassword { .. }
            | Planned::IssueCertificates { .. }
            | Planned::GatherCertificates { .. } => Kind::Secret.name(),
            Planned::Expand { .. } => "PersistentVolumeClaim",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Planned::Create { desired }
            | Planned::Update { desired, .. }
            | Planned::Conflict { desired, .. } => &desired.name,
            Planned::Delete { name, .. } => name,
            Planned::FillPassword { secret, .. }
            | Planned::IssueCertificates { secret, .. }
            | Planned::GatherCertificates { secret, .. } => secret,
            Planned::Expand { claim, .. } => claim,
        }
    }
}

/// Every change, in the order apply makes them: desired objects in apply order, the password,
/// deletions of what is no longer rendered, then claim expansions. Nothing for an object the
/// server already holds as desired.
pub fn plan(prepared: &Prepared, live: &Live) -> Vec<Planned> {
    let cluster = &prepared.rendered.cluster;
    let mut planned = Vec::new();
    let mut desired_keys = BTreeSet::new();
    for desired in &prepared.desired {
        desired_keys.insert((desired.kind, desired.name.clone()));
        let Some(current) = live.objects.get(&(desired.kind, desired.name.clone())) else {
            planned.push(Planned::Create {
                desired: desired.clone(),
            });
            continue;
        };
        let Some(path) = first_difference(&desired.value, current) else {
            continue;
        };
        // Any immutable field that differs makes the whole apply fail, whichever field
        // differs first.
        let immutable = (desired.kind == Kind::StorageClass)
            .then(|| {
                STORAGE_CLASS_IMMUTABLE.iter().find(|f| {
                    first_difference(
                        &desired.value[**f],
                        current.get(**f).unwrap_or(&Value::Null),
                    )
                    .is_some()
                })
            })
            .flatten();
        planned.push(match immutable {
            Some(field) => Planned::Conflict {
                desired: desired.clone(),
                why: format!(
                    "the existing class differs in {field}, which cannot change; use another spec.storage.className or spec.storage.createStorageClass: false"
                ),
                live: current.clone(),
            },
            None => Planned::Update {
                desired: desired.clone(),
                path,
                live: current.clone(),
            },
        });
    }
    if let PasswordSource::Generated { secret, key } = &cluster.password {
        // Our apply of the Secret never sets `data`, so what the server holds now is what it
        // holds after the apply.
        let filled = live
            .objects
            .get(&(Kind::Secret, secret.clone()))
            .and_then(|s| s.get("data"))
            .and_then(|d| d.get(key))
            .is_some();
        if !filled {
            planned.push(Planned::FillPassword {
                secret: secret.clone(),
                key: key.clone(),
            });
        }
    }
    for ((kind, name), object) in &live.objects {
        // Never delete a Secret (the operator's role has no delete verb on them): a generated
        // password must survive a switch to passwordSecretRef and back, and the TLS CA and keys
        // one of TLS off and on again (the members' clients keep trusting the same CA).
        // Objects read by name are all desired; only labelled ones can be left over.
        if *kind != Kind::Secret && !desired_keys.contains(&(*kind, name.clone())) {
            planned.push(Planned::Delete {
                kind: *kind,
                name: name.clone(),
                uid: object["metadata"]["uid"].as_str().map(str::to_string),
            });
        }
    }
    if let Some(plan) = certificates::plan(cluster, live, live.read_at) {
        // Before the StatefulSet changes, so a member never starts without its files.
        let at = planned
            .iter()
            .position(|p| p.kind() == Kind::StatefulSet.name())
            .unwrap_or(planned.len());
        planned.insert(
            at,
            Planned::IssueCertificates {
                secret: neo4j_aks_render::tls::secret_name(cluster),
                plan,
            },
        );
    }
    if let Some(step) = crate::cert_manager::plan(cluster, live, live.read_at) {
        // Before the StatefulSet changes, as above; a wait stops the apply there.
        let at = planned
            .iter()
            .position(|p| p.kind() == Kind::StatefulSet.name())
            .unwrap_or(planned.len());
        planned.insert(
            at,
            Planned::GatherCertificates {
                secret: neo4j_aks_render::tls::secret_name(cluster),
                step,
            },
        );
    }
    for claim in &prepared.findings.expand {
        let from = prepared
            .claims
            .iter()
            .find(|c| c.metadata.name.as_ref() == Some(claim))
            .and_then(|c| c.spec.as_ref()?.resources.as_ref()?.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.clone())
            .unwrap_or_default();
        planned.push(Planned::Expand {
            claim: claim.clone(),
            from,
            to: prepared.findings.disk_size.clone(),
        });
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::Findings;
    use neo4j_aks_model::Neo4jCluster;
    use neo4j_aks_render::config::PASSWORD_ANNOTATION;
    use serde_json::json;

    fn prepared(expand: &[&str]) -> Prepared {
        let cluster = Neo4jCluster::from_yaml(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {name: db, namespace: ns}\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n",
        )
        .expect("spec");
        let rendered = neo4j_aks_render::render(&cluster).expect("renders");
        let desired = rendered
            .objects
            .iter()
            .map(|o| Desired {
                kind: Kind::of(o),
                name: o.name().to_string(),
                value: o.to_value(),
            })
            .collect();
        Prepared {
            rendered,
            desired,
            findings: Findings {
                expand: expand.iter().map(|c| c.to_string()).collect(),
                disk_size: "64Gi".into(),
                ..Findings::default()
            },
            live_statefulset: None,
            claims: Vec::new(),
        }
    }

    /// The server holding exactly what is desired, with the password filled.
    fn converged(p: &Prepared) -> Live {
        let mut objects: BTreeMap<(Kind, String), Value> = p
            .desired
            .iter()
            .map(|d| ((d.kind, d.name.clone()), d.value.clone()))
            .collect();
        objects
            .get_mut(&(Kind::Secret, "db-secrets".into()))
            .expect("generated Secret")["data"] = json!({"NEO4J_AUTH": "bmVvNGoveA=="});
        Live {
            objects,
            ..Live::default()
        }
    }

    fn names(planned: &[Planned]) -> Vec<String> {
        planned
            .iter()
            .map(|p| {
                let what = match p {
                    Planned::Create { .. } => "create",
                    Planned::Update { .. } => "update",
                    Planned::Conflict { .. } => "conflict",
                    Planned::Delete { .. } => "delete",
                    Planned::FillPassword { .. } => "password",
                    Planned::IssueCertificates { .. } | Planned::GatherCertificates { .. } => {
                        "certificates"
                    }
                    Planned::Expand { .. } => "expand",
                };
                format!("{what} {} {}", p.kind(), p.name())
            })
            .collect()
    }

    #[test]
    fn nothing_live_creates_everything_in_apply_order_then_the_password() {
        let p = prepared(&[]);
        let planned = plan(&p, &Live::default());
        assert_eq!(planned.len(), p.desired.len() + 1);
        assert_eq!(names(&planned)[0], "create StorageClass neo4j-premium");
        assert_eq!(
            names(&planned).last().map(String::as_str),
            Some("password Secret db-secrets")
        );
    }

    #[test]
    fn a_converged_cluster_plans_nothing() {
        let p = prepared(&[]);
        assert_eq!(plan(&p, &converged(&p)), Vec::new());
    }

    #[test]
    fn each_kind_of_difference_is_one_planned_change() {
        let p = prepared(&["data-db-0"]);
        let mut live = converged(&p);
        live.objects
            .get_mut(&(Kind::StatefulSet, "db".into()))
            .expect("sts")["spec"]["replicas"] = json!(5);
        // A class someone else created: a mutable field differs first, an immutable one too.
        let class = live
            .objects
            .get_mut(&(Kind::StorageClass, "neo4j-premium".into()))
            .expect("class");
        class["allowVolumeExpansion"] = json!(false);
        class["provisioner"] = json!("example.com/other");
        let mut orphan = json!({"metadata": {"name": "db-old", "labels": {}}});
        orphan["metadata"]["annotations"] = json!({});
        live.objects
            .insert((Kind::ConfigMap, "db-old".into()), orphan);
        let mut generated = json!({"metadata": {"name": "db-previous"}});
        generated["metadata"]["annotations"] = json!({PASSWORD_ANNOTATION: "generated"});
        live.objects
            .insert((Kind::Secret, "db-previous".into()), generated);
        // TLS turned off: its CA stays (the role has no delete on Secrets).
        live.objects.insert(
            (Kind::Secret, "db-tls-ca".into()),
            json!({"metadata": {"name": "db-tls-ca", "labels": {}}}),
        );
        let planned = plan(&p, &live);
        assert_eq!(
            names(&planned),
            [
                "conflict StorageClass neo4j-premium",
                "update StatefulSet db",
                "delete ConfigMap db-old",
                "expand PersistentVolumeClaim data-db-0",
            ]
        );
        let Planned::Conflict { why, .. } = &planned[0] else {
            panic!("{planned:?}")
        };
        assert!(why.contains("provisioner"), "{why}");
        let Planned::Update { path, .. } = &planned[1] else {
            panic!("{planned:?}")
        };
        assert_eq!(path, ".spec.replicas");
        let Planned::Expand { to, .. } = &planned[3] else {
            panic!("{planned:?}")
        };
        assert_eq!(to, "64Gi");
    }
}
