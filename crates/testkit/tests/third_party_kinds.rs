//! The typed third-party objects (`neo4j_aks_render::crd`) against the real upstream CRDs the
//! testenv installs (prometheus-operator, cert-manager, Secrets Store CSI): one object of every
//! kind, with every field the structs can set, applied with strict field validation (an unknown
//! or misspelled field is an error) and read back unchanged.

mod support;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use neo4j_aks_render::crd::cert_manager::{
    CaIssuer, Certificate, CertificatePrivateKey, CertificateSpec, Issuer, IssuerRef, IssuerSpec,
    SelfSignedIssuer,
};
use neo4j_aks_render::crd::prometheus::{
    Endpoint, PodMetricsEndpoint, PodMonitor, PodMonitorSpec, PrometheusRule, PrometheusRuleSpec,
    RelabelConfig, Rule, RuleGroup, ServiceMonitor, ServiceMonitorSpec,
};
use neo4j_aks_render::crd::secrets_store::{
    SecretObject, SecretObjectData, SecretProviderClass, SecretProviderClassSpec,
};
use neo4j_aks_testkit::TestEnv;
use serde_json::Value;

fn meta(name: &str, ns: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(ns.to_string()),
        ..ObjectMeta::default()
    }
}

fn selector() -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(
            "app.kubernetes.io/instance".to_string(),
            "db".to_string(),
        )])),
        ..LabelSelector::default()
    }
}

fn relabel() -> Vec<RelabelConfig> {
    vec![RelabelConfig {
        source_labels: vec!["__meta_kubernetes_pod_name".into()],
        separator: Some(";".into()),
        target_label: Some("member".into()),
        regex: Some("(.*)".into()),
        replacement: Some("$1".into()),
        action: Some("replace".into()),
    }]
}

fn objects(ns: &str) -> Vec<Value> {
    let values = [
        serde_json::to_value(ServiceMonitor {
            metadata: meta("db-metrics", ns),
            spec: ServiceMonitorSpec {
                selector: selector(),
                endpoints: vec![Endpoint {
                    port: Some("metrics".into()),
                    path: Some("/metrics".into()),
                    scheme: Some("http".into()),
                    interval: Some("30s".into()),
                    scrape_timeout: Some("10s".into()),
                    honor_labels: Some(false),
                    relabelings: relabel(),
                    metric_relabelings: relabel(),
                }],
                job_label: Some("app.kubernetes.io/name".into()),
                target_labels: vec!["app.kubernetes.io/instance".into()],
                pod_target_labels: vec!["topology.kubernetes.io/zone".into()],
            },
        }),
        serde_json::to_value(PodMonitor {
            metadata: meta("db-pods", ns),
            spec: PodMonitorSpec {
                selector: selector(),
                pod_metrics_endpoints: vec![PodMetricsEndpoint {
                    port: Some("metrics".into()),
                    path: Some("/metrics".into()),
                    scheme: Some("http".into()),
                    interval: Some("30s".into()),
                    scrape_timeout: Some("10s".into()),
                    relabelings: relabel(),
                    metric_relabelings: relabel(),
                }],
                job_label: Some("app.kubernetes.io/name".into()),
                pod_target_labels: vec!["app.kubernetes.io/instance".into()],
            },
        }),
        serde_json::to_value(PrometheusRule {
            metadata: meta("db-alerts", ns),
            spec: PrometheusRuleSpec {
                groups: vec![RuleGroup {
                    name: "neo4j".into(),
                    interval: Some("1m".into()),
                    rules: vec![
                        Rule {
                            alert: Some("Neo4jMemberDown".into()),
                            expr: "up == 0".into(),
                            for_: Some("5m".into()),
                            keep_firing_for: Some("1m".into()),
                            labels: BTreeMap::from([("severity".into(), "critical".into())]),
                            annotations: BTreeMap::from([("summary".into(), "down".into())]),
                            ..Rule::default()
                        },
                        Rule {
                            record: Some("neo4j:up:sum".into()),
                            expr: "sum(up)".into(),
                            ..Rule::default()
                        },
                    ],
                }],
            },
        }),
        serde_json::to_value(Issuer {
            metadata: meta("db-selfsigned", ns),
            spec: IssuerSpec {
                self_signed: Some(SelfSignedIssuer {}),
                ..IssuerSpec::default()
            },
        }),
        serde_json::to_value(Issuer {
            metadata: meta("db-ca", ns),
            spec: IssuerSpec {
                ca: Some(CaIssuer {
                    secret_name: "db-ca".into(),
                }),
                ..IssuerSpec::default()
            },
        }),
        serde_json::to_value(Certificate {
            metadata: meta("db-cluster", ns),
            spec: CertificateSpec {
                secret_name: "db-cluster-tls".into(),
                issuer_ref: IssuerRef {
                    name: "db-ca".into(),
                    kind: Some("Issuer".into()),
                    group: Some("cert-manager.io".into()),
                },
                common_name: Some("db-0.db-headless.ns.svc.cluster.local".into()),
                dns_names: vec!["db-0.db-headless.ns.svc.cluster.local".into()],
                ip_addresses: vec!["10.0.0.4".into()],
                duration: Some("2160h".into()),
                renew_before: Some("360h".into()),
                usages: vec!["server auth".into(), "client auth".into()],
                private_key: Some(CertificatePrivateKey {
                    algorithm: Some("ECDSA".into()),
                    size: Some(256),
                    encoding: Some("PKCS8".into()),
                    rotation_policy: Some("Always".into()),
                }),
                is_ca: Some(false),
            },
        }),
        serde_json::to_value(SecretProviderClass {
            metadata: meta("db-keyvault", ns),
            spec: SecretProviderClassSpec {
                provider: Some("azure".into()),
                parameters: BTreeMap::from([
                    ("keyvaultName".into(), "kv-graph".into()),
                    (
                        "clientID".into(),
                        "00000000-0000-0000-0000-000000000000".into(),
                    ),
                ]),
                secret_objects: vec![SecretObject {
                    secret_name: "db-auth".into(),
                    type_: "Opaque".into(),
                    data: vec![SecretObjectData {
                        object_name: "neo4j-auth".into(),
                        key: "NEO4J_AUTH".into(),
                    }],
                    labels: BTreeMap::from([("app".into(), "db".into())]),
                }],
            },
        }),
    ];
    values
        .into_iter()
        .map(|v| v.expect("typed objects serialize"))
        .collect()
}

/// What the object says, without what the apiserver adds.
fn without_server_fields(mut value: Value) -> Value {
    if let Some(meta) = value["metadata"].as_object_mut() {
        meta.retain(|k, _| k == "name" || k == "namespace");
    }
    value
}

#[tokio::test]
async fn every_typed_third_party_object_is_accepted_strictly_and_round_trips() {
    let Some(env) = TestEnv::connect("third_party_kinds").await else {
        return;
    };
    let ns = env.namespace("third-party-kinds").await;
    for object in objects(ns.name()) {
        assert!(object["apiVersion"].is_string() && object["kind"].is_string());
        let stored = env
            .apply(&object)
            .await
            .unwrap_or_else(|e| panic!("rejected: {e}\n{object:#}"));
        let stored = without_server_fields(serde_json::to_value(stored).expect("json"));
        assert_eq!(stored, object, "the apiserver changed or dropped a field");
    }
    ns.cleanup().await;
}

/// The monitoring objects a cluster renders (ServiceMonitor or PodMonitor, PrometheusRule), as
/// the renderer builds them, against the real prometheus-operator CRDs.
#[tokio::test]
async fn rendered_monitoring_objects_are_accepted_strictly_and_round_trip() {
    let Some(env) = TestEnv::connect("third_party_kinds_monitoring").await else {
        return;
    };
    let ns = env.namespace("monitoring-kinds").await;
    for kind in ["ServiceMonitor", "PodMonitor"] {
        let cluster: neo4j_aks_model::Neo4jCluster = serde_json::from_value(serde_json::json!({
            "apiVersion": "neo4j-aks.io/v1alpha1",
            "kind": "Neo4jCluster",
            "metadata": {"name": format!("mon-{}", kind.to_lowercase()), "namespace": ns.name()},
            "spec": {
                "neo4jVersion": "2025.10.1",
                "acceptLicenseAgreement": "yes",
                "nodeCount": 3,
                "monitoring": {
                    "enabled": true,
                    "kind": kind,
                    "labels": {"release": "kube-prometheus-stack"}
                }
            }
        }))
        .expect("spec parses");
        let rendered = neo4j_aks_render::render(&cluster).expect("renders");
        let monitoring: Vec<Value> = rendered
            .objects
            .iter()
            .filter(|o| ["ServiceMonitor", "PodMonitor", "PrometheusRule"].contains(&o.kind()))
            .map(neo4j_aks_render::Object::to_value)
            .collect();
        assert_eq!(monitoring.len(), 2, "{kind}: a scrape object and the rules");
        assert_eq!(monitoring[0]["kind"], kind);
        for object in monitoring {
            let stored = env
                .apply(&object)
                .await
                .unwrap_or_else(|e| panic!("rejected: {e}\n{object:#}"));
            let stored = serde_json::to_value(stored).expect("json");
            assert_eq!(
                stored["spec"], object["spec"],
                "the apiserver changed or dropped a field of {}",
                object["kind"]
            );
        }
    }
    ns.cleanup().await;
}

/// The Key Vault SecretProviderClass as the renderer builds it for examples/cluster-3-keyvault.yaml,
/// against the real Secrets Store CSI driver CRD: accepted with strict field validation, stored
/// unchanged, and its `objects` parameter still names the password secret once read back.
#[tokio::test]
async fn the_rendered_key_vault_secret_provider_class_is_accepted_strictly_and_round_trips() {
    let Some(env) = TestEnv::connect("third_party_kinds_key_vault").await else {
        return;
    };
    let ns = env.namespace("key-vault-kinds").await;
    let (_, objects) = support::render_example("cluster-3-keyvault.yaml", ns.name());
    let classes: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "SecretProviderClass")
        .collect();
    assert_eq!(classes.len(), 1, "one SecretProviderClass");
    let object = classes[0];
    let stored = env
        .apply(object)
        .await
        .unwrap_or_else(|e| panic!("rejected: {e}\n{object:#}"));
    let stored = serde_json::to_value(stored).expect("json");
    assert_eq!(
        stored["spec"], object["spec"],
        "the apiserver changed or dropped a field"
    );
    let text = stored["spec"]["parameters"]["objects"]
        .as_str()
        .expect("objects is a string");
    let parsed: neo4j_aks_render::crd::secrets_store::AzureObjects =
        serde_saphyr::from_str(text).expect("objects is YAML");
    let password: neo4j_aks_render::crd::secrets_store::AzureKeyVaultObject =
        serde_saphyr::from_str(&parsed.array[0]).expect("its entry is YAML");
    assert_eq!(password.object_name, "neo4j-admin-password");
    assert_eq!(password.object_alias.as_deref(), Some("auth"));
    ns.cleanup().await;
}

/// The members' Certificates as the renderer builds them for examples/cluster-3-certmanager.yaml,
/// against the real cert-manager CRD: accepted with strict field validation and stored unchanged
/// (cert-manager's own controllers issue them in crates/ops/tests/tls_cert_manager.rs).
#[tokio::test]
async fn the_rendered_cert_manager_certificates_are_accepted_strictly_and_round_trip() {
    let Some(env) = TestEnv::connect("third_party_kinds_cert_manager").await else {
        return;
    };
    let ns = env.namespace("cert-manager-kinds").await;
    let (_, objects) = support::render_example("cluster-3-certmanager.yaml", ns.name());
    let certificates: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "Certificate")
        .collect();
    assert_eq!(certificates.len(), 3, "one Certificate per member");
    for object in certificates {
        let stored = env
            .apply(object)
            .await
            .unwrap_or_else(|e| panic!("rejected: {e}\n{object:#}"));
        let stored = serde_json::to_value(stored).expect("json");
        assert_eq!(
            stored["spec"], object["spec"],
            "the apiserver changed or dropped a field"
        );
    }
    ns.cleanup().await;
}
