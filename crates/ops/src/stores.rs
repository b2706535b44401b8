//! Watch caches (reflector stores) of what a reconcile reads on every pass: the owned objects of
//! every namespaced kind, the managed StorageClasses, the member pods and their claims. The controller's watches fill them
//! (one watch per kind, shared with the triggers), so a reconcile of an unchanged cluster lists
//! nothing.
//!
//! A store answers only once its first list completed; until then, and for a kind whose CRD is
//! not installed, the readers fall back to a direct read. Caches never decide a write on their
//! own where a stale copy could do harm: see `apply::apply_with` (password, certificates re-read
//! directly; deletions carry the cached uid as a precondition) and `prepare` (the live
//! StatefulSet is read fresh).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, PodSpec, PodStatus, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::{self, ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use neo4j_aks_render::labels::{CLUSTER_LABEL, MANAGED_BY};

use crate::kinds::{self, Kind};

/// The label selector of every watch: only what neo4j-aks manages is cached.
pub fn managed_selector() -> String {
    format!("app.kubernetes.io/managed-by={MANAGED_BY}")
}

/// One kind's cache, and whether its API is missing (a CRD that is not installed: nothing of it
/// can exist, so there is nothing to read).
#[derive(Clone)]
struct KindStore {
    store: Store<DynamicObject>,
    absent: Arc<AtomicBool>,
}

/// The caches a reconcile reads from (cheap to clone: the stores are shared).
#[derive(Clone)]
pub struct Stores {
    owned: BTreeMap<Kind, KindStore>,
    pods: Store<Pod>,
    claims: Store<PersistentVolumeClaim>,
    classes: Store<StorageClass>,
    zones: Arc<Mutex<HashMap<String, Remembered>>>,
}

/// A node's zone (or none) and when it was read.
type Remembered = (Option<String>, Instant);

/// How long a node's zone is taken from memory. Nodes are not watched: the operator may only
/// get them one by one (least privilege, no cluster-wide node list), and a node's zone label is
/// set when it registers. The zone only goes into the status.
pub const ZONE_TTL: Duration = Duration::from_secs(300);

/// One watch stream of objects (what a reflector passes on after caching them).
pub type ObjectStream<K> = BoxStream<'static, Result<K, watcher::Error>>;

/// The watch streams that fill [`Stores`]; the controller polls them (as its triggers).
pub struct Streams {
    pub owned: Vec<(Kind, ObjectStream<DynamicObject>)>,
    pub pods: ObjectStream<Pod>,
    pub claims: ObjectStream<PersistentVolumeClaim>,
    /// The managed StorageClasses (cluster-wide; shared by clusters, so they trigger nothing).
    pub classes: ObjectStream<StorageClass>,
}

/// Cached copies carry no managedFields (kube-rs' advice for reflectors: they are most of an
/// object's size and nothing here reads them).
pub(crate) fn strip<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// Of a member pod, the cache keeps what observe and the upgrade check read: the metadata, the
/// node, the phase, the conditions and the containers' and init containers' states (the seed
/// fetch's message; why a member is not ready, `member_waits`). The containers, volumes and
/// the rest of the spec are most of a pod's size.
fn strip_pod(pod: &mut Pod) {
    if let Some(spec) = pod.spec.as_mut() {
        *spec = PodSpec {
            node_name: spec.node_name.take(),
            ..PodSpec::default()
        };
    }
    if let Some(status) = pod.status.as_mut() {
        *status = PodStatus {
            phase: status.phase.take(),
            conditions: status.conditions.take(),
            init_container_statuses: status.init_container_statuses.take(),
            container_statuses: status.container_statuses.take(),
            ..PodStatus::default()
        };
    }
}

fn is_missing_api(error: &watcher::Error) -> bool {
    matches!(
        error,
        watcher::Error::InitialListFailed(kube::Error::Api(s))
            | watcher::Error::WatchStartFailed(kube::Error::Api(s)) if s.code == 404
    )
}

impl Stores {
    /// The stores and the streams that fill them, for `namespace` (None: every namespace).
    pub fn new(client: &Client, namespace: Option<&str>) -> (Stores, Streams) {
        let config = watcher::Config::default().labels(&managed_selector());
        let mut owned = BTreeMap::new();
        let mut owned_streams = Vec::new();
        for kind in kinds::namespaced() {
            let resource = kind.resource();
            let api: Api<DynamicObject> = match namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
                None => Api::all_with(client.clone(), &resource),
            };
            let writer = Writer::new(resource);
            let absent = Arc::new(AtomicBool::new(false));
            owned.insert(
                kind,
                KindStore {
                    store: writer.as_reader(),
                    absent: absent.clone(),
                },
            );
            let events = watcher(api, config.clone())
                .default_backoff()
                .modify(strip)
                .inspect(move |event| match event {
                    Ok(_) => absent.store(false, Ordering::Relaxed),
                    Err(e) if is_missing_api(e) => absent.store(true, Ordering::Relaxed),
                    Err(_) => {}
                });
            let stream = reflector::reflector(writer, events).touched_objects();
            owned_streams.push((kind, stream.boxed()));
        }
        let (pods, pod_writer) = reflector::store();
        let (claims, claim_writer) = reflector::store();
        let pod_stream = reflector::reflector(
            pod_writer,
            watcher(scoped(client, namespace), config.clone())
                .default_backoff()
                .modify(strip)
                .modify(strip_pod),
        )
        .touched_objects()
        .boxed();
        let claim_stream = reflector::reflector(
            claim_writer,
            watcher(scoped(client, namespace), config.clone())
                .default_backoff()
                .modify(strip),
        )
        .touched_objects()
        .boxed();
        // StorageClasses are cluster-scoped: the watch is cluster-wide even for an operator of
        // one namespace, and only the labelled ones (those neo4j-aks applies) are cached.
        let (classes, class_writer) = reflector::store();
        let class_stream = reflector::reflector(
            class_writer,
            watcher(Api::<StorageClass>::all(client.clone()), config)
                .default_backoff()
                .modify(strip),
        )
        .touched_objects()
        .boxed();
        (
            Stores {
                owned,
                pods,
                claims,
                classes,
                zones: Arc::default(),
            },
            Streams {
                owned: owned_streams,
                pods: pod_stream,
                claims: claim_stream,
                classes: class_stream,
            },
        )
    }

    /// The cached objects of `kind` labelled as the cluster's in `namespace`: `Some(vec![])` for
    /// a kind whose API is missing, `None` while the cache has not listed yet (read directly).
    pub fn labelled(
        &self,
        kind: Kind,
        namespace: &str,
        cluster: &str,
    ) -> Option<Vec<Arc<DynamicObject>>> {
        let entry = self.owned.get(&kind)?;
        if entry.absent.load(Ordering::Relaxed) {
            return Some(Vec::new());
        }
        ready(&entry.store).then(|| {
            entry
                .store
                .state_filter(|o| owned_by(o, namespace, cluster))
        })
    }

    /// A Secret the operator manages (labelled), from the cache; `None` when the cache does not
    /// hold it (not listed yet, not ours, just created): read it directly.
    pub fn secret(&self, namespace: &str, name: &str) -> Option<Secret> {
        let entry = self.owned.get(&Kind::Secret)?;
        let key = ObjectRef::new_with(name, Kind::Secret.resource()).within(namespace);
        Arc::unwrap_or_clone(entry.store.get(&key)?)
            .try_parse()
            .ok()
    }

    /// A managed StorageClass from the cache: `None` before the first list (read it directly),
    /// `Some(None)` when no labelled class of that name exists (a create, or a class someone
    /// else made without our label: server-side apply takes it over either way).
    pub fn storage_class(&self, name: &str) -> Option<Option<StorageClass>> {
        ready(&self.classes).then(|| {
            self.classes
                .get(&ObjectRef::new(name))
                .map(Arc::unwrap_or_clone)
        })
    }

    /// The zone of `node` read less than [`ZONE_TTL`] ago (`Some(None)`: it has none).
    pub fn zone(&self, node: &str) -> Option<Option<String>> {
        let zones = self.zones.lock().ok()?;
        let (zone, read_at) = zones.get(node)?;
        (read_at.elapsed() < ZONE_TTL).then(|| zone.clone())
    }

    pub fn remember_zone(&self, node: &str, zone: Option<String>) {
        if let Ok(mut zones) = self.zones.lock() {
            // Forget nodes not read for a while (removed nodes, scale-in).
            zones.retain(|_, (_, read_at)| read_at.elapsed() < ZONE_TTL);
            zones.insert(node.to_string(), (zone, Instant::now()));
        }
    }

    /// The cluster's claims (cluster and managed-by labels), `None` before the first list.
    pub fn claims(&self, namespace: &str, cluster: &str) -> Option<Vec<PersistentVolumeClaim>> {
        ready(&self.claims).then(|| {
            self.claims
                .state_filter(|c| owned_by(c, namespace, cluster))
                .into_iter()
                .map(Arc::unwrap_or_clone)
                .collect()
        })
    }

    /// The pods in `namespace` carrying every label of `selector`, `None` before the first list.
    pub fn pods(&self, namespace: &str, selector: &BTreeMap<String, String>) -> Option<Vec<Pod>> {
        ready(&self.pods).then(|| {
            self.pods
                .state_filter(|p| {
                    p.namespace().as_deref() == Some(namespace)
                        && selector.iter().all(|(k, v)| p.labels().get(k) == Some(v))
                })
                .into_iter()
                .map(Arc::unwrap_or_clone)
                .collect()
        })
    }
}

fn scoped<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Whether the store's first list completed (it answers from then on, through re-lists too).
fn ready<K>(store: &Store<K>) -> bool
where
    K: 'static + Resource + Clone,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    matches!(store.wait_until_ready().now_or_never(), Some(Ok(())))
}

/// The cluster's selector (`prepare::owned_selector`), checked on a cached object.
fn owned_by<K: Resource>(object: &K, namespace: &str, cluster: &str) -> bool {
    let labels = object.meta().labels.as_ref();
    object.meta().namespace.as_deref() == Some(namespace)
        && labels
            .and_then(|l| l.get(CLUSTER_LABEL))
            .map(String::as_str)
            == Some(cluster)
        && labels
            .and_then(|l| l.get(neo4j_aks_model::api::labels::MANAGED_BY))
            .map(String::as_str)
            == Some(MANAGED_BY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::member_waits::{ClassLookup, why_not_ready};
    use k8s_openapi::api::core::v1::{
        Container, ContainerState, ContainerStateWaiting, ContainerStatus, PodCondition,
    };

    /// What a member pod says about itself survives the cache's trimming: a cached pod explains
    /// why it is not ready exactly as the pod read from the API server does.
    #[test]
    fn a_stripped_pod_still_says_why_it_is_not_ready() {
        let status = |name: &str, reason: &str| ContainerStatus {
            name: name.into(),
            restart_count: 3,
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason.into()),
                    message: Some("back-off".into()),
                }),
                ..ContainerState::default()
            }),
            ..ContainerStatus::default()
        };
        let pod = Pod {
            spec: Some(PodSpec {
                node_name: Some("aks-neo4j-0".into()),
                containers: vec![Container {
                    name: "neo4j".into(),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: "False".into(),
                    ..PodCondition::default()
                }]),
                container_statuses: Some(vec![status("neo4j", "CrashLoopBackOff")]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        };
        let mut cached = pod.clone();
        strip_pod(&mut cached);
        assert!(
            cached
                .spec
                .as_ref()
                .is_some_and(|s| s.containers.is_empty())
        );
        let why = why_not_ready(Some(&pod), None, ClassLookup::NotNeeded);
        assert!(
            why.as_deref()
                .is_some_and(|w| w.contains("CrashLoopBackOff")),
            "{why:?}"
        );
        assert_eq!(
            why_not_ready(Some(&cached), None, ClassLookup::NotNeeded),
            why
        );
    }
}
