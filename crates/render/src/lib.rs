//! Neo4jCluster → every Kubernetes object the cluster needs, as typed k8s-openapi structs.
//! Pure: same spec, same objects, same bytes.

pub mod backup;
pub mod cert_manager;
pub mod certificates;
pub mod config;
pub mod crd;
pub mod jvm;
pub mod key_vault;
pub mod kinds;
pub mod labels;
pub mod meta;
pub mod monitoring;
pub mod neo4j_conf;
pub mod network_policy;
pub mod output;
pub mod pdb;
pub mod pod;
pub mod ports;
pub mod rbac;

pub mod seed;
pub mod services;
pub mod statefulset;
pub mod storage_class;
pub mod tls;

use neo4j_aks_model::{Invalid, Neo4jCluster, ValidatedCluster, Warning, validate};

pub use kinds::{Kind, Object, Scope};

/// Everything a cluster needs, in apply order, and the warnings validation raised.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub cluster: ValidatedCluster,
    pub objects: Vec<Object>,
    pub warnings: Vec<Warning>,
}

impl Rendered {
    pub fn to_json_values(&self) -> Vec<serde_json::Value> {
        self.objects.iter().map(Object::to_value).collect()
    }
}

/// Validates the spec and renders it.
pub fn render(cluster: &Neo4jCluster) -> Result<Rendered, Invalid> {
    let validated = validate(cluster)?;
    Ok(build(validated))
}

/// Builds every object of a validated cluster, in apply order: storage, identity, config,
/// services, the NetworkPolicies, then the StatefulSet that uses them, then its disruption budget,
/// then the backup ServiceAccount and CronJobs, then the scrape object and the alert rules.
pub fn build(cluster: ValidatedCluster) -> Rendered {
    let mut objects = Vec::new();
    if let Some(class) = storage_class::build(&cluster) {
        objects.push(Object::StorageClass(class));
    }
    let (account, access) = rbac::build(&cluster);
    objects.extend(account.map(Object::ServiceAccount));
    if let Some((role, binding)) = access {
        objects.extend([Object::Role(role), Object::RoleBinding(binding)]);
    }
    if let Some(secret) = config::secret(&cluster) {
        objects.push(Object::Secret(secret));
    }
    // Before the StatefulSet whose pods mount it.
    if let Some(class) = key_vault::secret_provider_class(&cluster) {
        objects.push(Object::SecretProviderClass(class));
    }
    objects.extend(tls::secrets(&cluster).into_iter().map(Object::Secret));
    // cert-manager starts issuing while the rest is applied; the operator gathers what it
    // issued into `<name>-tls` before the StatefulSet starts members.
    objects.extend(
        cert_manager::certificates(&cluster)
            .into_iter()
            .map(Object::Certificate),
    );
    let config_map = config::config_map(&cluster);
    let digest = config::digest(&config_map);
    objects.push(Object::ConfigMap(config_map));
    objects.push(Object::Service(services::headless(&cluster)));
    objects.extend(
        services::discovery(&cluster)
            .into_iter()
            .map(Object::Service),
    );
    if let Some(lb) = services::load_balancer(&cluster) {
        objects.push(Object::Service(lb));
    }
    // Before the pods they isolate, so no pod starts unprotected; their rules follow the ports
    // the members' container declares.
    let members = statefulset::build(&cluster, &digest);
    objects.extend(
        network_policy::build_for(&cluster, &members)
            .into_iter()
            .map(Object::NetworkPolicy),
    );
    objects.push(Object::StatefulSet(members));
    if let Some(pdb) = pdb::build(&cluster) {
        objects.push(Object::PodDisruptionBudget(pdb));
    }
    let (backup_account, cronjobs) = backup::build(&cluster);
    objects.extend(backup_account.map(Object::ServiceAccount));
    objects.extend(cronjobs.into_iter().map(Object::CronJob));
    match monitoring::scrape::monitor(&cluster) {
        Some(monitoring::scrape::Monitor::Service(m)) => objects.push(Object::ServiceMonitor(m)),
        Some(monitoring::scrape::Monitor::Pod(m)) => objects.push(Object::PodMonitor(m)),
        None => {}
    }
    if let Some(rule) = monitoring::scrape::prometheus_rule(&cluster) {
        objects.push(Object::PrometheusRule(rule));
    }
    let warnings = cluster.warnings.clone();
    Rendered {
        cluster,
        objects,
        warnings,
    }
}
