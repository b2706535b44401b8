//! Defaults applied by validation, and the rules that need more than a field path to explain.

use neo4j_aks_model::validated::{DeletionPolicy, GIB, MIB, PasswordSource, Resolver};
use neo4j_aks_model::{Neo4jCluster, validate};

fn cluster(extra: &str, nodes: i32) -> Neo4jCluster {
    Neo4jCluster::from_yaml(&format!(
        "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: neo4j\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: {nodes}\n{extra}"
    ))
    .expect("the fixture parses")
}

#[test]
fn a_minimal_cluster_gets_production_defaults() {
    let v = validate(&cluster("", 3)).expect("valid");
    assert_eq!(v.namespace, "neo4j");
    assert_eq!(v.image.reference, "neo4j:5.26.16-enterprise");
    assert_eq!(v.image.pull_policy, "IfNotPresent");
    let c = v.clustering.as_ref().expect("a cluster");
    assert_eq!(
        (c.minimum_cluster_size, c.primaries, c.secondaries),
        (3, 3, 0)
    );
    assert_eq!(c.resolver, Resolver::K8s);
    assert_eq!(c.port_name, "discovery");
    assert!(c.auto_enable_servers);
    assert_eq!(
        (
            v.storage.class_name.as_str(),
            v.storage.sku.as_str(),
            v.storage.disk_size_gi
        ),
        ("neo4j-premium", "Premium_LRS", 32)
    );
    let anti = v.anti_affinity.as_ref().expect("spread by default");
    assert_eq!(
        (anti.hard, anti.node_weight, anti.zone_weight),
        (false, 100, 50)
    );
    assert_eq!(
        (v.resources.cpu.as_str(), v.resources.memory.as_str()),
        ("2", "8Gi")
    );
    assert_eq!(
        (v.memory.heap_bytes, v.memory.page_cache_bytes),
        (3584 * MIB, 3584 * MIB)
    );
    assert_eq!(
        v.password,
        PasswordSource::Generated {
            secret: "neo4j-secrets".into(),
            key: "NEO4J_AUTH".into()
        }
    );
    assert_eq!(v.deletion_policy, DeletionPolicy::Retain);
    assert!(v.load_balancer.is_some());
}

#[test]
fn five_members_default_to_three_primaries_and_two_secondaries() {
    let v = validate(&cluster("", 5)).expect("valid");
    let c = v.clustering.expect("a cluster");
    assert_eq!(
        (c.minimum_cluster_size, c.primaries, c.secondaries),
        (5, 3, 2)
    );
}

#[test]
fn a_standalone_server_has_no_cluster_machinery() {
    let v = validate(&cluster("", 1)).expect("valid");
    assert!(v.clustering.is_none());
    assert!(v.anti_affinity.is_none());
}

#[test]
fn memory_is_derived_to_fit_the_limit_with_headroom() {
    let v = validate(&cluster(
        "  resources:\n    memory: 16Gi\n  memory:\n    heap: 4Gi\n",
        3,
    ))
    .expect("valid");
    // Above 10Gi the margin for native memory is 10% of the limit: 16Gi - 1.6Gi - 4Gi.
    assert_eq!(
        (v.memory.heap_bytes, v.memory.page_cache_bytes),
        (4 * GIB, 10649 * MIB)
    );
    assert!(
        !v.warnings
            .iter()
            .any(|w| w.to_string().contains("spec.memory")),
        "{:?}",
        v.warnings
    );
    let v = validate(&cluster("  resources:\n    memory: 128Gi\n", 3)).expect("valid");
    assert_eq!(
        v.memory.heap_bytes,
        31 * GIB,
        "heap stops where compressed pointers end"
    );
    let used = v.memory.heap_bytes + v.memory.page_cache_bytes;
    let margin = 128 * GIB / 10;
    assert!(used <= 128 * GIB - margin && used > 128 * GIB - margin - MIB);
    let v = validate(&cluster("  resources:\n    memory: 2Gi\n", 3)).expect("valid");
    assert_eq!(
        (v.memory.heap_bytes, v.memory.page_cache_bytes),
        (512 * MIB, 512 * MIB)
    );
}

#[test]
fn a_thin_margin_for_native_memory_is_warned_about() {
    let v = validate(&cluster(
        "  resources:\n    memory: 16Gi\n  memory:\n    heap: 8Gi\n    pageCache: 6656Mi\n",
        3,
    ))
    .expect("1.5Gi of headroom is above the manual's 1Gi");
    let warnings: Vec<String> = v.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings.iter().any(|w| w.contains("spec.memory")
            && w.contains("leave 1536Mi")
            && w.contains("keep at least 1638Mi")),
        "{warnings:?}"
    );
}

#[test]
fn an_exact_fit_is_accepted_and_one_mebibyte_more_is_not() {
    assert!(
        validate(&cluster(
            "  memory:\n    heap: 4Gi\n    pageCache: 3Gi\n",
            3
        ))
        .is_ok()
    );
    let invalid = validate(&cluster(
        "  memory:\n    heap: 4Gi\n    pageCache: 3073Mi\n",
        3,
    ))
    .expect_err("too big");
    assert_eq!(invalid.problems[0].path, "spec.memory");
}

#[test]
fn azure_load_balancer_options_become_annotations() {
    let v = validate(&cluster(
        "  service:\n    loadBalancer:\n      staticIp: 20.1.2.3\n      staticIpResourceGroup: rg-net\n      dnsLabel: graph\n      annotations:\n        service.beta.kubernetes.io/azure-pip-tags: team=graph\n",
        3,
    ))
    .expect("valid");
    let a = v.load_balancer.expect("enabled").annotations;
    assert_eq!(
        a["service.beta.kubernetes.io/azure-load-balancer-ipv4"],
        "20.1.2.3"
    );
    assert_eq!(
        a["service.beta.kubernetes.io/azure-load-balancer-resource-group"],
        "rg-net"
    );
    assert_eq!(
        a["service.beta.kubernetes.io/azure-dns-label-name"],
        "graph"
    );
    assert_eq!(a["service.beta.kubernetes.io/azure-pip-tags"], "team=graph");
}

#[test]
fn even_member_counts_warn_but_pass() {
    let v = validate(&cluster("", 6)).expect("valid");
    assert!(v.warnings.iter().any(|w| w.path == "spec.nodeCount"));
}

#[test]
fn config_names_are_checked_against_the_target_line() {
    let ok = cluster(
        "  config:\n    dbms.cypher.transactions.default_subquery_retry_timeout: 30s\n",
        3,
    );
    assert!(
        validate(&ok).is_err(),
        "a 2025-only setting is refused on 5.26"
    );
    let mut on_2025 = ok.clone();
    on_2025.spec.neo4j_version = Some("2025.10.1".into());
    assert!(validate(&on_2025).is_ok());
}

#[test]
fn the_default_storage_class_name_carries_the_sku() {
    let v2 = validate(&cluster("  storage:\n    sku: PremiumV2_LRS\n", 3)).expect("valid");
    assert_eq!(v2.storage.class_name, "neo4j-premiumv2");
    let ssd = validate(&cluster("  storage:\n    sku: StandardSSD_LRS\n", 3)).expect("valid");
    assert_eq!(ssd.storage.class_name, "neo4j-standardssd");
    let named = validate(&cluster(
        "  storage:\n    className: fast\n    sku: PremiumV2_LRS\n",
        3,
    ))
    .expect("valid");
    assert_eq!(named.storage.class_name, "fast");
}

#[test]
fn a_complete_backup_section_is_checked_and_enabled_with_its_defaults() {
    let section = "  backup:\n    enabled: false\n    schedule: \"30 1 * * *\"\n    databases: [\"neo4j\", \"system\"]\n    type: AUTO\n    target:\n      storageAccount: graphbackups01\n      container: neo4j-backups-neo4j\n      prefix: prod\n    credentials:\n      workloadIdentityClientId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n    retention:\n      daily: 7\n      weekly: 4\n      monthly: 12\n    suspend: false\n    verification:\n      schedule: \"@weekly\"\n";
    assert!(validate(&cluster(section, 3)).is_ok());
    assert_eq!(validate(&cluster(section, 3)).expect("valid").backup, None);
    let enabled = section.replace("enabled: false", "enabled: true");
    let backup = validate(&cluster(&enabled, 3))
        .expect("valid")
        .backup
        .expect("enabled");
    assert_eq!(backup.schedule, "30 1 * * *");
    assert_eq!(backup.blob.container, "neo4j-backups-neo4j");
    assert_eq!(backup.blob.prefix, "prod");
    assert_eq!(backup.verification_schedule.as_deref(), Some("@weekly"));
    assert_eq!(
        backup.blob.credential,
        neo4j_aks_model::validated::BackupCredential::WorkloadIdentity {
            client_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".into()
        }
    );

    let minimal = "  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: storage-key\n";
    let backup = validate(&cluster(minimal, 3))
        .expect("valid")
        .backup
        .expect("enabled");
    assert_eq!(
        (
            backup.schedule.as_str(),
            backup.databases.as_slice(),
            backup.backup_type.as_str(),
            backup.verification_schedule.as_deref(),
        ),
        (
            "0 2 * * *",
            &["*".to_string()][..],
            "AUTO",
            Some("0 4 * * 0")
        )
    );
    assert_eq!(backup.blob.container, "neo4j-backups-neo4j");
    assert_eq!(
        (
            backup.retention.daily,
            backup.retention.weekly,
            backup.retention.monthly
        ),
        (7, 4, 12)
    );
    assert_eq!(
        backup.blob.credential,
        neo4j_aks_model::validated::BackupCredential::AccountKey {
            secret: "storage-key".into(),
            key: "azurestorageaccountkey".into()
        }
    );

    let missing = "  backup:\n    enabled: true\n    databases: []\n";
    let invalid = validate(&cluster(missing, 3)).expect_err("incomplete");
    let paths: Vec<&str> = invalid.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.backup.databases",
            "spec.backup.target.storageAccount",
            "spec.backup.credentials"
        ],
        "{invalid}"
    );
}

#[test]
fn a_bootstrap_from_backup_gets_its_defaults() {
    let section = "  storage:\n    diskSizeGi: 128\n  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: storage-key\n      databases: [neo4j, sales]\n      notAfter: \"2026-11-20T01:00:00+01:00\"\n";
    let bootstrap = validate(&cluster(section, 3))
        .expect("valid")
        .bootstrap
        .expect("a bootstrap");
    assert_eq!(
        bootstrap.source_cluster, "neo4j",
        "defaults to its own name"
    );
    assert_eq!(bootstrap.blob.container, "neo4j-backups-neo4j");
    assert_eq!(bootstrap.blob.prefix, "");
    assert_eq!(bootstrap.databases, ["neo4j", "sales"]);
    assert_eq!(
        bootstrap.not_after.as_deref(),
        Some("2026-11-20T00:00:00Z"),
        "normalized to UTC"
    );
    assert_eq!(bootstrap.seed_size_gi, 128, "the member disk size");
    assert_eq!(
        bootstrap.blob.credential,
        neo4j_aks_model::validated::BackupCredential::AccountKey {
            secret: "storage-key".to_string(),
            key: "azurestorageaccountkey".to_string()
        }
    );

    let other = "  bootstrap:\n    fromBackup:\n      sourceCluster: graph\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        workloadIdentityClientId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n      databases: [sales]\n";
    let bootstrap = validate(&cluster(other, 3))
        .expect("valid")
        .bootstrap
        .expect("a bootstrap");
    assert_eq!(
        bootstrap.blob.container, "neo4j-backups-graph",
        "the source's container"
    );
}

#[test]
fn a_bootstrap_reports_every_problem_at_once() {
    let section = "  bootstrap:\n    fromBackup:\n      sourceCluster: Not_A_Name\n      target:\n        storageAccount: Graph\n      databases: [system, sales, \"s*\", Sales, sales]\n      notAfter: yesterday\n      seedSizeGi: 0\n";
    let invalid = validate(&cluster(section, 3)).expect_err("invalid");
    let paths: Vec<&str> = invalid.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.bootstrap.fromBackup.sourceCluster",
            "spec.bootstrap.fromBackup.target.storageAccount",
            "spec.bootstrap.fromBackup.credentials",
            "spec.bootstrap.fromBackup.databases[0]",
            "spec.bootstrap.fromBackup.databases[2]",
            "spec.bootstrap.fromBackup.databases[3]",
            "spec.bootstrap.fromBackup.databases[4]",
            "spec.bootstrap.fromBackup.notAfter",
            "spec.bootstrap.fromBackup.seedSizeGi",
        ],
        "{invalid}"
    );
    let text = invalid.to_string();
    assert!(text.contains("listed twice"), "{text}");
    assert!(text.contains("users and roles"), "{text}");

    let empty = "  bootstrap: {}\n";
    let invalid = validate(&cluster(empty, 3)).expect_err("no source");
    assert_eq!(invalid.problems[0].path, "spec.bootstrap.fromBackup");
}

#[test]
fn a_bootstrap_needs_enterprise_and_a_cluster() {
    let from = "  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: storage-key\n      databases: [sales]\n";
    let community = format!("  image:\n    edition: community\n{from}");
    let invalid = validate(&cluster(&community, 1)).expect_err("community");
    let text = invalid.to_string();
    assert!(text.contains("needs Neo4j Enterprise"), "{text}");
    let invalid = validate(&cluster(from, 1)).expect_err("standalone");
    assert!(
        invalid.to_string().contains("built for clusters"),
        "{invalid}"
    );
}

#[test]
fn backups_into_the_restored_clusters_chains_are_a_warning() {
    let target = "      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: storage-key\n";
    let bootstrap = format!("  bootstrap:\n    fromBackup:\n{target}      databases: [sales]\n");
    let backup = format!(
        "  backup:\n    enabled: true\n{}",
        target.replace("      ", "    ")
    );
    let same = validate(&cluster(&format!("{bootstrap}{backup}"), 3)).expect("valid");
    let paths: Vec<&str> = same.warnings.iter().map(|w| w.path.as_str()).collect();
    assert!(paths.contains(&"spec.backup"), "{paths:?}");

    // Another source cluster's backups: this cluster's chains are its own.
    let other = bootstrap.replace("fromBackup:\n", "fromBackup:\n      sourceCluster: graph\n");
    let separate = validate(&cluster(&format!("{other}{backup}"), 3)).expect("valid");
    assert!(!separate.warnings.iter().any(|w| w.path == "spec.backup"));
}

#[test]
fn network_policies_are_on_by_default_and_follow_the_load_balancer() {
    let v = validate(&cluster("", 3)).expect("valid");
    let np = v.network_policy.as_ref().expect("on without the section");
    assert_eq!(np.clients.namespaces, ["neo4j"]);
    // A load balancer without source ranges admits any address; so does the policy.
    assert_eq!(np.clients.cidrs, ["0.0.0.0/0"]);
    assert_eq!(np.metrics.namespaces, ["monitoring", "kube-system"]);
    assert!(np.metrics.cidrs.is_empty());
    assert_eq!(np.operator_namespace, "neo4j-aks-system");
    assert_eq!(
        (np.api_server_cidrs.as_slice(), np.api_server_port),
        (&["0.0.0.0/0".to_string()][..], 443)
    );
    assert_eq!(np.azure_storage_cidrs, ["0.0.0.0/0"]);
    assert!(
        v.warnings
            .iter()
            .any(|w| w.path == "spec.networkPolicy.apiServer.cidrs"),
        "the K8S resolver's open API egress is flagged"
    );

    let ranged = validate(&cluster(
        "  service:\n    loadBalancer:\n      loadBalancerSourceRanges: [\"203.0.113.7/24\", \"2001:db8::/48\"]\n",
        3,
    ))
    .expect("valid");
    assert_eq!(
        ranged.network_policy.expect("on").clients.cidrs,
        ["203.0.113.0/24", "2001:db8::/48"]
    );

    let no_lb = validate(&cluster(
        "  service:\n    loadBalancer:\n      enabled: false\n",
        3,
    ))
    .expect("valid");
    assert!(no_lb.network_policy.expect("on").clients.cidrs.is_empty());

    let explicit = validate(&cluster(
        "  discovery:\n    resolverType: SRV\n  networkPolicy:\n    clients:\n      namespaces: []\n      cidrs: [\"10.20.0.0/16\", \"10.20.0.0/16\"]\n    apiServer:\n      cidrs: [\"52.160.10.1/32\"]\n      port: 6443\n",
        3,
    ))
    .expect("valid");
    let np = explicit.network_policy.as_ref().expect("on");
    assert!(np.clients.namespaces.is_empty(), "[] means none");
    assert_eq!(np.clients.cidrs, ["10.20.0.0/16"], "duplicates dropped");
    assert_eq!(np.api_server_port, 6443);
    assert!(
        !explicit
            .warnings
            .iter()
            .any(|w| w.path.starts_with("spec.networkPolicy")),
        "nothing to flag"
    );

    let off = validate(&cluster("  networkPolicy:\n    enabled: false\n", 3)).expect("valid");
    assert!(off.network_policy.is_none());
}

#[test]
fn a_certificate_rotation_request_is_an_rfc3339_time_or_a_clear_error() {
    let annotated = |value: &str| {
        let mut c = cluster("  tls:\n    enabled: true\n", 3);
        c.metadata.annotations = Some(
            [(
                neo4j_aks_model::api::annotations::ROTATE_CERTIFICATES_REQUESTED_AT.to_string(),
                value.to_string(),
            )]
            .into(),
        );
        validate(&c)
    };
    let v = annotated("2026-12-04T12:00:00Z").expect("valid");
    assert_eq!(
        v.tls.as_ref().and_then(|t| t.rotate_requested_at),
        Some(1_796_385_600)
    );
    let invalid = annotated("tomorrow").expect_err("refused");
    let text = invalid.to_string();
    assert!(
        text.contains("metadata.annotations[neo4j-aks.io/rotate-certificates-requested-at]")
            && text.contains("not an RFC 3339 timestamp"),
        "{text}"
    );
}

#[test]
fn backups_combine_with_every_scope_unless_the_user_provides_the_certificates() {
    let backup = "  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: key\n";
    let required = cluster(
        &format!("  tls:\n    enabled: true\n    scopes: [bolt, cluster]\n{backup}"),
        3,
    );
    let v = validate(&required).expect("REQUIRED Bolt with backups is valid");
    assert!(v.tls.as_ref().is_some_and(|t| t.bolt_required));
    // Generated certificates: the backup Jobs get a client certificate for the backup port.
    let with_backup_scope = cluster(&format!("  tls:\n    enabled: true\n{backup}"), 3);
    let v = validate(&with_backup_scope).expect("every scope with backups is valid");
    assert!(
        v.tls
            .as_ref()
            .is_some_and(|t| t.covers(neo4j_aks_model::validated::TlsScope::Backup))
    );
    // Certificates the user provides: no place for that client certificate, refused.
    let provided = cluster(
        &format!(
            "  tls:\n    enabled: true\n    source: secret\n    secret:\n      name: my-certs\n{backup}"
        ),
        3,
    );
    let text = validate(&provided)
        .expect_err("the backup scope with provided certificates is refused with backups")
        .to_string();
    assert!(
        text.contains("spec.tls.scopes") && text.contains("source: generated"),
        "{text}"
    );
    let from_cert_manager = cluster(
        &format!(
            "  tls:\n    enabled: true\n    source: certManager\n    certManager:\n      issuerRef:\n        name: ca\n{backup}"
        ),
        3,
    );
    let text = validate(&from_cert_manager)
        .expect_err("the backup scope with cert-manager is refused with backups")
        .to_string();
    assert!(text.contains("with source: certManager"), "{text}");
}
