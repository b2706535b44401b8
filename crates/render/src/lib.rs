//! Neo4jCluster → every Kubernetes object the cluster needs, as typed k8s-openapi structs.
//! Pure: same spec, same objects, same bytes.

pub mod backup;
pub mod config;
pub mod jvm;
pub mod labels;
pub mod meta;
pub mod neo4j_conf;
pub mod output;
pub mod pdb;
pub mod ports;
pub mod rbac;
pub mod security;
pub mod seed;
pub mod services;
pub mod statefulset;
pub mod storage_class;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::{Metadata, Resource};
use neo4j_aks_model::{Invalid, Neo4jCluster, ValidatedCluster, Warning, validate};

/// One rendered object. A closed set: every kind the renderer can produce.
// A render holds a dozen objects once; boxing the StatefulSet would save nothing measurable.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    StorageClass(StorageClass),
    ServiceAccount(ServiceAccount),
    Role(Role),
    RoleBinding(RoleBinding),
    Secret(Secret),
    ConfigMap(ConfigMap),
    Service(Service),
    StatefulSet(StatefulSet),
    PodDisruptionBudget(PodDisruptionBudget),
    CronJob(CronJob),
}

macro_rules! each_object {
    ($self:expr, $o:ident => $body:expr) => {
        match $self {
            Object::StorageClass($o) => $body,
            Object::ServiceAccount($o) => $body,
            Object::Role($o) => $body,
            Object::RoleBinding($o) => $body,
            Object::Secret($o) => $body,
            Object::ConfigMap($o) => $body,
            Object::Service($o) => $body,
            Object::StatefulSet($o) => $body,
            Object::PodDisruptionBudget($o) => $body,
            Object::CronJob($o) => $body,
        }
    };
}

fn kind_of<K: Resource>(_: &K) -> &'static str {
    K::KIND
}

fn api_version_of<K: Resource>(_: &K) -> &'static str {
    K::API_VERSION
}

impl Object {
    pub fn kind(&self) -> &'static str {
        each_object!(self, o => kind_of(o))
    }

    pub fn api_version(&self) -> &'static str {
        each_object!(self, o => api_version_of(o))
    }

    pub fn name(&self) -> &str {
        each_object!(self, o => o.metadata().name.as_deref().unwrap_or_default())
    }

    pub fn namespace(&self) -> Option<&str> {
        each_object!(self, o => o.metadata().namespace.as_deref())
    }

    /// The object as JSON, with `apiVersion` and `kind`.
    pub fn to_value(&self) -> serde_json::Value {
        // Serializing k8s-openapi structs into a Value cannot fail: they hold only strings,
        // numbers, maps with string keys and lists.
        each_object!(self, o => serde_json::to_value(o).expect("k8s-openapi objects serialize to JSON"))
    }
}

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
/// services, then the StatefulSet that uses them, then its disruption budget, then the backup
/// ServiceAccount and CronJobs.
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
    objects.push(Object::StatefulSet(statefulset::build(&cluster, &digest)));
    if let Some(pdb) = pdb::build(&cluster) {
        objects.push(Object::PodDisruptionBudget(pdb));
    }
    let (backup_account, cronjobs) = backup::build(&cluster);
    objects.extend(backup_account.map(Object::ServiceAccount));
    objects.extend(cronjobs.into_iter().map(Object::CronJob));
    let warnings = cluster.warnings.clone();
    Rendered {
        cluster,
        objects,
        warnings,
    }
}
