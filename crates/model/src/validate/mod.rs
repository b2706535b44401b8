//! Validation: one pass over the whole spec that applies every default and reports every problem
//! at once, each with its field path and what would be valid.

mod auth;
mod backup;
mod bootstrap;
mod cert_manager;
mod clustering;
mod config;
mod dns;
mod identity;
mod key_vault;
mod monitoring;
mod network_policy;
mod resources;
mod scheduling;
mod service;
mod storage;
mod tls;

use crate::problems::{Findings, Invalid};
use crate::spec::Neo4jCluster;
use crate::validated::{DeletionPolicy, Edition, GIB, MIB, Members, Tls, ValidatedCluster};
use auth::check_auth;
use backup::check_backup;
use bootstrap::{check_backup_and_bootstrap, check_bootstrap};
use clustering::{check_clustering, check_node_count, check_standalone_fields};
use config::check_config;
use dns::{check_cluster_domain, check_dns_lengths};
use identity::{
    check_annotations, check_image, check_labels, check_license, check_name, check_namespace,
    check_restart_request, check_rotate_ca_request, check_rotate_request, check_version,
};
use monitoring::check_monitoring;
use network_policy::check_network_policy;
use resources::{check_memory, check_resources};
use scheduling::{check_anti_affinity, check_scheduling};
use service::check_load_balancer;
use storage::{check_deletion_policy, check_storage};
use tls::{check_tls, check_tls_and_backup};

pub use backup::{is_guid, is_storage_account_name};
pub use config::managed_setting;
pub use dns::{is_dns_label, is_dns_subdomain, is_label_value, is_port_name, is_qualified_name};
pub use key_vault::{is_key_vault_name, is_key_vault_secret_name};
pub use monitoring::{DEFAULT_SCRAPE_INTERVAL, duration_seconds};
pub use resources::show_bytes;
pub use storage::default_storage_class;

pub const MIN_CLUSTER_MEMBERS: i32 = crate::api::members::MIN_CLUSTER_MEMBERS as i32;

pub const MAX_MEMBERS: i32 = crate::api::members::MAX_MEMBERS as i32;

pub const MAX_NAME_LENGTH: usize = 40;

pub const MAX_DISK_GI: i32 = 4096;

pub const DEFAULT_NAMESPACE: &str = "neo4j";

pub const DEFAULT_STORAGE_CLASS: &str = "neo4j-premium";

pub const DEFAULT_DISK_GI: i32 = 32;

pub const DEFAULT_CPU: &str = "2";

pub const DEFAULT_MEMORY: &str = "8Gi";

pub const DEFAULT_PORT_NAME: &str = "discovery";

/// The key holds the image's auth string, `neo4j/<password>`.
pub const DEFAULT_PASSWORD_KEY: &str = "NEO4J_AUTH";

/// Headroom the Operations Manual asks for beyond heap and page cache ("heap + pagecache + 1GB <
/// available memory", kubernetes/configuration.adoc): less is refused, the kernel would OOM-kill.
pub const MEMORY_HEADROOM: i64 = GIB;

/// Share of the container's memory kept for the JVM's native memory (metaspace, code cache,
/// thread stacks, G1's remembered sets, which grow with the heap, Netty's direct buffers) and for
/// what the kernel charges the container (mmapped index files, transaction-log writes): the
/// manual lists these areas without a size (performance/memory-configuration.adoc) and says the
/// OS reserve should be "significantly larger" on large machines. Below `max(1Gi, 10%)` of the
/// limit a warning is given; the default split keeps it.
pub const NATIVE_MARGIN_PERCENT: i64 = 10;

/// Above ~31 GiB the JVM loses compressed object pointers.
pub const MAX_USEFUL_HEAP: i64 = 31 * GIB;

const MIN_HEAP: i64 = 256 * MIB;

const MIN_PAGE_CACHE: i64 = 64 * MIB;

const MIN_MEMORY: i64 = 2 * GIB;

/// Port names the renderer itself uses on every Service and container.
pub const RESERVED_PORT_NAMES: [&str; 7] = [
    "raft", "routing", "bolt", "http", "https", "backup", "metrics",
];

/// Label keys neo4j-aks sets itself; user labels may not replace them.
pub use crate::api::labels::RESERVED_PREFIXES as RESERVED_LABEL_PREFIXES;

/// The member ServiceAccount carries one workload identity client ID: Key Vault and a seed from
/// backup with workload identity must name the same managed identity.
fn check_member_identity(
    f: &mut Findings,
    password: Option<&crate::validated::PasswordSource>,
    bootstrap: Option<&crate::validated::Bootstrap>,
) {
    let Some(vault) = password.and_then(|p| p.key_vault()) else {
        return;
    };
    if let Some(crate::validated::BackupCredential::WorkloadIdentity { client_id }) =
        bootstrap.map(|b| &b.blob.credential)
        && client_id != &vault.client_id
    {
        f.problem(
            "spec.secrets.keyVault.clientId",
            format!(
                "must equal spec.bootstrap.fromBackup.credentials.workloadIdentityClientId ({client_id}): both identities are federated with the member ServiceAccount, which carries one client ID; give that identity both roles"
            ),
        );
    }
}

/// Validates a cluster and applies every default. `Err` lists every problem found.
pub fn validate(cluster: &Neo4jCluster) -> Result<ValidatedCluster, Invalid> {
    let mut f = Findings::default();
    let spec = &cluster.spec;

    let name = check_name(&mut f, cluster.metadata.name.as_deref());
    let namespace = check_namespace(&mut f, cluster.metadata.namespace.as_deref());
    let version = check_version(&mut f, spec);
    let (image, edition) = check_image(&mut f, spec, version.as_ref());
    let license = check_license(&mut f, spec, edition);
    let members = check_node_count(&mut f, spec);
    if edition == Edition::Community && members.is_some_and(|m| m > 1) {
        f.problem(
            "spec.image.edition",
            "community cannot form a cluster; use enterprise or set nodeCount: 1",
        );
    }
    let clustering = members.and_then(|m| check_clustering(&mut f, spec, m));
    if let Some(m) = members.filter(|m| *m == 1) {
        check_standalone_fields(&mut f, spec, m);
    }
    let storage = check_storage(&mut f, spec);
    let anti_affinity = check_anti_affinity(&mut f, spec, members);
    let resources = check_resources(&mut f, spec);
    let memory = resources
        .as_ref()
        .and_then(|r| check_memory(&mut f, spec, r));
    let load_balancer = check_load_balancer(&mut f, spec);
    let password = check_auth(&mut f, spec, name.as_deref());
    let extra_config = version
        .as_ref()
        .map(|v| check_config(&mut f, spec, v))
        .unwrap_or_default();
    let scheduling = check_scheduling(&mut f, spec);
    let labels = check_labels(&mut f, spec);
    let annotations = check_annotations(&mut f, "spec.annotations", spec.annotations.as_ref());
    let restart_requested_at = check_restart_request(&mut f, cluster);
    let cluster_domain = check_cluster_domain(&mut f, spec);
    let deletion_policy = check_deletion_policy(&mut f, spec);
    let backup = check_backup(
        &mut f,
        spec,
        name.as_deref(),
        edition,
        storage.as_ref().map(|s| s.disk_size_gi),
    );
    let bootstrap = check_bootstrap(
        &mut f,
        spec,
        name.as_deref(),
        edition,
        storage.as_ref().map(|s| s.disk_size_gi),
    );
    check_backup_and_bootstrap(
        &mut f,
        name.as_deref(),
        backup.as_ref(),
        bootstrap.as_ref(),
        clustering.is_some(),
    );
    check_member_identity(&mut f, password.as_ref(), bootstrap.as_ref());
    let rotate_requested_at = check_rotate_request(&mut f, cluster);
    let rotate_ca_requested_at = check_rotate_ca_request(&mut f, cluster);
    let tls = check_tls(
        &mut f,
        name.as_deref(),
        spec,
        members,
        edition,
        load_balancer.as_ref(),
    )
    .map(|tls| Tls {
        rotate_requested_at,
        rotate_ca_requested_at,
        ..tls
    });
    check_tls_and_backup(&mut f, tls.as_ref(), backup.is_some());
    let network_policy = check_network_policy(
        &mut f,
        spec.network_policy.as_ref(),
        &namespace,
        load_balancer.as_ref(),
        clustering.as_ref().map(|c| c.resolver),
    );
    let monitoring = check_monitoring(&mut f, spec, edition);

    if !f.is_clean() {
        return Err(Invalid {
            problems: f.problems,
        });
    }
    // Every `None` below was reported as a problem above, so with no problems all are `Some`.
    let (
        Some(name),
        Some(version),
        Some(image),
        Some(members),
        Some(storage),
        Some(resources),
        Some(memory),
        Some(password),
    ) = (
        name, version, image, members, storage, resources, memory, password,
    )
    else {
        return Err(Invalid::single("spec", "incomplete specification"));
    };
    let validated = ValidatedCluster {
        name,
        namespace,
        version,
        license,
        edition,
        image,
        members: Members::new(members),
        clustering,
        storage,
        anti_affinity,
        resources,
        memory,
        load_balancer,
        password,
        extra_config,
        scheduling,
        labels,
        annotations,
        cluster_domain,
        deletion_policy,
        backup,
        bootstrap,
        tls,
        network_policy,
        monitoring,
        restart_requested_at,
        rolling_from_5_26: false,
        warnings: f.warnings,
    };
    check_dns_lengths(&validated)?;
    Ok(validated)
}
