//! Self-tests of the local testenv itself (no renderer involved): fake AKS nodes, CRDs, and the
//! SIMULATED Azure Disk provisioner binding and expanding claims of a plain StatefulSet.
//! kwok plays the kubelet: pods reach Running/Ready, but no container process runs.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::runtime::wait::conditions;
use neo4j_aks_testkit::{
    TEST_NAMESPACE_OWNER_LABEL, TestEnv, quantity::to_bytes, wait_for, wait_for_opt, wait_until,
};
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test]
async fn fake_aks_user_pool_spans_three_zones() {
    let Some(env) = TestEnv::connect("fake_aks_user_pool_spans_three_zones").await else {
        return;
    };
    let nodes: Api<Node> = Api::all(env.client());
    let list = nodes
        .list(&ListParams::default().labels("agentpool=user,type=kwok"))
        .await
        .expect("list nodes");
    assert!(list.items.len() >= 6, "expected >= 6 user-pool nodes");
    let mut zones = BTreeSet::new();
    for n in &list.items {
        let labels = n.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels["topology.kubernetes.io/region"], "eastus");
        assert_eq!(labels["kubernetes.io/os"], "linux");
        assert_eq!(
            labels["node.kubernetes.io/instance-type"],
            "Standard_E8s_v5"
        );
        zones.insert(labels["topology.kubernetes.io/zone"].clone());
        let status = n.status.clone().unwrap_or_default();
        let ready = status
            .conditions
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        assert!(ready, "node {:?} not Ready", n.metadata.name);
        let alloc = status.allocatable.unwrap_or_default();
        assert_eq!(alloc["pods"].0, "110");
    }
    let expected: BTreeSet<String> = ["eastus-1", "eastus-2", "eastus-3"]
        .map(String::from)
        .into();
    assert_eq!(zones, expected);
}

#[tokio::test]
async fn prometheus_operator_and_cert_manager_crds_are_established() {
    let Some(env) =
        TestEnv::connect("prometheus_operator_and_cert_manager_crds_are_established").await
    else {
        return;
    };
    let crds: Api<CustomResourceDefinition> = Api::all(env.client());
    for name in [
        "servicemonitors.monitoring.coreos.com",
        "prometheusrules.monitoring.coreos.com",
        "issuers.cert-manager.io",
        "clusterissuers.cert-manager.io",
        "certificates.cert-manager.io",
    ] {
        wait_for(
            crds.clone(),
            name,
            conditions::is_crd_established(),
            Duration::from_secs(10),
            &format!("CRD {name} established"),
        )
        .await;
    }
}

/// A one-replica StatefulSet with a claim template of a disk.csi.azure.com class: the scheduler
/// selects a node (WaitForFirstConsumer), the simulated provisioner creates a volume pinned to
/// that node, the binder binds it, kwok reports the pod Ready; then the claim is expanded.
#[tokio::test]
async fn simulated_azure_disk_binds_and_expands() {
    let test = "simulated_azure_disk_binds_and_expands";
    let Some(env) = TestEnv::connect(test).await else {
        return;
    };
    let ns = env.namespace(test).await;
    let class = ns.name().to_string(); // cluster-scoped: named after the unique namespace
    let objects = [
        json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": class, "labels": {TEST_NAMESPACE_OWNER_LABEL: ns.name()}},
            "provisioner": "disk.csi.azure.com",
            "parameters": {"skuName": "PremiumV2_LRS"},
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": true,
        }),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "db", "namespace": ns.name()},
            "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"name": "p", "port": 1}]},
        }),
        json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": ns.name()},
            "spec": {
                "serviceName": "db",
                "replicas": 1,
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{
                        "name": "db",
                        "image": "example.invalid/never-pulled:1",
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    }]},
                },
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": class,
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }],
            },
        }),
    ];
    env.apply_all(&objects).await.expect("apply");

    let pods: Api<Pod> = Api::namespaced(env.client(), ns.name());
    let pod = wait_for(
        pods,
        "db-0",
        conditions::is_pod_running(),
        TIMEOUT,
        "pod db-0 Running",
    )
    .await;
    let node = pod.spec.unwrap().node_name.expect("scheduled");

    let claims: Api<PersistentVolumeClaim> = Api::namespaced(env.client(), ns.name());
    let claim = wait_for(
        claims.clone(),
        "data-db-0",
        |c: Option<&PersistentVolumeClaim>| {
            c.and_then(|c| c.status.as_ref()?.phase.as_deref()) == Some("Bound")
        },
        TIMEOUT,
        "claim data-db-0 Bound",
    )
    .await;
    let volume = claim.spec.unwrap().volume_name.expect("bound volume");
    let pvs: Api<PersistentVolume> = Api::all(env.client());
    let pv = pvs.get(&volume).await.expect("volume");
    assert_eq!(
        pv.metadata.annotations.unwrap()["pv.kubernetes.io/provisioned-by"],
        "disk.csi.azure.com"
    );
    // Pinned as the Azure Disk CSI driver pins a zonal disk: to the zone of the pod's node.
    let zone = Api::<k8s_openapi::api::core::v1::Node>::all(env.client())
        .get(&node)
        .await
        .expect("the pod's node")
        .metadata
        .labels
        .unwrap_or_default()
        .remove("topology.disk.csi.azure.com/zone")
        .expect("testenv nodes carry the driver's zone label");
    let affinity = serde_json::to_value(pv.spec.unwrap().node_affinity).unwrap();
    let pinned = &affinity["required"]["nodeSelectorTerms"][0]["matchExpressions"][0];
    assert_eq!(
        pinned["key"], "topology.disk.csi.azure.com/zone",
        "{affinity}"
    );
    assert_eq!(
        pinned["values"][0],
        zone.as_str(),
        "volume pinned to the pod's zone"
    );

    // Expansion: 1Gi -> 2Gi (the class allows it).
    claims
        .patch(
            "data-db-0",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"resources": {"requests": {"storage": "2Gi"}}}})),
        )
        .await
        .expect("resize request accepted");
    wait_until(TIMEOUT, "claim data-db-0 capacity 2Gi", || {
        let claims = claims.clone();
        let pvs = pvs.clone();
        let volume = volume.clone();
        async move {
            let c = claims.get("data-db-0").await.map_err(|e| e.to_string())?;
            let cap = c
                .status
                .and_then(|s| s.capacity)
                .and_then(|c| c.get("storage").map(|q| q.0.clone()))
                .unwrap_or_default();
            let pv = pvs.get(&volume).await.map_err(|e| e.to_string())?;
            let pv_cap = pv.spec.and_then(|s| s.capacity).unwrap_or_default()["storage"]
                .0
                .clone();
            if to_bytes(&cap) == Some(2 << 30) && to_bytes(&pv_cap) == Some(2 << 30) {
                Ok(())
            } else {
                Err(format!("claim {cap}, volume {pv_cap}"))
            }
        }
    })
    .await;

    // Deletes the namespace and the class labelled with it.
    ns.cleanup().await;
}

/// The namespace guard deletes its namespace when dropped without `cleanup()`, which is what
/// happens when a test panics.
#[tokio::test]
async fn dropped_namespace_guard_deletes_the_namespace() {
    let test = "dropped_namespace_guard";
    let Some(env) = TestEnv::connect(test).await else {
        return;
    };
    let ns = env.namespace(test).await;
    let name = ns.name().to_string();
    let namespaces: Api<Namespace> = Api::all(env.client());
    let created = namespaces.get(&name).await.expect("namespace exists");
    assert_eq!(
        created.metadata.labels.unwrap_or_default()["neo4j-aks.io/test"],
        "true"
    );
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _guard = ns;
        panic!("simulated test failure");
    }));
    assert!(unwound.is_err());
    let uid = created.metadata.uid.unwrap();
    wait_for_opt(
        namespaces,
        &name,
        |n: Option<&Namespace>| {
            n.is_none_or(|n| {
                n.metadata.deletion_timestamp.is_some() || n.metadata.uid.as_ref() != Some(&uid)
            })
        },
        Duration::from_secs(30),
        "namespace deletion after a panic",
    )
    .await;
}
