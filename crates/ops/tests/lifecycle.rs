//! The operator against the local control plane (testenv): real apiserver, controller-manager,
//! scheduler; kwok plays the kubelets (pods reach Running/Ready, no Neo4j runs) and a simulated
//! Azure disk provisioner binds and expands claims.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::Api;
use support::Harness;

/// API reads (GET and LIST) one reconcile of an unchanged cluster may send.
const MAX_READS_PER_QUIET_RESYNC: u64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_a_three_member_cluster_ready_across_three_zones_then_resyncs_without_writes() {
    let Some(mut h) = Harness::new("ops_create").await else {
        return;
    };
    let metrics = h.start_operator().await;
    h.create(&h.spec("")).await;
    let cluster = h.wait_ready(3).await;
    let status = cluster.status.expect("status");

    // Every object exists, owned by the Neo4jCluster (controller=true).
    let uid = cluster.metadata.uid.clone().expect("uid");
    let owned =
        |refs: Option<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>>| {
            refs.unwrap_or_default()
                .iter()
                .any(|r| r.uid == uid && r.controller == Some(true))
        };
    let sts = h.api::<StatefulSet>().get("db").await.expect("statefulset");
    assert!(owned(sts.metadata.owner_references));
    for name in [
        "db-headless",
        "db-lb",
        "db-0-discovery",
        "db-1-discovery",
        "db-2-discovery",
    ] {
        let svc = h.api::<Service>().get(name).await.expect(name);
        assert!(owned(svc.metadata.owner_references), "{name} owned");
    }
    assert!(owned(
        h.api::<ConfigMap>()
            .get("db-config")
            .await
            .expect("cm")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<ServiceAccount>()
            .get("db-sa")
            .await
            .expect("sa")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<Role>()
            .get("db-service-reader")
            .await
            .expect("role")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<RoleBinding>()
            .get("db-service-reader-binding")
            .await
            .expect("rb")
            .metadata
            .owner_references
    ));
    assert!(owned(
        h.api::<PodDisruptionBudget>()
            .get("db-pdb")
            .await
            .expect("pdb")
            .metadata
            .owner_references
    ));
    let class = format!("{}-premium", h.ns());
    Api::<StorageClass>::all(h.client())
        .get(&class)
        .await
        .expect("storage class");

    // The generated password: filled once, neo4j/<32 chars>, owned by its own field manager.
    let secret = h.api::<Secret>().get("db-secrets").await.expect("secret");
    let auth = secret
        .data
        .as_ref()
        .and_then(|d| d.get("NEO4J_AUTH"))
        .expect("NEO4J_AUTH filled");
    let auth = String::from_utf8(auth.0.clone()).expect("utf8");
    assert!(auth.starts_with("neo4j/") && auth.len() == "neo4j/".len() + 32);
    let managers: Vec<String> = secret
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert!(
        managers.contains(&"neo4j-aks-password".to_string()),
        "{managers:?}"
    );

    // Status: three members Running/Ready on three zones, each with its claim and capacity.
    assert_eq!(status.ready_members, Some(3));
    assert_eq!(status.replicas, Some(3));
    assert_eq!(
        status.selector.as_deref(),
        Some("app.kubernetes.io/instance=db,app.kubernetes.io/name=neo4j")
    );
    let zones: BTreeSet<_> = status
        .members
        .iter()
        .filter_map(|m| m.zone.clone())
        .collect();
    assert_eq!(zones.len(), 3, "members {:?}", status.members);
    for (i, m) in status.members.iter().enumerate() {
        assert_eq!(m.pod, format!("db-{i}"));
        assert_eq!(m.phase.as_deref(), Some("Running"));
        assert!(m.ready && m.node.is_some());
        assert_eq!(m.pvc.as_deref(), Some(format!("data-db-{i}").as_str()));
        assert_eq!(m.pvc_capacity.as_deref(), Some("32Gi"));
    }
    for (t, s) in [
        ("Ready", "True"),
        ("SpecValid", "True"),
        ("Progressing", "False"),
        ("Degraded", "False"),
    ] {
        let c = status.conditions.iter().find(|c| c.type_ == t).expect(t);
        assert_eq!(c.status, s, "{t}: {}", c.message);
    }

    // Steady state: several resyncs (every 2 s) and no write request at all.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let writes_before = metrics.writes();
    let reads_before = metrics.requests_with("GET");
    let reconciles_before = metrics.reconciles.get();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let reconciles = metrics.reconciles.get() - reconciles_before;
    let reads = metrics.requests_with("GET") - reads_before;
    assert!(reconciles >= 3, "only {reconciles} resyncs in 8 s");
    eprintln!("quiet resyncs: {reads} reads (GET and LIST) in {reconciles} reconciles");
    // Owned objects, the managed StorageClass, pods and claims come from the watch caches, node
    // zones from memory, the upgrade check from the cached pods (every member on the spec's
    // version): what is left per resync is the stored Neo4jCluster and the live StatefulSet
    // (both read fresh on purpose).
    // One more reconcile's worth: a resync may be in flight at either end of the window
    // (reconciles are counted when they finish). Before the caches it was 25 per resync.
    assert!(
        reads <= (reconciles + 1) * MAX_READS_PER_QUIET_RESYNC,
        "{reads} reads in {reconciles} quiet resyncs:\n{}",
        metrics.encode()
    );
    assert_eq!(
        metrics.writes() - writes_before,
        0,
        "write requests during {reconciles} quiet resyncs:\n{}",
        metrics.encode()
    );
    h.teardown().await;
}

fn condition<'a>(
    c: &'a neo4j_aks_model::Neo4jCluster,
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    c.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
}

fn has_condition(
    c: &neo4j_aks_model::Neo4jCluster,
    type_: &str,
    status: &str,
) -> Result<(), String> {
    match condition(c, type_) {
        Some(cond)
            if cond.status == status
                && c.status.as_ref().and_then(|s| s.observed_generation)
                    == c.metadata.generation =>
        {
            Ok(())
        }
        other => Err(format!("{type_}: {other:?}")),
    }
}

async fn template_digest(h: &Harness) -> String {
    let sts = h.api::<StatefulSet>().get("db").await.expect("statefulset");
    sts.spec
        .and_then(|s| s.template.metadata)
        .and_then(|m| m.annotations)
        .and_then(|a| a.get("neo4j-aks.io/config-digest").cloned())
        .expect("digest annotation")
}

async fn claim_requests(h: &Harness) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = h
        .api::<k8s_openapi::api::core::v1::PersistentVolumeClaim>()
        .list(&kube::api::ListParams::default().labels("neo4j-aks.io/cluster=db"))
        .await
        .expect("claims")
        .items
        .into_iter()
        .map(|c| {
            let request = c
                .spec
                .and_then(|s| s.resources?.requests?.get("storage").cloned())
                .map(|q| q.0)
                .unwrap_or_default();
            (c.metadata.name.unwrap_or_default(), request)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn node_count_3_to_5_by_edit_adds_members_and_discovery_services_and_5_to_3_stays_pending() {
    let Some(mut h) = Harness::new("ops_scale_edit").await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec("  discovery:\n    resolverType: K8S\n"))
        .await;
    h.wait_ready(3).await;
    h.patch_spec(serde_json::json!({"nodeCount": 5})).await;
    h.wait_ready(5).await;
    assert_eq!(
        h.discovery_services().await,
        (0..5)
            .map(|i| format!("db-{i}-discovery"))
            .collect::<Vec<_>>()
    );

    // Scale-down is not destructive yet: reported as pending, nothing removed.
    h.patch_spec(serde_json::json!({"nodeCount": 3})).await;
    let c = h
        .wait_status("ScaleDownPending=True", |c| {
            has_condition(c, "ScaleDownPending", "True")
        })
        .await;
    let message = &condition(&c, "ScaleDownPending")
        .expect("condition")
        .message;
    assert!(
        message.contains("spec.nodeCount is 3 but 5 members run"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sts = h.api::<StatefulSet>().get("db").await.expect("statefulset");
    assert_eq!(sts.spec.and_then(|s| s.replicas), Some(5));
    assert_eq!(h.discovery_services().await.len(), 5);
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn node_count_3_to_5_by_the_scale_subresource() {
    let Some(mut h) = Harness::new("ops_scale_sub").await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec("")).await;
    h.wait_ready(3).await;
    let scale = h
        .clusters()
        .get_scale("db")
        .await
        .expect("scale subresource");
    assert_eq!(scale.spec.and_then(|s| s.replicas), Some(3));
    assert_eq!(
        scale.status.and_then(|s| s.selector).as_deref(),
        Some("app.kubernetes.io/instance=db,app.kubernetes.io/name=neo4j")
    );
    h.clusters()
        .patch_scale(
            "db",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("kubectl scale --replicas=5");
    h.wait_ready(5).await;
    assert_eq!(h.discovery_services().await.len(), 5);
    let scale = h.clusters().get_scale("db").await.expect("scale");
    assert_eq!(scale.status.map(|s| s.replicas), Some(5));
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resolver_k8s_to_srv_deletes_rbac_and_member_services_and_rolls_the_config() {
    let Some(mut h) = Harness::new("ops_resolver").await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec("  discovery:\n    resolverType: K8S\n"))
        .await;
    h.wait_ready(3).await;
    let before = template_digest(&h).await;
    assert_eq!(h.discovery_services().await.len(), 3);

    h.patch_spec(serde_json::json!({"discovery": {"resolverType": "SRV"}}))
        .await;
    let (sa, role, binding) = (
        h.api::<ServiceAccount>(),
        h.api::<Role>(),
        h.api::<RoleBinding>(),
    );
    neo4j_aks_testkit::wait_until(support::WAIT, "RBAC and discovery Services deleted", || {
        let (sa, role, binding) = (sa.clone(), role.clone(), binding.clone());
        let h = &h;
        async move {
            let left = [
                sa.get_opt("db-sa")
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some(),
                role.get_opt("db-service-reader")
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some(),
                binding
                    .get_opt("db-service-reader-binding")
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some(),
            ];
            let services = h.discovery_services().await;
            if left.iter().any(|l| *l) || !services.is_empty() {
                return Err(format!(
                    "left: sa/role/binding {left:?}, services {services:?}"
                ));
            }
            Ok(())
        }
    })
    .await;
    let after = template_digest(&h).await;
    assert_ne!(
        before, after,
        "the config digest on the pod template must change"
    );
    // The StatefulSet controller rolls the members onto the new template.
    neo4j_aks_testkit::wait_until(support::WAIT, "a rollout to the new revision", || {
        let api = h.api::<StatefulSet>();
        async move {
            let sts = api.get("db").await.map_err(|e| e.to_string())?;
            let status = sts.status.unwrap_or_default();
            if status.update_revision.is_some() && status.update_revision != status.current_revision
                || status.updated_replicas.unwrap_or(0) == 3
            {
                Ok(())
            } else {
                Err(format!(
                    "{:?}/{:?}",
                    status.current_revision, status.update_revision
                ))
            }
        }
    })
    .await;
    // Every member comes back on the new template (no pod may ask for the deleted account).
    h.wait_ready(3).await;
    let sts = h.api::<StatefulSet>().get("db").await.expect("sts");
    let status = sts.status.expect("status");
    assert_eq!(status.updated_replicas, Some(3));
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disk_32_to_64_expands_every_claim_and_64_to_32_is_rejected() {
    let Some(mut h) = Harness::new("ops_disk").await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec("")).await;
    h.wait_ready(3).await;
    h.patch_spec(serde_json::json!({"storage": {"diskSizeGi": 64}}))
        .await;
    let claims = h.api::<k8s_openapi::api::core::v1::PersistentVolumeClaim>();
    let _ = claims;
    neo4j_aks_testkit::wait_until(support::WAIT, "every claim requests 64Gi", || {
        let h = &h;
        async move {
            let requests = claim_requests(h).await;
            if requests.len() == 3 && requests.iter().all(|(_, r)| r == "64Gi") {
                Ok(())
            } else {
                Err(format!("{requests:?}"))
            }
        }
    })
    .await;
    // The simulated disk driver grows the volumes; status reports the new capacity.
    h.wait_status("members report 64Gi and expansion is over", |c| {
        let s = c.status.clone().unwrap_or_default();
        has_condition(c, "VolumeExpansion", "False")?;
        if s.members.len() == 3
            && s.members
                .iter()
                .all(|m| m.pvc_capacity.as_deref() == Some("64Gi"))
        {
            Ok(())
        } else {
            Err(format!("{:?}", s.members))
        }
    })
    .await;
    // The StatefulSet kept its (immutable) claim template.
    let sts_version = h
        .api::<StatefulSet>()
        .get("db")
        .await
        .expect("sts")
        .metadata
        .resource_version;

    h.patch_spec(serde_json::json!({"storage": {"diskSizeGi": 32}}))
        .await;
    let c = h
        .wait_status("SpecValid=False", |c| {
            has_condition(c, "SpecValid", "False")
        })
        .await;
    let message = &condition(&c, "SpecValid").expect("SpecValid").message;
    assert!(
        message.contains("spec.storage.diskSizeGi") && message.contains("cannot shrink"),
        "{message}"
    );
    assert_eq!(
        c.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Invalid")
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(claim_requests(&h).await.iter().all(|(_, r)| r == "64Gi"));
    assert_eq!(
        h.api::<StatefulSet>()
            .get("db")
            .await
            .expect("sts")
            .metadata
            .resource_version,
        sts_version,
        "nothing may change on a rejected spec"
    );
    h.teardown().await;
}

async fn child_versions(h: &Harness) -> Vec<(String, Option<String>)> {
    let client = h.client();
    let live = neo4j_aks_ops::changeset::labelled_objects(&client, h.ns(), "db")
        .await
        .expect("live objects");
    // The generation where the kind has one (its status is written by other controllers),
    // the resourceVersion otherwise.
    live.into_iter()
        .map(|((kind, name), o)| {
            let version = match o.metadata.generation {
                Some(g) => Some(format!("generation {g}")),
                None => o.metadata.resource_version,
            };
            (format!("{kind:?}/{name}"), version)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_spec_applies_nothing_reports_every_message_and_waits_for_a_change() {
    let Some(mut h) = Harness::new("ops_invalid").await else {
        return;
    };
    let metrics = h.start_operator().await;
    // Invalid from the start: nothing is created.
    let mut spec = h.spec("  config:\n    dbms.no.such.setting: \"1\"\n");
    spec.spec.node_count = Some(2);
    h.create(&spec).await;
    let c = h
        .wait_status("SpecValid=False", |c| {
            has_condition(c, "SpecValid", "False")
        })
        .await;
    let message = condition(&c, "SpecValid")
        .expect("SpecValid")
        .message
        .clone();
    assert!(message.contains("spec.nodeCount"), "{message}");
    assert!(message.contains("dbms.no.such.setting"), "{message}");
    assert!(child_versions(&h).await.is_empty(), "no child may exist");
    // No hot loop: an invalid spec waits for the next change.
    let before = metrics.reconciles.get();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(
        metrics.reconciles.get() - before <= 1,
        "invalid spec re-reconciled in a loop"
    );

    // Fixed: everything comes up. Broken again: nothing is written to any child.
    h.patch_spec(serde_json::json!({"nodeCount": 3, "config": null}))
        .await;
    h.wait_ready(3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let versions = child_versions(&h).await;
    let (patches, deletes, puts) = (
        metrics.requests_with("PATCH"),
        metrics.requests_with("DELETE"),
        metrics.requests_with("PUT"),
    );
    h.patch_spec(serde_json::json!({"nodeCount": 2, "storage": {"diskSizeGi": 5000}}))
        .await;
    let c = h
        .wait_status("SpecValid=False again", |c| {
            has_condition(c, "SpecValid", "False")
        })
        .await;
    let message = condition(&c, "SpecValid")
        .expect("SpecValid")
        .message
        .clone();
    assert!(
        message.contains("spec.nodeCount") && message.contains("spec.storage.diskSizeGi"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(child_versions(&h).await, versions, "a child was written");
    // The operator's own requests: the status patch and the InvalidSpec event (a PATCH of the
    // event series the first invalid spec started); no delete, no update.
    assert!(
        metrics.requests_with("PATCH") - patches <= 2,
        "only status and event are patched"
    );
    assert_eq!(metrics.requests_with("DELETE") - deletes, 0);
    assert_eq!(metrics.requests_with("PUT") - puts, 0);
    h.teardown().await;
}

async fn wait_gone<K>(api: Api<K>, name: &str)
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    neo4j_aks_testkit::wait_until(support::WAIT, &format!("{name} gone"), || {
        let api = api.clone();
        async move {
            match api.get_opt(name).await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err("still there".into()),
                Err(e) => Err(e.to_string()),
            }
        }
    })
    .await;
}

async fn delete_and_check_claims(policy: &str) {
    let Some(mut h) = Harness::new(&format!("ops_delete_{policy}")).await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec(&format!("  deletionPolicy: {policy}\n")))
        .await;
    h.wait_ready(3).await;
    h.clusters()
        .delete("db", &kube::api::DeleteParams::default())
        .await
        .expect("delete");
    wait_gone(h.clusters(), "db").await;
    // Garbage collection through the owner references.
    wait_gone(h.api::<StatefulSet>(), "db").await;
    wait_gone(h.api::<Service>(), "db-headless").await;
    wait_gone(h.api::<ConfigMap>(), "db-config").await;
    let class = format!("{}-premium", h.ns());
    wait_gone(Api::<StorageClass>::all(h.client()), &class).await;
    let claims = h.api::<k8s_openapi::api::core::v1::PersistentVolumeClaim>();
    let events: Api<k8s_openapi::api::events::v1::Event> = h.api();
    let reasons: Vec<(String, String)> = events
        .list(&Default::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .map(|e| (e.reason.unwrap_or_default(), e.note.unwrap_or_default()))
        .collect();
    if policy == "Retain" {
        let live = claim_requests(&h).await;
        assert_eq!(live.len(), 3, "claims retained: {live:?}");
        let (_, note) = reasons
            .iter()
            .find(|(r, _)| r == "PersistentVolumeClaimsRetained")
            .unwrap_or_else(|| panic!("no retained event in {reasons:?}"));
        assert!(note.contains("data-db-0, data-db-1, data-db-2"), "{note}");
    } else {
        for i in 0..3 {
            wait_gone(claims.clone(), &format!("data-db-{i}")).await;
        }
        assert!(
            reasons
                .iter()
                .any(|(r, _)| r == "PersistentVolumeClaimsDeleted"),
            "{reasons:?}"
        );
    }
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_with_retain_keeps_the_claims_and_lists_them_in_an_event() {
    delete_and_check_claims("Retain").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_with_delete_policy_removes_the_claims() {
    delete_and_check_claims("Delete").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operator_killed_mid_reconcile_converges_after_restart_without_duplicates() {
    let Some(mut h) = Harness::new("ops_restart").await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec("  discovery:\n    resolverType: K8S\n"))
        .await;
    // Kill it as soon as the first child appears: the apply is cut short.
    let client = h.client();
    let ns = h.ns().to_string();
    neo4j_aks_testkit::wait_until(Duration::from_secs(30), "a first child", || {
        let client = client.clone();
        let ns = ns.clone();
        async move {
            let live = neo4j_aks_ops::changeset::labelled_objects(&client, &ns, "db")
                .await
                .map_err(|e| e.to_string())?;
            if live.is_empty() {
                Err("none yet".into())
            } else {
                Ok(())
            }
        }
    })
    .await;
    h.stop_operators();
    let partial = child_versions(&h).await.len();
    h.start_operator().await;
    h.wait_ready(3).await;
    let names: Vec<String> = child_versions(&h)
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let expected = [
        "ServiceAccount/db-sa",
        "Role/db-service-reader",
        "RoleBinding/db-service-reader-binding",
        "Secret/db-secrets",
        "ConfigMap/db-config",
        "Service/db-0-discovery",
        "Service/db-1-discovery",
        "Service/db-2-discovery",
        "Service/db-headless",
        "Service/db-lb",
        "NetworkPolicy/db-members",
        "StatefulSet/db",
        "PodDisruptionBudget/db-pdb",
    ];
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    let mut got = names.clone();
    got.sort();
    assert_eq!(
        got, expected,
        "after a kill with {partial} children applied"
    );
    let pods = h
        .api::<k8s_openapi::api::core::v1::Pod>()
        .list(&kube::api::ListParams::default().labels("app.kubernetes.io/instance=db"))
        .await
        .expect("pods");
    assert_eq!(pods.items.len(), 3);
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changing_the_storage_class_of_a_running_cluster_is_reported_with_the_way_out() {
    let Some(mut h) = Harness::new("ops_immutable").await else {
        return;
    };
    let metrics = h.start_operator().await;
    h.create(&h.spec("")).await;
    h.wait_ready(3).await;
    let old_class = format!("{}-premium", h.ns());
    let new_class = format!("{}-other", h.ns());
    h.patch_spec(serde_json::json!({"storage": {"className": new_class}}))
        .await;
    let c = h
        .wait_status("Degraded=True", |c| has_condition(c, "Degraded", "True"))
        .await;
    let degraded = condition(&c, "Degraded").expect("Degraded");
    assert_eq!(degraded.reason, "ImmutableFieldChanged");
    assert!(
        degraded.message.contains("spec.storage.className")
            && degraded.message.contains(&format!("back to {old_class}")),
        "{}",
        degraded.message
    );
    // The StatefulSet keeps its claim template; no error, no retry loop.
    let sts = h.api::<StatefulSet>().get("db").await.expect("sts");
    let template_class = sts
        .spec
        .and_then(|s| s.volume_claim_templates)
        .and_then(|t| t.into_iter().next())
        .and_then(|t| t.spec?.storage_class_name);
    assert_eq!(template_class.as_deref(), Some(old_class.as_str()));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        !metrics
            .encode()
            .contains("neo4j_aks_reconcile_errors_total{"),
        "{}",
        metrics.encode()
    );
    // The way out: set it back; the cluster is Ready again.
    h.patch_spec(serde_json::json!({"storage": {"className": old_class}}))
        .await;
    h.wait_ready(3).await;
    let classes: Api<StorageClass> = Api::all(h.client());
    let _ = classes
        .delete(&new_class, &kube::api::DeleteParams::default())
        .await;
    h.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shared_storage_class_is_deleted_only_with_its_last_cluster() {
    let Some(mut h) = Harness::new("ops_shared_class").await else {
        return;
    };
    h.start_operator().await;
    let mut first = h.spec("");
    first.spec.node_count = Some(1);
    h.create(&first).await;
    let mut second = first.clone();
    second.metadata.name = Some("db2".into());
    h.create(&second).await;
    h.wait_ready(1).await;
    let class = format!("{}-premium", h.ns());
    let classes: Api<StorageClass> = Api::all(h.client());
    h.clusters()
        .delete("db2", &kube::api::DeleteParams::default())
        .await
        .expect("delete db2");
    wait_gone(h.clusters(), "db2").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        classes.get_opt(&class).await.expect("get").is_some(),
        "the class is still used by db"
    );
    h.clusters()
        .delete("db", &kube::api::DeleteParams::default())
        .await
        .expect("delete db");
    wait_gone(h.clusters(), "db").await;
    wait_gone(classes, &class).await;
    h.teardown().await;
}

/// Key Vault mode before the CSI driver synced the password Secret (the testenv has no driver,
/// so it never appears): the members come up, the operator says why it cannot ask Neo4j yet,
/// and no generated-password Secret is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn key_vault_mode_waits_for_the_synced_secret_and_says_so() {
    let Some(mut h) = Harness::new("ops_key_vault").await else {
        return;
    };
    h.start_operator().await;
    h.create(&h.spec(
        "  secrets:\n    keyVault:\n      name: kv-neo4j-test\n      tenantId: 00000000-0000-0000-0000-000000000001\n      clientId: 00000000-0000-0000-0000-000000000002\n      passwordSecret: neo4j-admin-password\n",
    ))
    .await;
    let cluster = h
        .wait_status("ClusterFormed explains the missing synced Secret", |c| {
            let s = c.status.clone().unwrap_or_default();
            let formed = s.conditions.iter().find(|x| x.type_ == "ClusterFormed");
            match formed {
                Some(x) if x.message.contains("credentials not available yet") => Ok(()),
                other => Err(format!("ClusterFormed {other:?}")),
            }
        })
        .await;
    let message = cluster
        .status
        .unwrap_or_default()
        .conditions
        .into_iter()
        .find(|x| x.type_ == "ClusterFormed")
        .map(|x| x.message)
        .unwrap_or_default();
    assert!(message.contains("db-keyvault"), "{message}");
    assert!(
        h.api::<Secret>()
            .get_opt("db-secrets")
            .await
            .expect("get")
            .is_none(),
        "no generated password in Key Vault mode"
    );
    h.teardown().await;
}
