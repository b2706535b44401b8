//! TLS on the members: Neo4j's SSL policies for the scopes of `spec.tls`
//! (security/ssl-framework.adoc), the files they read, and the names each member's certificate
//! must carry.
//!
//! The operator keeps every member's key and certificate in one Secret, `<name>-tls`
//! (`<pod>.key`, `<pod>.crt`, `ca.crt`), mounted whole: a member picks its own files through
//! `$(POD_NAME)` in its policy paths, and a new member's files appear in the running pods
//! without a change to the pod template (a scale-up restarts nobody). The CA's key lives only in
//! `<name>-tls-ca`, which no pod mounts. Nothing here is mounted at `/ssl`: the official image
//! replaces `$NEO4J_HOME/certificates` with a link to `/ssl` when that exists, which a read-only
//! root file system refuses (docker-entrypoint.sh, 5.26 and 2025.x).

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, KeyToPath, ProjectedVolumeSource, Secret, SecretProjection, Volume,
    VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::{Resolver, TlsScope, TlsSource};

use crate::meta;

/// Where the Secret `<name>-tls` appears in the member's container.
pub const CERTIFICATES_DIR: &str = "/certificates/current";
/// Certificate revocation lists: none are issued, but Neo4j reads the directory.
pub const REVOKED_DIR: &str = "/certificates/revoked";
/// The CA certificate, alone in the directory Neo4j trusts.
pub const TRUSTED_DIR: &str = "/certificates/current/trusted";
/// Data key of the CA certificate in both Secrets.
pub const CA_CERTIFICATE: &str = "ca.crt";
/// Data key of the CA's private key in `<name>-tls-ca`.
pub const CA_PRIVATE_KEY: &str = "ca.key";
/// During a CA rotation, in `<name>-tls-ca`: the new CA, issued and trusted but not signing yet.
pub const NEXT_CA_CERTIFICATE: &str = "next-ca.crt";
pub const NEXT_CA_PRIVATE_KEY: &str = "next-ca.key";
/// During and after a CA rotation, in `<name>-tls`: the second CA the members trust (the new
/// one while they still present certificates of the old, then the old one until it expires).
pub const OTHER_CA_CERTIFICATE: &str = "other-ca.crt";

const VOLUME: &str = "tls";
const REVOKED_VOLUME: &str = "tls-revoked";

/// TLS 1.2 and 1.3 only, each with the cipher suites it may use: the manual asks for explicit
/// ciphers when both versions are allowed (security/ssl-framework.adoc, `tls_versions`). The
/// TLS 1.2 suites are the ECDSA ones because generated keys are ECDSA P-256; names are JSSE's
/// standard names.
const TLS_VERSIONS: &str = "TLSv1.2,TLSv1.3";
const CIPHERS: &str = "TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";

/// The backup Jobs' client certificate in `<name>-tls` (`backup-client.crt`, `.key`): with the
/// `backup` scope the members' backup server requires one (mutual TLS), signed by the cluster CA.
pub const BACKUP_CLIENT: &str = "backup-client";
/// Where the backup Job's neo4j-admin finds its certificate, key and the trusted CAs.
pub const BACKUP_CLIENT_DIR: &str = "/run/secrets/neo4j-aks-backup-tls";

/// The backup client certificate's name and its one DNS name, when the operator issues one: the
/// `backup` scope is on, the cluster is backed up, and the certificates are generated.
pub fn backup_client(cluster: &ValidatedCluster) -> Option<(String, Vec<String>)> {
    let tls = cluster.tls.as_ref()?;
    (tls.covers(TlsScope::Backup) && cluster.backup.is_some() && generated(cluster)).then(|| {
        (
            BACKUP_CLIENT.to_string(),
            vec![format!("{}-{BACKUP_CLIENT}", cluster.name)],
        )
    })
}

/// The `backup` SSL policy of neo4j-admin in the backup Job (its `--additional-config`): the
/// client side of the members' policy, with the same versions and ciphers (Operations Manual,
/// backup-restore/online-backup.adoc: "SSL settings should be set identically between both").
/// `revoked_dir` is the directory the Job's script creates.
pub fn backup_client_settings(
    cluster: &ValidatedCluster,
    revoked_dir: &str,
) -> Vec<(String, String)> {
    if backup_client(cluster).is_none() {
        return Vec::new();
    }
    let (certificate, key) = member_keys(BACKUP_CLIENT);
    [
        ("enabled", "true".to_string()),
        ("base_directory", BACKUP_CLIENT_DIR.to_string()),
        ("private_key", format!("{BACKUP_CLIENT_DIR}/{key}")),
        (
            "public_certificate",
            format!("{BACKUP_CLIENT_DIR}/{certificate}"),
        ),
        ("trusted_dir", format!("{BACKUP_CLIENT_DIR}/trusted")),
        ("revoked_dir", revoked_dir.to_string()),
        ("client_auth", "REQUIRE".to_string()),
        ("tls_versions", TLS_VERSIONS.to_string()),
        ("ciphers", CIPHERS.to_string()),
    ]
    .into_iter()
    .map(|(key, value)| (format!("dbms.ssl.policy.backup.{key}"), value))
    .collect()
}

/// The backup Job's view of `<name>-tls`: its own certificate and key, and the CAs in
/// `trusted/` (the second one optional, as on the members). No member key.
pub fn backup_client_volume(cluster: &ValidatedCluster, name: &str) -> Option<Volume> {
    backup_client(cluster)?;
    let secret = secret_name(cluster);
    let (certificate, key) = member_keys(BACKUP_CLIENT);
    let item = |key: &str| KeyToPath {
        key: key.to_string(),
        path: key.to_string(),
        ..KeyToPath::default()
    };
    Some(Volume {
        name: name.to_string(),
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(0o440),
            sources: Some(vec![
                VolumeProjection {
                    secret: Some(SecretProjection {
                        name: secret.clone(),
                        items: Some(vec![item(&certificate), item(&key)]),
                        ..SecretProjection::default()
                    }),
                    ..VolumeProjection::default()
                },
                trusted(&secret, CA_CERTIFICATE, None),
                trusted(&secret, OTHER_CA_CERTIFICATE, Some(true)),
            ]),
        }),
        ..Volume::default()
    })
}

/// The Secret the members mount: `<name>-tls` (generated), or the user's (`source: secret`).
pub fn secret_name(cluster: &ValidatedCluster) -> String {
    match cluster.tls.as_ref().and_then(|t| t.user_secret()) {
        Some(name) => name.to_string(),
        None => format!("{}-tls", cluster.name),
    }
}

/// Whether the operator issues and renews the certificates (`source: generated`).
pub fn generated(cluster: &ValidatedCluster) -> bool {
    cluster
        .tls
        .as_ref()
        .is_some_and(|t| t.source == TlsSource::Generated)
}

pub fn ca_secret_name(cluster: &ValidatedCluster) -> String {
    format!("{}-tls-ca", cluster.name)
}

/// Data keys of a member's certificate and private key in `<name>-tls`.
pub fn member_keys(pod: &str) -> (String, String) {
    (format!("{pod}.crt"), format!("{pod}.key"))
}

/// Every CA a client of the members must trust, as one PEM bundle: `ca.crt`, and during a CA
/// rotation `other-ca.crt` (members then present certificates of either). `None` without `ca.crt`.
pub fn trusted_cas_pem(data: &BTreeMap<String, String>) -> Option<String> {
    let mut pem = data.get(CA_CERTIFICATE)?.trim_end().to_string();
    if let Some(other) = data.get(OTHER_CA_CERTIFICATE) {
        pem.push('\n');
        pem.push_str(other.trim_end());
    }
    pem.push('\n');
    Some(pem)
}

/// Whether renewed member certificates are loaded by `CALL dbms.security.reloadTLS()` on each
/// member instead of a rolling restart: the version has the procedure, and Bolt speaks TLS, so
/// the operator can see which certificate each member serves before and after.
pub fn reloads_without_restart(cluster: &ValidatedCluster) -> bool {
    cluster.version.reloads_tls()
        && cluster
            .tls
            .as_ref()
            .is_some_and(|t| t.covers(TlsScope::Bolt))
}

/// `neo4j.conf` lines every member shares.
pub fn settings(cluster: &ValidatedCluster) -> Vec<(String, String)> {
    let Some(tls) = &cluster.tls else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for scope in &tls.scopes {
        let policy = |key: &str, value: &str| {
            (
                format!("dbms.ssl.policy.{}.{key}", scope.name()),
                value.to_string(),
            )
        };
        // Members authenticate each other with the CA (mutual TLS); a client of Bolt or HTTPS
        // needs no certificate of its own.
        let client_auth = match scope {
            TlsScope::Cluster | TlsScope::Backup => "REQUIRE",
            TlsScope::Bolt | TlsScope::Https => "NONE",
        };
        out.extend([
            policy("enabled", "true"),
            policy("base_directory", CERTIFICATES_DIR),
            policy("trusted_dir", TRUSTED_DIR),
            policy("revoked_dir", REVOKED_DIR),
            policy("client_auth", client_auth),
            policy("tls_versions", TLS_VERSIONS),
            policy("ciphers", CIPHERS),
        ]);
    }
    if tls.covers(TlsScope::Bolt) {
        let level = if tls.bolt_required {
            "REQUIRED"
        } else {
            "OPTIONAL"
        };
        out.push(("server.bolt.tls_level".into(), level.into()));
    }
    if tls.covers(TlsScope::Https) {
        out.push(("server.https.enabled".into(), "true".into()));
        out.push(("server.http.enabled".into(), "false".into()));
    }
    if cluster.version.reloads_tls() {
        // Renewed certificates take effect through dbms.security.reloadTLS() without a restart
        // (security/ssl-framework.adoc, "Certificates rotation"; 2025.03 and later).
        out.push(("dbms.security.tls_reload_enabled".into(), "true".into()));
    }
    out
}

/// Per-member lines: each member reads its own key and certificate.
pub fn member_settings(cluster: &ValidatedCluster) -> Vec<(String, String)> {
    let Some(tls) = &cluster.tls else {
        return Vec::new();
    };
    let (certificate, key) = member_keys("$(POD_NAME)");
    tls.scopes
        .iter()
        .flat_map(|scope| {
            [
                (
                    format!("dbms.ssl.policy.{}.private_key", scope.name()),
                    format!("{CERTIFICATES_DIR}/{key}"),
                ),
                (
                    format!("dbms.ssl.policy.{}.public_certificate", scope.name()),
                    format!("{CERTIFICATES_DIR}/{certificate}"),
                ),
            ]
        })
        .collect()
}

pub fn volumes(cluster: &ValidatedCluster) -> Vec<Volume> {
    if cluster.tls.is_none() {
        return Vec::new();
    }
    let secret = secret_name(cluster);
    let trusts_other_ca = cluster
        .tls
        .as_ref()
        .is_some_and(|t| t.trusted_ca_added_at.is_some());
    vec![
        Volume {
            name: VOLUME.into(),
            projected: Some(ProjectedVolumeSource {
                // Private keys: readable by the pod's fsGroup (the neo4j user), by nobody else.
                default_mode: Some(0o440),
                sources: Some(
                    [
                        // Every key of the Secret, so members added later find theirs.
                        VolumeProjection {
                            secret: Some(SecretProjection {
                                name: secret.clone(),
                                ..SecretProjection::default()
                            }),
                            ..VolumeProjection::default()
                        },
                        // Neo4j trusts every file in trusted_dir: only the CA goes there.
                        trusted(&secret, CA_CERTIFICATE, None),
                    ]
                    .into_iter()
                    // Once a CA rotation has begun: the second CA, one certificate per file. Optional,
                    // because it is removed when the old CA expires.
                    .chain(
                        trusts_other_ca.then(|| trusted(&secret, OTHER_CA_CERTIFICATE, Some(true))),
                    )
                    .collect(),
                ),
            }),
            ..Volume::default()
        },
        Volume {
            name: REVOKED_VOLUME.into(),
            empty_dir: Some(EmptyDirVolumeSource {
                size_limit: Some(Quantity("1Mi".into())),
                ..EmptyDirVolumeSource::default()
            }),
            ..Volume::default()
        },
    ]
}

/// One key of the Secret into `trusted/`, under its own name.
fn trusted(secret: &str, key: &str, optional: Option<bool>) -> VolumeProjection {
    VolumeProjection {
        secret: Some(SecretProjection {
            name: secret.to_string(),
            items: Some(vec![KeyToPath {
                key: key.into(),
                path: format!("trusted/{key}"),
                ..KeyToPath::default()
            }]),
            optional,
        }),
        ..VolumeProjection::default()
    }
}

pub fn mounts(cluster: &ValidatedCluster) -> Vec<VolumeMount> {
    if cluster.tls.is_none() {
        return Vec::new();
    }
    vec![
        VolumeMount {
            name: VOLUME.into(),
            mount_path: CERTIFICATES_DIR.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        },
        VolumeMount {
            name: REVOKED_VOLUME.into(),
            mount_path: REVOKED_DIR.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        },
    ]
}

/// The Secrets neo4j-aks owns: labels and type, no data. The keys are written by the
/// operator's certificate step under its own field manager, so applying these never touches
/// them. `<name>-tls` and its CA with `source: generated`; `<name>-tls` alone with
/// `source: certManager` (the issuer's CA key is the issuer's); none with `source: secret`: the
/// user's Secret is theirs.
pub fn secrets(cluster: &ValidatedCluster) -> Vec<Secret> {
    let names = match cluster.tls.as_ref().map(|t| &t.source) {
        Some(TlsSource::Generated) => vec![secret_name(cluster), ca_secret_name(cluster)],
        Some(TlsSource::CertManager(_)) => vec![secret_name(cluster)],
        Some(TlsSource::Secret(_)) | None => Vec::new(),
    };
    names
        .into_iter()
        .map(|name| Secret {
            metadata: meta::namespaced(cluster, name),
            type_: Some("Opaque".into()),
            ..Secret::default()
        })
        .collect()
}

/// Every name a client or another member may use to reach member `ordinal`: through the
/// headless Service (in every form a resolver search path completes), its discovery Service
/// (K8S resolver), the headless and load balancer Services, `localhost` for tools run in the
/// pod, and the names in `spec.tls.extraDnsNames`.
pub fn member_dns_names(cluster: &ValidatedCluster, ordinal: i32) -> Vec<String> {
    let Some(tls) = &cluster.tls else {
        return Vec::new();
    };
    let ns = &cluster.namespace;
    let domain = &cluster.cluster_domain;
    let forms = |host: &str| {
        vec![
            host.to_string(),
            format!("{host}.{ns}"),
            format!("{host}.{ns}.svc"),
            format!("{host}.{ns}.svc.{domain}"),
        ]
    };
    let pod = cluster.pod_name(ordinal);
    let headless = cluster.headless_service_name();
    let mut names = forms(&format!("{pod}.{headless}"));
    if cluster.resolver() == Some(Resolver::K8s) {
        names.extend(forms(&cluster.discovery_service_name(ordinal)));
    }
    names.extend(forms(&headless));
    if cluster.load_balancer.is_some() {
        names.extend(forms(&cluster.load_balancer_name()));
    }
    names.push("localhost".into());
    names.extend(tls.extra_dns_names.iter().cloned());
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// IP addresses on every member's certificate: loopback and `spec.tls.extraIpAddresses` (with
/// the load balancer's static IP).
pub fn ip_addresses(cluster: &ValidatedCluster) -> Vec<IpAddr> {
    let Some(tls) = &cluster.tls else {
        return Vec::new();
    };
    let mut ips = vec![IpAddr::from([127, 0, 0, 1])];
    ips.extend(tls.extra_ip_addresses.iter().copied());
    ips
}

/// What every member's certificate must say, by pod name: the input of the certificate step.
pub fn wanted(cluster: &ValidatedCluster) -> BTreeMap<String, (Vec<String>, Vec<IpAddr>)> {
    (0..cluster.members.rendered())
        .map(|i| {
            (
                cluster.pod_name(i),
                (member_dns_names(cluster, i), ip_addresses(cluster)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use neo4j_aks_model::{Neo4jCluster, validate};

    fn cluster(tls: &str) -> ValidatedCluster {
        cluster_on("5.26.16", tls)
    }

    fn cluster_on(version: &str, tls: &str) -> ValidatedCluster {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: g\n  namespace: db\nspec:\n  neo4jVersion: \"{version}\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  tls:\n    enabled: true\n{tls}"
        );
        validate(&Neo4jCluster::from_yaml(&yaml).expect("parses")).expect("valid")
    }

    fn mounted(cluster: &ValidatedCluster) -> Vec<String> {
        volumes(cluster)
            .iter()
            .filter_map(|v| v.projected.as_ref())
            .flat_map(|p| p.sources.iter().flatten())
            .filter_map(|s| s.secret.as_ref().map(|s| s.name.clone()))
            .collect()
    }

    #[test]
    fn the_secret_source_mounts_the_users_secret_and_renders_no_secret_of_its_own() {
        let user = cluster("    source: secret\n    secret:\n      name: my-certs\n");
        assert_eq!(secret_name(&user), "my-certs");
        assert!(!generated(&user));
        assert_eq!(mounted(&user), ["my-certs", "my-certs"]);
        assert!(secrets(&user).is_empty());
        // The member settings do not depend on the source: same file names.
        let own = cluster("");
        assert_eq!(member_settings(&user), member_settings(&own));
        assert_eq!(mounted(&own), ["g-tls", "g-tls"]);
        assert_eq!(secrets(&own).len(), 2);
    }

    /// The digest prepare records for a user's Secret: a pod template revision on 5.26 (members
    /// restart to load new certificates), none on 2025.03+ with Bolt (they reload instead).
    #[test]
    fn the_users_certificate_digest_rolls_5_26_and_not_versions_that_reload() {
        let template_digest = |version: &str, scopes: &str| {
            let mut c = cluster_on(
                version,
                &format!(
                    "    scopes: [{scopes}]\n    source: secret\n    secret:\n      name: my-certs\n"
                ),
            );
            if let Some(tls) = c.tls.as_mut() {
                tls.renewed_at = Some("sha256:abc".into());
            }
            crate::statefulset::build(&c, "config")
                .spec
                .and_then(|s| s.template.metadata)
                .and_then(|m| m.annotations)
                .and_then(|mut a| {
                    a.remove(neo4j_aks_model::api::annotations::CERTIFICATES_RENEWED_AT)
                })
        };
        assert_eq!(
            template_digest("5.26.16", "bolt, cluster").as_deref(),
            Some("sha256:abc")
        );
        assert_eq!(template_digest("2025.10.1", "bolt, cluster"), None);
        // Without Bolt the operator cannot see what a member presents: it rolls.
        assert_eq!(
            template_digest("2025.10.1", "https, cluster").as_deref(),
            Some("sha256:abc")
        );
    }
}
