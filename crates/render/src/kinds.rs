//! Every kind the renderer can produce, in one table: its Rust type, its scope, and what the
//! operator may do with it and why. From the table come [`Object`] (a rendered object),
//! [`Kind`], the operator's watches of owned objects, its orphan clean-up, and its RBAC rules
//! (`neo4j-aks operator-manifests`). A new kind is one row here plus the builder that renders
//! it.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Resource;

use crate::crd::cert_manager::Certificate;
use crate::crd::prometheus::{PodMonitor, PrometheusRule, ServiceMonitor};
use crate::crd::secrets_store::SecretProviderClass;
use kube::core::ApiResource;

/// Whether the object lives in the cluster's namespace (and is owned by its Neo4jCluster, so the
/// operator watches it and garbage collection removes it) or is cluster-scoped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

macro_rules! kinds {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident($ty:ty), $scope:ident, [$($verb:literal),*], $why:literal;
    )*) => {
        /// One rendered object. A closed set: every kind of the table.
        // A render holds a dozen objects once; boxing the StatefulSet would save nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum Object {
            $($(#[doc = $doc])* $variant($ty),)*
        }

        /// A kind of the table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $($variant,)*
        }

        impl Kind {
            /// Every kind, in the table's order.
            pub const ALL: &[Kind] = &[$(Kind::$variant,)*];

            pub fn of(object: &Object) -> Kind {
                match object {
                    $(Object::$variant(_) => Kind::$variant,)*
                }
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$variant => stringify!($variant),)*
                }
            }

            /// Group, version, kind and plural, for dynamic API handles and RBAC rules.
            pub fn resource(self) -> ApiResource {
                match self {
                    $(Kind::$variant => ApiResource::erase::<$ty>(&()),)*
                }
            }

            pub fn scope(self) -> Scope {
                match self {
                    $(Kind::$variant => Scope::$scope,)*
                }
            }

            /// The operator's verbs on this kind, and why it holds them.
            pub fn access(self) -> (&'static [&'static str], &'static str) {
                match self {
                    $(Kind::$variant => (&[$($verb),*], $why),)*
                }
            }
        }

        macro_rules! each_object {
            ($self_:expr, $o:ident => $body:expr) => {
                match $self_ {
                    $(Object::$variant($o) => $body,)*
                }
            };
        }
    };
}

kinds! {
    /// Premium SSD class for the members' disks (shared by every cluster that names it).
    StorageClass(StorageClass), Cluster, ["get", "list", "watch", "create", "patch", "delete"],
        "The cluster-scoped StorageClass: applied, watched (the labelled ones are cached, so a reconcile does not read it), and deleted by the finalizer when no other Neo4jCluster uses it";
    ServiceAccount(ServiceAccount), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The K8S resolver's and the backup Jobs' ServiceAccounts: applied, watched, deleted when no longer rendered";
    Role(Role), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The K8S resolver's Role: applied, watched, deleted after switching to another resolver";
    RoleBinding(RoleBinding), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The K8S resolver's RoleBinding: applied, watched, deleted after switching to another resolver";
    Secret(Secret), Namespaced, ["get", "list", "watch", "create", "patch"],
        "The generated-password Secret: applied and filled once, read for the Bolt credentials of the day-2 executor; never deleted (no delete verb)";
    /// One per member from the user's cert-manager issuer (spec.tls.source certManager).
    Certificate(Certificate), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The members' cert-manager Certificates (spec.tls.source certManager): applied, watched (a renewal reconciles the cluster), deleted after a scale-down or a change of source";
    ConfigMap(ConfigMap), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The neo4j.conf ConfigMap: applied, watched, deleted when no longer rendered";
    Service(Service), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "Headless, load-balancer and per-member discovery Services: applied, watched, deleted when no longer rendered (resolver change, scale-down); get/list/watch is also what the K8S resolver Role grants, which RBAC requires the operator to hold";
    NetworkPolicy(NetworkPolicy), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The members' and backup Jobs' NetworkPolicies (spec.networkPolicy): applied, watched, deleted when the policy or backups are turned off";
    StatefulSet(StatefulSet), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The members' StatefulSet: applied (server-side apply creates it: create + patch), watched, replicas lowered by the day-2 executor after a server was dropped (patch); delete is orphan clean-up";
    PodDisruptionBudget(PodDisruptionBudget), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The members' PodDisruptionBudget: applied, watched, deleted when no longer rendered";
    CronJob(CronJob), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The backup and verification CronJobs (spec.backup): applied, watched, deleted when backups are turned off";
    /// Scrapes the members' Prometheus endpoint through the headless Service (spec.monitoring).
    ServiceMonitor(ServiceMonitor), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The members' ServiceMonitor (spec.monitoring, kind ServiceMonitor): applied, watched, deleted when monitoring is off or the kind changes";
    /// Scrapes the members' Prometheus endpoint from the pods (spec.monitoring.kind PodMonitor).
    PodMonitor(PodMonitor), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The members' PodMonitor (spec.monitoring, kind PodMonitor): applied, watched, deleted when monitoring is off or the kind changes";
    /// The cluster's alerts (spec.monitoring.rules).
    PrometheusRule(PrometheusRule), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The cluster's PrometheusRule (spec.monitoring.rules): applied, watched, deleted when monitoring or its rules are turned off";
    /// Has the Secrets Store CSI driver read the admin password from Azure Key Vault
    /// (spec.secrets.keyVault).
    SecretProviderClass(SecretProviderClass), Namespaced, ["get", "list", "watch", "create", "patch", "delete"],
        "The Key Vault SecretProviderClass (spec.secrets.keyVault): applied, watched, deleted when the password no longer comes from Key Vault";
}

fn kind_of<K: Resource<DynamicType = ()>>(_: &K) -> String {
    K::kind(&()).into_owned()
}

fn api_version_of<K: Resource<DynamicType = ()>>(_: &K) -> String {
    K::api_version(&()).into_owned()
}

impl Object {
    pub fn kind(&self) -> &'static str {
        Kind::of(self).name()
    }

    /// `apiVersion` as the object is served.
    pub fn api_version(&self) -> String {
        each_object!(self, o => api_version_of(o))
    }

    /// `kind` as the API spells it (equal to [`Object::kind`]; checked by a test).
    pub fn api_kind(&self) -> String {
        each_object!(self, o => kind_of(o))
    }

    pub fn name(&self) -> &str {
        each_object!(self, o => o.meta().name.as_deref().unwrap_or_default())
    }

    pub fn namespace(&self) -> Option<&str> {
        each_object!(self, o => o.meta().namespace.as_deref())
    }

    /// The object as JSON, with `apiVersion` and `kind`.
    pub fn to_value(&self) -> serde_json::Value {
        // Serializing the typed objects into a Value cannot fail: they hold only strings,
        // numbers, maps with string keys and lists.
        each_object!(self, o => serde_json::to_value(o).expect("typed objects serialize to JSON"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_each_kind_as_the_api_does_and_every_kind_has_verbs_and_a_reason() {
        for kind in Kind::ALL {
            assert_eq!(kind.name(), kind.resource().kind);
            let (verbs, why) = kind.access();
            assert!(
                verbs.contains(&"get") && verbs.contains(&"patch"),
                "{kind:?}"
            );
            assert!(!why.is_empty());
        }
        assert_eq!(
            Kind::ALL
                .iter()
                .filter(|k| k.scope() == Scope::Cluster)
                .count(),
            1
        );
    }
}
