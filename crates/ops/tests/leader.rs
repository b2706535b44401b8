//! Two operator replicas with leader election: only the lease holder reconciles; when it goes
//! away the other takes over.

mod support;

use std::sync::Arc;
use std::time::Duration;

use neo4j_aks_ops::controller::{self, Context};
use neo4j_aks_ops::leader::{LeaseSettings, run_as_leader};
use neo4j_aks_ops::metrics::Metrics;
use support::Harness;

async fn replica(h: &Harness, identity: &str) -> (Arc<Metrics>, tokio::task::JoinHandle<()>) {
    let metrics = Arc::new(Metrics::new());
    let client = h.counting_client(metrics.clone()).await;
    let lease = LeaseSettings {
        name: "neo4j-aks-operator".into(),
        namespace: h.ns().to_string(),
        identity: identity.to_string(),
        duration: 4,
        grace: 1,
    };
    let ctx = Context::with_connector(
        client.clone(),
        metrics.clone(),
        support::settings(h.ns(), identity),
        h.connector(),
    );
    let m = metrics.clone();
    let handle = tokio::spawn(async move {
        let work = || controller::run(ctx.clone());
        if let Err(e) = run_as_leader(client, lease, m, work).await {
            panic!("leader election failed: {e}");
        }
    });
    (metrics, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_only_the_leader_reconciles_and_the_other_takes_over() {
    let Some(h) = Harness::new("ops_leader").await else {
        return;
    };
    let (a, a_task) = replica(&h, "replica-a").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (b, b_task) = replica(&h, "replica-b").await;
    h.create(&h.spec("")).await;
    h.wait_ready(3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (leader, follower, leader_task, follower_task) = if a.leader.get() == 1 {
        (a, b, a_task, b_task)
    } else {
        (b, a, b_task, a_task)
    };
    assert_eq!(leader.leader.get(), 1, "one replica leads");
    assert_eq!(follower.leader.get(), 0, "only one replica leads");
    assert!(leader.reconciles.get() > 0);
    assert_eq!(
        follower.reconciles.get(),
        0,
        "the follower must not reconcile"
    );

    // The leader dies: the follower takes the lease (after it expires) and reconciles.
    leader_task.abort();
    neo4j_aks_testkit::wait_until(Duration::from_secs(30), "the follower to take over", || {
        let follower = follower.clone();
        async move {
            if follower.leader.get() == 1 && follower.reconciles.get() > 0 {
                Ok(())
            } else {
                Err(format!(
                    "leader {}, reconciles {}",
                    follower.leader.get(),
                    follower.reconciles.get()
                ))
            }
        }
    })
    .await;
    h.patch_spec(serde_json::json!({"nodeCount": 4})).await;
    h.wait_ready(4).await;
    let mut h = h;
    h.operators.push((follower, follower_task));
    h.teardown().await;
}
