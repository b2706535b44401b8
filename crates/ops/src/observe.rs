//! What the members look like: pods, their nodes and zones, their claims.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use neo4j_aks_model::{MemberStatus, ValidatedCluster};
use neo4j_aks_render::labels;
use neo4j_aks_topology::observed::PodObservation;

use crate::error::ObserveError;
use crate::member_waits::{ClassLookup, why_not_ready};
use crate::prepare::owned_selector;

/// The StatefulSet controller's label naming the revision a pod was created from.
pub use neo4j_aks_model::api::labels::REVISION as REVISION_LABEL;
pub use neo4j_aks_model::api::labels::ZONE as ZONE_LABEL;

/// The observed state of a cluster's members.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub statefulset: Option<StatefulSet>,
    pub members: Vec<MemberStatus>,
    /// The member pods as the day-2 planner sees them (ordinal, Ready, revision, uid).
    pub pods: Vec<PodObservation>,
    /// Claims whose capacity is below their request (an expansion in progress).
    pub expanding: Vec<String>,
    /// The termination message of each running member's seed-fetch init container, by
    /// ordinal, once it finished (`spec.bootstrap.fromBackup`).
    pub seed_messages: BTreeMap<u32, String>,
    /// Why each member pod that exists is not Ready, by ordinal (`member_waits`).
    pub waits: BTreeMap<u32, String>,
}

impl Observed {
    pub fn ready_members(&self) -> i32 {
        self.members.iter().filter(|m| m.ready).count() as i32
    }
}

/// `a=b,c=d` of the pod selector (also the scale subresource's selector).
pub fn selector_string(cluster: &ValidatedCluster) -> String {
    labels::selector(cluster)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn ordinal(pod: &str, sts: &str) -> Option<i32> {
    pod.strip_prefix(sts)?.strip_prefix('-')?.parse().ok()
}

fn read(what: &str) -> impl FnOnce(kube::Error) -> ObserveError + '_ {
    move |source| ObserveError::ObserveFailed {
        what: what.to_string(),
        source,
    }
}

pub async fn observe(
    client: &Client,
    cluster: &ValidatedCluster,
) -> Result<Observed, ObserveError> {
    observe_with(client, None, None, cluster).await
}

/// [`observe`], taking the pods and claims from the watch caches once they have listed, and
/// the StatefulSet as `statefulset` when the caller read it fresh in the same reconcile and
/// changed nothing since.
pub async fn observe_with(
    client: &Client,
    stores: Option<&crate::stores::Stores>,
    statefulset: Option<StatefulSet>,
    cluster: &ValidatedCluster,
) -> Result<Observed, ObserveError> {
    let ns = cluster.namespace.as_str();
    let statefulset = match statefulset {
        Some(known) => Some(known),
        None => Api::<StatefulSet>::namespaced(client.clone(), ns)
            .get_opt(&cluster.statefulset_name())
            .await
            .map_err(read("StatefulSet"))?,
    };
    let pods = match stores.and_then(|s| s.pods(ns, &labels::selector(cluster))) {
        Some(cached) => cached,
        None => {
            Api::<Pod>::namespaced(client.clone(), ns)
                .list(&ListParams::default().labels(&selector_string(cluster)))
                .await
                .map_err(read("Pods"))?
                .items
        }
    };
    let claims = match stores.and_then(|s| s.claims(ns, &cluster.name)) {
        Some(cached) => cached,
        None => {
            Api::<PersistentVolumeClaim>::namespaced(client.clone(), ns)
                .list(&ListParams::default().labels(&owned_selector(&cluster.name)))
                .await
                .map_err(read("PersistentVolumeClaims"))?
                .items
        }
    };
    let claims: BTreeMap<String, PersistentVolumeClaim> = claims
        .into_iter()
        .filter_map(|c| Some((c.metadata.name.clone()?, c)))
        .collect();

    let classes = missing_classes(client, claims.values()).await?;
    let nodes: Api<Node> = Api::all(client.clone());
    let mut zones: BTreeMap<String, Option<String>> = BTreeMap::new();
    let sts_name = cluster.statefulset_name();
    let mut members = Vec::new();
    let mut observations = Vec::new();
    let mut seed_messages = BTreeMap::new();
    let mut waits = BTreeMap::new();
    for pod in &pods {
        let Some(name) = pod.metadata.name.clone() else {
            continue;
        };
        let Some(ordinal) = ordinal(&name, &sts_name) else {
            continue;
        };
        let status = pod.status.as_ref();
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let zone = match &node {
            Some(node) => match zones
                .get(node)
                .cloned()
                .or_else(|| stores.and_then(|s| s.zone(node)))
            {
                Some(zone) => zone,
                None => {
                    let zone = nodes
                        .get_opt(node)
                        .await
                        .map_err(read("Nodes"))?
                        .and_then(|n| n.metadata.labels?.get(ZONE_LABEL).cloned());
                    if let Some(stores) = stores {
                        stores.remember_zone(node, zone.clone());
                    }
                    zones.insert(node.clone(), zone.clone());
                    zone
                }
            },
            None => None,
        };
        let pvc = cluster.pvc_name(ordinal);
        let claim = claims.get(&pvc);
        let class = match claim
            .and_then(|c| c.spec.as_ref()?.storage_class_name.as_ref())
            .map(|class| classes.contains(class))
        {
            Some(true) => ClassLookup::Missing,
            Some(false) => ClassLookup::Exists,
            None => ClassLookup::NotNeeded,
        };
        if let (Some(why), Ok(o)) = (
            why_not_ready(Some(pod), claim, class),
            u32::try_from(ordinal),
        ) {
            waits.insert(o, why);
        }
        let capacity = claim
            .and_then(|c| {
                c.status
                    .as_ref()?
                    .capacity
                    .as_ref()?
                    .get("storage")
                    .cloned()
            })
            .map(|q| q.0);
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        // A pod being deleted is on its way down (a restart or a shrink): the planner sees no
        // pod for that member until the StatefulSet recreates it.
        let terminating = pod.metadata.deletion_timestamp.is_some();
        if let Ok(o) = u32::try_from(ordinal)
            && !terminating
        {
            if let Some(message) = seed_message(pod) {
                seed_messages.insert(o, message);
            }
            observations.push(PodObservation {
                ordinal: o,
                ready,
                revision: pod
                    .labels()
                    .get(REVISION_LABEL)
                    .cloned()
                    .unwrap_or_default(),
                uid: pod.uid().unwrap_or_default(),
            });
        }
        members.push((
            ordinal,
            MemberStatus {
                pod: name,
                phase: status.and_then(|s| s.phase.clone()),
                ready,
                node,
                zone,
                pvc: claim.map(|_| pvc),
                pvc_capacity: capacity,
                ordinal: u32::try_from(ordinal).ok(),
                version: pod.labels().get(labels::VERSION_LABEL).cloned(),
                ..MemberStatus::default()
            },
        ));
    }
    members.sort_by_key(|(ordinal, _)| *ordinal);
    let expanding = claims
        .values()
        .filter(|c| {
            let request = c
                .spec
                .as_ref()
                .and_then(|s| s.resources.as_ref()?.requests.as_ref()?.get("storage"));
            let capacity = c
                .status
                .as_ref()
                .and_then(|s| s.capacity.as_ref()?.get("storage"));
            match (request, capacity) {
                (Some(r), Some(c)) => {
                    match (
                        kube_quantity::ParsedQuantity::try_from(r),
                        kube_quantity::ParsedQuantity::try_from(c),
                    ) {
                        (Ok(r), Ok(c)) => c < r,
                        _ => false,
                    }
                }
                _ => false,
            }
        })
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    observations.sort_by_key(|p| p.ordinal);
    Ok(Observed {
        statefulset,
        members: members.into_iter().map(|(_, m)| m).collect(),
        pods: observations,
        expanding,
        seed_messages,
        waits,
    })
}

/// The StorageClasses that Pending claims name and that do not exist. Read only while a claim
/// is Pending (a converged cluster costs no read here).
async fn missing_classes<'a>(
    client: &Client,
    claims: impl Iterator<Item = &'a PersistentVolumeClaim>,
) -> Result<BTreeSet<String>, ObserveError> {
    let pending: BTreeSet<String> = claims
        .filter(|c| c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending"))
        .filter_map(|c| c.spec.as_ref()?.storage_class_name.clone())
        .collect();
    let api: Api<StorageClass> = Api::all(client.clone());
    let mut missing = BTreeSet::new();
    for class in pending {
        if api
            .get_opt(&class)
            .await
            .map_err(read("StorageClass"))?
            .is_none()
        {
            missing.insert(class);
        }
    }
    Ok(missing)
}

/// What the pod's seed-fetch init container left in its termination message.
fn seed_message(pod: &Pod) -> Option<String> {
    pod.status
        .as_ref()?
        .init_container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == neo4j_aks_render::seed::SEED_FETCH_CONTAINER)?
        .state
        .as_ref()?
        .terminated
        .as_ref()?
        .message
        .clone()
}

/// Member pods created from an older pod template than the StatefulSet's latest (with
/// `updateStrategy: OnDelete` the operator restarts them one at a time; a plain `apply` does
/// not). Waits briefly for the StatefulSet controller to see the latest template; empty when it
/// has not by then or there is no StatefulSet.
pub async fn pods_on_older_revision(
    client: &Client,
    cluster: &ValidatedCluster,
) -> Result<Vec<String>, ObserveError> {
    let ns = cluster.namespace.as_str();
    let sts_api = Api::<StatefulSet>::namespaced(client.clone(), ns);
    let mut revision = None;
    for _ in 0..10 {
        let Some(sts) = sts_api
            .get_opt(&cluster.statefulset_name())
            .await
            .map_err(read("StatefulSet"))?
        else {
            return Ok(Vec::new());
        };
        revision = desired_revision(&sts);
        if revision.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let Some(revision) = revision else {
        return Ok(Vec::new());
    };
    let mut stale: Vec<String> = Api::<Pod>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels(&selector_string(cluster)))
        .await
        .map_err(read("Pods"))?
        .items
        .iter()
        .filter(|p| p.labels().get(REVISION_LABEL) != Some(&revision))
        .map(|p| p.name_any())
        .collect();
    stale.sort();
    Ok(stale)
}

/// The revision the StatefulSet wants every pod on, once its controller has seen the latest
/// template (before that the pods' revision cannot be compared).
pub fn desired_revision(sts: &StatefulSet) -> Option<String> {
    let status = sts.status.as_ref()?;
    let seen = status.observed_generation? >= sts.metadata.generation?;
    seen.then(|| status.update_revision.clone()).flatten()
}
