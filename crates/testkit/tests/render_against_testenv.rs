//! The renderer's output (examples/*.yaml) applied with server-side apply and strict field
//! validation to the local testenv: a real kube-apiserver (admission, defaulting, RBAC
//! authorizer), real StatefulSet/PV controllers and scheduler. SIMULATED parts: kwok plays the
//! kubelet (pods reach Running/Ready but no Neo4j process runs) and sim-disk-provisioner plays the
//! Azure Disk CSI driver. Every test works in its own namespace, removed afterwards.

mod support;

use support::{Deployed, PODS, TIMEOUT, find, pod_ready, render_example, replicas};

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use neo4j_aks_testkit::quantity::to_bytes;
use neo4j_aks_testkit::{TestEnv, dig_srv, isolate_storage_classes, wait_until};
use serde_json::{Value, json};

const EXAMPLES: [&str; 6] = [
    "cluster-3-backup.yaml",
    "cluster-3-restore.yaml",
    "standalone.yaml",
    "cluster-3-k8s.yaml",
    "cluster-5-srv.yaml",
    "cluster-3-2025.yaml",
];
// ---------------------------------------------------------------------------------------------
// Acceptance by the apiserver
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_example_is_accepted_by_the_apiserver_with_strict_validation() {
    let test = "every_example_is_accepted";
    let Some(env) = TestEnv::connect(test).await else {
        return;
    };
    for example in EXAMPLES {
        let ns = env.namespace(test).await;
        let (_, mut objects) = render_example(example, ns.name());
        assert!(!objects.is_empty(), "{example} rendered nothing");
        // The shared StorageClass name is checked by
        // examples_sharing_a_storage_class_name_render_identical_classes.
        isolate_storage_classes(&mut objects, ns.name());
        for o in &objects {
            let namespace = o["metadata"]["namespace"].as_str();
            if o["kind"] != "StorageClass" && o["kind"] != "ClusterRole" {
                assert_eq!(
                    namespace,
                    Some(ns.name()),
                    "{example}: {} {} not in the spec's namespace",
                    o["kind"],
                    o["metadata"]["name"]
                );
            }
        }
        if let Err(e) = env.apply_all(&objects).await {
            panic!("{example}: the apiserver rejected a rendered object: {e}");
        }
        // Applying the same objects again is a no-op, not an error (what the operator does on
        // every reconcile).
        if let Err(e) = env.apply_all(&objects).await {
            panic!("{example}: re-applying failed: {e}");
        }
        ns.cleanup().await;
    }
}

/// StorageClass parameters are immutable: two Neo4jClusters in one AKS cluster can only share a
/// StorageClass name if they render the same class, or the second apply is rejected with
/// `parameters: Forbidden: updates to parameters are forbidden`. Pure check, no testenv needed.
#[test]
fn examples_sharing_a_storage_class_name_render_identical_classes() {
    let mut seen: BTreeMap<String, (String, Value)> = BTreeMap::new();
    let mut conflicts = Vec::new();
    for example in EXAMPLES {
        let (_, objects) = render_example(example, "default");
        for sc in objects.iter().filter(|o| o["kind"] == "StorageClass") {
            let name = sc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let mut body = sc.clone();
            body["metadata"] = Value::Null;
            match seen.get(&name) {
                Some((first, other)) if *other != body => conflicts.push(format!(
                    "StorageClass {name}: {first} renders {other}, {example} renders {body}"
                )),
                Some(_) => {}
                None => {
                    seen.insert(name, (example.to_string(), body));
                }
            }
        }
    }
    assert!(
        conflicts.is_empty(),
        "the apiserver would reject the second class (parameters are immutable):\n{}",
        conflicts.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// StatefulSet controller, scheduler, simulated disks, kwok
// ---------------------------------------------------------------------------------------------

async fn members_run_with_bound_claims(test: &str, example: &str) {
    let Some(d) = Deployed::new(test, example).await else {
        return;
    };
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    let n = replicas(&d.objects, &d.name);
    let pods = d.wait_members(n).await;
    assert_eq!(pods.len(), n as usize);
    // Every member mounts its own claim data-<name>-<i>.
    for (i, p) in pods.iter().enumerate() {
        let claim_names: Vec<String> = p
            .spec
            .as_ref()
            .unwrap()
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| Some(v.persistent_volume_claim.as_ref()?.claim_name.clone()))
            .collect();
        assert_eq!(claim_names, vec![format!("data-{}-{i}", d.name)]);
    }
    if n >= 3 {
        let placement = d.zones(&pods).await;
        let nodes: BTreeSet<&String> = placement.iter().map(|(n, _)| n).collect();
        let zones: BTreeSet<&String> = placement.iter().map(|(_, z)| z).collect();
        assert_eq!(
            nodes.len(),
            n as usize,
            "members share a node: {placement:?}"
        );
        assert_eq!(
            zones.len(),
            3,
            "members not spread over 3 zones: {placement:?}"
        );
    }
    d.cleanup().await;
}

/// A cluster bootstrapped from a backup: every member gets its own seed claim from the pod's
/// generic ephemeral volume (the real ephemeral-volume controller creates it, owned by the pod),
/// bound next to its data claim; deleting the pod takes the seed claim with it, the data claim
/// stays.
#[tokio::test]
async fn restore_members_get_a_seed_claim_that_goes_with_the_pod() {
    let Some(d) = Deployed::new("restore_seed_claims", "cluster-3-restore.yaml").await else {
        return;
    };
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    let pods = d.wait_members(3).await;
    for (i, p) in pods.iter().enumerate() {
        let seed = format!("{}-seed", p.metadata.name.as_deref().unwrap_or_default());
        let claim = d
            .claims()
            .get(&seed)
            .await
            .unwrap_or_else(|e| panic!("{seed}: {e}"));
        let owner = claim
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.kind == "Pod")
            .unwrap_or_else(|| panic!("{seed} has no owning pod"));
        assert_eq!(Some(&owner.uid), p.metadata.uid.as_ref());
        assert_eq!(
            claim.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Bound"),
            "{seed}"
        );
        assert_eq!(
            claim
                .spec
                .as_ref()
                .and_then(|s| s.storage_class_name.clone()),
            Some(format!("{}-neo4j-premium", d.ns())),
            "the seed claim uses the test's own StorageClass"
        );
        let data = d
            .claims()
            .get(&format!("data-{}-{i}", d.name))
            .await
            .expect("data claim");
        assert_eq!(data.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
        let init: Vec<String> = p
            .spec
            .as_ref()
            .and_then(|s| s.init_containers.as_ref())
            .into_iter()
            .flatten()
            .map(|c| c.name.clone())
            .collect();
        assert_eq!(init, ["seed-fetch", "seed-aggregate"]);
    }
    let first = pods[0].metadata.name.clone().unwrap_or_default();
    let old_uid = pods[0].metadata.uid.clone();
    d.pods()
        .delete(&first, &DeleteParams::default())
        .await
        .expect("delete member 0");
    let seed = format!("{first}-seed");
    wait_until(
        TIMEOUT,
        "the new member 0 has a seed claim of its own",
        || async {
            let claim = d
                .claims()
                .get_opt(&seed)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no seed claim")?;
            let owner = claim
                .metadata
                .owner_references
                .into_iter()
                .flatten()
                .find(|o| o.kind == "Pod")
                .ok_or("no owning pod")?;
            if Some(&owner.uid) == old_uid.as_ref() {
                return Err("still the deleted pod's claim".to_string());
            }
            Ok(())
        },
    )
    .await;
    assert!(
        d.claims()
            .get_opt(&format!("data-{}-0", d.name))
            .await
            .expect("read")
            .is_some(),
        "the data claim stays"
    );
    d.cleanup().await;
}

#[tokio::test]
async fn standalone_member_runs_with_bound_claim() {
    members_run_with_bound_claims("standalone_runs", "standalone.yaml").await;
}

#[tokio::test]
async fn cluster_3_k8s_members_run_on_three_zones_with_bound_claims() {
    members_run_with_bound_claims("cluster_3_k8s_runs", "cluster-3-k8s.yaml").await;
}

#[tokio::test]
async fn cluster_5_srv_members_run_on_three_zones_with_bound_claims() {
    members_run_with_bound_claims("cluster_5_srv_runs", "cluster-5-srv.yaml").await;
}

#[tokio::test]
async fn cluster_3_2025_members_run_on_three_zones_with_bound_claims() {
    members_run_with_bound_claims("cluster_3_2025_runs", "cluster-3-2025.yaml").await;
}

/// With a single eligible node (a nodeSelector on one hostname, added by the test only, so other
/// tests keep all six nodes), soft anti-affinity must still place every member.
#[tokio::test]
async fn soft_anti_affinity_still_schedules_every_member_on_one_node() {
    let Some(mut d) = Deployed::new("soft_anti_affinity_one_node", "cluster-3-k8s.yaml").await
    else {
        return;
    };
    let node = "aks-user-14231823-vmss000000";
    let name = d.name.clone();
    let sts = d
        .objects
        .iter_mut()
        .find(|o| o["kind"] == "StatefulSet" && o["metadata"]["name"] == name.as_str())
        .expect("StatefulSet");
    let pod_spec = &mut sts["spec"]["template"]["spec"];
    pod_spec["nodeSelector"] = json!({"kubernetes.io/hostname": node});
    // One node must hold all three members, so shrink the requests (the test is about
    // affinity, not capacity). Requests equal limits to keep the rendered QoS class.
    for c in pod_spec["containers"].as_array_mut().into_iter().flatten() {
        c["resources"] = json!({
            "requests": {"cpu": "100m", "memory": "1Gi"},
            "limits": {"cpu": "100m", "memory": "1Gi"},
        });
    }
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    let n = replicas(&d.objects, &d.name);
    let pods = d.wait_members(n).await;
    for p in &pods {
        assert_eq!(
            p.spec.as_ref().unwrap().node_name.as_deref(),
            Some(node),
            "{:?} not on the only eligible node",
            p.metadata.name
        );
    }
    d.cleanup().await;
}

#[tokio::test]
async fn scaling_3_to_5_adds_claims_and_5_to_3_keeps_all_claims() {
    let Some(d) = Deployed::new("scale_3_5_3", "cluster-3-k8s.yaml").await else {
        return;
    };
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    assert_eq!(replicas(&d.objects, &d.name), 3);
    d.wait_members(3).await;

    d.scale(5).await;
    d.wait_members(5).await;

    d.scale(3).await;
    let gone = format!("members {0}-3 and {0}-4 removed", d.name);
    wait_until(TIMEOUT, &gone, || async {
        let pods = d
            .pods()
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        let names: BTreeSet<String> = pods
            .items
            .iter()
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        let extra = [format!("{}-3", d.name), format!("{}-4", d.name)];
        if extra.iter().any(|e| names.contains(e)) {
            Err(format!("pods {names:?}"))
        } else {
            Ok(())
        }
    })
    .await;
    let claims = d
        .claims()
        .list(&ListParams::default())
        .await
        .expect("claims");
    let bound: BTreeMap<String, String> = claims
        .items
        .iter()
        .map(|c| {
            (
                c.metadata.name.clone().unwrap_or_default(),
                c.status
                    .as_ref()
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = (0..5)
        .map(|i| (format!("data-{}-{i}", d.name), "Bound".to_string()))
        .collect();
    assert_eq!(
        bound, expected,
        "scaling down must keep every member's claim"
    );
    d.wait_members(3).await;
    d.cleanup().await;
}

#[tokio::test]
async fn deleted_member_pod_returns_bound_to_the_same_claim() {
    let Some(d) = Deployed::new("deleted_member_returns", "cluster-3-k8s.yaml").await else {
        return;
    };
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    let n = replicas(&d.objects, &d.name);
    let before = d.wait_members(n).await;
    let victim = format!("{}-1", d.name);
    let claim_name = format!("data-{}-1", d.name);
    let claim_before = d.claims().get(&claim_name).await.expect("claim");
    let old_uid = before[1].metadata.uid.clone();
    d.pods()
        .delete(&victim, &DeleteParams::default())
        .await
        .expect("delete pod");
    let what = format!("{victim} recreated");
    wait_until(TIMEOUT, &what, || async {
        match d.pods().get_opt(&victim).await.map_err(|e| e.to_string())? {
            Some(p) if p.metadata.uid != old_uid && pod_ready(&p) => Ok(()),
            other => Err(format!("uid {:?}", other.and_then(|p| p.metadata.uid))),
        }
    })
    .await;
    let after = d.wait_members(n).await;
    let claim_after = d.claims().get(&claim_name).await.expect("claim");
    assert_eq!(
        claim_after.metadata.uid, claim_before.metadata.uid,
        "the claim must survive the pod"
    );
    assert_eq!(
        claim_after.spec.unwrap().volume_name,
        claim_before.spec.unwrap().volume_name,
        "the claim must keep its volume"
    );
    let volumes: Vec<String> = after[1]
        .spec
        .as_ref()
        .unwrap()
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| Some(v.persistent_volume_claim.as_ref()?.claim_name.clone()))
        .collect();
    assert_eq!(volumes, vec![claim_name]);
    d.cleanup().await;
}

/// Growing a member's claim (what an operator does for a bigger disk, since the claim templates
/// are immutable) works through the rendered StorageClass (`allowVolumeExpansion`) and the
/// apiserver's PersistentVolumeClaimResize admission; the simulated resizer reports the new size.
#[tokio::test]
async fn member_claim_expands_through_the_rendered_storage_class() {
    let Some(d) = Deployed::new("claim_expands", "cluster-3-k8s.yaml").await else {
        return;
    };
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    let n = replicas(&d.objects, &d.name);
    d.wait_members(n).await;
    let claim = format!("data-{}-0", d.name);
    let current = d.claims().get(&claim).await.expect("claim");
    let size = current
        .status
        .and_then(|s| s.capacity)
        .and_then(|c| c.get("storage").map(|q| q.0.clone()))
        .expect("bound claim has a capacity");
    let bigger = to_bytes(&size).expect("quantity") * 2;
    d.claims()
        .patch(
            &claim,
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"resources": {"requests": {"storage": bigger.to_string()}}}}),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("the apiserver refused to grow {claim}: {e}"));
    let what = format!("{claim} capacity {bigger} bytes");
    wait_until(TIMEOUT, &what, || async {
        let c = d.claims().get(&claim).await.map_err(|e| e.to_string())?;
        let cap = c
            .status
            .and_then(|s| s.capacity)
            .and_then(|c| c.get("storage").map(|q| q.0.clone()))
            .unwrap_or_default();
        if to_bytes(&cap) == Some(bigger) {
            Ok(())
        } else {
            Err(cap)
        }
    })
    .await;
    d.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// RBAC, through the real authorizer
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn k8s_resolver_service_account_may_only_read_services_of_its_namespace() {
    let Some(d) = Deployed::new("rbac_k8s_resolver", "cluster-3-k8s.yaml").await else {
        return;
    };
    d.apply().await;
    let sa = format!("{}-sa", d.name);
    let ns = d.ns();
    let can = |verb: &'static str, resource: &'static str, in_ns: Option<&'static str>| {
        let env = d.env.clone();
        let sa = sa.clone();
        let ns = ns.to_string();
        async move {
            let in_ns = in_ns.map(|n| {
                if n == "SELF" {
                    ns.clone()
                } else {
                    n.to_string()
                }
            });
            env.service_account_can(&ns, &sa, verb, "", resource, in_ns.as_deref())
                .await
        }
    };
    for verb in ["get", "list", "watch"] {
        assert!(
            can(verb, "services", Some("SELF")).await,
            "{sa} must be allowed to {verb} services in its namespace"
        );
    }
    assert!(
        !can("create", "services", Some("SELF")).await,
        "{sa} may not create services"
    );
    assert!(
        !can("get", "secrets", Some("SELF")).await,
        "{sa} may not read secrets"
    );
    assert!(
        !can("list", "secrets", Some("SELF")).await,
        "{sa} may not list secrets"
    );
    assert!(
        !can("list", "services", Some("default")).await,
        "{sa} may not list services in another namespace"
    );
    assert!(
        !can("list", "services", None).await,
        "{sa} may not list services cluster-wide"
    );
    d.cleanup().await;
}

#[tokio::test]
async fn srv_and_list_resolvers_grant_no_rights_on_services() {
    let Some(d) = Deployed::new("rbac_srv_resolver", "cluster-5-srv.yaml").await else {
        return;
    };
    d.apply().await;
    let sa = format!("{}-sa", d.name);
    for verb in ["get", "list", "watch"] {
        assert!(
            !d.env
                .service_account_can(d.ns(), &sa, verb, "", "services", Some(d.ns()))
                .await,
            "{sa} (SRV resolver) needs no {verb} right on services"
        );
    }
    d.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// Changes the apiserver refuses
// ---------------------------------------------------------------------------------------------

/// The exact error the operator must recognise when a storage change cannot be applied in place.
pub const FORBIDDEN_STS_UPDATE: &str = "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

#[tokio::test]
async fn changing_volume_claim_templates_is_rejected_by_the_apiserver() {
    let Some(mut d) = Deployed::new("vct_change_rejected", "cluster-3-k8s.yaml").await else {
        return;
    };
    d.apply().await;
    let name = d.name.clone();
    let sts = d
        .objects
        .iter_mut()
        .find(|o| o["kind"] == "StatefulSet" && o["metadata"]["name"] == name.as_str())
        .expect("StatefulSet")
        .clone();
    let mut changed = sts;
    changed["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] =
        json!("4321Gi");
    let err = d
        .env
        .apply(&changed)
        .await
        .expect_err("the apiserver must refuse a volumeClaimTemplates change");
    assert_eq!(err.code, 422, "{err}");
    let expected = format!("StatefulSet.apps \"{name}\" is invalid: {FORBIDDEN_STS_UPDATE}");
    assert_eq!(err.message, expected);
    d.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// DNS (CoreDNS with the kubernetes plugin, when the testenv runs it)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn discovery_srv_record_lists_every_member() {
    let test = "discovery_srv_record";
    let Some(d) = Deployed::new(test, "cluster-3-k8s.yaml").await else {
        return;
    };
    let Some(dns) = d.env.dns_address() else {
        // Straight to the process's stderr: libtest captures eprintln! of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: the testenv runs no CoreDNS"
        );
        d.cleanup().await;
        return;
    };
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    let n = replicas(&d.objects, &d.name);
    d.wait_members(n).await;
    let headless = format!("{}-headless", d.name);
    let port = find(&d.objects, "Service", &headless)["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "discovery")
        .and_then(|p| p["port"].as_u64())
        .expect("headless service has a port named discovery") as u16;
    assert_eq!(port, 6000);
    let query = format!("_discovery._tcp.{headless}.{}.svc.cluster.local", d.ns());
    let expected: Vec<(u16, String)> = (0..n)
        .map(|i| {
            (
                port,
                format!("{}-{i}.{headless}.{}.svc.cluster.local", d.name, d.ns()),
            )
        })
        .collect();
    let what = format!("SRV {query}");
    wait_until(Duration::from_secs(60), &what, || {
        let dns = dns.clone();
        let query = query.clone();
        let expected = expected.clone();
        async move {
            let got = tokio::task::spawn_blocking(move || dig_srv(&dns, &query))
                .await
                .map_err(|e| e.to_string())?
                .ok_or("dig is not installed (apt-get install dnsutils)")?;
            if got == expected {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        }
    })
    .await;
    d.cleanup().await;
}
