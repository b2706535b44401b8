//! A member restart deletes one pod instance, never its successor (issue #13, point 6), against
//! the real testenv API server:
//!
//! 1. the executor's delete names the uid of the pod instance the planner saw; a pod recreated
//!    under the same name in between is refused by the apiserver (409) and keeps running;
//! 2. a reconcile handed an older watch-cache copy of the Neo4jCluster decides on the stored
//!    object: it neither renders the older pod template (which would flip the StatefulSet's
//!    update revision back and make every restarted member look stale again) nor deletes a pod.
//!
//! The Neo4j side of test 2 is the in-process SIMULATION (kwok nodes run no containers).

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use neo4j_aks_model::operation::RESTART_REQUESTED_ANNOTATION;
use neo4j_aks_ops::controller::{self, Context};
use neo4j_aks_ops::day2::delete_member_pod;
use neo4j_aks_ops::metrics::Metrics;
use neo4j_aks_testkit::{TestEnv, wait_until};
use support::{Harness, settings};

const WAIT: Duration = Duration::from_secs(60);

/// A member-like pod: a long grace period, like the rendered members. `schedulable: false` keeps
/// it Pending (a node selector nothing matches), so no simulated kubelet ever touches it.
fn pod(name: &str, schedulable: bool) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "neo4j".to_owned(),
                image: Some("neo4j:5.26.16-enterprise".to_owned()),
                ..Container::default()
            }],
            termination_grace_period_seconds: Some(3600),
            node_selector: (!schedulable).then(|| {
                BTreeMap::from([("neo4j-aks.io/no-such-node".to_owned(), "x".to_owned())])
            }),
            ..PodSpec::default()
        }),
        ..Pod::default()
    }
}

fn running(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

async fn wait_gone(pods: &Api<Pod>, name: &str) {
    wait_until(WAIT, &format!("pod {name} gone"), || async {
        match pods.get_opt(name).await {
            Ok(None) => Ok(()),
            Ok(Some(p)) => Err(format!("{} still there", p.uid().unwrap_or_default())),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_delete_spares_the_pod_recreated_in_between() {
    let Some(env) = TestEnv::connect("restart_delete_uid").await else {
        return;
    };
    let ns = env.namespace("restart-delete-uid").await;
    let pods: Api<Pod> = Api::namespaced(env.client(), ns.name());
    let name = "db-2";

    // The instance the planner saw on the old revision. It is replaced before the executor's
    // delete arrives (here deleted directly; on a cluster: the operator's own earlier delete
    // seen late, an eviction, a second operator).
    let old = pods
        .create(&PostParams::default(), &pod(name, false))
        .await
        .expect("create the first instance");
    let old_uid = old.uid().expect("uid");
    assert_eq!(
        delete_member_pod(&pods, name, &old_uid).await.ok(),
        Some(true),
        "the observed instance is deleted"
    );
    wait_gone(&pods, name).await;
    let new = pods
        .create(&PostParams::default(), &pod(name, true))
        .await
        .expect("create the next instance");
    let new_uid = new.uid().expect("uid");
    assert_ne!(new_uid, old_uid);
    wait_until(WAIT, "the new instance runs", || async {
        let p = pods.get(name).await.map_err(|e| e.to_string())?;
        if running(&p) {
            Ok(())
        } else {
            Err(format!("{:?}", p.status.and_then(|s| s.phase)))
        }
    })
    .await;

    // The late delete of the old instance: refused by the apiserver, nothing deleted.
    assert_eq!(
        delete_member_pod(&pods, name, &old_uid).await.ok(),
        Some(false),
        "a delete naming the old instance must not touch the new one"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = pods
        .get(name)
        .await
        .expect("the new instance is still there");
    assert_eq!(still.uid().as_deref(), Some(new_uid.as_str()));
    assert!(running(&still), "{:?}", still.metadata.deletion_timestamp);

    // Its own delete goes through; once it is gone, deleting it again finds nothing.
    assert_eq!(
        delete_member_pod(&pods, name, &new_uid).await.ok(),
        Some(true)
    );
    wait_gone(&pods, name).await;
    assert_eq!(
        delete_member_pod(&pods, name, &new_uid).await.ok(),
        Some(false)
    );
    ns.cleanup().await;
}

fn template_annotation(sts: &StatefulSet) -> Option<String> {
    sts.spec
        .as_ref()?
        .template
        .metadata
        .as_ref()?
        .annotations
        .as_ref()?
        .get(RESTART_REQUESTED_ANNOTATION)
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reconcile_of_an_older_cached_copy_decides_on_the_stored_cluster() {
    let Some(mut h) = Harness::new("restart_stale_copy").await else {
        return;
    };
    h.start_operator().await;
    let mut spec = h.spec("");
    spec.annotations_mut().insert(
        RESTART_REQUESTED_ANNOTATION.to_owned(),
        "2026-11-25T08:00:00Z".to_owned(),
    );
    h.create(&spec).await;
    h.wait_ready(3).await;
    // The copy a watch cache may still hold: before the latest restart was asked for.
    let older = h.clusters().get(&h.name).await.expect("get");

    let at = "2026-11-26T13:00:00Z";
    h.clusters()
        .patch(
            &h.name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({
                "metadata": {"annotations": {RESTART_REQUESTED_ANNOTATION: at}}
            })),
        )
        .await
        .expect("annotate");
    let pods = h.api::<Pod>();
    let uids = || async {
        pods.list(&ListParams::default())
            .await
            .expect("pods")
            .items
            .into_iter()
            .map(|p| (p.name_any(), p.uid().unwrap_or_default()))
            .collect::<BTreeMap<_, _>>()
    };
    let before = uids().await;
    let api = h.clusters();
    let rolled = wait_until(
        Duration::from_secs(120),
        "every member restarted, Done",
        || {
            let (api, before) = (api.clone(), before.clone());
            async move {
                let now = uids().await;
                let c = api.get("db").await.map_err(|e| e.to_string())?;
                let s = c.status.unwrap_or_default();
                let done = s.next_step.as_ref().map(|n| n.action.as_str()) == Some("Done")
                    && s.operation.is_none()
                    && s.ready_members == Some(3);
                let restarted = before
                    .iter()
                    .all(|(name, uid)| now.get(name).is_some_and(|u| u != uid));
                if done && restarted && now.len() == 3 {
                    Ok(now)
                } else {
                    Err(format!("{now:?}, {:?} {:?}", s.operation, s.next_step))
                }
            }
        },
    )
    .await;
    h.stop_operators();
    let sts_api = h.api::<StatefulSet>();
    let sts = sts_api.get("db").await.expect("sts");
    assert_eq!(template_annotation(&sts).as_deref(), Some(at));

    // One reconcile handed the older copy, as the controller would from a lagging cache.
    let ctx = Context::with_connector(
        h.client(),
        Arc::new(Metrics::new()),
        settings(h.ns(), "stale-copy"),
        h.connector(),
    );
    controller::reconcile(Arc::new(older), ctx)
        .await
        .expect("reconcile");
    let after = sts_api.get("db").await.expect("sts");
    assert_eq!(
        template_annotation(&after).as_deref(),
        Some(at),
        "the pod template was rendered from an older spec"
    );
    assert_eq!(after.metadata.generation, sts.metadata.generation);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(uids().await, rolled, "no pod deleted");
    h.teardown().await;
}
