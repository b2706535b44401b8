//! `spec.bootstrap.fromBackup` end to end: the operator against the real testenv API server,
//! with the Neo4j side played by [`SimulatedNeo4j`] (see day2_scale.rs for why it is simulated).
//!
//! SIMULATED seed results: kwok runs no containers, so no member's `seed-fetch` init container
//! ever fetches anything here. kwok marks the init containers terminated (exit 0, no message)
//! as a kubelet would; the test then writes the agent's result line into that status's
//! termination message, exactly where the kubelet puts it. The agent's seed step itself runs
//! against Azurite in crates/cli/tests/backup_agent.rs; neo4j-admin aggregate-backup and
//! Neo4j's FileSeedProvider run only on Neo4j Enterprise (AKS).

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use neo4j_aks_model::api::backup::CountRange;
use neo4j_aks_model::api::backup::SeededDatabase;
use neo4j_aks_model::{BootstrapStatus, Neo4jCluster};
use neo4j_aks_ops::bootstrap::ADDED_TO_A_RUNNING_CLUSTER;
use neo4j_aks_render::seed::SEED_FETCH_CONTAINER;
use neo4j_aks_testkit::wait_until;
use neo4j_aks_topology::records::GraphSize;
use serde_json::json;
use support::{Harness, WAIT};

const BOOTSTRAP: &str = r#"  bootstrap:
    fromBackup:
      sourceCluster: graph
      target:
        storageAccount: graphbackups01
        prefix: prod
      credentials:
        accountKeySecretRef:
          name: graphbackups01-key
      databases: [neo4j, sales]
      notAfter: "2026-11-20T00:00:00Z"
"#;

const NEO4J_ARTIFACT: &str = "neo4j-2026-11-19T02-00-00Z-diff";
const SALES_ARTIFACT: &str = "sales-2026-11-19T02-00-00Z-diff";

fn bootstrap_of(c: &Neo4jCluster) -> BootstrapStatus {
    c.status
        .as_ref()
        .and_then(|s| s.bootstrap.clone())
        .unwrap_or_default()
}

fn seeded(database: &str, artifact: &str, nodes: u64, relationships: u64) -> SeededDatabase {
    SeededDatabase {
        database: database.to_string(),
        artifact: artifact.to_string(),
        chain_id: format!("{database}-2026-11-16T02-00-00Z-full"),
        finished_at: "2026-11-19T02:10:00Z".parse().expect("timestamp"),
        artifacts: 4,
        counts: Some(CountRange {
            nodes_min: nodes,
            nodes_max: nodes,
            relationships_min: relationships,
            relationships_max: relationships,
        }),
    }
}

/// The agent's seed result line, as `backup-agent seed` prints it.
fn seed_result(seeds: &[SeededDatabase]) -> String {
    json!({
        "step": "seed",
        "result": "Succeeded",
        "message": format!("{} database(s) ready to seed", seeds.len()),
        "seeds": seeds,
    })
    .to_string()
}

/// Puts `message` into member `ordinal`'s terminated seed-fetch status (SIMULATED, see above).
async fn report_seed(h: &Harness, ordinal: u32, message: &str) {
    let pods = h.api::<Pod>();
    let name = format!("db-{ordinal}");
    let pod = wait_until(WAIT, &format!("{name} has init container statuses"), || {
        let pods = pods.clone();
        let name = name.clone();
        async move {
            let pod = pods.get(&name).await.map_err(|e| e.to_string())?;
            let has = pod
                .status
                .as_ref()
                .and_then(|s| s.init_container_statuses.as_ref())
                .is_some_and(|s| s.iter().any(|c| c.name == SEED_FETCH_CONTAINER));
            if has {
                Ok(pod)
            } else {
                Err("no seed-fetch status yet".to_string())
            }
        }
    })
    .await;
    let mut statuses = pod
        .status
        .and_then(|s| s.init_container_statuses)
        .unwrap_or_default();
    for status in &mut statuses {
        if status.name == SEED_FETCH_CONTAINER
            && let Some(terminated) = status.state.as_mut().and_then(|s| s.terminated.as_mut())
        {
            terminated.message = Some(message.to_string());
        }
    }
    pods.patch_status(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"initContainerStatuses": statuses}})),
    )
    .await
    .expect("pod status");
}

fn seed_statements(h: &Harness) -> Vec<String> {
    h.sim
        .statements()
        .into_iter()
        .filter(|s| s.contains(" SEED "))
        .collect()
}

async fn template_seeds(h: &Harness) -> bool {
    let sts = h.api::<StatefulSet>().get("db").await.expect("StatefulSet");
    let pod = sts.spec.and_then(|s| s.template.spec).expect("pod spec");
    let init = pod
        .init_containers
        .unwrap_or_default()
        .iter()
        .any(|c| c.name == SEED_FETCH_CONTAINER);
    let volume = pod
        .volumes
        .unwrap_or_default()
        .iter()
        .any(|v| v.name == "seed");
    assert_eq!(
        init, volume,
        "the seed container and its volume go together"
    );
    init
}

async fn wait_bootstrap(
    h: &Harness,
    what: &str,
    check: impl Fn(&BootstrapStatus) -> bool,
) -> BootstrapStatus {
    let c = h
        .wait_status(what, |c| {
            let b = bootstrap_of(c);
            if check(&b) {
                Ok(())
            } else {
                Err(format!(
                    "bootstrap {} ({}); statements {:?}",
                    b.phase,
                    b.message.unwrap_or_default(),
                    seed_statements(h)
                ))
            }
        })
        .await;
    bootstrap_of(&c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restored_cluster_seeds_each_database_once_and_checks_its_counts() {
    let Some(mut h) = Harness::new("bootstrap_seed").await else {
        return;
    };
    h.sim.register_seed(
        "file:///seed/neo4j.backup",
        GraphSize {
            nodes: 1200,
            relationships: 3400,
        },
    );
    h.sim.register_seed(
        "file:///seed/sales.backup",
        GraphSize {
            nodes: 500,
            relationships: 800,
        },
    );
    let connector = h.connector();
    h.start_operator_with(connector.clone()).await;
    h.create(&h.spec(BOOTSTRAP)).await;

    h.wait_ready(3).await;
    assert!(
        template_seeds(&h).await,
        "members of a new cluster fetch a seed"
    );
    let waiting = wait_bootstrap(&h, "Pending, waiting for the seed steps", |b| {
        b.phase == "Pending"
            && b.message
                .as_deref()
                .is_some_and(|m| m.contains("waiting for the seed step of member(s) 0, 1, 2"))
    })
    .await;
    assert!(waiting.databases.is_empty());

    // Member 2 fetched a newer restore point than the others: nothing may be seeded.
    let agreed = [
        seeded("neo4j", NEO4J_ARTIFACT, 1200, 3400),
        seeded("sales", SALES_ARTIFACT, 500, 800),
    ];
    let mut newer = agreed.clone();
    newer[1].artifact = "sales-2026-11-19T14-00-00Z-diff".to_string();
    report_seed(&h, 0, &seed_result(&agreed)).await;
    report_seed(&h, 1, &seed_result(&agreed)).await;
    report_seed(&h, 2, &seed_result(&newer)).await;
    wait_bootstrap(&h, "refused: members disagree", |b| {
        b.phase == "Refused"
            && b.message
                .as_deref()
                .is_some_and(|m| m.contains("members fetched different restore points of sales"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(seed_statements(&h), Vec::<String>::new());

    // The member is re-seeded (here: its result rewritten) with the agreed restore point; from
    // here on the operator is restarted at every change of the bootstrap status.
    report_seed(&h, 2, &seed_result(&agreed)).await;
    let api = h.clusters();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let mut last = String::new();
    let mut restarts = 0;
    let done = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "seeding did not finish: {last}; statements {:?}",
            h.sim.statements()
        );
        let b = bootstrap_of(&api.get("db").await.expect("get"));
        let seen = format!(
            "{} {:?}",
            b.phase,
            b.databases
                .iter()
                .map(|d| format!("{}={}", d.name, d.state))
                .collect::<Vec<_>>()
        );
        if b.phase == "Done" {
            break b;
        }
        if seen != last {
            last = seen;
            h.stop_operators();
            h.start_operator_with(connector.clone()).await;
            restarts += 1;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(
        restarts >= 3,
        "the operator restarted during seeding ({restarts})"
    );
    assert_eq!(
        seed_statements(&h),
        vec![
            "RECREATE DATABASE neo4j SEED file:///seed/neo4j.backup".to_string(),
            "CREATE DATABASE sales TOPOLOGY 3 0 SEED file:///seed/sales.backup".to_string(),
        ],
        "each database seeded exactly once, in the spec's order"
    );
    let recorded: Vec<_> = done
        .databases
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.state.as_str(),
                d.artifact.as_str(),
                d.nodes,
                d.relationships,
            )
        })
        .collect();
    assert_eq!(
        recorded,
        [
            ("neo4j", "Seeded", NEO4J_ARTIFACT, Some(1200), Some(3400)),
            ("sales", "Seeded", SALES_ARTIFACT, Some(500), Some(800)),
        ]
    );
    assert!(done.completed_at.is_some());
    // Never twice; one may be lost when the test stops the operator right after it recorded the
    // transition (the status holds it).
    let seeded_events = h.events("DatabaseSeeded").await.len();
    assert!((1..=2).contains(&seeded_events), "{seeded_events}");
    // The operator records Done in the status first and publishes the event after it: wait for
    // the event, then make sure there is exactly one.
    wait_until(WAIT, "the BootstrapDone event", || async {
        match h.events("BootstrapDone").await.len() {
            0 => Err("not published yet".to_string()),
            _ => Ok(()),
        }
    })
    .await;
    assert_eq!(h.events("BootstrapDone").await.len(), 1);
    assert!(
        h.events("BootstrapRefused").await.iter().any(|e| e
            .note
            .as_deref()
            .is_some_and(|n| n.contains("different restore points"))),
        "the disagreement was an event"
    );
    assert_eq!(h.sim.violations(), Vec::<String>::new());

    // Done is for good; removing spec.bootstrap drops the seed containers and keeps the record.
    h.patch_spec(json!({"bootstrap": null})).await;
    wait_until(WAIT, "the template without seed containers", || async {
        if template_seeds(&h).await {
            Err("still seeding members".to_string())
        } else {
            Ok(())
        }
    })
    .await;
    let kept = wait_bootstrap(&h, "Done kept", |b| b.phase == "Done").await;
    assert_eq!(kept.databases, done.databases);
    assert_eq!(seed_statements(&h).len(), 2);
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bootstrap_added_to_a_running_cluster_is_refused_and_changes_nothing() {
    let Some(mut h) = Harness::new("bootstrap_added").await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec("")).await;
    h.wait_ready(3).await;
    let before = h.api::<StatefulSet>().get("db").await.expect("StatefulSet");

    // The same bootstrap as a JSON merge patch.
    let bootstrap = json!({"fromBackup": {
        "sourceCluster": "graph",
        "target": {"storageAccount": "graphbackups01", "prefix": "prod"},
        "credentials": {"accountKeySecretRef": {"name": "graphbackups01-key"}},
        "databases": ["neo4j", "sales"],
        "notAfter": "2026-11-20T00:00:00Z",
    }});
    h.patch_spec(json!({ "bootstrap": bootstrap })).await;
    let refused = wait_bootstrap(&h, "refused as added to a running cluster", |b| {
        b.phase == "Refused" && b.message.as_deref() == Some(ADDED_TO_A_RUNNING_CLUSTER)
    })
    .await;
    assert!(refused.databases.is_empty());
    assert_eq!(h.events("BootstrapRefused").await.len(), 1);
    h.wait_ready(3).await;
    let after = h.api::<StatefulSet>().get("db").await.expect("StatefulSet");
    assert_eq!(
        before.spec.map(|s| s.template),
        after.spec.map(|s| s.template),
        "no member restarts for a refused bootstrap"
    );
    assert!(!template_seeds(&h).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(seed_statements(&h), Vec::<String>::new());
    h.teardown().await;
}
