//! The runbooks' ```shell blocks marked `<!-- runs-in: crates/cli/tests/runbooks.rs -->`, run
//! as a user runs them (bash, `neo4j-aks` and kubectl on PATH, the page's namespace `graph`
//! replaced by the test's), each in the situation its page describes, against the real
//! operator on the testenv: docs/runbooks/scale-up.md, docs/runbooks/scale-down.md,
//! docs/runbooks/node-pool-upgrade.md and docs/runbooks/troubleshooting.md. A block that fails,
//! or says other than the page promises, fails the test.
//!
//! Neo4j is simulated (kwok runs no containers; see `operator_fixture`); the scheduler, the
//! StatefulSet, disruption, volume-binding and EndpointSlice controllers, RBAC and the eviction
//! API are the real ones.

mod operator_fixture;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, NodeSpec, NodeStatus, Pod, Taint};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use neo4j_aks_testkit::wait_until;
use operator_fixture::{Fixture, SETTLE, documented_output, run_documented_with};
use serde_json::Value;
use support::{stderr, stdout};

const THIS_FILE: &str = "crates/cli/tests/runbooks.rs";

/// The ```shell blocks of `page` that this file runs, in order, each as one script.
fn blocks(page: &str) -> Vec<String> {
    let text = std::fs::read_to_string(support::repo_root().join(page)).expect("the runbook");
    let marker = format!("<!-- runs-in: {THIS_FILE} -->");
    let mut blocks = Vec::new();
    let mut previous = "";
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        match (&mut current, trimmed.starts_with("```")) {
            (Some(lines), true) => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            (Some(lines), false) => lines.push(line),
            (None, true) if trimmed == "```shell" && previous == marker => {
                current = Some(Vec::new())
            }
            (None, _) => {}
        }
        if !trimmed.is_empty() {
            previous = trimmed;
        }
    }
    blocks
}

/// The operator and a settled cluster of `nodes` members (`extra` appended to the spec).
async fn settled(test: &str, nodes: i32, extra: &str) -> Option<Fixture> {
    let f = Fixture::new(test).await?;
    f.create_with(nodes, extra).await;
    f.wait_settled(nodes).await;
    Some(f)
}

/// A documented block, run to its end; the test fails when it fails.
async fn run_block(f: &Fixture, block: &str, vars: &[(&str, &str)]) -> String {
    stdout(&run_documented_with(f, &format!("set -euo pipefail\n{block}"), vars).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_up_then_scale_down_as_the_runbooks_say() {
    let Some(f) = settled("runbook_scale", 3, "").await else {
        return;
    };

    let up = blocks("docs/runbooks/scale-up.md");
    let [healthy, nodes, scale, confirm] = up.as_slice() else {
        panic!("scale-up.md: four blocks, found {up:#?}");
    };
    let out = run_block(&f, healthy, &[]).await;
    assert!(out.contains("3 of 3 members ready"), "{out}");
    let out = run_block(&f, nodes, &[]).await;
    assert!(out.contains("eastus-1"), "{out}");
    let out = run_block(&f, scale, &[]).await;
    assert!(out.contains("done: 5 members ready"), "{out}");
    let status: Value =
        serde_json::from_str(&run_block(&f, confirm, &[]).await).expect("status -o json");
    assert_eq!(status["readyMembers"], 5, "{status:#}");
    let members = status["members"].as_array().expect("members");
    assert_eq!(members.len(), 5, "{status:#}");
    assert!(
        members
            .iter()
            .all(|m| m["ready"] == true && m["serverState"] == "Enabled"),
        "{status:#}"
    );

    let down = blocks("docs/runbooks/scale-down.md");
    let [healthy, explain, scale, release] = down.as_slice() else {
        panic!("scale-down.md: four runnable blocks, found {down:#?}");
    };
    let out = run_block(&f, healthy, &[]).await;
    assert!(out.contains("5 of 5 members ready"), "{out}");
    // Without --yes: explained, refused with exit 2, nothing written.
    let before = f.get().await.resource_version();
    let out = documented_output(&f, explain, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("PVC data-db-4 is kept"), "{said}");
    assert_eq!(f.get().await.resource_version(), before, "nothing changed");
    let removed: Vec<String> = f
        .servers()
        .await
        .into_iter()
        .filter(|(ordinal, _)| *ordinal >= 3)
        .map(|(_, server)| server)
        .collect();
    assert_eq!(removed.len(), 2, "{removed:?}");
    let out = run_block(&f, scale, &[]).await;
    assert!(out.contains("done: 3 members ready"), "{out}");
    // Each removed server was deallocated, then dropped, once.
    let statements = f.sim.statements();
    for server in &removed {
        for step in ["DEALLOCATE", "DROP"] {
            let wanted = format!("{step} {server}");
            assert_eq!(
                statements.iter().filter(|s| **s == wanted).count(),
                1,
                "{wanted}: {statements:#?}"
            );
        }
    }
    // The kept claims, released as the page says: claim and volume gone, the others untouched.
    let claims: Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> =
        Api::namespaced(f.env.client(), f.ns());
    let volume_of = |name: &'static str| {
        let claims = claims.clone();
        async move {
            claims
                .get(name)
                .await
                .expect("the kept claim")
                .spec
                .and_then(|s| s.volume_name)
                .expect("bound")
        }
    };
    let released = [volume_of("data-db-3").await, volume_of("data-db-4").await];
    let out = run_block(&f, release, &[]).await;
    assert!(out.contains("data-db-3: volume"), "{out}");
    let names: Vec<String> = claims
        .list(&ListParams::default())
        .await
        .expect("claims")
        .items
        .iter()
        .map(|c| c.name_any())
        .collect();
    assert_eq!(names, ["data-db-0", "data-db-1", "data-db-2"], "{names:?}");
    let volumes: Api<k8s_openapi::api::core::v1::PersistentVolume> = Api::all(f.env.client());
    for volume in &released {
        assert!(
            volumes.get_opt(volume).await.expect("get pv").is_none(),
            "{volume} still exists"
        );
    }
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
}

/// A node pool of this test's own (kwok nodes: two in eastus-1, one each in eastus-2 and
/// eastus-3), tainted so that no other test's pods land there and nothing else is drained.
struct Pool {
    name: String,
    nodes: Api<Node>,
    /// Node name → zone.
    zones: BTreeMap<String, String>,
}

impl Pool {
    async fn create(f: &Fixture) -> Pool {
        let name = format!("rb{}", &f.ns()[f.ns().len().saturating_sub(8)..]);
        let nodes: Api<Node> = Api::all(f.env.client());
        remove_stale_pools(f, &nodes).await;
        let mut zones = BTreeMap::new();
        for (i, zone) in ["eastus-1", "eastus-1", "eastus-2", "eastus-3"]
            .into_iter()
            .enumerate()
        {
            let node_name = format!("{}-{i}", f.ns());
            let labels = [
                (POOL_LABEL, f.ns()),
                ("agentpool", name.as_str()),
                ("kubernetes.io/hostname", node_name.as_str()),
                ("kubernetes.io/os", "linux"),
                ("topology.kubernetes.io/region", "eastus"),
                ("topology.kubernetes.io/zone", zone),
                ("topology.disk.csi.azure.com/zone", zone),
                ("type", "kwok"),
            ];
            let node = Node {
                metadata: ObjectMeta {
                    name: Some(node_name.clone()),
                    annotations: Some(
                        [("kwok.x-k8s.io/node".to_string(), "fake".to_string())].into(),
                    ),
                    labels: Some(
                        labels
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    ),
                    ..ObjectMeta::default()
                },
                spec: Some(NodeSpec {
                    provider_id: Some(format!("kwok://{node_name}")),
                    taints: Some(vec![Taint {
                        key: "neo4j-aks.io/test-pool".into(),
                        value: Some(name.clone()),
                        effect: "NoSchedule".into(),
                        ..Taint::default()
                    }]),
                    // The second eastus-1 node joins once the members are placed, one per zone.
                    unschedulable: Some(i == 1),
                    ..NodeSpec::default()
                }),
                // What an AKS Standard_E8s_v5 node offers (kwok only keeps it Ready).
                status: Some(NodeStatus {
                    allocatable: Some(capacity("7820m", "62914560Ki")),
                    capacity: Some(capacity("8", "65842272Ki")),
                    ..NodeStatus::default()
                }),
            };
            nodes
                .create(&PostParams::default(), &node)
                .await
                .expect("create a pool node");
            zones.insert(node_name, zone.to_string());
        }
        Pool { name, nodes, zones }
    }

    async fn delete(self) {
        for node in self.zones.keys() {
            let _ = self.nodes.delete(node, &DeleteParams::default()).await;
        }
    }
}

fn capacity(cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
    [
        ("cpu", cpu),
        ("memory", memory),
        ("ephemeral-storage", "119716326407"),
        ("pods", "110"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
    .collect()
}

/// Marks the pool nodes with the namespace of the test that made them.
const POOL_LABEL: &str = "neo4j-aks.io/runbook-pool-of";

/// Pools whose test's namespace is gone (a run that failed before its cleanup).
async fn remove_stale_pools(f: &Fixture, nodes: &Api<Node>) {
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(f.env.client());
    for node in nodes
        .list(&ListParams::default().labels(POOL_LABEL))
        .await
        .expect("list nodes")
        .items
    {
        let owner = node.labels().get(POOL_LABEL).cloned().unwrap_or_default();
        let live = namespaces
            .get_opt(&owner)
            .await
            .expect("get namespace")
            .is_some_and(|n| n.metadata.deletion_timestamp.is_none());
        if !live {
            let _ = nodes
                .delete(&node.name_any(), &DeleteParams::default())
                .await;
        }
    }
}

/// Member pod → node, for the pods that are scheduled.
async fn placement(f: &Fixture) -> BTreeMap<String, String> {
    let pods: Api<Pod> = Api::namespaced(f.env.client(), f.ns());
    pods.list(&ListParams::default().labels("neo4j-aks.io/cluster=db"))
        .await
        .expect("pods")
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| {
            let node = p.spec.as_ref()?.node_name.clone()?;
            Some((p.name_any(), node))
        })
        .collect()
}

async fn disruptions_allowed(f: &Fixture) -> i32 {
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(f.env.client(), f.ns());
    pdbs.get("db-pdb")
        .await
        .expect("the budget")
        .status
        .map(|s| s.disruptions_allowed)
        .unwrap_or(0)
}

async fn wait_allowed(f: &Fixture, want: i32) {
    wait_until(SETTLE, &format!("the budget to allow {want}"), || async {
        match disruptions_allowed(f).await {
            n if n == want => Ok(()),
            n => Err(format!("allowed {n}")),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn node_pool_upgrade_drains_one_member_at_a_time_as_the_runbook_says() {
    let Some(f) = Fixture::new("runbook_node_pool").await else {
        return;
    };
    let pool = Pool::create(&f).await;
    // 5Gi per member and nodes of 62Gi: the memory does not force one per node; the budget,
    // the zones and the spreading preference do the placing.
    f.create_with(
        3,
        &format!(
            "  scheduling:\n    nodeSelector:\n      agentpool: {p}\n    tolerations:\n    - key: neo4j-aks.io/test-pool\n      operator: Equal\n      value: {p}\n      effect: NoSchedule\n",
            p = pool.name
        ),
    )
    .await;
    f.wait_settled(3).await;
    let placed = placement(&f).await;
    let zones_used: std::collections::BTreeSet<&String> =
        placed.values().map(|n| &pool.zones[n]).collect();
    assert_eq!(zones_used.len(), 3, "one member per zone: {placed:?}");
    pool.nodes
        .patch(
            &format!("{}-1", f.ns()),
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"unschedulable": null}})),
        )
        .await
        .expect("the spare eastus-1 node joins");
    wait_allowed(&f, 1).await;

    let page = blocks("docs/runbooks/node-pool-upgrade.md");
    let [before, zones, drain, after] = page.as_slice() else {
        panic!("node-pool-upgrade.md: four runnable blocks, found {page:#?}");
    };
    let pool_var = [("POOL", pool.name.as_str())];
    let out = run_block(&f, before, &[]).await;
    assert!(out.contains("3 of 3 members ready"), "{out}");
    let budget_row = out
        .lines()
        .find(|l| l.starts_with("db-pdb"))
        .expect("the budget's row");
    assert_eq!(
        budget_row.split_whitespace().nth(3),
        Some("1"),
        "ALLOWED DISRUPTIONS: {out}"
    );
    let out = run_block(&f, zones, &pool_var).await;
    for node in pool.zones.keys() {
        assert!(out.contains(node.as_str()), "{node} not listed: {out}");
    }

    let node_of = |placed: &BTreeMap<String, String>, zone: &str| {
        placed
            .iter()
            .find(|(_, n)| pool.zones[*n] == zone)
            .map(|(p, n)| (p.clone(), n.clone()))
            .expect("a member in that zone")
    };
    // 1. eastus-1 has a spare node: the drained member comes back there, on its own disk.
    let (first, first_node) = node_of(&placed, "eastus-1");
    run_block(&f, drain, &[("NODE", &first_node)]).await;
    f.wait_settled(3).await;
    let now = placement(&f).await;
    assert_eq!(pool.zones[&now[&first]], "eastus-1", "{now:?}");
    assert_ne!(now[&first], first_node, "{now:?}");
    run_block(&f, after, &[("NODE", &first_node)]).await;
    wait_allowed(&f, 1).await;

    // 2. eastus-2 has one node: its member stays Pending, and the status says why.
    let (second, second_node) = node_of(&now, "eastus-2");
    let (third, third_node) = node_of(&now, "eastus-3");
    run_block(&f, drain, &[("NODE", &second_node)]).await;
    let api = f.clusters();
    wait_until(SETTLE, "the status to name the zonal disk", || {
        let api = api.clone();
        let second = second.clone();
        async move {
            let c = api.get("db").await.map_err(|e| e.to_string())?;
            let message = c
                .status
                .unwrap_or_default()
                .conditions
                .into_iter()
                .find(|c| c.type_ == "Progressing")
                .map(|c| c.message)
                .unwrap_or_default();
            if message.contains(&format!("{second}: unschedulable"))
                && message.contains("didn't match PersistentVolume's node affinity")
            {
                Ok(())
            } else {
                Err(message)
            }
        }
    })
    .await;
    wait_allowed(&f, 0).await;

    // 3. The next node's drain waits on the budget while that member is down...
    let drain_third = {
        let script = format!("set -euo pipefail\n{drain}");
        let f = &f;
        let node = third_node.clone();
        async move { documented_output(f, &script, &[("NODE", &node)]).await }
    };
    let (drained, ()) = tokio::join!(drain_third, async {
        tokio::time::sleep(Duration::from_secs(8)).await;
        let now = placement(&f).await;
        assert_eq!(
            now.get(&third),
            Some(&third_node),
            "evicted while the budget allowed no disruption: {now:?}"
        );
        // ... and goes on once the eastus-2 member is back (its node uncordoned, as the page says).
        let out = run_block(&f, after, &[("NODE", &second_node)]).await;
        assert!(
            out.contains("didn't match PersistentVolume's node affinity"),
            "the status names why {second} is down: {out}"
        );
    });
    assert!(drained.status.success(), "{}", stderr(&drained));
    assert!(
        stdout(&drained).contains(&format!("pod/{third} evicted")),
        "{}",
        stdout(&drained)
    );
    run_block(&f, after, &[("NODE", &third_node)]).await;
    f.wait_settled(3).await;
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
    pool.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn troubleshooting_a_missing_storage_class() {
    let Some(f) = Fixture::new("runbook_pvc_pending").await else {
        return;
    };
    let class = format!("{}-absent", f.ns());
    f.create_spec(&format!(
        "  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  storage:\n    diskSizeGi: 32\n    className: {class}\n    createStorageClass: false\n  resources:\n    cpu: \"1\"\n    memory: 4Gi\n"
    ))
    .await;
    let page = blocks("docs/runbooks/troubleshooting.md");
    let [
        status,
        not_formed,
        _srv,
        _rbac,
        pending,
        _backups,
        _backup_now,
    ] = page.as_slice()
    else {
        panic!("troubleshooting.md: seven runnable blocks, found {page:#?}");
    };
    let api = f.clusters();
    let missing = format!("claim data-db-0 Pending: StorageClass {class} does not exist");
    wait_until(SETTLE, "the status to name the missing class", || {
        let api = api.clone();
        let missing = missing.clone();
        async move {
            let c = api.get("db").await.map_err(|e| e.to_string())?;
            let text = serde_json::to_string(&c.status).unwrap_or_default();
            // The scheduler's verdict may come a moment after the claim's.
            if text.contains(&missing) && text.contains("unschedulable: 0/") {
                Ok(())
            } else {
                Err(text)
            }
        }
    })
    .await;
    let out = run_block(&f, status, &[]).await;
    assert!(out.contains(&missing), "{out}");
    assert!(out.contains("unschedulable: 0/"), "{out}");
    let out = run_block(&f, not_formed, &[]).await;
    assert!(
        out.contains("data-db-0") && out.contains("Pending"),
        "{out}"
    );
    let events = format!("storageclass.storage.k8s.io \"{class}\" not found");
    wait_until(
        SETTLE,
        "the PersistentVolume controller's event",
        || async {
            let out = run_block(&f, pending, &[]).await;
            if out.contains(&events) {
                Ok(())
            } else {
                Err(out)
            }
        },
    )
    .await;

    // The remedy the page gives: create the class; the claims bind and the cluster forms.
    let template: StorageClass = Api::<StorageClass>::all(f.env.client())
        .list(&ListParams::default())
        .await
        .expect("classes")
        .items
        .into_iter()
        .find(|c| c.provisioner == "disk.csi.azure.com")
        .expect("the testenv's simulated Azure Disk provisioner serves some class");
    let created = StorageClass {
        metadata: ObjectMeta {
            name: Some(class.clone()),
            ..ObjectMeta::default()
        },
        provisioner: template.provisioner,
        parameters: template.parameters,
        reclaim_policy: Some("Delete".into()),
        volume_binding_mode: Some("WaitForFirstConsumer".into()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    };
    let classes: Api<StorageClass> = Api::all(f.env.client());
    classes
        .create(&PostParams::default(), &created)
        .await
        .expect("create the class");
    f.wait_settled(3).await;
    f.teardown().await;
    let _ = classes.delete(&class, &DeleteParams::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn troubleshooting_the_srv_record_and_backups() {
    let Some(f) = settled(
        "runbook_srv_backup",
        3,
        "  discovery:\n    resolverType: SRV\n  backup:\n    enabled: true\n    schedule: \"15 1 * * *\"\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      workloadIdentityClientId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n",
    )
    .await
    else {
        return;
    };
    let page = blocks("docs/runbooks/troubleshooting.md");
    let [_, _, srv, _, _, backups, backup_now] = page.as_slice() else {
        panic!("troubleshooting.md: seven runnable blocks, found {page:#?}");
    };
    let out = run_block(&f, srv, &[]).await;
    assert!(out.starts_with("None true discovery\n"), "{out}");
    let pods: Api<Pod> = Api::namespaced(f.env.client(), f.ns());
    for pod in pods
        .list(&ListParams::default().labels("neo4j-aks.io/cluster=db"))
        .await
        .expect("pods")
        .items
    {
        let ip = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .expect("a running member has an IP");
        assert!(
            out.contains(&ip),
            "{ip} of {} not listed: {out}",
            pod.name_any()
        );
    }
    let out = run_block(&f, backups, &[]).await;
    assert!(out.contains("cronjob.batch/db-backup "), "{out}");
    let out = run_block(&f, backup_now, &[]).await;
    let job = out
        .trim()
        .rsplit('/')
        .next()
        .expect("rsplit yields at least one piece");
    assert!(job.starts_with("db-backup-"), "{out}");
    let jobs: Api<k8s_openapi::api::batch::v1::Job> = Api::namespaced(f.env.client(), f.ns());
    assert!(jobs.get_opt(job).await.expect("get job").is_some(), "{job}");
    f.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn troubleshooting_rbac_of_the_k8s_resolver() {
    let Some(mut f) = settled("runbook_rbac", 3, "  discovery:\n    resolverType: K8S\n").await
    else {
        return;
    };
    let page = blocks("docs/runbooks/troubleshooting.md");
    let [_, _, _, rbac, _, _, _] = page.as_slice() else {
        panic!("troubleshooting.md: seven runnable blocks, found {page:#?}");
    };
    let out = run_block(&f, rbac, &[]).await;
    assert!(out.starts_with("yes\n"), "{out}");
    assert!(
        out.contains("role.rbac.authorization.k8s.io/db-service-reader"),
        "{out}"
    );
    // The check is real: without the binding the same question is answered "no" (exit 1).
    let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
        Api::namespaced(f.env.client(), f.ns());
    f.stop_operator();
    bindings
        .delete("db-service-reader-binding", &DeleteParams::default())
        .await
        .expect("delete the binding");
    let first_line = rbac.lines().next().expect("the can-i line");
    let out = documented_output(&f, first_line, &[]).await;
    assert_eq!(stdout(&out).trim(), "no", "{}", stderr(&out));
    f.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restore_member_as_the_runbook_says() {
    // The spare server the page's "Before" asks for: the default database keeps 3 primaries
    // on the other 3 members while member 1 is replaced.
    let Some(f) = settled(
        "runbook_restore_member",
        4,
        "  topology:\n    primaries: 3\n    secondaries: 0\n",
    )
    .await
    else {
        return;
    };
    let page = blocks("docs/runbooks/restore-member.md");
    let [explain, restore] = page.as_slice() else {
        panic!("restore-member.md: two runnable blocks, found {page:#?}");
    };
    let claims: Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> =
        Api::namespaced(f.env.client(), f.ns());
    let old_claim = claims.get("data-db-1").await.expect("claim").uid();
    let old_server = f
        .servers()
        .await
        .get(&1)
        .cloned()
        .expect("member 1's server");
    let before = f.get().await.resource_version();
    let out = documented_output(&f, explain, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pod db-1 and its PVC data-db-1 are deleted"),
        "{}",
        stderr(&out)
    );
    assert_eq!(f.get().await.resource_version(), before, "nothing changed");
    let out = run_block(&f, restore, &[]).await;
    assert!(out.contains("done: member 1 replaced"), "{out}");
    assert_ne!(
        claims.get("data-db-1").await.expect("claim").uid(),
        old_claim,
        "a new claim"
    );
    let new_server = f
        .servers()
        .await
        .get(&1)
        .cloned()
        .expect("member 1's server");
    assert_ne!(new_server, old_server, "a new server");
    let statements = f.sim.statements();
    assert!(
        statements.contains(&format!("DROP {old_server}")),
        "{statements:#?}"
    );
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certificate_rotation_by_annotation_as_the_runbook_says() {
    let Some(f) = settled("runbook_cert_annotation", 3, "  tls:\n    enabled: true\n").await else {
        return;
    };
    let page = blocks("docs/runbooks/certificate-rotation.md");
    let [annotate] = page.as_slice() else {
        panic!("certificate-rotation.md: one block for this file, found {page:#?}");
    };
    let renewed = |c: &neo4j_aks_model::Neo4jCluster| {
        c.status
            .as_ref()
            .and_then(|s| s.certificates.as_ref()?.renewed_at.clone())
    };
    let before = renewed(&f.get().await);
    // The annotation's time is the request's; a request in the cluster's first second would not
    // be newer than its certificates.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    run_block(&f, annotate, &[]).await;
    let api = f.clusters();
    wait_until(SETTLE, "the certificates to be renewed", || {
        let api = api.clone();
        let before = before.clone();
        async move {
            let c = api.get("db").await.map_err(|e| e.to_string())?;
            match renewed(&c) {
                now if now.is_some() && now != before => Ok(()),
                now => Err(format!("renewedAt {now:?}, before {before:?}")),
            }
        }
    })
    .await;
    f.wait_settled(3).await;
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
}

/// Member pod name → uid.
async fn pod_uids(f: &Fixture) -> BTreeMap<String, String> {
    let pods: Api<Pod> = Api::namespaced(f.env.client(), f.ns());
    pods.list(&ListParams::default().labels("neo4j-aks.io/cluster=db"))
        .await
        .expect("pods")
        .items
        .into_iter()
        .map(|p| (p.name_any(), p.uid().unwrap_or_default()))
        .collect()
}

/// Waits until every member pod of `before` was replaced, then until the cluster settled.
async fn wait_rolled(f: &Fixture, before: &BTreeMap<String, String>) {
    wait_until(SETTLE, "every member restarted", || async {
        let now = pod_uids(f).await;
        let same: Vec<&String> = before
            .iter()
            .filter(|(pod, uid)| now.get(*pod) == Some(*uid))
            .map(|(pod, _)| pod)
            .collect();
        if same.is_empty() && now.len() == before.len() {
            Ok(())
        } else {
            Err(format!("not restarted yet: {same:?}"))
        }
    })
    .await;
    f.wait_settled(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn discovery_moves_from_list_to_srv_to_k8s_as_the_runbook_says() {
    let Some(f) = settled(
        "runbook_discovery",
        3,
        "  discovery:\n    resolverType: LIST\n",
    )
    .await
    else {
        return;
    };
    let page = blocks("docs/runbooks/discovery-migration.md");
    let [healthy, to_srv, rolled, to_k8s] = page.as_slice() else {
        panic!("discovery-migration.md: four runnable blocks, found {page:#?}");
    };
    let out = run_block(&f, healthy, &[]).await;
    assert!(out.contains("3 of 3 members ready"), "{out}");
    let config = |f: &Fixture| {
        let maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
            Api::namespaced(f.env.client(), f.ns());
        async move {
            serde_json::to_string(&maps.get("db-config").await.expect("config").data)
                .expect("serializable")
        }
    };
    assert!(config(&f).await.contains("resolver_type=LIST"));

    let before = pod_uids(&f).await;
    run_block(&f, to_srv, &[]).await;
    wait_rolled(&f, &before).await;
    assert!(config(&f).await.contains("resolver_type=SRV"));
    let out = run_block(&f, rolled, &[]).await;
    assert!(out.contains("3 of 3 members ready"), "{out}");
    assert!(!out.contains("Progressing=True"), "{out}");

    let before = pod_uids(&f).await;
    run_block(&f, to_k8s, &[]).await;
    wait_rolled(&f, &before).await;
    assert!(config(&f).await.contains("resolver_type=K8S"));
    let roles: Api<k8s_openapi::api::rbac::v1::Role> = Api::namespaced(f.env.client(), f.ns());
    assert!(
        roles
            .get_opt("db-service-reader")
            .await
            .expect("get role")
            .is_some()
    );
    assert!(f.sim.violations().is_empty(), "{:?}", f.sim.violations());
    f.teardown().await;
}
