//! The operator's own deployment (`deploy/operator/operator.yaml`), generated from code by
//! `neo4j-aks operator-manifests` and drift-checked by a test. Every RBAC rule carries the reason
//! it exists; nothing is granted that the code does not use.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction,
    Namespace, ObjectFieldSelector, PodAffinityTerm, PodAntiAffinity, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecurityContext, Service,
    ServiceAccount, ServicePort, ServiceSpec, WeightedPodAffinityTerm,
};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use neo4j_aks_render::Kind;
use serde::Serialize;

pub use neo4j_aks_model::api::network::{OPERATOR_NAME as NAME, OPERATOR_NAMESPACE as NAMESPACE};
pub const METRICS_PORT: i32 = 8080;
/// The operator image; built from this repository's `neo4j-aks` binary.
pub const IMAGE: &str = concat!("ghcr.io/neo4j-aks/neo4j-aks:", env!("CARGO_PKG_VERSION"));
/// The operator's log filter (`RUST_LOG`) in the manifests.
pub const LOG_LEVEL: &str = "info";

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(s(groups)),
        resources: Some(s(resources)),
        verbs: s(verbs),
        ..PolicyRule::default()
    }
}

/// The ClusterRole's rules, each with its justification: one per kind the renderer produces
/// (from its table, `neo4j_aks_render::kinds`), then what the operator reads or changes besides.
pub fn cluster_rules() -> Vec<(&'static str, PolicyRule)> {
    let rendered = Kind::ALL.iter().map(|kind| {
        let resource = kind.resource();
        let (verbs, why) = kind.access();
        (
            why,
            rule(
                &[resource.group.as_str()],
                &[resource.plural.as_str()],
                verbs,
            ),
        )
    });
    rendered.chain(other_rules()).collect()
}

fn other_rules() -> Vec<(&'static str, PolicyRule)> {
    vec![
        (
            "Watch the Neo4jClusters (every namespace); patch adds and removes the cleanup finalizer and removes the replace-member annotation when a replacement finished; list also finds other clusters sharing a StorageClass",
            rule(
                &["neo4j-aks.io"],
                &["neo4jclusters"],
                &["get", "list", "watch", "patch"],
            ),
        ),
        (
            "Write status (server-side apply of the status subresource)",
            rule(&["neo4j-aks.io"], &["neo4jclusters/status"], &["patch"]),
        ),
        (
            "Owner references with blockOwnerDeletion need update on finalizers where OwnerReferencesPermissionEnforcement is on",
            rule(
                &["neo4j-aks.io"],
                &["neo4jclusters/finalizers"],
                &["update"],
            ),
        ),
        (
            "Read the backup CronJobs' Jobs for status.backup (conditions, times); read only",
            rule(&["batch"], &["jobs"], &["get", "list", "watch"]),
        ),
        (
            "Observe members for status (phase, readiness, node, revision); delete one member pod at a time to restart it on the new revision (updateStrategy OnDelete) or to replace it",
            rule(&[""], &["pods"], &["get", "list", "watch", "delete"]),
        ),
        (
            "Observe claims (capacity), expand them in place (patch), delete them on cluster deletion with deletionPolicy Delete and the claim of a member being replaced (replace-member annotation)",
            rule(
                &[""],
                &["persistentvolumeclaims"],
                &["get", "list", "watch", "patch", "delete"],
            ),
        ),
        (
            "Read a member's node for its topology.kubernetes.io/zone label; read only",
            rule(&[""], &["nodes"], &["get"]),
        ),
        (
            "Events for every change and error (events.k8s.io/v1 Recorder)",
            rule(&["events.k8s.io"], &["events"], &["create", "patch"]),
        ),
    ]
}

fn labels() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), NAME.to_string()),
        (
            "app.kubernetes.io/part-of".to_string(),
            "neo4j-aks".to_string(),
        ),
    ])
}

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(labels()),
        ..ObjectMeta::default()
    }
}

fn field_env(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.to_string(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn probe(path: &str, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_string()),
            port: IntOrString::String("metrics".to_string()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        ..Probe::default()
    }
}

pub fn deployment() -> Deployment {
    let selector = BTreeMap::from([("app.kubernetes.io/name".to_string(), NAME.to_string())]);
    let quantities = |cpu: &str, memory: &str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.to_string())),
            ("memory".to_string(), Quantity(memory.to_string())),
        ])
    };
    Deployment {
        metadata: meta(NAME, Some(NAMESPACE)),
        spec: Some(DeploymentSpec {
            // Two replicas are safe: only the holder of the Lease reconciles.
            replicas: Some(2),
            selector: LabelSelector {
                match_labels: Some(selector.clone()),
                ..LabelSelector::default()
            },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_string()),
                ..DeploymentStrategy::default()
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels()),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(NAME.to_string()),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(65532),
                        run_as_group: Some(65532),
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".to_string(),
                            ..SeccompProfile::default()
                        }),
                        ..PodSecurityContext::default()
                    }),
                    affinity: Some(Affinity {
                        pod_anti_affinity: Some(PodAntiAffinity {
                            preferred_during_scheduling_ignored_during_execution: Some(vec![
                                WeightedPodAffinityTerm {
                                    weight: 100,
                                    pod_affinity_term: PodAffinityTerm {
                                        label_selector: Some(LabelSelector {
                                            match_labels: Some(selector),
                                            ..LabelSelector::default()
                                        }),
                                        topology_key: "kubernetes.io/hostname".to_string(),
                                        ..PodAffinityTerm::default()
                                    },
                                },
                            ]),
                            ..PodAntiAffinity::default()
                        }),
                        ..Affinity::default()
                    }),
                    containers: vec![Container {
                        name: "operator".to_string(),
                        image: Some(IMAGE.to_string()),
                        image_pull_policy: Some("IfNotPresent".to_string()),
                        args: Some(s(&[
                            "operator",
                            "--leader-election",
                            "--metrics-addr=0.0.0.0:8080",
                        ])),
                        env: Some(vec![
                            field_env("POD_NAME", "metadata.name"),
                            field_env("POD_NAMESPACE", "metadata.namespace"),
                            EnvVar {
                                name: "RUST_LOG".to_string(),
                                value: Some(LOG_LEVEL.to_string()),
                                ..EnvVar::default()
                            },
                            // glibc gives each thread that allocates an arena of its own, up to
                            // eight per core; the operator's short-lived threads (DNS lookups of
                            // the members) left freed memory in them. One arena: 1 to 3 MiB less
                            // resident at 30 clusters (docs/operator.md, benchmarks); the
                            // operator allocates from one or two threads at a time.
                            EnvVar {
                                name: "MALLOC_ARENA_MAX".to_string(),
                                value: Some("1".to_string()),
                                ..EnvVar::default()
                            },
                        ]),
                        ports: Some(vec![ContainerPort {
                            name: Some("metrics".to_string()),
                            container_port: METRICS_PORT,
                            protocol: Some("TCP".to_string()),
                            ..ContainerPort::default()
                        }]),
                        liveness_probe: Some(probe("/healthz", 10)),
                        readiness_probe: Some(probe("/readyz", 5)),
                        resources: Some(ResourceRequirements {
                            requests: Some(quantities("100m", "128Mi")),
                            limits: Some(quantities("1", "512Mi")),
                            ..ResourceRequirements::default()
                        }),
                        security_context: Some(SecurityContext {
                            allow_privilege_escalation: Some(false),
                            read_only_root_filesystem: Some(true),
                            run_as_non_root: Some(true),
                            capabilities: Some(Capabilities {
                                drop: Some(s(&["ALL"])),
                                ..Capabilities::default()
                            }),
                            ..SecurityContext::default()
                        }),
                        ..Container::default()
                    }],
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn metrics_service() -> Service {
    Service {
        metadata: meta(NAME, Some(NAMESPACE)),
        spec: Some(ServiceSpec {
            selector: Some(BTreeMap::from([(
                "app.kubernetes.io/name".to_string(),
                NAME.to_string(),
            )])),
            ports: Some(vec![ServicePort {
                name: Some("metrics".to_string()),
                port: METRICS_PORT,
                target_port: Some(IntOrString::String("metrics".to_string())),
                protocol: Some("TCP".to_string()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn to_yaml<T: Serialize>(object: &T) -> Result<String, String> {
    serde_saphyr::to_string(object).map_err(|e| e.to_string())
}

/// One of the operator's install manifests: why it exists, the object as a JSON value (for the
/// Helm chart, which templates some of its scalars) and as YAML (the ClusterRole's with one
/// comment per rule).
pub struct Manifest {
    pub comment: &'static str,
    pub value: serde_json::Value,
    pub yaml: String,
}

fn manifest<T: Serialize>(comment: &'static str, object: &T) -> Result<Manifest, String> {
    Ok(Manifest {
        comment,
        value: serde_json::to_value(object).map_err(|e| e.to_string())?,
        yaml: to_yaml(object)?,
    })
}

/// Every install manifest, in apply order; `manifests` and the Helm chart (`neo4j-aks
/// operator-chart`) are both built from this list.
pub fn manifest_list() -> Result<Vec<Manifest>, String> {
    let subject = Subject {
        kind: "ServiceAccount".to_string(),
        name: NAME.to_string(),
        namespace: Some(NAMESPACE.to_string()),
        ..Subject::default()
    };
    let mut namespace = meta(NAMESPACE, None);
    namespace.labels.get_or_insert_with(BTreeMap::new).extend(
        neo4j_aks_model::api::labels::POD_SECURITY_RESTRICTED
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let cluster_role = ClusterRole {
        metadata: meta(NAME, None),
        rules: Some(cluster_rules().into_iter().map(|(_, rule)| rule).collect()),
        ..ClusterRole::default()
    };
    let mut role_yaml = to_yaml(&ClusterRole {
        metadata: meta(NAME, None),
        ..ClusterRole::default()
    })?;
    role_yaml.push_str("rules:\n");
    for (why, rule) in cluster_rules() {
        role_yaml.push_str(&format!("# {why}\n"));
        let text = to_yaml(&rule)?;
        for (i, line) in text.lines().enumerate() {
            role_yaml.push_str(if i == 0 { "- " } else { "  " });
            role_yaml.push_str(line);
            role_yaml.push('\n');
        }
    }
    let mut role = manifest(
        "Least privilege: exactly the verbs the operator's code uses, each rule with its reason.",
        &cluster_role,
    )?;
    role.yaml = role_yaml;
    Ok(vec![
        manifest(
            "The operator's namespace; Pod Security admission enforces `restricted` in it\n(docs/security/pod-security.md).",
            &Namespace {
                metadata: namespace,
                ..Namespace::default()
            },
        )?,
        manifest(
            "The operator's identity.",
            &ServiceAccount {
                metadata: meta(NAME, Some(NAMESPACE)),
                ..ServiceAccount::default()
            },
        )?,
        role,
        manifest(
            "Grants the ClusterRole to the operator's ServiceAccount.",
            &ClusterRoleBinding {
                metadata: meta(NAME, None),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".to_string(),
                    kind: "ClusterRole".to_string(),
                    name: NAME.to_string(),
                },
                subjects: Some(vec![subject.clone()]),
            },
        )?,
        manifest(
            "Leader election: the Lease lives in the operator's namespace only (kube-lease-manager\n\
             reads it, creates it once, and renews it by server-side apply).",
            &Role {
                metadata: meta(&format!("{NAME}-leader-election"), Some(NAMESPACE)),
                rules: Some(vec![rule(
                    &["coordination.k8s.io"],
                    &["leases"],
                    &["get", "create", "patch"],
                )]),
            },
        )?,
        manifest(
            "Grants the leader-election Role to the operator's ServiceAccount.",
            &RoleBinding {
                metadata: meta(&format!("{NAME}-leader-election"), Some(NAMESPACE)),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".to_string(),
                    kind: "Role".to_string(),
                    name: format!("{NAME}-leader-election"),
                },
                subjects: Some(vec![subject]),
            },
        )?,
        manifest(
            "Two replicas, restricted security context (non-root, no privilege escalation, no\n\
             capabilities, read-only root filesystem, RuntimeDefault seccomp); /metrics, /healthz and\n\
             /readyz on port 8080. Only the Lease holder reconciles.",
            &deployment(),
        )?,
        manifest("Scrape target for /metrics.", &metrics_service())?,
    ])
}

/// Every manifest, as one multi-document YAML file with the reasons as comments.
pub fn manifests() -> Result<String, String> {
    let mut out = String::from(
        "# GENERATED by `neo4j-aks operator-manifests`; do not edit (a test fails on drift).\n\
         # Install: kubectl apply -f deploy/operator/ (crd.yaml and this file).\n",
    );
    for manifest in manifest_list()? {
        out.push_str("---\n");
        for line in manifest.comment.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str(&manifest.yaml);
    }
    Ok(out)
}

/// The operator's own ServiceMonitor (deploy/monitoring/operator-servicemonitor.yaml; apply it
/// where prometheus-operator runs). `honorLabels` keeps the series' own `namespace` (the
/// Neo4jCluster's), which Prometheus would otherwise replace with the operator's namespace.
pub fn operator_service_monitor() -> neo4j_aks_render::crd::prometheus::ServiceMonitor {
    use neo4j_aks_render::crd::prometheus::{Endpoint, ServiceMonitor, ServiceMonitorSpec};
    ServiceMonitor {
        metadata: meta(NAME, Some(NAMESPACE)),
        spec: ServiceMonitorSpec {
            selector: LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "app.kubernetes.io/name".to_string(),
                    NAME.to_string(),
                )])),
                ..LabelSelector::default()
            },
            endpoints: vec![Endpoint {
                port: Some("metrics".to_string()),
                path: Some("/metrics".to_string()),
                scheme: Some("http".to_string()),
                // The proposal's one-minute collection interval (NFR6).
                interval: Some(neo4j_aks_model::validate::DEFAULT_SCRAPE_INTERVAL.to_string()),
                honor_labels: Some(true),
                ..Endpoint::default()
            }],
            ..ServiceMonitorSpec::default()
        },
    }
}

/// [`operator_service_monitor`] as YAML, with the reason as a comment.
pub fn operator_service_monitor_yaml() -> Result<String, String> {
    Ok(format!(
        "# Scrapes the operator's /metrics (cluster health, backups, reconciles) where\n# prometheus-operator runs; keeps the series' own namespace label (honorLabels).\n# Generated: neo4j-aks monitoring operator-service-monitor\n{}",
        to_yaml(&operator_service_monitor())?
    ))
}
