//! Bad input: exit code 2, one line per problem on stderr naming the field, nothing on stdout.

mod support;

use support::{run, stderr, stdout};

const BASE: &str = r#"apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata:
  name: neo4j
  namespace: neo4j
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: 3
"#;

/// BASE with a valid `spec.secrets.keyVault`, each `(field, value)` replacing a field's value
/// (an empty value leaves the field out).
fn key_vault(overrides: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("name", "kv-neo4j-prod"),
        ("tenantId", "00000000-0000-0000-0000-000000000001"),
        ("clientId", "00000000-0000-0000-0000-000000000002"),
        ("passwordSecret", "neo4j-admin-password"),
    ];
    for (field, value) in overrides {
        if let Some(entry) = fields.iter_mut().find(|(f, _)| f == field) {
            entry.1 = value;
        }
    }
    let mut text = format!("{BASE}  secrets:\n    keyVault:\n");
    for (field, value) in fields.into_iter().filter(|(_, v)| !v.is_empty()) {
        text.push_str(&format!("      {field}: {value:?}\n"));
    }
    text
}

/// (case, spec text appended to BASE's spec or replacing it, expected path, expected words)
fn cases() -> Vec<(&'static str, String, &'static str, &'static str)> {
    let with = |extra: &str| format!("{BASE}{extra}");
    vec![
        (
            "two members",
            BASE.replace("nodeCount: 3", "nodeCount: 2"),
            "spec.nodeCount",
            "majority",
        ),
        (
            "eleven members",
            BASE.replace("nodeCount: 3", "nodeCount: 11"),
            "spec.nodeCount",
            "3 to 10",
        ),
        (
            "zero members",
            BASE.replace("nodeCount: 3", "nodeCount: 0"),
            "spec.nodeCount",
            "out of range",
        ),
        (
            "missing nodeCount",
            BASE.replace("  nodeCount: 3\n", ""),
            "spec.nodeCount",
            "required",
        ),
        (
            "old version",
            BASE.replace("5.26.16", "5.20.0"),
            "spec.neo4jVersion",
            "older than 5.26",
        ),
        (
            "garbage version",
            BASE.replace("5.26.16", "latest"),
            "spec.neo4jVersion",
            "MAJOR.MINOR.PATCH",
        ),
        (
            "missing version",
            BASE.replace("  neo4jVersion: \"5.26.16\"\n", ""),
            "spec.neo4jVersion",
            "required",
        ),
        (
            "missing licence",
            BASE.replace("  acceptLicenseAgreement: \"yes\"\n", ""),
            "spec.acceptLicenseAgreement",
            "required",
        ),
        (
            "bad licence",
            BASE.replace("\"yes\"", "\"sure\""),
            "spec.acceptLicenseAgreement",
            "\"eval\"",
        ),
        (
            "minority formation",
            with("  minimumClusterSize: 1\n"),
            "spec.minimumClusterSize",
            "majority",
        ),
        (
            "formation above members",
            with("  minimumClusterSize: 4\n"),
            "spec.minimumClusterSize",
            "at most nodeCount",
        ),
        (
            "too many primaries",
            with("  topology:\n    primaries: 4\n"),
            "spec.topology.primaries",
            "between 1 and nodeCount",
        ),
        (
            "too many secondaries",
            with("  topology:\n    primaries: 3\n    secondaries: 1\n"),
            "spec.topology.secondaries",
            "nodeCount - primaries",
        ),
        (
            "unknown resolver",
            with("  discovery:\n    resolverType: DNS\n"),
            "spec.discovery.resolverType",
            "LIST, SRV or K8S",
        ),
        (
            "bad port name",
            with("  discovery:\n    portName: Discovery_Port\n"),
            "spec.discovery.portName",
            "port name",
        ),
        (
            "port name taken",
            with("  discovery:\n    portName: bolt\n"),
            "spec.discovery.portName",
            "already used",
        ),
        (
            "disk too big",
            with("  storage:\n    diskSizeGi: 5000\n"),
            "spec.storage.diskSizeGi",
            "between 1 and 4096",
        ),
        (
            "HDD sku",
            with("  storage:\n    sku: Standard_LRS\n"),
            "spec.storage.sku",
            "Premium_LRS",
        ),
        (
            "bad storage class name",
            with("  storage:\n    className: Fast_Disks\n"),
            "spec.storage.className",
            "StorageClass name",
        ),
        (
            "anti-affinity mode",
            with("  podAntiAffinity:\n    mode: Strict\n"),
            "spec.podAntiAffinity.mode",
            "Soft",
        ),
        (
            "anti-affinity weight",
            with("  podAntiAffinity:\n    nodeWeight: 0\n"),
            "spec.podAntiAffinity.nodeWeight",
            "between 1 and 100",
        ),
        (
            "tiny memory",
            with("  resources:\n    memory: 1Gi\n"),
            "spec.resources.memory",
            "2Gi",
        ),
        (
            "memory not a quantity",
            with("  resources:\n    memory: lots\n"),
            "spec.resources.memory",
            "quantity",
        ),
        (
            "tiny cpu",
            with("  resources:\n    cpu: 100m\n"),
            "spec.resources.cpu",
            "0.5 CPU",
        ),
        (
            "heap and page cache overflow",
            with("  memory:\n    heap: 6Gi\n    pageCache: 2Gi\n"),
            "spec.memory",
            "exceeds resources.memory",
        ),
        (
            "bad source range",
            with(
                "  service:\n    loadBalancer:\n      loadBalancerSourceRanges: [\"10.0.0.0/40\"]\n",
            ),
            "spec.service.loadBalancer.loadBalancerSourceRanges[0]",
            "CIDR",
        ),
        (
            "dns label on internal LB",
            with("  service:\n    loadBalancer:\n      internal: true\n      dnsLabel: graph\n"),
            "spec.service.loadBalancer.dnsLabel",
            "internal",
        ),
        (
            "bad static ip",
            with("  service:\n    loadBalancer:\n      staticIp: 10.0.0.300\n"),
            "spec.service.loadBalancer.staticIp",
            "IPv4",
        ),
        (
            "secret ref without name",
            with("  auth:\n    passwordSecretRef:\n      key: pw\n"),
            "spec.auth.passwordSecretRef.name",
            "required",
        ),
        (
            "unknown setting",
            with("  config:\n    server.bolt.enabeld: \"true\"\n"),
            "spec.config[\"server.bolt.enabeld\"]",
            "did you mean server.bolt.enabled",
        ),
        (
            "invented proposal setting",
            with("  config:\n    dbms.cluster.new_member.enabled: \"true\"\n"),
            "spec.config[\"dbms.cluster.new_member.enabled\"]",
            "not a Neo4j 5.26.16 setting",
        ),
        (
            "2025 name on 5.26",
            with("  config:\n    db.query.default_language: CYPHER_25\n"),
            "spec.config[\"db.query.default_language\"]",
            "not a Neo4j 5.26.16 setting",
        ),
        (
            "managed setting",
            with("  config:\n    server.memory.heap.max_size: 4g\n"),
            "spec.config[\"server.memory.heap.max_size\"]",
            "use spec.memory.heap",
        ),
        (
            "a directory on the read-only root filesystem",
            with("  config:\n    server.directories.logs: /var/log/neo4j\n"),
            "spec.config[\"server.directories.logs\"]",
            "root filesystem is read-only",
        ),
        (
            "CSV metrics into the read-only root filesystem",
            with("  config:\n    server.metrics.csv.enabled: \"true\"\n"),
            "spec.config[\"server.metrics.csv.enabled\"]",
            "CSV metrics are off",
        ),
        (
            "memory that leaves less than the manual's 1Gi headroom",
            with("  resources:\n    memory: 8Gi\n  memory:\n    heap: 4Gi\n    pageCache: 3073Mi\n"),
            "spec.memory",
            "1Gi headroom exceeds",
        ),
        (
            "reserved label",
            with("  labels:\n    app.kubernetes.io/name: other\n"),
            "spec.labels[\"app.kubernetes.io/name\"]",
            "set by neo4j-aks",
        ),
        (
            "tls scope that does not exist",
            with("  tls:\n    enabled: true\n    scopes: [bolt, fabric]\n"),
            "spec.tls.scopes[1]",
            "use bolt, https, cluster or backup",
        ),
        (
            "tls cluster scope on a standalone server",
            BASE.replace("nodeCount: 3", "nodeCount: 1")
                + "  tls:\n    enabled: true\n    scopes: [cluster]\n",
            "spec.tls.scopes[0]",
            "only between members of a cluster",
        ),
        (
            "tls source that does not exist",
            with("  tls:\n    enabled: true\n    source: vault\n"),
            "spec.tls.source",
            "use \"generated\", \"secret\" or \"certManager\"",
        ),
        (
            "tls certManager source without an issuer",
            with("  tls:\n    enabled: true\n    source: certManager\n"),
            "spec.tls.certManager.issuerRef.name",
            "required with source: certManager",
        ),
        (
            "tls certManager duration in days",
            with("  tls:\n    enabled: true\n    source: certManager\n    certManager:\n      issuerRef: {name: ca}\n      duration: 90d\n"),
            "spec.tls.certManager.duration",
            "is not a Go duration",
        ),
        (
            "tls certManager issuer of another kind",
            with("  tls:\n    enabled: true\n    source: certManager\n    certManager:\n      issuerRef: {name: ca, kind: Vault}\n"),
            "spec.tls.certManager.issuerRef.kind",
            "use Issuer or ClusterIssuer",
        ),
        (
            "tls certManager section with the generated source",
            with("  tls:\n    enabled: true\n    certManager:\n      issuerRef: {name: ca}\n"),
            "spec.tls.certManager",
            "applies only to source: certManager",
        ),
        (
            "tls secret source without a name",
            with("  tls:\n    enabled: true\n    source: secret\n"),
            "spec.tls.secret.name",
            "required with source: secret",
        ),
        (
            "tls secret source with a name that is no Secret name",
            with("  tls:\n    enabled: true\n    source: secret\n    secret:\n      name: My_Certs\n"),
            "spec.tls.secret.name",
            "is not a Secret name",
        ),
        (
            "tls secret source named like the generated Secrets",
            with("  tls:\n    enabled: true\n    source: secret\n    secret:\n      name: neo4j-tls\n"),
            "spec.tls.secret.name",
            "reserved for the generated source",
        ),
        (
            "tls secret source with generated lifetimes",
            with("  tls:\n    enabled: true\n    source: secret\n    secret:\n      name: neo4j-certs\n    generated:\n      certificateDays: 30\n"),
            "spec.tls.generated",
            "applies only to source: generated",
        ),
        (
            "tls secret section with the generated source",
            with("  tls:\n    enabled: true\n    secret:\n      name: neo4j-certs\n"),
            "spec.tls.secret",
            "applies only to source: secret",
        ),
        (
            "tls bolt level",
            with("  tls:\n    enabled: true\n    boltTlsLevel: DISABLED\n"),
            "spec.tls.boltTlsLevel",
            "use REQUIRED or OPTIONAL",
        ),
        (
            "tls extra name",
            with("  tls:\n    enabled: true\n    extraDnsNames: [\"Not A Name\"]\n"),
            "spec.tls.extraDnsNames[0]",
            "is not a DNS name",
        ),
        (
            "tls extra ip",
            with("  tls:\n    enabled: true\n    extraIpAddresses: [\"10.0.0.300\"]\n"),
            "spec.tls.extraIpAddresses[0]",
            "not an IPv4 or IPv6 address",
        ),
        (
            "tls renewal as long as the validity",
            with("  tls:\n    enabled: true\n    generated:\n      certificateDays: 30\n      renewBeforeDays: 30\n"),
            "spec.tls.generated.renewBeforeDays",
            "less than certificateDays (30)",
        ),
        (
            "tls policy through spec.config",
            with("  config:\n    dbms.ssl.policy.bolt.enabled: \"true\"\n"),
            "spec.config[\"dbms.ssl.policy.bolt.enabled\"]",
            "spec.tls",
        ),
        (
            "client CIDR that does not parse",
            with("  networkPolicy:\n    clients:\n      cidrs: [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n"),
            "spec.networkPolicy.clients.cidrs[1]",
            "is not a CIDR such as 203.0.113.0/24",
        ),
        (
            "client CIDR with host bits",
            with("  networkPolicy:\n    clients:\n      cidrs: [\"10.1.2.3/8\"]\n"),
            "spec.networkPolicy.clients.cidrs[0]",
            "host bits set; write the network, 10.0.0.0/8",
        ),
        (
            "a bare address where a CIDR belongs",
            with("  networkPolicy:\n    azureStorage:\n      cidrs: [\"20.60.1.4\"]\n"),
            "spec.networkPolicy.azureStorage.cidrs[0]",
            "a single address is 20.60.1.4/32",
        ),
        (
            "API server CIDR that does not parse",
            with("  networkPolicy:\n    apiServer:\n      cidrs: [\"api.example.com/32\"]\n"),
            "spec.networkPolicy.apiServer.cidrs[0]",
            "is not a CIDR",
        ),
        (
            "metrics CIDR that does not parse",
            with("  networkPolicy:\n    metrics:\n      cidrs: [\"2001:db8::/129\"]\n"),
            "spec.networkPolicy.metrics.cidrs[0]",
            "is not a CIDR",
        ),
        (
            "empty client namespace",
            with("  networkPolicy:\n    clients:\n      namespaces: [app, \"\"]\n"),
            "spec.networkPolicy.clients.namespaces[1]",
            "is not a namespace name (DNS-1123 label",
        ),
        (
            "metrics namespace that is not a DNS-1123 label",
            with("  networkPolicy:\n    metrics:\n      namespaces: [Monitoring]\n"),
            "spec.networkPolicy.metrics.namespaces[0]",
            "is not a namespace name",
        ),
        (
            "operator namespace that is not a DNS-1123 label",
            with("  networkPolicy:\n    operatorNamespace: neo4j_aks\n"),
            "spec.networkPolicy.operatorNamespace",
            "is not a namespace name",
        ),
        (
            "API server port out of range",
            with("  networkPolicy:\n    apiServer:\n      port: 70000\n"),
            "spec.networkPolicy.apiServer.port",
            "is not a port (1 to 65535)",
        ),
        (
            "monitoring on community",
            format!(
                "{}  image:\n    edition: community\n  monitoring:\n    enabled: true\n",
                BASE.replace("nodeCount: 3", "nodeCount: 1")
            ),
            "spec.monitoring.enabled",
            "exist only in the Enterprise edition",
        ),
        (
            "monitoring scrape interval out of range",
            with("  monitoring:\n    enabled: true\n    interval: 5s\n"),
            "spec.monitoring.interval",
            "outside 10s..5m",
        ),
        (
            "monitoring kind unknown",
            with("  monitoring:\n    enabled: true\n    kind: Probe\n"),
            "spec.monitoring.kind",
            "use ServiceMonitor (default) or PodMonitor",
        ),
        (
            "Prometheus endpoint set by hand",
            with("  config:\n    server.metrics.prometheus.enabled: \"true\"\n"),
            "spec.config[\"server.metrics.prometheus.enabled\"]",
            "use spec.monitoring",
        ),
        (
            "backup enabled without a target",
            with("  backup:\n    enabled: true\n"),
            "spec.backup.target.storageAccount",
            "required when backups are enabled: the Azure Storage account",
        ),
        (
            "bootstrap without databases",
            with("  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: key\n"),
            "spec.bootstrap.fromBackup.databases",
            "required: the databases to restore by name",
        ),
        (
            "bootstrap of the system database",
            with("  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: key\n      databases: [sales, system]\n"),
            "spec.bootstrap.fromBackup.databases[1]",
            "system cannot be seeded",
        ),
        (
            "bootstrap with a database pattern",
            with("  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: key\n      databases: [\"sales*\"]\n"),
            "spec.bootstrap.fromBackup.databases[0]",
            "no patterns",
        ),
        (
            "bootstrap notAfter",
            with("  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        accountKeySecretRef:\n          name: key\n      databases: [sales]\n      notAfter: yesterday\n"),
            "spec.bootstrap.fromBackup.notAfter",
            "not an RFC 3339 time",
        ),
        (
            "bootstrap without a storage account",
            with("  bootstrap:\n    fromBackup:\n      databases: [sales]\n      credentials:\n        accountKeySecretRef:\n          name: key\n"),
            "spec.bootstrap.fromBackup.target.storageAccount",
            "required",
        ),
        (
            "backup enabled without credentials",
            with("  backup:\n    enabled: true\n"),
            "spec.backup.credentials",
            "required when backups are enabled",
        ),
        (
            "backup of a Community server",
            with(
                "  image:\n    edition: community\n  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: key\n",
            ),
            "spec.backup.enabled",
            "need Neo4j Enterprise",
        ),
        (
            "backup verification CronJob name too long",
            with("  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: key\n")
                .replace("name: neo4j\n", "name: a-cluster-name-of-thirty-nine-characte\n"),
            "spec.backup.verification",
            "allows 52 for CronJob names",
        ),
        (
            "backup prefix",
            with("  backup:\n    target:\n      prefix: a//b\n"),
            "spec.backup.target.prefix",
            "not a blob path prefix",
        ),
        (
            "backup temp volume",
            with("  backup:\n    tempSizeGi: 0\n"),
            "spec.backup.tempSizeGi",
            "between 1 and 65536",
        ),
        (
            "backup schedule with seconds",
            with("  backup:\n    schedule: \"0 0 2 * * *\"\n"),
            "spec.backup.schedule",
            "Kubernetes CronJobs take 5",
        ),
        (
            "backup schedule Kubernetes refuses",
            with("  backup:\n    schedule: \"0 2 L * *\"\n"),
            "spec.backup.schedule",
            "not understood by the Kubernetes",
        ),
        (
            "verification schedule",
            with("  backup:\n    verification:\n      schedule: \"0 25 * * 0\"\n"),
            "spec.backup.verification.schedule",
            "not a valid schedule",
        ),
        (
            "backup type",
            with("  backup:\n    type: INCREMENTAL\n"),
            "spec.backup.type",
            "AUTO",
        ),
        (
            "storage account",
            with("  backup:\n    target:\n      storageAccount: My_Account\n"),
            "spec.backup.target.storageAccount",
            "3 to 24",
        ),
        (
            "two credentials",
            with(
                "  backup:\n    credentials:\n      workloadIdentityClientId: 00000000-0000-0000-0000-000000000000\n      accountKeySecretRef:\n        name: key\n",
            ),
            "spec.backup.credentials",
            "choose one",
        ),
        (
            "unknown field",
            with("  nodecount: 3\n"),
            "spec.nodecount",
            "unknown field",
        ),
        (
            "wrong type",
            BASE.replace("nodeCount: 3", "nodeCount: three"),
            "spec.nodeCount",
            "invalid type",
        ),
        (
            "name too long",
            BASE.replace(
                "name: neo4j",
                "name: a-very-long-cluster-name-that-goes-on-and-on",
            ),
            "metadata.name",
            "at most 40",
        ),
        (
            "bad namespace",
            BASE.replace("namespace: neo4j", "namespace: Neo4j_Prod"),
            "metadata.namespace",
            "namespace name",
        ),
        (
            "wrong kind",
            BASE.replace("kind: Neo4jCluster", "kind: StatefulSet"),
            "kind",
            "Neo4jCluster",
        ),
        (
            "standalone with K8S",
            BASE.replace("nodeCount: 3", "nodeCount: 1") + "  discovery:\n    resolverType: K8S\n",
            "spec.discovery.resolverType",
            "standalone",
        ),
        (
            "community cluster",
            with("  image:\n    edition: community\n"),
            "spec.image.edition",
            "community cannot form a cluster",
        ),
        (
            "deletion policy",
            with("  deletionPolicy: Purge\n"),
            "spec.deletionPolicy",
            "Retain",
        ),
        (
            "srv timeout without SRV",
            with("  discovery:\n    resolverType: K8S\n    srvWaitTimeoutSeconds: 60\n"),
            "spec.discovery.srvWaitTimeoutSeconds",
            "only applies",
        ),
        (
            "key vault name Azure refuses (consecutive hyphens)",
            key_vault(&[("name", "kv--neo4j")]),
            "spec.secrets.keyVault.name",
            "without consecutive hyphens",
        ),
        (
            "key vault name Azure refuses (too long)",
            key_vault(&[("name", "kv-neo4j-production-westeu")]),
            "spec.secrets.keyVault.name",
            "3 to 24",
        ),
        (
            "key vault name Azure refuses (starts with a digit)",
            key_vault(&[("name", "1kv-neo4j")]),
            "spec.secrets.keyVault.name",
            "starting with a letter",
        ),
        (
            "key vault tenant not a GUID",
            key_vault(&[("tenantId", "contoso.onmicrosoft.com")]),
            "spec.secrets.keyVault.tenantId",
            "not a tenant ID (a GUID",
        ),
        (
            "key vault client not a GUID",
            key_vault(&[("clientId", "neo4j-identity")]),
            "spec.secrets.keyVault.clientId",
            "not a client ID (a GUID",
        ),
        (
            "key vault secret name Azure refuses",
            key_vault(&[("passwordSecret", "neo4j_auth")]),
            "spec.secrets.keyVault.passwordSecret",
            "1 to 127 letters, digits and hyphens",
        ),
        (
            "key vault without its secret",
            key_vault(&[("passwordSecret", "")]),
            "spec.secrets.keyVault.passwordSecret",
            "required",
        ),
        (
            "two sources of the password",
            key_vault(&[]) + "  auth:\n    passwordSecretRef:\n      name: neo4j-auth\n",
            "spec.auth.passwordSecretRef",
            "one source",
        ),
        (
            "key vault and seed identities differ",
            key_vault(&[]) + "  bootstrap:\n    fromBackup:\n      target:\n        storageAccount: graphbackups01\n      credentials:\n        workloadIdentityClientId: 00000000-0000-0000-0000-0000000000ff\n      databases: [sales]\n",
            "spec.secrets.keyVault.clientId",
            "must equal spec.bootstrap.fromBackup.credentials.workloadIdentityClientId",
        ),
        (
            "not YAML",
            "spec: [unclosed".to_string(),
            "(file)",
            "not valid YAML",
        ),
    ]
}

#[test]
fn each_bad_spec_is_refused_with_its_field_path() {
    let cases = cases();
    assert!(cases.len() >= 25);
    for (case, spec, path, words) in cases {
        for command in ["render", "plan", "validate"] {
            let output = run(&[command, "-f", "-"], Some(&spec));
            let err = stderr(&output);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{case} ({command}): exit code, stderr: {err}"
            );
            assert!(
                stdout(&output).is_empty(),
                "{case} ({command}): printed to stdout"
            );
            let line = err
                .lines()
                .find(|l| l.starts_with(&format!("error: {path}: ")))
                .unwrap_or_else(|| panic!("{case}: no line for {path} in:\n{err}"));
            assert!(
                line.contains(words),
                "{case}: {line:?} should say {words:?}"
            );
        }
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let spec = BASE
        .replace("nodeCount: 3", "nodeCount: 2")
        .replace("5.26.16", "4.4.0")
        + "  storage:\n    diskSizeGi: 0\n  config:\n    no.such.setting: x\n  colour: blue\n";
    let output = run(&["render", "-f", "-"], Some(&spec));
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("error: spec.colour: unknown field"), "{err}");
    let parsed_ok = BASE
        .replace("nodeCount: 3", "nodeCount: 2")
        .replace("5.26.16", "4.4.0")
        + "  storage:\n    diskSizeGi: 0\n  tls:\n    enabled: true\n    source: certManager\n";
    let output = run(&["render", "-f", "-"], Some(&parsed_ok));
    let err = stderr(&output);
    for path in [
        "spec.nodeCount",
        "spec.neo4jVersion",
        "spec.storage.diskSizeGi",
        "spec.tls.certManager.issuerRef.name",
    ] {
        assert!(
            err.contains(&format!("error: {path}: ")),
            "{path} missing in:\n{err}"
        );
    }
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        4,
        "{err}"
    );
}

#[test]
fn a_bad_flag_is_refused_like_a_bad_file() {
    let output = run(
        &[
            "render",
            "-f",
            "examples/cluster-3-k8s.yaml",
            "--nodes",
            "2",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("error: spec.nodeCount: 2 is refused"));
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let output = run(&["render", "-f", "examples/nope.yaml"], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot read examples/nope.yaml"));
    assert!(stdout(&output).is_empty());
}
