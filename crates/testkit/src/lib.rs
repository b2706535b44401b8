//! Dev-only test support for running neo4j-aks manifests against the local Kubernetes test
//! environment started by `testenv/testenv.sh up` (real etcd, kube-apiserver,
//! kube-controller-manager and kube-scheduler; kwok fake kubelets; a SIMULATED Azure Disk
//! provisioner; optional CoreDNS).
//!
//! Typical test:
//!
//! ```no_run
//! # async fn t() {
//! let Some(env) = neo4j_aks_testkit::TestEnv::connect("my_test").await else { return };
//! let ns = env.namespace("my_test").await;
//! // ... env.apply_all(&objects).await ...
//! ns.cleanup().await;
//! # }
//! ```
//!
//! When no testenv is reachable the test prints `skipped: no testenv` to stderr and returns,
//! unless `NEO4J_AKS_REQUIRE_TESTENV=1`, in which case it fails (CI sets this).
//!
//! The testkit refuses to work with any cluster that lacks the `kube-public/neo4j-aks-testenv`
//! ConfigMap that `testenv.sh up` creates, so a `KUBECONFIG` pointing at a real cluster is never
//! touched.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolume};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams, ValidationDirective,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{self, Scope};
use kube::runtime::wait::{Condition, await_condition};
use kube::{Client, Config, Resource};
use serde_json::Value;

pub mod azurite;
pub mod cert_manager;
pub mod image_entrypoint;
pub mod prometheus;
pub mod quantity;
#[cfg(feature = "simulated-neo4j")]
pub mod simulated_neo4j;

/// Environment variable that turns "no testenv" from a skip into a failure.
pub const REQUIRE_ENV: &str = "NEO4J_AKS_REQUIRE_TESTENV";
/// Label on every namespace the testkit creates.
pub const TEST_NAMESPACE_LABEL: &str = "neo4j-aks.io/test";
/// Field manager used for every server-side apply from tests.
pub const FIELD_MANAGER: &str = "neo4j-aks-test";
/// Label sim-disk-provisioner puts on every PersistentVolume it creates.
pub const SIMULATED_DISK_LABEL: &str = "neo4j-aks.io/simulated-disk";
/// Marker ConfigMap (namespace kube-public) that `testenv.sh up` creates.
pub const MARKER_CONFIGMAP: &str = "neo4j-aks-testenv";

/// Installs the rustls ring provider for the process (idempotent). kube's rustls-tls feature and
/// other dependencies may pull in both ring and aws-lc-rs; without an explicit choice rustls panics.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another provider was installed first, which is fine for tests.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Why the testenv could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TestEnvError {
    #[error("no kubeconfig: KUBECONFIG is unset and `testenv/testenv.sh env` failed: {0}")]
    NoKubeconfig(String),
    #[error("cannot load kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
    #[error("apiserver from {path} not reachable: {message}")]
    Unreachable { path: String, message: String },
    #[error(
        "the cluster in {path} is not the neo4j-aks testenv (no ConfigMap kube-public/{MARKER_CONFIGMAP}); refusing to use it"
    )]
    NotTestenv { path: String },
}

/// Error from [`TestEnv::apply_all`], naming the object the apiserver rejected.
#[derive(Debug, thiserror::Error)]
#[error("{kind} {name}: {message}")]
pub struct ApplyError {
    pub kind: String,
    pub name: String,
    /// HTTP status code from the apiserver, 0 if the request did not reach it.
    pub code: u16,
    /// The apiserver's message (or the client error).
    pub message: String,
}

/// A connection to the running testenv.
#[derive(Clone)]
pub struct TestEnv {
    client: Client,
    config: Config,
    kubeconfig: PathBuf,
    resources: Arc<Mutex<HashMap<GroupVersionKind, (ApiResource, Scope)>>>,
}

impl TestEnv {
    /// Connects to the testenv, or returns `None` after printing `skipped: no testenv` when it is
    /// not reachable. Panics instead when `NEO4J_AKS_REQUIRE_TESTENV=1`.
    pub async fn connect(test: &str) -> Option<TestEnv> {
        match Self::try_connect().await {
            Ok(env) => Some(env),
            Err(e) if require_testenv() => panic!(
                "{test}: testenv required ({REQUIRE_ENV}=1) but not usable: {e}; start it with testenv/testenv.sh up"
            ),
            Err(e) => {
                // Straight to the process's stderr: libtest captures eprintln! of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "{test}: skipped: no testenv ({e}); start it with testenv/testenv.sh up"
                );
                None
            }
        }
    }

    /// Connects without the skip/fail policy of [`TestEnv::connect`].
    pub async fn try_connect() -> Result<TestEnv, TestEnvError> {
        install_crypto_provider();
        let kubeconfig = kubeconfig_path()?;
        let shown = kubeconfig.display().to_string();
        let kc = Kubeconfig::read_from(&kubeconfig).map_err(|e| TestEnvError::Kubeconfig {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let mut config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| TestEnvError::Kubeconfig {
                path: shown.clone(),
                message: e.to_string(),
            })?;
        // Fail fast when nothing listens; keep kube's default read timeout (watches idle longer).
        config.connect_timeout = Some(Duration::from_secs(3));
        let client = Client::try_from(config.clone()).map_err(|e| TestEnvError::Kubeconfig {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let marker: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-public");
        match tokio::time::timeout(Duration::from_secs(10), marker.get_opt(MARKER_CONFIGMAP)).await
        {
            Err(_) => {
                return Err(TestEnvError::Unreachable {
                    path: shown,
                    message: "no answer within 10s".into(),
                });
            }
            Ok(Err(e)) => {
                return Err(TestEnvError::Unreachable {
                    path: shown,
                    message: e.to_string(),
                });
            }
            Ok(Ok(None)) => return Err(TestEnvError::NotTestenv { path: shown }),
            Ok(Ok(Some(_))) => {}
        }
        Ok(TestEnv {
            client,
            config,
            kubeconfig,
            resources: Arc::default(),
        })
    }

    /// A client for the testenv (admin credentials).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Path of the admin kubeconfig in use.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The testenv's own kubectl (`testenv.sh` builds it next to the control plane), found
    /// through the Kubernetes version the testenv's marker ConfigMap records.
    pub async fn kubectl(&self) -> PathBuf {
        let marker = Api::<ConfigMap>::namespaced(self.client(), "kube-public")
            .get(MARKER_CONFIGMAP)
            .await
            .expect("the testenv marker");
        let version = marker
            .data
            .and_then(|d| d.get("kubernetes").cloned())
            .expect("the marker names the Kubernetes version");
        let cache = std::env::var_os("NEO4J_AKS_TESTENV_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                    .join(".cache/neo4j-aks/testenv")
            });
        let path = cache.join(version).join("bin/kubectl");
        assert!(path.is_file(), "no kubectl at {}", path.display());
        path
    }

    /// `host:port` of the testenv's CoreDNS, when it runs (`testenv.sh up` writes it next to the
    /// kubeconfig).
    pub fn dns_address(&self) -> Option<String> {
        let file = self.kubeconfig.parent()?.join("dns-address");
        let addr = std::fs::read_to_string(file).ok()?;
        let addr = addr.trim();
        (!addr.is_empty()).then(|| addr.to_string())
    }

    /// Creates a uniquely named namespace labelled `neo4j-aks.io/test=true`. It is deleted by
    /// [`TestNamespace::cleanup`] or, if the test panics first, when the guard is dropped.
    pub async fn namespace(&self, test: &str) -> TestNamespace {
        let name = unique_name(test);
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([(TEST_NAMESPACE_LABEL.to_string(), "true".to_string())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(self.client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("creating test namespace {name}: {e}"));
        TestNamespace {
            name,
            client: self.client.clone(),
            config: self.config.clone(),
            cleaned: false,
        }
    }

    /// The server-side apply parameters every test uses: field manager `neo4j-aks-test`, forced,
    /// strict field validation (unknown or duplicate fields are errors, not warnings).
    pub fn apply_params() -> PatchParams {
        PatchParams::apply(FIELD_MANAGER)
            .force()
            .validation(ValidationDirective::Strict)
    }

    /// Server-side applies each object in order (strict field validation) and returns what the
    /// apiserver stored. Stops at the first rejected object.
    pub async fn apply_all(&self, objects: &[Value]) -> Result<Vec<DynamicObject>, ApplyError> {
        let mut out = Vec::with_capacity(objects.len());
        for obj in objects {
            out.push(self.apply(obj).await?);
        }
        Ok(out)
    }

    /// Server-side applies one object (strict field validation).
    pub async fn apply(&self, obj: &Value) -> Result<DynamicObject, ApplyError> {
        let (api, name, kind) = self.dynamic_api(obj).await?;
        api.patch(&name, &Self::apply_params(), &Patch::Apply(obj))
            .await
            .map_err(|e| api_error(&kind, &name, e))
    }

    /// A dynamic `Api` for the object's apiVersion/kind (discovered once per kind), the object's
    /// name and `Kind` for messages.
    pub async fn dynamic_api(
        &self,
        obj: &Value,
    ) -> Result<(Api<DynamicObject>, String, String), ApplyError> {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let invalid = |message: &str| ApplyError {
            kind: kind.clone(),
            name: name.clone(),
            code: 0,
            message: message.to_string(),
        };
        if api_version.is_empty() || kind.is_empty() || name.is_empty() {
            return Err(invalid("object lacks apiVersion, kind or metadata.name"));
        }
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, &kind);
        let cached = self.resources.lock().expect("poisoned").get(&gvk).cloned();
        let (ar, scope) = match cached {
            Some(found) => found,
            None => {
                let (ar, caps) = discovery::pinned_kind(&self.client, &gvk)
                    .await
                    .map_err(|e| invalid(&format!("discovery of {api_version} {kind}: {e}")))?;
                let found = (ar, caps.scope);
                self.resources
                    .lock()
                    .expect("poisoned")
                    .insert(gvk, found.clone());
                found
            }
        };
        let api = match scope {
            Scope::Cluster => Api::all_with(self.client.clone(), &ar),
            Scope::Namespaced => {
                let ns = obj["metadata"]["namespace"]
                    .as_str()
                    .ok_or_else(|| invalid("namespaced object without metadata.namespace"))?;
                Api::namespaced_with(self.client.clone(), ns, &ar)
            }
        };
        Ok((api, name, kind))
    }

    /// Asks the real authorizer (SubjectAccessReview) whether `user` (with `groups`) may perform
    /// `verb` on `resource` of API `group` in `namespace` (None: all namespaces / cluster scope).
    pub async fn can_i(
        &self,
        user: &str,
        groups: &[String],
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> bool {
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(user.to_string()),
                groups: Some(groups.to_vec()),
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.to_string()),
                    group: Some(group.to_string()),
                    resource: Some(resource.to_string()),
                    namespace: namespace.map(str::to_string),
                    ..ResourceAttributes::default()
                }),
                ..SubjectAccessReviewSpec::default()
            },
            ..SubjectAccessReview::default()
        };
        let created = Api::<SubjectAccessReview>::all(self.client.clone())
            .create(&PostParams::default(), &review)
            .await
            .unwrap_or_else(|e| panic!("SubjectAccessReview for {user}: {e}"));
        created.status.map(|s| s.allowed).unwrap_or(false)
    }

    /// [`TestEnv::can_i`] for the service account `name` in `namespace`, with the groups the
    /// apiserver gives service-account tokens.
    pub async fn service_account_can(
        &self,
        namespace: &str,
        name: &str,
        verb: &str,
        group: &str,
        resource: &str,
        in_namespace: Option<&str>,
    ) -> bool {
        let user = format!("system:serviceaccount:{namespace}:{name}");
        let groups = [
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".to_string(),
        ];
        self.can_i(&user, &groups, verb, group, resource, in_namespace)
            .await
    }
}

/// A test's own namespace. Call [`TestNamespace::cleanup`] at the end of the test; if the test
/// panics before, `Drop` deletes the namespace (synchronously, on a helper thread).
pub struct TestNamespace {
    name: String,
    client: Client,
    config: Config,
    cleaned: bool,
}

impl TestNamespace {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Deletes the namespace (the namespace controller then removes everything in it).
    pub async fn cleanup(mut self) {
        self.cleaned = true;
        delete_namespace(&self.client, &self.name).await;
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        // We may be inside a panicking tokio test: the test's runtime cannot be blocked on, so use
        // a fresh client on a fresh runtime in a helper thread and wait for the delete request.
        let name = self.name.clone();
        let config = self.config.clone();
        let joined = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime for namespace cleanup");
            rt.block_on(async {
                match Client::try_from(config) {
                    Ok(client) => delete_namespace(&client, &name).await,
                    Err(e) => eprintln!("cleanup: no client to delete namespace {name}: {e}"),
                }
            });
        })
        .join();
        if joined.is_err() {
            eprintln!("cleanup: namespace {} may be left behind", self.name);
        }
    }
}

/// Label that ties a cluster-scoped test object (e.g. a uniquely named StorageClass) to a test
/// namespace: it is deleted together with the namespace.
pub const TEST_NAMESPACE_OWNER_LABEL: &str = "neo4j-aks.io/test-namespace";

async fn delete_namespace(client: &Client, name: &str) {
    let classes: Api<StorageClass> = Api::all(client.clone());
    let owned = ListParams::default().labels(&format!("{TEST_NAMESPACE_OWNER_LABEL}={name}"));
    let dp = DeleteParams::background();
    if let Ok(Err(e)) = tokio::time::timeout(
        Duration::from_secs(20),
        classes.delete_collection(&dp, &owned),
    )
    .await
    {
        eprintln!("cleanup: deleting StorageClasses of {name}: {e}");
    }
    // Volumes the simulated provisioner made for this namespace's claims (a Retain policy would
    // keep them forever); pv-protection holds each until its claim is gone.
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let simulated = ListParams::default().labels(&format!("{SIMULATED_DISK_LABEL}=true"));
    if let Ok(Ok(list)) =
        tokio::time::timeout(Duration::from_secs(20), volumes.list(&simulated)).await
    {
        for pv in list.items {
            let claim_ns = pv
                .spec
                .as_ref()
                .and_then(|s| s.claim_ref.as_ref())
                .and_then(|c| c.namespace.as_deref());
            if claim_ns == Some(name) {
                let pv_name = pv.metadata.name.unwrap_or_default();
                if let Err(e) = volumes.delete(&pv_name, &dp).await {
                    eprintln!("cleanup: deleting volume {pv_name}: {e}");
                }
            }
        }
    }
    let api: Api<Namespace> = Api::all(client.clone());
    match tokio::time::timeout(Duration::from_secs(20), api.delete(name, &dp)).await {
        Ok(Ok(_)) => {}
        Ok(Err(kube::Error::Api(s))) if s.is_not_found() => {}
        Ok(Err(e)) => eprintln!("cleanup: deleting namespace {name}: {e}"),
        Err(_) => eprintln!("cleanup: deleting namespace {name} timed out"),
    }
}

/// Gives every StorageClass in `objects` a name unique to the test namespace `ns`
/// (`<ns>-<name>`), labels it so it is deleted with the namespace, and points the StatefulSets'
/// volumeClaimTemplates and generic ephemeral volumes at the new names. Parallel tests then
/// never share (or fight over the immutable parameters of) a cluster-scoped StorageClass.
/// Returns the renames (old, new).
pub fn isolate_storage_classes(objects: &mut [Value], ns: &str) -> Vec<(String, String)> {
    let mut renames = Vec::new();
    for o in objects.iter_mut().filter(|o| o["kind"] == "StorageClass") {
        let old = o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let new = format!("{ns}-{old}");
        o["metadata"]["name"] = Value::String(new.clone());
        o["metadata"]["labels"][TEST_NAMESPACE_OWNER_LABEL] = Value::String(ns.to_string());
        renames.push((old, new));
    }
    let rename = |class: Option<&mut Value>| {
        if let Some(class) = class
            && let Some((_, new)) = renames.iter().find(|(old, _)| *class == *old)
        {
            *class = Value::String(new.clone());
        }
    };
    for o in objects.iter_mut().filter(|o| o["kind"] == "StatefulSet") {
        // The members' claims, and the per-pod (generic ephemeral) seed claims of a restore.
        let claims = o.pointer_mut("/spec/volumeClaimTemplates");
        for t in claims.and_then(Value::as_array_mut).into_iter().flatten() {
            rename(t.pointer_mut("/spec/storageClassName"));
        }
        let volumes = o.pointer_mut("/spec/template/spec/volumes");
        for v in volumes.and_then(Value::as_array_mut).into_iter().flatten() {
            rename(v.pointer_mut("/ephemeral/volumeClaimTemplate/spec/storageClassName"));
        }
    }
    renames
}

/// Installs (server-side applies, forced, as `field_manager`) a CustomResourceDefinition and
/// waits until it is established and its resources are served: discovery of a new API group can
/// lag behind Established by a moment. Suites that write fields of a newer CRD version than
/// other suites apply use a field manager of their own, so that server-side apply keeps the
/// union of both and does not prune what they write.
pub async fn install_crd(
    client: &Client,
    crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    field_manager: &str,
) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let name = crd.metadata.name.clone().expect("a CRD has a name");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.patch(
        &name,
        &PatchParams::apply(field_manager).force(),
        &Patch::Apply(crd),
    )
    .await
    .unwrap_or_else(|e| panic!("apply the CRD {name}: {e}"));
    wait_for(
        crds,
        &name,
        kube::runtime::conditions::is_crd_established(),
        Duration::from_secs(30),
        &format!("the CRD {name} to be established"),
    )
    .await;
    let version = crd
        .spec
        .versions
        .iter()
        .find(|v| v.served)
        .expect("a CRD serves a version");
    let gvk = GroupVersionKind::gvk(&crd.spec.group, &version.name, &crd.spec.names.kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, &crd.spec.names.plural);
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    wait_until(
        Duration::from_secs(30),
        &format!("{} to be served", crd.spec.names.plural),
        || {
            let api = api.clone();
            async move {
                api.list(&ListParams::default().limit(1))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        },
    )
    .await;
}

/// Waits (bounded) until `cond` holds for the object `name`; panics with `what` on timeout, or
/// if the condition was met by the object's absence (use [`wait_for_opt`] for deletions).
pub async fn wait_for<K>(
    api: Api<K>,
    name: &str,
    cond: impl Condition<K>,
    timeout: Duration,
    what: &str,
) -> K
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    wait_for_opt(api, name, cond, timeout, what)
        .await
        .unwrap_or_else(|| panic!("waiting for {what}: {name} does not exist"))
}

/// Like [`wait_for`], but the condition may be met by the object not existing (then `None`).
pub async fn wait_for_opt<K>(
    api: Api<K>,
    name: &str,
    cond: impl Condition<K>,
    timeout: Duration,
    what: &str,
) -> Option<K>
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    match tokio::time::timeout(timeout, await_condition(api, name, cond)).await {
        Ok(Ok(obj)) => obj,
        Ok(Err(e)) => panic!("waiting for {what}: watch failed: {e}"),
        Err(_) => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}

/// Polls `probe` every 250 ms until it returns `Ok(value)`; panics on timeout with `what` and the
/// last `Err` the probe gave (which should say what was seen instead).
pub async fn wait_until<T, F, Fut>(timeout: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        let last = match probe().await {
            Ok(v) => return v,
            Err(last) => last,
        };
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whether `NEO4J_AKS_REQUIRE_TESTENV` asks for failure instead of skipping.
pub fn require_testenv() -> bool {
    matches!(
        std::env::var(REQUIRE_ENV).as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// A DNS-1123 label unique to this process and call: `t-<test>-<pid><time><counter>`.
pub fn unique_name(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let suffix = format!("{:x}{:x}{n}", std::process::id(), nanos >> 12);
    let mut base: String = test
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    base.truncate(60 - 2 - 1 - suffix.len());
    let base = base.trim_matches('-');
    format!("t-{base}-{suffix}")
}

fn kubeconfig_path() -> Result<PathBuf, TestEnvError> {
    if let Some(v) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        // Only the first path of a list: the testenv writes one self-contained file.
        if let Some(first) = std::env::split_paths(&v).next() {
            return Ok(first);
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testenv/testenv.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg("env")
        .output()
        .map_err(|e| TestEnvError::NoKubeconfig(format!("running {}: {e}", script.display())))?;
    if !out.status.success() {
        return Err(TestEnvError::NoKubeconfig(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("export KUBECONFIG="))
        .map(|p| PathBuf::from(p.trim()))
        .ok_or_else(|| TestEnvError::NoKubeconfig("`testenv.sh env` printed no export line".into()))
}

fn api_error(kind: &str, name: &str, e: kube::Error) -> ApplyError {
    let (code, message) = match e {
        kube::Error::Api(s) => (s.code, s.message.clone()),
        other => (0, other.to_string()),
    };
    ApplyError {
        kind: kind.to_string(),
        name: name.to_string(),
        code,
        message,
    }
}

/// Queries SRV records with `dig` against the testenv's CoreDNS. Returns `(port, target)` pairs,
/// sorted; `None` when `dig` is not installed.
pub fn dig_srv(dns_address: &str, name: &str) -> Option<Vec<(u16, String)>> {
    let (host, port) = dns_address.rsplit_once(':')?;
    let out = std::process::Command::new("dig")
        .args([
            &format!("@{host}"),
            "-p",
            port,
            "+short",
            "+time=2",
            "+tries=1",
            "SRV",
            name,
        ])
        .output()
        .ok()?;
    let mut records: Vec<(u16, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            // "<priority> <weight> <port> <target>"
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() != 4 {
                return None;
            }
            Some((f[2].parse().ok()?, f[3].trim_end_matches('.').to_string()))
        })
        .collect();
    records.sort();
    Some(records)
}

/// The A records of `name` as the DNS server at `dns_address` (`host:port`) answers them, sorted;
/// `None` when `dig` is not installed.
pub fn dig_a(dns_address: &str, name: &str) -> Option<Vec<String>> {
    let (host, port) = dns_address.rsplit_once(':')?;
    let out = std::process::Command::new("dig")
        .args([
            &format!("@{host}"),
            "-p",
            port,
            "+short",
            "+time=2",
            "+tries=1",
            "A",
            name,
        ])
        .output()
        .ok()?;
    let mut addresses: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| l.parse::<std::net::Ipv4Addr>().is_ok())
        .map(str::to_string)
        .collect();
    addresses.sort();
    Some(addresses)
}
