//! Validation: one pass over the whole spec that applies every default and reports every problem
//! at once, each with its field path and what would be valid.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube_quantity::ParsedQuantity;

use crate::catalog::Catalog;
use crate::problems::{Findings, Invalid};
use crate::spec::{BackupCredentials, BackupTarget, FeatureToggle, Neo4jCluster, Neo4jClusterSpec};
use crate::validated::{
    AntiAffinity, Backup, BackupCredential, BackupRetention, BackupType, BlobLocation, Bootstrap,
    Clustering, DeletionPolicy, Edition, GIB, Image, License, LoadBalancer, MIB, Memory,
    PasswordSource, Resolver, Resources, Scheduling, Storage, ValidatedCluster,
};
use crate::version::Neo4jVersion;

pub const MIN_CLUSTER_MEMBERS: i32 = 3;
pub const MAX_MEMBERS: i32 = 10;
pub const MAX_NAME_LENGTH: usize = 40;
pub const MAX_DISK_GI: i32 = 4096;
pub const DEFAULT_NAMESPACE: &str = "neo4j";
pub const DEFAULT_STORAGE_CLASS: &str = "neo4j-premium";

/// The StorageClass a SKU gets when `spec.storage.className` is not set; `None` for a SKU we
/// refuse. Premium_LRS keeps the proposal's name.
pub fn default_storage_class(sku: &str) -> Option<&'static str> {
    match sku {
        "Premium_LRS" => Some(DEFAULT_STORAGE_CLASS),
        "PremiumV2_LRS" => Some("neo4j-premiumv2"),
        "StandardSSD_LRS" => Some("neo4j-standardssd"),
        _ => None,
    }
}
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
pub const RESERVED_LABEL_PREFIXES: [&str; 4] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    "neo4j-aks.io/",
];

/// Validates a cluster and applies every default. `Err` lists every problem found.
pub fn validate(cluster: &Neo4jCluster) -> Result<ValidatedCluster, Invalid> {
    let mut f = Findings::default();
    let spec = &cluster.spec;

    let name = check_name(&mut f, cluster.metadata.name.as_deref());
    let namespace = cluster
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
    if !is_dns_label(&namespace) {
        f.problem("metadata.namespace", format!("{namespace:?} is not a valid namespace name (lowercase letters, digits and '-', at most 63 characters)"));
    }
    let version = match spec.neo4j_version.as_deref() {
        None => {
            f.problem(
                "spec.neo4jVersion",
                "required; e.g. 5.26.16 (LTS) or 2025.10.1",
            );
            None
        }
        Some(text) => Neo4jVersion::parse(text)
            .map_err(|e| f.problem("spec.neo4jVersion", e))
            .ok(),
    };
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
    let cluster_domain = spec
        .cluster_domain
        .clone()
        .unwrap_or_else(|| "cluster.local".to_string());
    if !is_dns_subdomain(&cluster_domain) {
        f.problem(
            "spec.clusterDomain",
            format!("{cluster_domain:?} is not a DNS domain, e.g. cluster.local"),
        );
    }
    let deletion_policy = match spec.deletion_policy.as_deref() {
        None | Some("Retain") => DeletionPolicy::Retain,
        Some("Delete") => DeletionPolicy::Delete,
        Some(other) => {
            f.problem(
                "spec.deletionPolicy",
                format!("{other:?} is not allowed; use Retain (keep the volumes) or Delete"),
            );
            DeletionPolicy::Retain
        }
    };
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
    if let (Some(backup), Some(bootstrap)) = (&backup, &bootstrap)
        && name.as_deref() == Some(bootstrap.source_cluster.as_str())
        && (
            &backup.blob.storage_account,
            &backup.blob.container,
            &backup.blob.prefix,
        ) == (
            &bootstrap.blob.storage_account,
            &bootstrap.blob.container,
            &bootstrap.blob.prefix,
        )
    {
        f.warning(
            "spec.backup",
            "writes where spec.bootstrap reads, under the same cluster name: this cluster's backups would join the restored cluster's chains. Keep spec.backup.enabled false until status.bootstrap.phase is Done, and make the first run type FULL",
        );
    }
    if bootstrap.is_some() && clustering.is_none() {
        f.problem(
            "spec.bootstrap.fromBackup",
            "seeding from a backup is built for clusters (nodeCount 3 or more); restore a standalone server with neo4j-admin database restore (docs/runbooks/restore-cluster.md)",
        );
    }
    for (path, toggle) in [
        ("spec.tls", &spec.tls),
        ("spec.monitoring", &spec.monitoring),
        ("spec.networkPolicy", &spec.network_policy),
    ] {
        if let Some(FeatureToggle {
            enabled: Some(true),
        }) = toggle
        {
            f.problem(
                format!("{path}.enabled"),
                "this release does not implement it yet; remove the section or set enabled: false (it is refused rather than silently ignored)",
            );
        }
    }

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
        members,
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
        restart_requested_at,
        warnings: f.warnings,
    };
    check_dns_lengths(&validated)?;
    Ok(validated)
}

fn check_name(f: &mut Findings, name: Option<&str>) -> Option<String> {
    match name {
        None => {
            f.problem("metadata.name", "required; a DNS label such as neo4j");
            None
        }
        Some(name) if !is_dns_label(name) || name.len() > MAX_NAME_LENGTH => {
            f.problem(
                "metadata.name",
                format!(
                    "{name:?} must be a DNS label (lowercase letters, digits and '-', starting with a letter) of at most {MAX_NAME_LENGTH} characters, so that derived names such as {name}-service-reader-binding stay within 63"
                ),
            );
            None
        }
        Some(name) if !name.starts_with(|c: char| c.is_ascii_lowercase()) => {
            f.problem(
                "metadata.name",
                format!("{name:?} must start with a letter: Service names derive from it"),
            );
            None
        }
        Some(name) => Some(name.to_string()),
    }
}

fn check_image(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    version: Option<&Neo4jVersion>,
) -> (Option<Image>, Edition) {
    let image = spec.image.clone().unwrap_or_default();
    let edition = match image.edition.as_deref() {
        None | Some("enterprise") => Edition::Enterprise,
        Some("community") => Edition::Community,
        Some(other) => {
            f.problem(
                "spec.image.edition",
                format!("{other:?} is not an edition; use enterprise or community"),
            );
            Edition::Enterprise
        }
    };
    let repository = image.repository.unwrap_or_else(|| "neo4j".to_string());
    if repository.is_empty()
        || repository
            .chars()
            .any(|c| c.is_whitespace() || c == '@' || c.is_ascii_uppercase())
    {
        f.problem("spec.image.repository", format!("{repository:?} is not an image repository, e.g. neo4j or myregistry.azurecr.io/neo4j"));
    }
    let tag = match (image.tag, version) {
        (Some(tag), _) => {
            let valid = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
                && !tag.starts_with(['.', '-']);
            if !valid {
                f.problem(
                    "spec.image.tag",
                    format!(
                        "{tag:?} is not an image tag (letters, digits, '_', '.', '-', at most 128)"
                    ),
                );
            }
            Some(tag)
        }
        (None, Some(v)) => Some(format!(
            "{v}-{}",
            if edition == Edition::Enterprise {
                "enterprise"
            } else {
                "community"
            }
        )),
        (None, None) => None,
    };
    let pull_policy = image
        .pull_policy
        .unwrap_or_else(|| "IfNotPresent".to_string());
    if !["IfNotPresent", "Always", "Never"].contains(&pull_policy.as_str()) {
        f.problem(
            "spec.image.pullPolicy",
            format!("{pull_policy:?} is not allowed; use IfNotPresent, Always or Never"),
        );
    }
    let pull_secrets = image.pull_secrets.unwrap_or_default();
    for (i, secret) in pull_secrets.iter().enumerate() {
        if !is_dns_subdomain(&secret.name) {
            f.problem(
                format!("spec.image.pullSecrets[{i}].name"),
                format!("{:?} is not a Secret name", secret.name),
            );
        }
    }
    let image = tag.map(|tag| Image {
        reference: format!("{repository}:{tag}"),
        pull_policy,
        pull_secrets,
    });
    (image, edition)
}

fn check_license(f: &mut Findings, spec: &Neo4jClusterSpec, edition: Edition) -> License {
    match spec.accept_license_agreement.as_deref() {
        Some("yes") => License::Yes,
        Some("eval") => License::Eval,
        None if edition == Edition::Community => License::Yes,
        None => {
            f.problem(
                "spec.acceptLicenseAgreement",
                "required for Neo4j Enterprise: \"yes\" if you hold a commercial licence, \"eval\" to evaluate",
            );
            License::Eval
        }
        Some(other) => {
            f.problem(
                "spec.acceptLicenseAgreement",
                format!("{other:?} is not accepted; use \"yes\" or \"eval\""),
            );
            License::Eval
        }
    }
}

fn check_node_count(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<i32> {
    match spec.node_count {
        None => {
            f.problem(
                "spec.nodeCount",
                "required; 1 (standalone) or 3 to 10 (cluster)",
            );
            None
        }
        Some(2) => {
            f.problem(
                "spec.nodeCount",
                "2 is refused: a cluster needs a majority of its primaries to write, and with 2 members losing either one stops writes, so 2 is less available than 1; use 1 (standalone) or 3 to 10",
            );
            None
        }
        Some(n) if n == 1 || (MIN_CLUSTER_MEMBERS..=MAX_MEMBERS).contains(&n) => {
            if n >= 4 && n % 2 == 0 {
                f.warning(
                    "spec.nodeCount",
                    format!(
                        "{n} members tolerate no more failures than {}; an odd count is usually the better buy",
                        n - 1
                    ),
                );
            }
            Some(n)
        }
        Some(n) => {
            f.problem(
                "spec.nodeCount",
                format!("{n} is out of range; use 1 (standalone) or 3 to {MAX_MEMBERS} (cluster)"),
            );
            None
        }
    }
}

fn check_clustering(f: &mut Findings, spec: &Neo4jClusterSpec, members: i32) -> Option<Clustering> {
    if members == 1 {
        return None;
    }
    let minimum = spec.minimum_cluster_size.unwrap_or(members);
    let majority = members / 2 + 1;
    if minimum < majority || minimum > members {
        f.problem(
            "spec.minimumClusterSize",
            format!(
                "{minimum} must be a majority of nodeCount {members} and at most nodeCount: {majority} to {members}; a smaller formation quorum could let two halves bootstrap separate clusters"
            ),
        );
    }
    let topology = spec.topology.clone().unwrap_or_default();
    let primaries = topology.primaries.unwrap_or(members.min(3));
    if primaries < 1 || primaries > members {
        f.problem(
            "spec.topology.primaries",
            format!("{primaries} must be between 1 and nodeCount ({members})"),
        );
    } else if primaries < 3 {
        f.warning(
            "spec.topology.primaries",
            format!("{primaries} primaries cannot keep the default database writable when one fails; 3 can"),
        );
    } else if primaries % 2 == 0 {
        f.warning(
            "spec.topology.primaries",
            format!(
                "{primaries} primaries tolerate no more failures than {}",
                primaries - 1
            ),
        );
    }
    let secondaries = topology.secondaries.unwrap_or((members - primaries).max(0));
    if secondaries < 0 || primaries + secondaries > members || secondaries > 20 {
        f.problem(
            "spec.topology.secondaries",
            format!(
                "{secondaries} must be between 0 and nodeCount - primaries ({}) (Neo4j allows at most 20)",
                (members - primaries).clamp(0, 20)
            ),
        );
    }

    let discovery = spec.discovery.clone().unwrap_or_default();
    let resolver = match discovery.resolver_type.as_deref() {
        None => Resolver::K8s,
        Some(text) => Resolver::parse(text).unwrap_or_else(|| {
            f.problem(
                "spec.discovery.resolverType",
                format!("{text:?} is not a resolver; use LIST, SRV or K8S"),
            );
            Resolver::K8s
        }),
    };
    let port_name = discovery
        .port_name
        .unwrap_or_else(|| DEFAULT_PORT_NAME.to_string());
    if !is_port_name(&port_name) {
        f.problem(
            "spec.discovery.portName",
            format!("{port_name:?} is not a port name (at most 15 lowercase letters, digits and '-', with a letter)"),
        );
    } else if RESERVED_PORT_NAMES.contains(&port_name.as_str()) {
        f.problem(
            "spec.discovery.portName",
            format!("{port_name:?} is already used for another port; keep the default discovery"),
        );
    }
    let srv_wait_timeout_seconds = discovery.srv_wait_timeout_seconds.unwrap_or(600);
    if discovery.srv_wait_timeout_seconds.is_some() && resolver != Resolver::Srv {
        f.problem(
            "spec.discovery.srvWaitTimeoutSeconds",
            "only applies to resolverType SRV; remove it",
        );
    }
    if !(30..=3600).contains(&srv_wait_timeout_seconds) {
        f.problem(
            "spec.discovery.srvWaitTimeoutSeconds",
            format!("{srv_wait_timeout_seconds} must be between 30 and 3600"),
        );
    }
    if resolver == Resolver::List {
        f.warning(
            "spec.discovery.resolverType",
            "LIST names every member in neo4j.conf, so each scale operation restarts all members; K8S does not",
        );
    }
    Some(Clustering {
        minimum_cluster_size: minimum,
        primaries,
        secondaries,
        resolver,
        port_name,
        srv_wait_timeout_seconds,
        auto_enable_servers: spec.auto_enable_servers.unwrap_or(true),
    })
}

fn check_standalone_fields(f: &mut Findings, spec: &Neo4jClusterSpec, members: i32) {
    if spec.minimum_cluster_size.is_some_and(|m| m != members) {
        f.problem(
            "spec.minimumClusterSize",
            "a standalone server (nodeCount 1) forms no cluster; remove it or set 1",
        );
    }
    if let Some(resolver) = spec
        .discovery
        .as_ref()
        .and_then(|d| d.resolver_type.as_deref())
        && resolver != "LIST"
    {
        f.problem(
                "spec.discovery.resolverType",
                format!("{resolver:?} needs a cluster; a standalone server (nodeCount 1) uses no discovery, so remove it or use LIST"),
            );
    }
    if spec
        .discovery
        .as_ref()
        .is_some_and(|d| d.srv_wait_timeout_seconds.is_some())
    {
        f.problem(
            "spec.discovery.srvWaitTimeoutSeconds",
            "only applies to a cluster with resolverType SRV; remove it",
        );
    }
    if let Some(topology) = &spec.topology
        && (topology.primaries.is_some_and(|p| p != 1)
            || topology.secondaries.is_some_and(|s| s != 0))
    {
        f.problem(
            "spec.topology",
            "a standalone server hosts each database once: primaries 1, secondaries 0",
        );
    }
    if spec.auto_enable_servers == Some(true) {
        f.problem(
            "spec.autoEnableServers",
            "only applies to clusters (nodeCount 3 to 10); remove it",
        );
    }
}

fn check_storage(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<Storage> {
    let storage = spec.storage.clone().unwrap_or_default();
    let sku = storage.sku.unwrap_or_else(|| "Premium_LRS".to_string());
    let Some(sku_class) = default_storage_class(&sku) else {
        f.problem(
            "spec.storage.sku",
            format!("{sku:?} is not allowed; use Premium_LRS (default), PremiumV2_LRS or StandardSSD_LRS (HDD SKUs are too slow for Neo4j)"),
        );
        return None;
    };
    // StorageClass parameters are immutable and the class is shared by every cluster that names
    // it, so the default name carries the SKU: two clusters with different SKUs never collide.
    let class_name = storage.class_name.unwrap_or_else(|| sku_class.to_string());
    if !is_dns_subdomain(&class_name) {
        f.problem(
            "spec.storage.className",
            format!("{class_name:?} is not a StorageClass name"),
        );
    }
    let create_storage_class = storage.create_storage_class.unwrap_or(true);
    if !create_storage_class && spec.storage.as_ref().is_some_and(|s| s.sku.is_some()) {
        f.problem("spec.storage.sku", "only applies when neo4j-aks creates the StorageClass; remove it or set createStorageClass: true");
    }
    let disk_size_gi = storage.disk_size_gi.unwrap_or(DEFAULT_DISK_GI);
    if !(1..=MAX_DISK_GI).contains(&disk_size_gi) {
        f.problem(
            "spec.storage.diskSizeGi",
            format!("{disk_size_gi} must be between 1 and {MAX_DISK_GI} (GiB)"),
        );
        return None;
    }
    if disk_size_gi < DEFAULT_DISK_GI {
        f.warning(
            "spec.storage.diskSizeGi",
            format!("{disk_size_gi} GiB is below the 32 GiB production minimum"),
        );
    }
    Some(Storage {
        class_name,
        create_storage_class,
        sku,
        disk_size_gi,
    })
}

fn check_anti_affinity(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    members: Option<i32>,
) -> Option<AntiAffinity> {
    let anti = spec.pod_anti_affinity.clone().unwrap_or_default();
    let hard = match anti.mode.as_deref() {
        None | Some("Soft") => false,
        Some("Hard") => true,
        Some(other) => {
            f.problem(
                "spec.podAntiAffinity.mode",
                format!("{other:?} is not allowed; use Soft (default) or Hard"),
            );
            false
        }
    };
    let node_weight = anti.node_weight.unwrap_or(100);
    let zone_weight = anti.zone_weight.unwrap_or(50);
    for (path, weight) in [
        ("spec.podAntiAffinity.nodeWeight", node_weight),
        ("spec.podAntiAffinity.zoneWeight", zone_weight),
    ] {
        if !(1..=100).contains(&weight) {
            f.problem(path, format!("{weight} must be between 1 and 100"));
        }
    }
    let enabled = anti.enabled.unwrap_or(members.is_some_and(|m| m > 1));
    enabled.then_some(AntiAffinity {
        hard,
        node_weight,
        zone_weight,
    })
}

fn parse_quantity(text: &str) -> Result<ParsedQuantity, String> {
    ParsedQuantity::try_from(Quantity(text.to_string()))
        .map_err(|_| format!("{text:?} is not a Kubernetes quantity"))
}

fn quantity_bytes(text: &str) -> Result<i64, String> {
    let bytes = parse_quantity(text)?
        .to_bytes_i64()
        .ok_or_else(|| format!("{text:?} is not a whole number of bytes"))?;
    if bytes <= 0 {
        Err(format!("{text:?} must be positive"))
    } else {
        Ok(bytes)
    }
}

fn check_resources(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<Resources> {
    let resources = spec.resources.clone().unwrap_or_default();
    let cpu = resources.cpu.unwrap_or_else(|| DEFAULT_CPU.to_string());
    match parse_quantity(&cpu).map(|q| q.to_bytes_f64()) {
        Ok(Some(cores)) if cores >= 0.5 => {}
        Ok(_) => f.problem(
            "spec.resources.cpu",
            format!("{cpu:?} is below the 0.5 CPU Neo4j needs; 2 is the production minimum"),
        ),
        Err(e) => f.problem("spec.resources.cpu", format!("{e}; e.g. 2 or 1500m")),
    }
    let memory = resources
        .memory
        .unwrap_or_else(|| DEFAULT_MEMORY.to_string());
    let memory_bytes = match quantity_bytes(&memory) {
        Ok(bytes) if bytes >= MIN_MEMORY => bytes,
        Ok(_) => {
            f.problem(
                "spec.resources.memory",
                format!("{memory:?} is below the 2Gi Neo4j needs; 8Gi is the production minimum"),
            );
            return None;
        }
        Err(e) => {
            f.problem("spec.resources.memory", format!("{e}; e.g. 8Gi"));
            return None;
        }
    };
    Some(Resources {
        cpu,
        memory,
        memory_bytes,
    })
}

/// Heap and page cache must fit the container with headroom, or the kernel OOM-kills Neo4j.
fn check_memory(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    resources: &Resources,
) -> Option<Memory> {
    let memory = spec.memory.clone().unwrap_or_default();
    let available = resources.memory_bytes - MEMORY_HEADROOM;
    let margin = MEMORY_HEADROOM.max(resources.memory_bytes / 100 * NATIVE_MARGIN_PERCENT);
    let comfortable = resources.memory_bytes - margin;
    let mut field = |path: &str, value: Option<String>| -> Result<Option<i64>, ()> {
        match value.as_deref().map(quantity_bytes) {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes / MIB * MIB)),
            Some(Err(e)) => {
                f.problem(path, format!("{e}; e.g. 4Gi"));
                Err(())
            }
        }
    };
    let heap = field("spec.memory.heap", memory.heap);
    let page_cache = field("spec.memory.pageCache", memory.page_cache);
    let (Ok(heap), Ok(page_cache)) = (heap, page_cache) else {
        return None;
    };
    let (heap, page_cache) = match (heap, page_cache) {
        (Some(h), Some(p)) => (h, p),
        (Some(h), None) => (h, comfortable.saturating_sub(h) / MIB * MIB),
        (None, Some(p)) => (
            (comfortable.saturating_sub(p) / MIB * MIB).min(MAX_USEFUL_HEAP),
            p,
        ),
        (None, None) => {
            let heap = (comfortable / 2 / MIB * MIB).min(MAX_USEFUL_HEAP);
            (heap, (comfortable - heap) / MIB * MIB)
        }
    };
    let mut ok = true;
    if heap.saturating_add(page_cache) > available {
        f.problem(
            "spec.memory",
            format!(
                "heap ({}) + page cache ({}) + 1Gi headroom exceeds resources.memory ({}); lower them or raise the memory limit",
                show_bytes(heap),
                show_bytes(page_cache),
                resources.memory
            ),
        );
        ok = false;
    } else if heap.saturating_add(page_cache) > comfortable {
        f.warning(
            "spec.memory",
            format!(
                "heap ({}) + page cache ({}) leave {} of resources.memory ({}) for the JVM's native memory and the kernel; keep at least {} (10% above 10Gi) or the container may be OOM-killed under load",
                show_bytes(heap),
                show_bytes(page_cache),
                show_bytes(resources.memory_bytes - heap - page_cache),
                resources.memory,
                show_bytes(margin / MIB * MIB)
            ),
        );
    }
    if heap < MIN_HEAP {
        f.problem(
            "spec.memory.heap",
            format!("{} is below the 256Mi minimum", show_bytes(heap)),
        );
        ok = false;
    }
    if page_cache < MIN_PAGE_CACHE {
        f.problem(
            "spec.memory.pageCache",
            format!("{} is below the 64Mi minimum", show_bytes(page_cache)),
        );
        ok = false;
    }
    if heap > MAX_USEFUL_HEAP {
        f.warning(
            "spec.memory.heap",
            "above 31Gi the JVM loses compressed pointers; give the memory to the page cache",
        );
    }
    ok.then_some(Memory {
        heap_bytes: heap,
        page_cache_bytes: page_cache,
    })
}

/// Binary size in the units people read: `3584Mi`, `4Gi`.
pub fn show_bytes(bytes: i64) -> String {
    if bytes % GIB == 0 {
        format!("{}Gi", bytes / GIB)
    } else {
        format!("{}Mi", bytes / MIB)
    }
}

fn check_load_balancer(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<LoadBalancer> {
    let lb = spec
        .service
        .as_ref()
        .and_then(|s| s.load_balancer.clone())
        .unwrap_or_default();
    if lb.enabled == Some(false) {
        return None;
    }
    const PREFIX: &str = "service.beta.kubernetes.io/";
    let mut annotations = check_annotations(
        f,
        "spec.service.loadBalancer.annotations",
        lb.annotations.as_ref(),
    );
    let internal = lb.internal.unwrap_or(false);
    if internal {
        annotations.insert(
            format!("{PREFIX}azure-load-balancer-internal"),
            "true".into(),
        );
    }
    if let Some(group) = lb.static_ip_resource_group {
        if group.is_empty() || group.len() > 90 || group.ends_with('.') {
            f.problem(
                "spec.service.loadBalancer.staticIpResourceGroup",
                format!("{group:?} is not an Azure resource group name"),
            );
        }
        annotations.insert(format!("{PREFIX}azure-load-balancer-resource-group"), group);
    }
    if let Some(ip) = lb.static_ip {
        if !matches!(ip.parse::<IpAddr>(), Ok(IpAddr::V4(_))) {
            f.problem(
                "spec.service.loadBalancer.staticIp",
                format!("{ip:?} is not an IPv4 address"),
            );
        }
        annotations.insert(format!("{PREFIX}azure-load-balancer-ipv4"), ip);
    }
    if let Some(label) = lb.dns_label {
        if internal {
            f.problem(
                "spec.service.loadBalancer.dnsLabel",
                "Azure DNS labels name public IPs; an internal load balancer has none",
            );
        }
        if !is_dns_label(&label) {
            f.problem(
                "spec.service.loadBalancer.dnsLabel",
                format!("{label:?} is not a DNS label"),
            );
        }
        annotations.insert(format!("{PREFIX}azure-dns-label-name"), label);
    }
    let source_ranges = lb.load_balancer_source_ranges.unwrap_or_default();
    for (i, range) in source_ranges.iter().enumerate() {
        if !is_cidr(range) {
            f.problem(
                format!("spec.service.loadBalancer.loadBalancerSourceRanges[{i}]"),
                format!("{range:?} is not a CIDR such as 203.0.113.0/24"),
            );
        }
    }
    if !internal && source_ranges.is_empty() {
        f.warning("spec.service.loadBalancer", "a public load balancer open to any address; set loadBalancerSourceRanges or internal: true");
    }
    Some(LoadBalancer {
        annotations,
        source_ranges,
    })
}

fn check_auth(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    name: Option<&str>,
) -> Option<PasswordSource> {
    match spec
        .auth
        .as_ref()
        .and_then(|a| a.password_secret_ref.clone())
    {
        None => name.map(|n| PasswordSource::Generated {
            secret: format!("{n}-secrets"),
            key: DEFAULT_PASSWORD_KEY.into(),
        }),
        Some(reference) => {
            let key = reference
                .key
                .unwrap_or_else(|| DEFAULT_PASSWORD_KEY.to_string());
            if key.is_empty()
                || key.len() > 253
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            {
                f.problem(
                    "spec.auth.passwordSecretRef.key",
                    format!("{key:?} is not a Secret key (letters, digits, '-', '_', '.')"),
                );
            }
            match reference.name {
                Some(secret) if is_dns_subdomain(&secret) => {
                    Some(PasswordSource::Existing { secret, key })
                }
                Some(secret) => {
                    f.problem(
                        "spec.auth.passwordSecretRef.name",
                        format!("{secret:?} is not a Secret name"),
                    );
                    None
                }
                None => {
                    f.problem(
                        "spec.auth.passwordSecretRef.name",
                        "required: the Secret holding the password",
                    );
                    None
                }
            }
        }
    }
}

/// Settings neo4j-aks derives itself, and the spec field that controls each instead.
pub fn managed_setting(name: &str) -> Option<&'static str> {
    const MANAGED: &[(&str, &str)] = &[
        ("server.memory.heap.initial_size", "spec.memory.heap"),
        ("server.memory.heap.max_size", "spec.memory.heap"),
        ("server.memory.pagecache.size", "spec.memory.pageCache"),
        (
            "dbms.cluster.discovery.resolver_type",
            "spec.discovery.resolverType",
        ),
        (
            "dbms.cluster.discovery.version",
            "spec.neo4jVersion (5.26 runs discovery V2_ONLY)",
        ),
        ("dbms.cluster.discovery.v2.endpoints", "spec.discovery"),
        ("dbms.cluster.discovery.endpoints", "spec.discovery"),
        ("dbms.cluster.endpoints", "spec.discovery"),
        ("dbms.kubernetes.label_selector", "spec.discovery"),
        (
            "dbms.kubernetes.service_port_name",
            "spec.discovery.portName",
        ),
        (
            "dbms.kubernetes.discovery.v2.service_port_name",
            "spec.discovery.portName",
        ),
        (
            "dbms.kubernetes.discovery.service_port_name",
            "spec.discovery.portName",
        ),
        ("dbms.kubernetes.cluster_domain", "spec.clusterDomain"),
        (
            "dbms.cluster.minimum_initial_system_primaries_count",
            "spec.minimumClusterSize",
        ),
        (
            "initial.dbms.default_primaries_count",
            "spec.topology.primaries",
        ),
        (
            "initial.dbms.default_secondaries_count",
            "spec.topology.secondaries",
        ),
        (
            "initial.dbms.automatically_enable_free_servers",
            "spec.autoEnableServers",
        ),
        (
            "dbms.routing.enabled",
            "nothing: server-side routing is required behind the load balancer",
        ),
        (
            "dbms.routing.default_router",
            "nothing: server-side routing is required behind the load balancer",
        ),
        (
            "dbms.security.cluster_status_auth_enabled",
            "nothing: the readiness probe reads the cluster status endpoint",
        ),
        (
            "server.default_listen_address",
            "nothing: member addresses are derived from the pod identity",
        ),
        (
            "server.default_advertised_address",
            "nothing: member addresses are derived from the pod identity",
        ),
    ];
    if let Some((_, field)) = MANAGED.iter().find(|(n, _)| *n == name) {
        return Some(field);
    }
    let address = name.ends_with(".listen_address") || name.ends_with(".advertised_address");
    if address
        && [
            "server.cluster.",
            "server.routing.",
            "server.bolt.",
            "server.http.",
            "server.https.",
            "server.backup.",
            "server.discovery.",
        ]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return Some("nothing: member addresses are derived from the pod identity");
    }
    if name.starts_with("server.directories.") || name.starts_with("server.metrics.csv.") {
        return Some(
            "nothing: the root filesystem is read-only and Neo4j writes only to the data volume and the pod's scratch volumes (CSV metrics are off; metrics come from Prometheus)",
        );
    }
    if name.starts_with("dbms.ssl.policy.") || name == "server.bolt.tls_level" {
        return Some("spec.tls (in a later release)");
    }
    if name.starts_with("server.metrics.prometheus.") {
        return Some("spec.monitoring (in a later release)");
    }
    None
}

fn check_config(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    version: &Neo4jVersion,
) -> BTreeMap<String, String> {
    let catalog = Catalog::for_dialect(version.dialect());
    let config = spec.config.clone().unwrap_or_default();
    for (name, value) in &config {
        let path = format!("spec.config[{name:?}]");
        if let Some(field) = managed_setting(name) {
            f.problem(path, format!("is set by neo4j-aks; use {field}"));
        } else if !catalog.contains(name) {
            let hint = match catalog.closest(name) {
                Some(near) => format!("; did you mean {near}?"),
                None => String::new(),
            };
            f.problem(
                path,
                format!("{name} is not a Neo4j {version} setting{hint}"),
            );
        } else if value.contains(['\n', '\r']) {
            f.problem(path, "values must be a single line");
        } else if name == "server.jvm.additional" {
            f.problem(path, "server.jvm.additional takes several lines; it is not supported through spec.config yet");
        }
    }
    config
}

fn check_scheduling(f: &mut Findings, spec: &Neo4jClusterSpec) -> Scheduling {
    let scheduling = spec.scheduling.clone().unwrap_or_default();
    let node_selector = scheduling.node_selector.unwrap_or_default();
    for (key, value) in &node_selector {
        if !is_qualified_name(key) || !is_label_value(value) {
            f.problem(
                format!("spec.scheduling.nodeSelector[{key:?}]"),
                "is not a valid label key/value pair",
            );
        }
    }
    if let Some(name) = &scheduling.priority_class_name
        && !is_dns_subdomain(name)
    {
        f.problem(
            "spec.scheduling.priorityClassName",
            format!("{name:?} is not a PriorityClass name"),
        );
    }
    let tolerations = scheduling.tolerations.unwrap_or_default();
    for (i, toleration) in tolerations.iter().enumerate() {
        match toleration.operator.as_deref() {
            None | Some("Equal") | Some("Exists") => {}
            Some(other) => f.problem(
                format!("spec.scheduling.tolerations[{i}].operator"),
                format!("{other:?} is not Equal or Exists"),
            ),
        }
        if let Some(effect) = toleration.effect.as_deref()
            && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect)
        {
            f.problem(
                format!("spec.scheduling.tolerations[{i}].effect"),
                format!("{effect:?} is not NoSchedule, PreferNoSchedule or NoExecute"),
            );
        }
    }
    Scheduling {
        node_selector,
        tolerations,
        priority_class_name: scheduling.priority_class_name,
    }
}

fn check_labels(f: &mut Findings, spec: &Neo4jClusterSpec) -> BTreeMap<String, String> {
    let labels = spec.labels.clone().unwrap_or_default();
    for (key, value) in &labels {
        let path = format!("spec.labels[{key:?}]");
        if RESERVED_LABEL_PREFIXES.iter().any(|p| key.starts_with(p)) {
            f.problem(
                path,
                "is set by neo4j-aks (it selects the member pods); choose another key",
            );
        } else if !is_qualified_name(key) {
            f.problem(
                path,
                "is not a label key ([prefix/]name, name at most 63 characters)",
            );
        } else if !is_label_value(value) {
            f.problem(
                path,
                format!(
                    "{value:?} is not a label value (at most 63 letters, digits, '-', '_', '.')"
                ),
            );
        }
    }
    labels
}

/// `neo4j-aks.io/restart-requested-at` must be an RFC 3339 timestamp (what `kubectl rollout
/// restart` and the CLI write), so a typo is reported instead of silently rolling the cluster.
fn check_restart_request(f: &mut Findings, cluster: &Neo4jCluster) -> Option<String> {
    use crate::operation::RESTART_REQUESTED_ANNOTATION;
    let value = cluster
        .metadata
        .annotations
        .as_ref()?
        .get(RESTART_REQUESTED_ANNOTATION)?;
    match value.trim().parse::<k8s_openapi::jiff::Timestamp>() {
        Ok(_) => Some(value.trim().to_string()),
        Err(_) => {
            f.problem(
                format!("metadata.annotations[{RESTART_REQUESTED_ANNOTATION}]"),
                format!(
                    "{value:?} is not an RFC 3339 timestamp; use e.g. \"2026-11-26T13:00:00Z\" (a new value restarts every member once)"
                ),
            );
            None
        }
    }
}

fn check_annotations(
    f: &mut Findings,
    path: &str,
    annotations: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let annotations = annotations.cloned().unwrap_or_default();
    for key in annotations.keys() {
        if !is_qualified_name(key) {
            f.problem(
                format!("{path}[{key:?}]"),
                "is not an annotation key ([prefix/]name)",
            );
        } else if key.starts_with("neo4j-aks.io/") {
            f.problem(
                format!("{path}[{key:?}]"),
                "the neo4j-aks.io/ prefix is reserved",
            );
        }
    }
    annotations
}

fn check_dns_lengths(cluster: &ValidatedCluster) -> Result<(), Invalid> {
    let longest = cluster.member_fqdn(cluster.members - 1);
    if longest.len() > 253 {
        return Err(Invalid::single(
            "metadata.namespace",
            format!(
                "member address {longest} exceeds 253 characters; shorten the name, namespace or clusterDomain"
            ),
        ));
    }
    Ok(())
}

pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// IANA service name, which Kubernetes requires of named ports.
pub fn is_port_name(s: &str) -> bool {
    is_dns_label(s)
        && s.len() <= 15
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.contains("--")
}

pub fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

pub fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, s),
    };
    prefix.is_none_or(is_dns_subdomain) && !name.is_empty() && is_label_value(name)
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, prefix)) = s.split_once('/') else {
        return false;
    };
    match (ip.parse::<IpAddr>(), prefix.parse::<u8>()) {
        (Ok(IpAddr::V4(_)), Ok(p)) => p <= 32,
        (Ok(IpAddr::V6(_)), Ok(p)) => p <= 128,
        _ => false,
    }
}

/// The backup section; `Some` only when it is enabled (every field is checked either way, so a
/// disabled section cannot hide a mistake until the day it is turned on).
fn check_backup(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    name: Option<&str>,
    edition: Edition,
    disk_size_gi: Option<i32>,
) -> Option<Backup> {
    let backup = spec.backup.as_ref()?;
    let enabled = backup.enabled == Some(true);
    if enabled && edition == Edition::Community {
        f.problem(
            "spec.backup.enabled",
            "online backups (neo4j-admin database backup) need Neo4j Enterprise; use edition enterprise or disable backups",
        );
    }
    for (path, schedule) in [
        ("spec.backup.schedule", backup.schedule.as_deref()),
        (
            "spec.backup.verification.schedule",
            backup
                .verification
                .as_ref()
                .and_then(|v| v.schedule.as_deref()),
        ),
    ] {
        if let Some(Err(e)) = schedule.map(crate::schedule::check) {
            f.problem(path, e);
        }
    }
    let backup_type = match backup.backup_type.as_deref() {
        None | Some("AUTO") => BackupType::Auto,
        Some("FULL") => BackupType::Full,
        Some("DIFF") => BackupType::Diff,
        Some(kind) => {
            f.problem(
                "spec.backup.type",
                format!("{kind:?} is not a backup type; use AUTO (default), FULL or DIFF"),
            );
            BackupType::Auto
        }
    };
    for (i, database) in backup.databases.iter().flatten().enumerate() {
        let valid = database == "*"
            || (!database.is_empty()
                && database.len() <= 63
                && database
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-*".contains(c)));
        if !valid {
            f.problem(
                format!("spec.backup.databases[{i}]"),
                format!("{database:?} is not a database name or pattern"),
            );
        }
    }
    if backup.databases.as_ref().is_some_and(Vec::is_empty) {
        f.problem(
            "spec.backup.databases",
            "an empty list backs up nothing; leave it out to back up every database (\"*\")",
        );
    }
    let blob = check_blob_location(
        f,
        "spec.backup",
        BlobAccess {
            target: backup.target.as_ref(),
            credentials: backup.credentials.as_ref(),
            default_container: name.map(|n| format!("neo4j-backups-{n}")),
            required: enabled.then_some("backups are enabled"),
            identity_account: "the <name>-backup ServiceAccount",
        },
    );
    let mut counts = [7u32, 4, 12];
    if let Some(retention) = &backup.retention {
        for (slot, (path, value)) in counts.iter_mut().zip([
            ("spec.backup.retention.daily", retention.daily),
            ("spec.backup.retention.weekly", retention.weekly),
            ("spec.backup.retention.monthly", retention.monthly),
        ]) {
            match value {
                Some(n) if (0..=1000).contains(&n) => *slot = n.unsigned_abs(),
                Some(n) => f.problem(path, format!("{n} must be between 0 and 1000")),
                None => {}
            }
        }
    }
    let temp_size_gi = backup.temp_size_gi.or(disk_size_gi).unwrap_or(1);
    if !(1..=65536).contains(&temp_size_gi) {
        f.problem(
            "spec.backup.tempSizeGi",
            format!("{temp_size_gi} must be between 1 and 65536 (GiB)"),
        );
    }
    let verification = backup.verification.clone().unwrap_or_default();
    let verification_schedule = (verification.enabled != Some(false)).then(|| {
        verification
            .schedule
            .clone()
            .unwrap_or_else(|| "0 4 * * 0".to_string())
    });
    // The API server refuses CronJob names over 52 characters (its Jobs append a suffix).
    if enabled
        && let (Some(name), Some(_)) = (name, &verification_schedule)
        && format!("{name}-backup-verification").len() > 52
    {
        f.problem(
            "spec.backup.verification",
            format!(
                "the CronJob {name}-backup-verification would have {} characters and Kubernetes allows 52 for CronJob names; use a cluster name of at most 32 characters, or verification.enabled: false",
                name.len() + "-backup-verification".len()
            ),
        );
    }
    if !enabled {
        return None;
    }
    Some(Backup {
        schedule: backup
            .schedule
            .clone()
            .unwrap_or_else(|| "0 2 * * *".to_string()),
        suspend: backup.suspend == Some(true),
        databases: backup
            .databases
            .clone()
            .unwrap_or_else(|| vec!["*".to_string()]),
        backup_type,
        blob: blob?,
        retention: BackupRetention {
            daily: counts[0],
            weekly: counts[1],
            monthly: counts[2],
        },
        temp_size_gi,
        verification_schedule,
    })
}

/// `spec.bootstrap`; `Some` when it names backups to seed from.
fn check_bootstrap(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    name: Option<&str>,
    edition: Edition,
    disk_size_gi: Option<i32>,
) -> Option<Bootstrap> {
    let bootstrap = spec.bootstrap.as_ref()?;
    let Some(from) = bootstrap.from_backup.as_ref() else {
        f.problem(
            "spec.bootstrap.fromBackup",
            "required inside spec.bootstrap: the backups to seed the new cluster from (or remove spec.bootstrap)",
        );
        return None;
    };
    if edition == Edition::Community {
        f.problem(
            "spec.bootstrap.fromBackup",
            "seeding databases from a backup (CREATE DATABASE ... seedURI) needs Neo4j Enterprise; use edition enterprise",
        );
    }
    let mut source_cluster = from.source_cluster.clone().or(name.map(str::to_string));
    if let Some(source) = source_cluster.as_deref()
        && (!is_dns_label(source) || source.len() > MAX_NAME_LENGTH)
    {
        f.problem(
            "spec.bootstrap.fromBackup.sourceCluster",
            format!("{source:?} is not a Neo4jCluster name (a DNS label of at most {MAX_NAME_LENGTH} characters)"),
        );
        // Reported once: the container derived from it would only repeat the problem.
        source_cluster = None;
    }
    let blob = check_blob_location(
        f,
        "spec.bootstrap.fromBackup",
        BlobAccess {
            target: from.target.as_ref(),
            credentials: from.credentials.as_ref(),
            default_container: source_cluster
                .as_ref()
                .map(|n| format!("neo4j-backups-{n}")),
            required: Some("seeding from a backup"),
            identity_account: "this cluster's member ServiceAccount",
        },
    );
    let databases = from.databases.clone().unwrap_or_default();
    if databases.is_empty() {
        f.problem(
            "spec.bootstrap.fromBackup.databases",
            "required: the databases to restore by name, e.g. [neo4j, sales]",
        );
    }
    for (i, database) in databases.iter().enumerate() {
        let path = format!("spec.bootstrap.fromBackup.databases[{i}]");
        if database == "system" {
            f.problem(
                path,
                "system cannot be seeded; users and roles come from each backup's metadata script (docs/runbooks/restore-cluster.md)",
            );
        } else if !is_database_name(database) {
            f.problem(
                path,
                format!("{database:?} is not a database name (3 to 63 lowercase letters, digits, '.' and '-', a letter first, no '.' or '-' last, not starting with \"system\"; no patterns)"),
            );
        } else if databases[..i].contains(database) {
            f.problem(path, format!("{database:?} is listed twice"));
        }
    }
    let not_after = match from.not_after.as_deref() {
        None => None,
        Some(text) => match text.parse::<k8s_openapi::jiff::Timestamp>() {
            Ok(t) => Some(t.to_string()),
            Err(e) => {
                f.problem(
                    "spec.bootstrap.fromBackup.notAfter",
                    format!("{text:?} is not an RFC 3339 time such as 2026-11-20T00:00:00Z ({e})"),
                );
                None
            }
        },
    };
    let seed_size_gi = from.seed_size_gi.or(disk_size_gi).unwrap_or(1);
    if !(1..=65536).contains(&seed_size_gi) {
        f.problem(
            "spec.bootstrap.fromBackup.seedSizeGi",
            format!("{seed_size_gi} must be between 1 and 65536 (GiB)"),
        );
    }
    Some(Bootstrap {
        source_cluster: source_cluster?,
        blob: blob?,
        databases,
        not_after,
        seed_size_gi,
    })
}

/// Neo4j's rules for database names (Operations Manual, "Naming rules for databases"): 3 to 63
/// characters, letters, digits, dots and dashes, a letter first (a digit only from 2025.01), no
/// dot or dash last, the `system` prefix reserved. Names are case-insensitive and Neo4j lists them
/// lowercased, so only lowercase is accepted here: the operator compares them with SHOW DATABASES.
fn is_database_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with(['.', '-'])
        && !name.starts_with("system")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

/// A blob location as `spec.backup` and `spec.bootstrap.fromBackup` write it.
struct BlobAccess<'a> {
    target: Option<&'a BackupTarget>,
    credentials: Option<&'a BackupCredentials>,
    default_container: Option<String>,
    /// Why account and credentials must be present (`None`: only check what is written).
    required: Option<&'static str>,
    /// Who the workload identity is federated with, for the message.
    identity_account: &'static str,
}

/// Checks target and credentials under `path`; `None` when something is missing or invalid
/// (each reported).
fn check_blob_location(
    f: &mut Findings,
    path: &str,
    access: BlobAccess<'_>,
) -> Option<BlobLocation> {
    let target = access.target.cloned().unwrap_or_default();
    let account = match target.storage_account.as_deref() {
        None => {
            if let Some(why) = access.required {
                f.problem(
                    format!("{path}.target.storageAccount"),
                    format!("required when {why}: the Azure Storage account of the backups"),
                );
            }
            None
        }
        Some(account)
            if !(3..=24).contains(&account.len())
                || !account
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
        {
            f.problem(
                format!("{path}.target.storageAccount"),
                format!("{account:?} is not an Azure Storage account name (3 to 24 lowercase letters and digits)"),
            );
            None
        }
        Some(account) => Some(account.to_string()),
    };
    let container = target.container.clone().or(access.default_container);
    if let Some(container) = container.as_deref()
        && (!(3..=63).contains(&container.len())
            || !is_dns_label(container)
            || container.contains("--"))
    {
        f.problem(
            format!("{path}.target.container"),
            format!("{container:?} is not a blob container name (3 to 63 lowercase letters, digits and single '-')"),
        );
    }
    let prefix = target.prefix.clone().unwrap_or_default();
    if !prefix.is_empty()
        && prefix.split('/').any(|segment| {
            segment.is_empty()
                || !segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
    {
        f.problem(
            format!("{path}.target.prefix"),
            format!("{prefix:?} is not a blob path prefix (segments of letters, digits, '.', '_', '-' separated by single '/')"),
        );
    }
    let credentials = access.credentials.cloned().unwrap_or_default();
    let credential = match (
        &credentials.workload_identity_client_id,
        &credentials.account_key_secret_ref,
    ) {
        (Some(_), Some(_)) => {
            f.problem(
                format!("{path}.credentials"),
                "choose one: workloadIdentityClientId or accountKeySecretRef",
            );
            None
        }
        (Some(id), None) if !is_guid(id) => {
            f.problem(
                format!("{path}.credentials.workloadIdentityClientId"),
                format!("{id:?} is not a client ID (a GUID such as 00000000-0000-0000-0000-000000000000)"),
            );
            None
        }
        (Some(id), None) => Some(BackupCredential::WorkloadIdentity {
            client_id: id.clone(),
        }),
        (None, Some(secret)) => {
            let key = secret
                .key
                .clone()
                .unwrap_or_else(|| "azurestorageaccountkey".to_string());
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            {
                f.problem(
                    format!("{path}.credentials.accountKeySecretRef.key"),
                    format!("{key:?} is not a Secret key (letters, digits, '-', '_', '.')"),
                );
            }
            match secret.name.clone() {
                Some(name) if is_dns_subdomain(&name) => {
                    Some(BackupCredential::AccountKey { secret: name, key })
                }
                _ => {
                    f.problem(
                        format!("{path}.credentials.accountKeySecretRef.name"),
                        "required: the Secret holding the storage account key",
                    );
                    None
                }
            }
        }
        (None, None) => {
            if let Some(why) = access.required {
                f.problem(
                    format!("{path}.credentials"),
                    format!(
                        "required when {why}: workloadIdentityClientId (the managed identity federated with {}) or accountKeySecretRef",
                        access.identity_account
                    ),
                );
            }
            None
        }
    };
    Some(BlobLocation {
        storage_account: account?,
        container: container?,
        prefix,
        credential: credential?,
    })
}

fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}
