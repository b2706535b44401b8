//! Shared harness: a test namespace on the testenv, an in-process operator scoped to it (its
//! client counts requests by verb), and helpers to create and wait for Neo4jClusters.
#![allow(dead_code)]

pub mod flaky_proxy;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, ResourceExt};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_ops::controller::{self, Context, Settings};
use neo4j_aks_ops::metrics::Metrics;
use neo4j_aks_ops::neo4j::{Admin, Connector, Target};
use neo4j_aks_testkit::simulated_neo4j::SimulatedNeo4j;
use neo4j_aks_testkit::{TestEnv, TestNamespace, wait_until};
use tokio::task::JoinHandle;

/// Hands the same simulated cluster to every operator instance, checking what it is asked for.
pub fn sim_connector(sim: Arc<SimulatedNeo4j>) -> Arc<dyn Connector> {
    Arc::new(move |target: &Target| {
        assert_eq!(target.cluster, sim.cluster());
        assert_eq!(target.credentials.user(), "neo4j");
        Ok(sim.clone() as Arc<dyn Admin>)
    })
}

pub const WAIT: Duration = Duration::from_secs(90);

pub struct Harness {
    pub env: TestEnv,
    pub ns: Option<TestNamespace>,
    pub name: String,
    pub operators: Vec<(Arc<Metrics>, JoinHandle<()>)>,
    /// The Neo4j side of this test's cluster: a SIMULATION (no Neo4j runs on kwok nodes); every
    /// operator the harness starts reaches it, so member restarts and scale-downs happen.
    pub sim: Arc<SimulatedNeo4j>,
}

pub async fn config(env: &TestEnv) -> Config {
    let kc = Kubeconfig::read_from(env.kubeconfig()).expect("kubeconfig");
    let mut config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    config.read_timeout = Some(Duration::from_secs(300));
    config
}

/// Operator settings for tests: this namespace only, quick resyncs.
pub fn settings(ns: &str, instance: &str) -> Settings {
    Settings {
        namespace: Some(ns.to_string()),
        resync: Duration::from_secs(2),
        not_ready_requeue: Duration::from_secs(2),
        error_requeue: Duration::from_secs(2),
        concurrency: 4,
        debounce: Duration::from_millis(neo4j_aks_ops::context::DEFAULT_DEBOUNCE_MS),
        instance: instance.to_string(),
    }
}

/// Installs the Neo4jCluster CRD and waits until it is served.
pub async fn install_crd(client: &Client) {
    use kube::CustomResourceExt;
    neo4j_aks_testkit::install_crd(client, &Neo4jCluster::crd(), "neo4j-aks-test").await;
}

impl Harness {
    pub async fn new(test: &str) -> Option<Harness> {
        neo4j_aks_ops::telemetry::init();
        let env = TestEnv::connect(test).await?;
        install_crd(&env.client()).await;
        let ns = env.namespace(test).await;
        let sim = SimulatedNeo4j::new(env.client(), ns.name(), "db");
        Some(Harness {
            env,
            ns: Some(ns),
            name: "db".to_string(),
            operators: Vec::new(),
            sim,
        })
    }

    pub fn ns(&self) -> &str {
        self.ns.as_ref().expect("namespace").name()
    }

    pub fn client(&self) -> Client {
        self.env.client()
    }

    /// A client whose requests are counted in `metrics`.
    pub async fn counting_client(&self, metrics: Arc<Metrics>) -> Client {
        neo4j_aks_ops::counting::client(config(&self.env).await, metrics).expect("client")
    }

    /// The connector to this harness's simulated Neo4j.
    pub fn connector(&self) -> Arc<dyn Connector> {
        sim_connector(self.sim.clone())
    }

    /// Starts an in-process operator watching this namespace (its day-2 executor reaches the
    /// simulated Neo4j); returns its metrics.
    pub async fn start_operator(&mut self) -> Arc<Metrics> {
        let connector = self.connector();
        self.start_operator_with(connector).await
    }

    /// Starts an in-process operator whose day-2 executor reaches Neo4j through `connector`.
    pub async fn start_operator_with(&mut self, connector: Arc<dyn Connector>) -> Arc<Metrics> {
        let config = config(&self.env).await;
        self.spawn_operator(config, "test-operator", connector)
    }

    /// Starts an in-process operator whose client reaches the API server through `proxy`
    /// (made slow or unavailable by the test); every other client goes direct.
    pub async fn start_operator_through(
        &mut self,
        proxy: &flaky_proxy::FlakyProxy,
    ) -> Arc<Metrics> {
        let mut config = config(&self.env).await;
        config.cluster_url = format!("https://{}", proxy.addr)
            .parse()
            .expect("proxy URL");
        let connector = self.connector();
        self.spawn_operator(config, "proxied-operator", connector)
    }

    /// Starts an in-process operator whose client uses `config` and whose requests are counted
    /// in the returned metrics.
    fn spawn_operator(
        &mut self,
        config: Config,
        identity: &str,
        connector: Arc<dyn Connector>,
    ) -> Arc<Metrics> {
        let metrics = Arc::new(Metrics::new());
        let client = neo4j_aks_ops::counting::client(config, metrics.clone()).expect("client");
        let ctx = Context::with_connector(
            client,
            metrics.clone(),
            settings(self.ns(), identity),
            connector,
        );
        let handle = tokio::spawn(controller::run(ctx));
        self.operators.push((metrics.clone(), handle));
        metrics
    }

    /// The API server's address, as the kubeconfig names it.
    pub async fn api_server_addr(&self) -> std::net::SocketAddr {
        let url = config(&self.env).await.cluster_url;
        let authority = url
            .authority()
            .expect("API server URL has a host")
            .as_str()
            .to_string();
        tokio::net::lookup_host(authority)
            .await
            .expect("API server address")
            .next()
            .expect("API server address")
    }

    /// Starts an in-process operator whose requests impersonate `user` (with the groups every
    /// service account has), so only that identity's RBAC applies.
    pub async fn start_operator_as(&mut self, user: &str, groups: Vec<String>) -> Arc<Metrics> {
        let mut config = config(&self.env).await;
        config.auth_info.impersonate = Some(user.to_string());
        config.auth_info.impersonate_groups = Some(groups);
        let connector = self.connector();
        self.spawn_operator(config, "rbac-operator", connector)
    }

    pub fn stop_operators(&mut self) {
        for (_, handle) in self.operators.drain(..) {
            handle.abort();
        }
    }

    /// The spec of a test cluster: unique StorageClass (never the shared one).
    pub fn spec(&self, extra: &str) -> Neo4jCluster {
        let ns = self.ns();
        let yaml = format!(
            r#"apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata:
  name: {name}
  namespace: {ns}
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: 3
  storage:
    diskSizeGi: 32
    className: {ns}-premium
  resources:
    cpu: "1"
    memory: 4Gi
{extra}"#,
            name = self.name
        );
        Neo4jCluster::from_yaml(&yaml).expect("test spec parses")
    }

    pub fn clusters(&self) -> Api<Neo4jCluster> {
        Api::namespaced(self.client(), self.ns())
    }

    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
    {
        Api::namespaced(self.client(), self.ns())
    }

    pub async fn create(&self, cluster: &Neo4jCluster) -> Neo4jCluster {
        self.clusters()
            .create(&PostParams::default(), cluster)
            .await
            .expect("create Neo4jCluster")
    }

    /// Merge-patches the spec.
    pub async fn patch_spec(&self, spec: serde_json::Value) {
        self.clusters()
            .patch(
                &self.name,
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({ "spec": spec })),
            )
            .await
            .expect("patch spec");
    }

    /// Waits until the cluster's status satisfies `check` (which explains what it saw).
    pub async fn wait_status(
        &self,
        what: &str,
        check: impl Fn(&Neo4jCluster) -> Result<(), String>,
    ) -> Neo4jCluster {
        let api = self.clusters();
        let name = self.name.clone();
        wait_until(WAIT, what, || {
            let api = api.clone();
            let name = name.clone();
            let check = &check;
            async move {
                let c = api.get(&name).await.map_err(|e| e.to_string())?;
                check(&c).map(|()| c)
            }
        })
        .await
    }

    /// Waits for phase Ready with `n` ready members at the current generation.
    pub async fn wait_ready(&self, n: i32) -> Neo4jCluster {
        self.wait_status(&format!("Ready with {n} members"), |c| {
            let s = c.status.clone().unwrap_or_default();
            let ok = s.phase.as_deref() == Some("Ready")
                && s.ready_members == Some(n)
                && s.members.len() == n as usize
                && s.observed_generation == c.metadata.generation;
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "phase {:?}, ready {:?}, members {}, observed {:?} of {:?}, conditions {:?}",
                    s.phase,
                    s.ready_members,
                    s.members.len(),
                    s.observed_generation,
                    c.metadata.generation,
                    s.conditions
                        .iter()
                        .map(|c| format!("{}={} {}: {}", c.type_, c.status, c.reason, c.message))
                        .collect::<Vec<_>>()
                ))
            }
        })
        .await
    }

    /// The events in the test namespace with this reason.
    pub async fn events(&self, reason: &str) -> Vec<Event> {
        self.api::<Event>()
            .list(&ListParams::default())
            .await
            .expect("events")
            .items
            .into_iter()
            .filter(|e| e.reason.as_deref() == Some(reason))
            .collect()
    }

    pub async fn discovery_services(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .api::<Service>()
            .list(&ListParams::default().labels(&format!(
                "neo4j-aks.io/cluster={},neo4j-aks.io/service=discovery",
                self.name
            )))
            .await
            .expect("list services")
            .items
            .into_iter()
            .filter(|s| s.metadata.deletion_timestamp.is_none())
            .map(|s| s.name_any())
            .collect();
        names.sort();
        names
    }

    /// Deletes the cluster while an operator runs (its finalizer removes the test StorageClass),
    /// then the namespace.
    pub async fn teardown(mut self) {
        if self.operators.is_empty() {
            self.start_operator().await;
        }
        let api = self.clusters();
        let _ = api.delete(&self.name, &DeleteParams::default()).await;
        let name = self.name.clone();
        let gone = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                match api.get_opt(&name).await {
                    Ok(None) => return,
                    _ => tokio::time::sleep(Duration::from_millis(250)).await,
                }
            }
        })
        .await;
        if gone.is_err() {
            eprintln!("teardown: {name} still present; removing its finalizer");
            let _ = api
                .patch(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(serde_json::json!({"metadata": {"finalizers": null}})),
                )
                .await;
        }
        self.stop_operators();
        if let Some(ns) = self.ns.take() {
            ns.cleanup().await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        for (_, handle) in self.operators.drain(..) {
            handle.abort();
        }
    }
}
