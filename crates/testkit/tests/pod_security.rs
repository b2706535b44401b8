//! "Restricted everywhere": every pod neo4j-aks renders (members with their init containers, the
//! backup and verification Jobs' pods, the seed steps of a restore) and the operator's own pod
//! (deploy/operator/operator.yaml) pass PodSecurity admission at `restricted` on the testenv's
//! real kube-apiserver.
//!
//! PodSecurity `enforce` acts on Pods only; on workloads (StatefulSet, CronJob, Deployment) it
//! only warns. So the test namespace is labelled `enforce`, `warn` and `audit` = `restricted`,
//! and each pod template becomes a Pod created with a server-side dry run: it must be admitted
//! without a single `Warning` header, and so must the workload itself (where PodSecurity's
//! `warn` mode checks the template). docs/security/pod-security.md.

mod support;

use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use kube::client::Body;
use neo4j_aks_testkit::{TestEnv, wait_until};
use serde_json::{Value, json};
use support::{TIMEOUT, render_example};

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};

const EXAMPLES: [&str; 7] = [
    "standalone.yaml",
    "cluster-3-k8s.yaml",
    "cluster-5-srv.yaml",
    "cluster-3-2025.yaml",
    "cluster-3-backup.yaml",
    "cluster-3-restore.yaml",
    // The password volume is a CSI volume (Secrets Store CSI driver): restricted admits `csi`
    // among its volume types (Pod Security Standards, "Restricted" > "Volume Types",
    // https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted).
    "cluster-3-keyvault.yaml",
];

// The namespace labels that make `restricted` the enforced, warned and audited level (the
// operator's namespace carries the same).
use neo4j_aks_model::api::labels::POD_SECURITY_RESTRICTED as RESTRICTED;

#[tokio::test]
async fn every_rendered_pod_and_the_operator_pass_restricted_pod_security() {
    let test = "pod_security_restricted";
    let Some(env) = TestEnv::connect(test).await else {
        return;
    };
    let ns = env.namespace(test).await;
    let client = env.client();
    let labels: serde_json::Map<String, Value> = RESTRICTED
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Api::<Namespace>::all(client.clone())
        .patch(
            ns.name(),
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": labels}})),
        )
        .await
        .expect("label the namespace restricted");
    // Pods name their ServiceAccount, which admission requires to exist.
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), ns.name());
    wait_until(TIMEOUT, "the namespace's default ServiceAccount", || {
        let accounts = accounts.clone();
        async move {
            match accounts.get_opt("default").await {
                Ok(Some(account)) => Ok(account),
                Ok(None) => Err("not created yet".to_string()),
                Err(e) => Err(e.to_string()),
            }
        }
    })
    .await;

    let mut workloads: Vec<(String, Value)> = Vec::new();
    for example in EXAMPLES {
        let (_, objects) = render_example(example, ns.name());
        for o in &objects {
            if o["kind"] == "ServiceAccount" {
                env.apply(o)
                    .await
                    .unwrap_or_else(|e| panic!("{example}: {e}"));
            }
            if ["StatefulSet", "CronJob"].contains(&o["kind"].as_str().unwrap_or_default()) {
                workloads.push((example.to_string(), o.clone()));
            }
        }
    }
    let (operator_namespace, operator) = operator_manifests(ns.name());
    for (key, value) in RESTRICTED {
        assert_eq!(
            operator_namespace["metadata"]["labels"][key], value,
            "deploy/operator/operator.yaml: the operator's namespace enforces restricted"
        );
    }
    env.apply(&json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": operator["spec"]["template"]["spec"]["serviceAccountName"], "namespace": ns.name()},
    }))
    .await
    .expect("the operator's ServiceAccount");
    workloads.push(("deploy/operator/operator.yaml".to_string(), operator));

    let mut failures = Vec::new();
    let mut pods = 0;
    for (source, workload) in &workloads {
        let what = format!(
            "{source}: {} {}",
            workload["kind"].as_str().unwrap_or_default(),
            workload["metadata"]["name"].as_str().unwrap_or_default()
        );
        failures.extend(dry_run_create(&client, ns.name(), workload, &what).await);
        let pod = pod_of(workload);
        failures
            .extend(dry_run_create(&client, ns.name(), &pod, &format!("{what}: its Pod")).await);
        pods += 1;
    }
    // Seven examples: 7 StatefulSets, 2 backup CronJobs; and the operator.
    assert_eq!(pods, 10, "every pod template was checked");
    ns.cleanup().await;
    assert!(
        failures.is_empty(),
        "PodSecurity restricted is not met:\n{}",
        failures.join("\n")
    );
}

/// The operator's Namespace and Deployment as committed, the Deployment moved into the test
/// namespace.
fn operator_manifests(ns: &str) -> (Value, Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/operator/operator.yaml");
    let text = std::fs::read_to_string(&path).expect("deploy/operator/operator.yaml");
    let documents: Vec<Value> = text
        .split("\n---\n")
        .filter_map(|d| serde_saphyr::from_str::<Value>(d).ok())
        .collect();
    let find = |kind: &str| {
        documents
            .iter()
            .find(|d| d["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("operator.yaml has no {kind}"))
    };
    let mut deployment = find("Deployment");
    deployment["metadata"]["namespace"] = json!(ns);
    (find("Namespace"), deployment)
}

/// The Pod a controller would create from the workload's template: its metadata and spec, and
/// for a StatefulSet the volumes of its claim templates, as the StatefulSet controller adds them.
fn pod_of(workload: &Value) -> Value {
    let name = workload["metadata"]["name"].as_str().unwrap_or_default();
    let ns = &workload["metadata"]["namespace"];
    let template = match workload["kind"].as_str() {
        Some("CronJob") => &workload["spec"]["jobTemplate"]["spec"]["template"],
        _ => &workload["spec"]["template"],
    };
    let mut spec = template["spec"].clone();
    if let Some(claims) = workload["spec"]["volumeClaimTemplates"].as_array() {
        let volumes = spec["volumes"]
            .as_array_mut()
            .expect("a member pod has volumes");
        for claim in claims {
            let claim_name = claim["metadata"]["name"].as_str().unwrap_or_default();
            volumes.push(json!({
                "name": claim_name,
                "persistentVolumeClaim": {"claimName": format!("{claim_name}-{name}-0")},
            }));
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("{name}-0"),
            "namespace": ns,
            "labels": template["metadata"]["labels"],
        },
        "spec": spec,
    })
}

/// Creates `object` with `dryRun=All` and strict field validation; returns what went wrong: a
/// refusal, or any `Warning` header (PodSecurity's `warn` mode answers with those).
async fn dry_run_create(client: &Client, ns: &str, object: &Value, what: &str) -> Vec<String> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let plural = match object["kind"].as_str().unwrap_or_default() {
        "Pod" => "pods",
        "StatefulSet" => "statefulsets",
        "CronJob" => "cronjobs",
        "Deployment" => "deployments",
        other => panic!("no path for kind {other}"),
    };
    let prefix = if api_version == "v1" {
        "/api/v1".to_string()
    } else {
        format!("/apis/{api_version}")
    };
    let url = format!("{prefix}/namespaces/{ns}/{plural}?dryRun=All&fieldValidation=Strict");
    let request = http::Request::post(url)
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::to_vec(object).expect("an object serializes"),
        ))
        .expect("a request");
    let response = client
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("{what}: request failed: {e}"));
    let status = response.status();
    let warnings: Vec<String> = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|w| String::from_utf8_lossy(w.as_bytes()).to_string())
        .collect();
    let body = response
        .into_body()
        .collect_bytes()
        .await
        .unwrap_or_default();
    let mut failures = Vec::new();
    if !status.is_success() {
        failures.push(format!(
            "{what}: refused ({status}): {}",
            String::from_utf8_lossy(&body)
        ));
    }
    failures.extend(
        warnings
            .into_iter()
            .map(|w| format!("{what}: warning: {w}")),
    );
    failures
}
