//! Rendered examples applied to the testenv, shared by the testkit's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};
use kube::api::{Api, Patch, PatchParams};
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_testkit::{TestEnv, TestNamespace, isolate_storage_classes, wait_until};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Tests that run member pods take a permit, so parallel tests never compete for the six fake
/// nodes' CPU and memory (a Neo4j member requests a large share of a node).
pub static PODS: Semaphore = Semaphore::const_new(2);

/// Renders `examples/<file>` into namespace `ns`. Returns the cluster name and the objects.
pub fn render_example(file: &str, ns: &str) -> (String, Vec<Value>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(file);
    let yaml = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut cluster =
        Neo4jCluster::from_yaml(&yaml).unwrap_or_else(|e| panic!("{file} does not parse: {e}"));
    cluster.metadata.namespace = Some(ns.to_string());
    let name = cluster
        .metadata
        .name
        .clone()
        .unwrap_or_else(|| panic!("{file} has no metadata.name"));
    let objects = neo4j_aks_render::render(&cluster)
        .unwrap_or_else(|e| panic!("{file} does not render: {e}"))
        .to_json_values();
    (name, objects)
}

pub fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("rendered objects contain no {kind} {name}"))
}

pub fn replicas(objects: &[Value], name: &str) -> i32 {
    find(objects, "StatefulSet", name)["spec"]["replicas"]
        .as_i64()
        .unwrap_or(1) as i32
}

/// A rendered example applied in the test's own namespace.
pub struct Deployed {
    pub env: TestEnv,
    pub ns: TestNamespace,
    pub name: String,
    pub objects: Vec<Value>,
}

impl Deployed {
    pub async fn new(test: &str, example: &str) -> Option<Deployed> {
        let env = TestEnv::connect(test).await?;
        let ns = env.namespace(test).await;
        let (name, mut objects) = render_example(example, ns.name());
        isolate_storage_classes(&mut objects, ns.name());
        Some(Deployed {
            env,
            ns,
            name,
            objects,
        })
    }

    pub fn ns(&self) -> &str {
        self.ns.name()
    }

    pub async fn apply(&self) {
        if let Err(e) = self.env.apply_all(&self.objects).await {
            panic!("the apiserver rejected a rendered object: {e}");
        }
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.env.client(), self.ns())
    }

    pub fn claims(&self) -> Api<PersistentVolumeClaim> {
        Api::namespaced(self.env.client(), self.ns())
    }

    pub fn statefulsets(&self) -> Api<StatefulSet> {
        Api::namespaced(self.env.client(), self.ns())
    }

    /// Waits until pods `<name>-0..n` are Running and Ready (as kwok reports them) and their
    /// claims `data-<name>-i` are Bound; returns the pods by ordinal.
    pub async fn wait_members(&self, n: i32) -> Vec<Pod> {
        let what = format!(
            "{n} members of {} Running/Ready with Bound claims",
            self.name
        );
        wait_until(TIMEOUT, &what, || async move {
            let mut pods = Vec::new();
            for i in 0..n {
                let pod_name = format!("{}-{i}", self.name);
                let pod = self
                    .pods()
                    .get_opt(&pod_name)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or(format!("{pod_name} missing"))?;
                if !pod_ready(&pod) {
                    let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
                    return Err(format!("{pod_name} not ready (phase {phase:?})"));
                }
                let claim_name = format!("data-{}-{i}", self.name);
                let claim = self
                    .claims()
                    .get_opt(&claim_name)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or(format!("{claim_name} missing"))?;
                let phase = claim.status.and_then(|s| s.phase);
                if phase.as_deref() != Some("Bound") {
                    return Err(format!("{claim_name} is {phase:?}"));
                }
                pods.push(pod);
            }
            Ok(pods)
        })
        .await
    }

    /// Zone of the node each pod runs on.
    pub async fn zones(&self, pods: &[Pod]) -> Vec<(String, String)> {
        let nodes: Api<Node> = Api::all(self.env.client());
        let mut out = Vec::new();
        for p in pods {
            let node = p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .expect("scheduled pod has a node");
            let zone = nodes
                .get(&node)
                .await
                .expect("node")
                .metadata
                .labels
                .unwrap_or_default()["topology.kubernetes.io/zone"]
                .clone();
            out.push((node, zone));
        }
        out
    }

    pub async fn scale(&self, replicas: i32) {
        self.statefulsets()
            .patch(
                &self.name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": replicas}})),
            )
            .await
            .expect("scale the StatefulSet");
    }

    pub async fn cleanup(self) {
        self.ns.cleanup().await;
    }
}

pub fn pod_ready(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status.phase.as_deref() == Some("Running")
        && status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}
