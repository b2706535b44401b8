//! Before building: read what the API server holds that the pure core cannot know (the live
//! StatefulSet, the members' claims), reject what cannot be done (shrinking volumes), hold what
//! must not be done by a plain apply (scale-down: the day-2 executor removes members one at a
//! time), and keep what must not be re-sent (the live
//! volumeClaimTemplates, which the StatefulSet API does not let anyone change).

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Client;
use kube::api::{Api, ListParams};
use kube_quantity::ParsedQuantity;
use neo4j_aks_model::api::annotations::{CERTIFICATES_RENEWED_AT, TRUSTED_CA_ADDED_AT};
use neo4j_aks_model::{Invalid, Problem, ValidatedCluster, Warning};
use neo4j_aks_render::labels::{CLUSTER_LABEL, MANAGED_BY};
use neo4j_aks_render::seed::SEED_FETCH_CONTAINER;
use neo4j_aks_render::{Object, Rendered};
use serde_json::Value;

use crate::error::ApplyError;
use crate::kinds::{Kind, Scope};

/// One object to apply, as JSON (typed object serialised, owner reference added).
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub kind: Kind,
    pub name: String,
    pub value: Value,
}

/// Why the applied objects differ from what the spec asks, for the status.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    /// `(spec nodeCount, live replicas)` while a lower nodeCount waits for safe deallocation.
    pub scale_down_pending: Option<(i32, i32)>,
    /// Changes of immutable fields that were not applied, each with the way out.
    pub immutable: Vec<String>,
    /// Claims whose request is below the spec's disk size: they are expanded in place.
    pub expand: Vec<String>,
    /// The requested disk size (`64Gi`) when claims are expanded.
    pub disk_size: String,
    /// Claims of members above the rendered count (kept after a scale-down, never deleted).
    pub retained_claims: Vec<String>,
    /// `spec.bootstrap` is set but the live StatefulSet was created without it: the cluster
    /// already runs, so its members are not given seed containers (and nothing is seeded).
    pub bootstrap_ignored: bool,
}

/// Everything `apply` needs.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub rendered: Rendered,
    pub desired: Vec<Desired>,
    pub findings: Findings,
    pub live_statefulset: Option<StatefulSet>,
    pub claims: Vec<PersistentVolumeClaim>,
}

/// Label selector of every object of the cluster `name` that neo4j-aks manages.
pub fn owned_selector(name: &str) -> String {
    format!("{CLUSTER_LABEL}={name},app.kubernetes.io/managed-by={MANAGED_BY}")
}

/// Whether the StatefulSet's members fetch a seed before Neo4j starts (it was created with
/// `spec.bootstrap`, and the bootstrap has not been removed since).
fn seeds_members(sts: &StatefulSet) -> bool {
    sts.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.init_containers.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.name == SEED_FETCH_CONTAINER))
}

fn quantity(text: &str) -> Option<ParsedQuantity> {
    ParsedQuantity::try_from(text).ok()
}

fn claim_request(claim: &PersistentVolumeClaim) -> Option<String> {
    claim
        .spec
        .as_ref()?
        .resources
        .as_ref()?
        .requests
        .as_ref()?
        .get("storage")
        .map(|q| q.0.clone())
}

fn template_request(sts: &StatefulSet) -> Option<String> {
    sts.spec
        .as_ref()?
        .volume_claim_templates
        .as_ref()?
        .first()
        .and_then(claim_request)
}

fn template_class(sts: &StatefulSet) -> Option<String> {
    sts.spec
        .as_ref()?
        .volume_claim_templates
        .as_ref()?
        .first()?
        .spec
        .as_ref()?
        .storage_class_name
        .clone()
}

/// Reads the live state and builds the desired objects. `Ok(Err(invalid))` when the spec is
/// valid on its own but not against the live cluster (a smaller disk).
pub async fn prepare(
    client: &Client,
    cluster: ValidatedCluster,
    owner: Option<OwnerReference>,
) -> Result<Result<Prepared, Invalid>, ApplyError> {
    prepare_with(client, None, cluster, owner).await
}

/// [`prepare`], taking the claims from the watch cache once it has listed. The StatefulSet is
/// always read fresh: what it holds (replicas during a scale-down, the claim templates) is
/// re-sent by the apply, so a stale copy must not be rendered.
pub async fn prepare_with(
    client: &Client,
    stores: Option<&crate::stores::Stores>,
    mut cluster: ValidatedCluster,
    owner: Option<OwnerReference>,
) -> Result<Result<Prepared, Invalid>, ApplyError> {
    let ns = cluster.namespace.clone();
    let sts_api: Api<StatefulSet> = Api::namespaced(client.clone(), &ns);
    let live = sts_api
        .get_opt(&cluster.statefulset_name())
        .await
        .map_err(|source| ApplyError::ReadFailed {
            what: format!("StatefulSet {}", cluster.statefulset_name()),
            source,
        })?;
    let claims_api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
    let claims = match stores.and_then(|s| s.claims(&ns, &cluster.name)) {
        Some(cached) => cached,
        None => {
            claims_api
                .list(&ListParams::default().labels(&owned_selector(&cluster.name)))
                .await
                .map_err(|source| ApplyError::ReadFailed {
                    what: "PersistentVolumeClaims".into(),
                    source,
                })?
                .items
        }
    };

    let mut findings = Findings::default();
    let wanted_text = format!("{}Gi", cluster.storage.disk_size_gi);
    findings.disk_size = wanted_text.clone();
    let wanted = quantity(&wanted_text);

    // Volumes never shrink: compare with the largest of the live template and the claims (the
    // template keeps its first size after claims were expanded).
    let mut largest: Option<(ParsedQuantity, String)> = None;
    let sizes = live
        .iter()
        .filter_map(template_request)
        .chain(claims.iter().filter_map(claim_request));
    for text in sizes {
        if let Some(q) = quantity(&text)
            && largest.as_ref().is_none_or(|(l, _)| q > *l)
        {
            largest = Some((q, text));
        }
    }
    if let (Some(wanted), Some((largest, text))) = (&wanted, &largest)
        && wanted < largest
    {
        return Ok(Err(Invalid::single(
            "spec.storage.diskSizeGi",
            format!(
                "{} is smaller than the live volumes ({text}); volumes cannot shrink. Set it to at least {text}",
                cluster.storage.disk_size_gi
            ),
        )));
    }

    if cluster.bootstrap.is_some() && live.as_ref().is_some_and(|sts| !seeds_members(sts)) {
        // A restore only ever seeds the cluster it creates; rendering the seed containers
        // into a running one would restart every member for nothing.
        cluster.bootstrap = None;
        findings.bootstrap_ignored = true;
    }
    if let Some(sts) = &live {
        let live_replicas = sts.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        if live_replicas > cluster.members.asked() {
            if cluster.clustering.is_none() {
                return Ok(Err(Invalid::single(
                    "spec.nodeCount",
                    format!(
                        "{} would turn a running {live_replicas}-member cluster into a standalone server; that is not supported",
                        cluster.members.asked()
                    ),
                )));
            }
            // Render as many members as run (config, discovery Services, budget): the day-2
            // executor shrinks the StatefulSet one member at a time, each after its server was
            // deallocated and dropped.
            cluster.members = cluster.members.holding(live_replicas);
            findings.scale_down_pending = cluster.members.scale_down_pending();
        }
        if let Some(class) = template_class(sts)
            && class != cluster.storage.class_name
        {
            findings.immutable.push(format!(
                "spec.storage.className: the members' volumes use StorageClass {class} and a StatefulSet's volumeClaimTemplates cannot change. Set spec.storage.className back to {class}, or move the data: back up, delete the Neo4jCluster (deletionPolicy Retain keeps the claims), and restore into a new cluster"
            ));
        }
    }
    for claim in &claims {
        let Some(name) = &claim.metadata.name else {
            continue;
        };
        let ordinal = name
            .strip_prefix(&format!("data-{}-", cluster.name))
            .and_then(|o| o.parse::<i32>().ok());
        if ordinal.is_some_and(|o| o >= cluster.members.rendered())
            && claim.metadata.deletion_timestamp.is_none()
        {
            findings.retained_claims.push(name.clone());
        }
    }
    if let Some(wanted) = &wanted {
        for claim in &claims {
            let below = claim_request(claim)
                .and_then(|t| quantity(&t))
                .is_some_and(|q| q < *wanted);
            if below && let Some(name) = &claim.metadata.name {
                findings.expand.push(name.clone());
            }
        }
    }

    if let Some(user_secret) = cluster
        .tls
        .as_ref()
        .and_then(|t| t.user_secret())
        .map(str::to_string)
    {
        // source: secret: the user's certificates are checked before anything is applied.
        let (digest, warnings) = match check_user_secret(client, &cluster, &user_secret).await? {
            Ok(checked) => checked,
            Err(invalid) => return Ok(Err(invalid)),
        };
        cluster.warnings.extend(warnings);
        if let Some(tls) = cluster.tls.as_mut() {
            tls.renewed_at = Some(digest);
        }
    } else if cluster.tls.is_some() {
        let mut annotations =
            certificate_annotations(client, &ns, &neo4j_aks_render::tls::secret_name(&cluster))
                .await?;
        if let Some(tls) = cluster.tls.as_mut() {
            tls.renewed_at = annotations.remove(CERTIFICATES_RENEWED_AT);
            tls.trusted_ca_added_at = annotations.remove(TRUSTED_CA_ADDED_AT);
        }
    }
    let rendered = neo4j_aks_render::build(cluster);
    let desired = rendered
        .objects
        .iter()
        .map(|object| desired_value(object, owner.as_ref(), live.as_ref()))
        .collect();
    Ok(Ok(Prepared {
        rendered,
        desired,
        findings,
        live_statefulset: live,
        claims,
    }))
}

fn desired_value(
    object: &Object,
    owner: Option<&OwnerReference>,
    live: Option<&StatefulSet>,
) -> Desired {
    let kind = Kind::of(object);
    let mut value = object.to_value();
    if kind.scope() == Scope::Namespaced
        && let Some(owner) = owner
    {
        value["metadata"]["ownerReferences"] = serde_json::to_value([owner]).unwrap_or(Value::Null);
    }
    if kind == Kind::StatefulSet
        && let Some(templates) = live
            .and_then(|s| s.spec.as_ref())
            .and_then(|s| s.volume_claim_templates.as_ref())
    {
        // The API server refuses any change here; re-send exactly what it holds.
        let kept: Vec<Value> = templates
            .iter()
            .map(|t| {
                let mut t = serde_json::to_value(t).unwrap_or(Value::Null);
                if let Some(map) = t.as_object_mut() {
                    map.remove("status");
                }
                if let Some(meta) = t.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("creationTimestamp");
                }
                t
            })
            .collect();
        value["spec"]["volumeClaimTemplates"] = Value::Array(kept);
    }
    Desired {
        kind,
        name: object.name().to_string(),
        value,
    }
}

/// What the Secret `<name>-tls` records about the running members' certificates (written by
/// [`crate::certificates::issue`]): when they were last replaced, and when a second CA was added
/// to what they trust.
async fn certificate_annotations(
    client: &Client,
    ns: &str,
    secret_name: &str,
) -> Result<std::collections::BTreeMap<String, String>, ApplyError> {
    let secret = Api::<Secret>::namespaced(client.clone(), ns)
        .get_metadata_opt(secret_name)
        .await
        .map_err(|source| ApplyError::ReadFailed {
            what: format!("Secret {secret_name}"),
            source,
        })?;
    Ok(secret
        .and_then(|s| s.metadata.annotations)
        .unwrap_or_default())
}

const USER_SECRET_PATH: &str = "spec.tls.secret.name";

/// Reads the user's Secret (`source: secret`) and checks it for every member that will exist
/// ([`neo4j_aks_render::certificates::check_provided`], now): its certificates' digest and the
/// warnings when usable, every problem at once when not.
async fn check_user_secret(
    client: &Client,
    cluster: &ValidatedCluster,
    name: &str,
) -> Result<Result<(String, Vec<Warning>), Invalid>, ApplyError> {
    let secret = Api::<Secret>::namespaced(client.clone(), &cluster.namespace)
        .get_opt(name)
        .await
        .map_err(|source| ApplyError::ReadFailed {
            what: format!("Secret {name}"),
            source,
        })?;
    let wanted = crate::certificates::wanted(cluster);
    let Some(secret) = secret else {
        let pods: Vec<&str> = wanted.keys().map(String::as_str).collect();
        return Ok(Err(Invalid::single(
            USER_SECRET_PATH,
            format!(
                "Secret {name} does not exist in namespace {}; create it first with ca.crt and <pod>.crt, <pod>.key (PKCS #8) for each of {}",
                cluster.namespace,
                pods.join(", ")
            ),
        )));
    };
    let data = crate::certificates::text_data(Some(&secret));
    let found = neo4j_aks_render::certificates::check_provided(
        &data,
        &wanted,
        time::OffsetDateTime::now_utc(),
    );
    if !found.problems.is_empty() {
        return Ok(Err(Invalid {
            problems: found
                .problems
                .into_iter()
                .map(|message| Problem {
                    path: USER_SECRET_PATH.to_string(),
                    message: format!("Secret {name}: {message}"),
                })
                .collect(),
        }));
    }
    let warnings = found
        .warnings
        .into_iter()
        .map(|message| Warning {
            path: USER_SECRET_PATH.to_string(),
            message: format!("Secret {name}: {message}"),
        })
        .collect();
    Ok(Ok((
        neo4j_aks_render::certificates::provided_digest(&data),
        warnings,
    )))
}
