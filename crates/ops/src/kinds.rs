//! The kinds the renderer produces, as dynamic API handles.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use neo4j_aks_render::Object;

/// A kind the renderer can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    StorageClass,
    ServiceAccount,
    Role,
    RoleBinding,
    Secret,
    ConfigMap,
    Service,
    StatefulSet,
    PodDisruptionBudget,
    CronJob,
}

/// Every namespaced kind, in the order orphans are looked for.
pub const NAMESPACED: [Kind; 9] = [
    Kind::ServiceAccount,
    Kind::Role,
    Kind::RoleBinding,
    Kind::Secret,
    Kind::ConfigMap,
    Kind::Service,
    Kind::StatefulSet,
    Kind::PodDisruptionBudget,
    Kind::CronJob,
];

impl Kind {
    pub fn of(object: &Object) -> Kind {
        match object {
            Object::StorageClass(_) => Kind::StorageClass,
            Object::ServiceAccount(_) => Kind::ServiceAccount,
            Object::Role(_) => Kind::Role,
            Object::RoleBinding(_) => Kind::RoleBinding,
            Object::Secret(_) => Kind::Secret,
            Object::ConfigMap(_) => Kind::ConfigMap,
            Object::Service(_) => Kind::Service,
            Object::StatefulSet(_) => Kind::StatefulSet,
            Object::PodDisruptionBudget(_) => Kind::PodDisruptionBudget,
            Object::CronJob(_) => Kind::CronJob,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::StorageClass => "StorageClass",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Role => "Role",
            Kind::RoleBinding => "RoleBinding",
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
            Kind::Service => "Service",
            Kind::StatefulSet => "StatefulSet",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::CronJob => "CronJob",
        }
    }

    pub fn resource(self) -> ApiResource {
        match self {
            Kind::StorageClass => ApiResource::erase::<StorageClass>(&()),
            Kind::ServiceAccount => ApiResource::erase::<ServiceAccount>(&()),
            Kind::Role => ApiResource::erase::<Role>(&()),
            Kind::RoleBinding => ApiResource::erase::<RoleBinding>(&()),
            Kind::Secret => ApiResource::erase::<Secret>(&()),
            Kind::ConfigMap => ApiResource::erase::<ConfigMap>(&()),
            Kind::Service => ApiResource::erase::<Service>(&()),
            Kind::StatefulSet => ApiResource::erase::<StatefulSet>(&()),
            Kind::PodDisruptionBudget => ApiResource::erase::<PodDisruptionBudget>(&()),
            Kind::CronJob => ApiResource::erase::<CronJob>(&()),
        }
    }

    pub fn is_namespaced(self) -> bool {
        self != Kind::StorageClass
    }

    /// A dynamic handle: namespaced kinds in `namespace`, cluster-scoped kinds cluster-wide.
    pub fn api(self, client: &Client, namespace: &str) -> Api<DynamicObject> {
        let resource = self.resource();
        if self.is_namespaced() {
            Api::namespaced_with(client.clone(), namespace, &resource)
        } else {
            Api::all_with(client.clone(), &resource)
        }
    }
}
