//! TLS as rendered, on a REAL Neo4j: the SSL policy settings neo4j-aks renders for a cluster
//! member, the certificates the certificate step issues, laid out as the kubelet lays out the
//! rendered projected volume, given to a second Neo4j Community 5.26 JVM (the neo4j-harness,
//! started with those settings by `NEO4J_AKS_HARNESS_CONFIG`, which Neo4j's own Config parses and
//! validates). Then, against it: Bolt over TLS with the cluster CA works, plain Bolt is refused
//! (tls_level REQUIRED), a client trusting another CA is refused, HTTPS answers with the member
//! certificate and plain HTTP is off. openssl checks the chain, names and key usages.
//!
//! Community has no cluster or backup servers: their policies are parsed and validated by Neo4j
//! here but only an Enterprise cluster (AKS) exercises them. Needs `NEO4J_AKS_TEST_HARNESS`
//! (`eval "$(testenv/neo4j-harness/neo4j.sh env)"`); skipped with a note without it unless
//! `NEO4J_AKS_REQUIRE_NEO4J=1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_ops::member_tls::{BoltMemberTls, MemberTls};
use neo4j_aks_ops::neo4j::Target;
use neo4j_aks_render::certificates::{self, Wanted};
use neo4j_aks_render::{Object, tls};
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions, Tls};
use neo4j_aks_topology::{AdminClient, ClientError, Credentials};

const SPEC: &str = r#"
apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata: {name: db, namespace: ns}
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: 3
  tls: {enabled: true}
"#;
const MEMBER: &str = "db-0";

fn harness_script() -> Option<PathBuf> {
    match std::env::var("NEO4J_AKS_TEST_HARNESS") {
        Ok(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            assert!(
                std::env::var("NEO4J_AKS_REQUIRE_NEO4J").as_deref() != Ok("1"),
                "NEO4J_AKS_REQUIRE_NEO4J=1 but NEO4J_AKS_TEST_HARNESS is unset"
            );
            println!("skipped: no Neo4j harness (NEO4J_AKS_TEST_HARNESS unset)");
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The rendered StatefulSet's `tls` projected volume, filled from `data` the way the kubelet
/// fills it: every key of the Secret at the top, then the listed items at their paths. Returns
/// the container's mount paths mapped to local directories.
fn lay_out(
    sts: &StatefulSet,
    secret_name: &str,
    data: &BTreeMap<String, String>,
    root: &Path,
) -> Vec<(String, PathBuf)> {
    let pod = sts
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod spec");
    let neo4j = pod
        .containers
        .iter()
        .find(|c| c.name == "neo4j")
        .expect("neo4j container");
    let mut mounts = Vec::new();
    for mount in neo4j.volume_mounts.iter().flatten() {
        // The data volume comes from the claim template, not from the pod's volumes.
        let Some(volume) = pod.volumes.iter().flatten().find(|v| v.name == mount.name) else {
            continue;
        };
        let dir = root.join(mount.mount_path.trim_start_matches('/'));
        if let Some(projected) = &volume.projected {
            std::fs::create_dir_all(&dir).expect("mount dir");
            for source in projected.sources.iter().flatten() {
                let secret = source.secret.as_ref().expect("only Secret sources");
                assert_eq!(secret.name, secret_name);
                let files: Vec<(String, String)> = match &secret.items {
                    None => data.keys().map(|k| (k.clone(), k.clone())).collect(),
                    Some(items) => items
                        .iter()
                        .map(|i| (i.key.clone(), i.path.clone()))
                        .collect(),
                };
                for (key, path) in files {
                    let target = dir.join(path);
                    std::fs::create_dir_all(target.parent().expect("parent")).expect("dir");
                    std::fs::write(&target, &data[&key]).expect("write file");
                }
            }
            mounts.push((mount.mount_path.clone(), dir));
        } else if volume.name.starts_with("tls") {
            std::fs::create_dir_all(&dir).expect("emptyDir");
            mounts.push((mount.mount_path.clone(), dir));
        }
    }
    assert_eq!(
        mounts.len(),
        2,
        "the certificates and the revocation directory"
    );
    mounts
}

/// A setting's value as member `MEMBER` reads it, with the mount paths made local.
fn localize(mounts: &[(String, PathBuf)], value: &str) -> String {
    mounts
        .iter()
        .fold(value.replace("$(POD_NAME)", MEMBER), |v, (from, to)| {
            v.replace(from.as_str(), &to.display().to_string())
        })
}

/// openssl accepts `certificate` for `purpose` (sslserver, sslclient) against the CA file.
fn assert_verifies(ca: &Path, purpose: &str, certificate: &Path) {
    let verified = openssl(&[
        "verify",
        "-CAfile",
        &ca.display().to_string(),
        "-purpose",
        purpose,
        &certificate.display().to_string(),
    ]);
    assert!(verified.trim_end().ends_with(": OK"), "{verified}");
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A second harness JVM running `settings` (paths made local by `local`), HTTPS on a free port.
struct Harness {
    script: PathBuf,
    state: PathBuf,
    bolt_port: u16,
    https_port: u16,
    credentials: Credentials,
}

impl Harness {
    fn start(
        script: &Path,
        root: &Path,
        settings: impl IntoIterator<Item = (String, String)>,
        local: impl Fn(&str) -> String,
    ) -> Harness {
        let https_port = free_port();
        let mut conf = String::new();
        for (key, value) in settings {
            conf += &format!("{key}={}\n", local(&value));
        }
        conf += &format!("server.https.listen_address=127.0.0.1:{https_port}\n");
        let state = root.join("state");
        let conf_file = root.join("neo4j-tls.conf");
        std::fs::write(&conf_file, &conf).expect("conf");
        let up = Command::new("bash")
            .arg(script)
            .arg("up")
            .env("NEO4J_AKS_HARNESS_STATE", &state)
            .env("NEO4J_AKS_HARNESS_CONFIG", &conf_file)
            .output()
            .expect("harness script runs");
        let harness = |bolt_port, credentials| Harness {
            script: script.to_path_buf(),
            state: state.clone(),
            bolt_port,
            https_port,
            credentials,
        };
        if !up.status.success() {
            harness(0, Credentials::new("neo4j", "")).stop();
            panic!(
                "Neo4j refused the rendered TLS settings:\n{}\n{conf}",
                String::from_utf8_lossy(&up.stderr)
            );
        }
        let env = String::from_utf8_lossy(&up.stdout);
        let bolt_port: u16 = env
            .lines()
            .find_map(|l| l.strip_prefix("export NEO4J_AKS_TEST_BOLT=bolt://127.0.0.1:"))
            .and_then(|p| p.trim().parse().ok())
            .expect("the harness prints its Bolt port");
        let password = env
            .lines()
            .find_map(|l| l.strip_prefix("export NEO4J_AKS_TEST_PASSWORD="))
            .expect("the harness prints its password")
            .trim()
            .to_string();
        harness(bolt_port, Credentials::new("neo4j", &password))
    }

    fn stop(&self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("down")
            .env("NEO4J_AKS_HARNESS_STATE", &self.state)
            .output();
    }
}

#[tokio::test]
async fn rendered_tls_on_a_real_neo4j_accepts_the_cluster_ca_and_refuses_the_rest() {
    let Some(script) = harness_script() else {
        return;
    };
    let cluster = Neo4jCluster::from_yaml(SPEC).expect("spec parses");
    let rendered = neo4j_aks_render::render(&cluster).expect("renders");
    let sts = rendered
        .objects
        .iter()
        .find_map(|o| match o {
            Object::StatefulSet(s) => Some(s.clone()),
            _ => None,
        })
        .expect("a StatefulSet");

    // What the certificate step writes into <name>-tls.
    let now = time::OffsetDateTime::now_utc();
    let ca = certificates::issue_ca("db", "ns", now, 3650).expect("CA");
    let mut data = BTreeMap::from([(tls::CA_CERTIFICATE.to_string(), ca.certificate_pem.clone())]);
    for (pod, (dns_names, ip_addresses)) in tls::wanted(&rendered.cluster) {
        let member = certificates::issue_member(
            &ca,
            &pod,
            &Wanted {
                dns_names,
                ip_addresses,
            },
            now,
            90,
        )
        .expect("member certificate");
        let (crt, key) = tls::member_keys(&pod);
        data.insert(crt, member.certificate_pem);
        data.insert(key, member.key_pem);
    }

    let root = std::env::temp_dir().join(format!("neo4j-aks-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mounts = lay_out(&sts, &tls::secret_name(&rendered.cluster), &data, &root);
    let local = |value: &str| localize(&mounts, value);

    // openssl: the member certificate chains to the CA and says what members and clients need.
    let certificates_dir = &mounts[0].1;
    let member_crt = certificates_dir.join(format!("{MEMBER}.crt"));
    let ca_crt = certificates_dir.join("trusted").join("ca.crt");
    assert_verifies(&ca_crt, "sslserver", &member_crt);
    let text = openssl(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        &member_crt.display().to_string(),
    ]);
    for expected in [
        "DNS:db-0.db-headless.ns.svc.cluster.local",
        "DNS:db-headless.ns.svc.cluster.local",
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "TLS Web Server Authentication, TLS Web Client Authentication",
        "CA:FALSE",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }

    // The rendered TLS settings, as the member reads them, with the local paths.
    let harness = Harness::start(
        &script,
        &root,
        tls::settings(&rendered.cluster)
            .into_iter()
            .chain(tls::member_settings(&rendered.cluster)),
        local,
    );
    let stop = || harness.stop();
    let (bolt_port, https_port, credentials) = (
        harness.bolt_port,
        harness.https_port,
        harness.credentials.clone(),
    );

    let other = certificates::issue_ca("other", "ns", now, 30).expect("another CA");
    let other_ca = root.join("other-ca.crt");
    std::fs::write(&other_ca, &other.certificate_pem).expect("write");
    let bolt = |tls: Tls| {
        let options = BoltOptions::new("localhost", bolt_port)
            .with_timeout(Duration::from_secs(20))
            .with_tls(tls);
        BoltAdminClient::connect(options, &credentials).expect("client builds")
    };
    let with_cluster_ca = bolt(Tls::On {
        ca_file: Some(ca_crt.clone()),
    })
    .count_graph("neo4j")
    .await;
    let plain = bolt(Tls::Off).count_graph("neo4j").await;
    let with_other_ca = bolt(Tls::On {
        ca_file: Some(other_ca.clone()),
    })
    .count_graph("neo4j")
    .await;

    rustls::crypto::ring::default_provider()
        .install_default()
        .ok();
    let https = |ca: &Path| {
        let pem = std::fs::read(ca).expect("CA file");
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("PEM")])
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client")
    };
    // The operator's look at which certificate the member presents, and its reload request
    // over a direct bolt+s connection (Community 5.26 has no dbms.security.reloadTLS, so Neo4j
    // itself must answer that the procedure is unknown: the connection and login worked).
    let member_tls = BoltMemberTls { port: bolt_port };
    let presented = member_tls.presented("localhost", &ca.certificate_pem).await;
    let presented_other = member_tls
        .presented("localhost", &other.certificate_pem)
        .await;
    let target = Target {
        namespace: "ns".into(),
        cluster: format!("tls-handshake-{}", std::process::id()),
        hosts: Vec::new(),
        credentials: credentials.clone(),
        bolt_ca: Some(ca.certificate_pem.clone()),
    };
    let reload = member_tls.reload(&target, "localhost").await;
    let url = format!("https://localhost:{https_port}/");
    let https_ok = https(&ca_crt).get(&url).send().await.map(|r| r.status());
    let https_other = https(&other_ca).get(&url).send().await.map(|r| r.status());
    let http_plain = reqwest::Client::new()
        .get(format!("http://localhost:{https_port}/"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map(|r| r.status());
    stop();
    let _ = std::fs::remove_dir_all(&root);

    assert!(
        with_cluster_ca.is_ok(),
        "Bolt with the cluster CA: {with_cluster_ca:?}"
    );
    assert!(
        plain.is_err(),
        "plain Bolt must be refused (tls_level REQUIRED)"
    );
    assert!(
        with_other_ca.is_err(),
        "a client trusting another CA must fail the handshake"
    );
    assert_eq!(
        https_ok.map(|s| s.as_u16()).ok(),
        Some(200),
        "HTTPS with the cluster CA"
    );
    assert!(https_other.is_err(), "HTTPS trusting another CA must fail");
    let member_der = {
        use rustls::pki_types::pem::PemObject;
        rustls::pki_types::CertificateDer::from_pem_slice(
            data[&tls::member_keys(MEMBER).0].as_bytes(),
        )
        .expect("member PEM")
        .as_ref()
        .to_vec()
    };
    assert_eq!(
        presented.as_ref().ok(),
        Some(&member_der),
        "the member presents the certificate issued for it: {presented:?}"
    );
    assert!(
        presented_other.is_err(),
        "a look trusting another CA must fail"
    );
    match &reload {
        Err(ClientError::Neo4j { code, .. }) => assert_eq!(
            code, "Neo.ClientError.Procedure.ProcedureNotFound",
            "{reload:?}"
        ),
        other => panic!("Community 5.26 has no reloadTLS; got {other:?}"),
    }
    assert!(
        http_plain.map_or(true, |s| !s.is_success()),
        "plain HTTP on the HTTPS port must not be served"
    );
}

const BACKED_UP: &str = r#"
apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata: {name: db, namespace: ns}
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: 3
  tls: {enabled: true}
  backup:
    enabled: true
    schedule: "0 2 * * *"
    target: {storageAccount: graphbackups01, prefix: prod}
    credentials: {accountKeySecretRef: {name: neo4j-backup-storage}}
"#;

/// What the CA rotation and the `backup` scope put in front of Neo4j, on a REAL Neo4j where it can
/// run: the member's `trusted_dir` holds one CA per file (`ca.crt`, and `other-ca.crt` from step 1
/// of a CA rotation), Neo4j starts with both and serves Bolt over TLS with the current CA; openssl
/// accepts the backup Jobs' client certificate for client authentication against `ca.crt` and a
/// member certificate of the next CA against `other-ca.crt`; the backup Job's volume holds its
/// own certificate and the CAs, no member key.
///
/// Not provable here: that Neo4j *checks* client certificates against both files. Tried with
/// `client_auth=REQUIRE` on the Bolt policy (TLS 1.2 only, so the check is inside the
/// handshake) and on the HTTPS policy: this Community 5.26 JVM completed the handshake and
/// answered for clients without any certificate and with one of an untrusted CA, so only an
/// Enterprise cluster's cluster and backup ports exercise mutual TLS. The Operations Manual
/// documents `trusted_dir` as a directory of trusted certificates (security/ssl-framework.adoc).
#[tokio::test]
async fn a_second_trusted_ca_and_the_backup_client_certificate_on_a_real_neo4j() {
    let Some(script) = harness_script() else {
        return;
    };
    let mut cluster =
        neo4j_aks_model::validate(&Neo4jCluster::from_yaml(BACKED_UP).expect("parses"))
            .expect("valid");
    // Step 1 of a CA rotation: the pod template trusts a second CA.
    if let Some(tls) = cluster.tls.as_mut() {
        tls.trusted_ca_added_at = Some("2026-12-04T00:00:00Z".into());
    }
    let rendered = neo4j_aks_render::build(cluster);
    let sts = rendered
        .objects
        .iter()
        .find_map(|o| match o {
            Object::StatefulSet(s) => Some(s.clone()),
            _ => None,
        })
        .expect("a StatefulSet");
    let cluster = &rendered.cluster;

    let now = time::OffsetDateTime::now_utc();
    let current = certificates::issue_ca("db", "ns", now, 3650).expect("CA");
    let next = certificates::issue_ca("db", "ns", now, 3650).expect("the next CA");
    let issue = |ca: &certificates::KeyedCertificate, name: &str, dns_names: Vec<String>| {
        let ip_addresses = if name == tls::BACKUP_CLIENT {
            Vec::new()
        } else {
            tls::ip_addresses(cluster)
        };
        certificates::issue_member(
            ca,
            name,
            &Wanted {
                dns_names,
                ip_addresses,
            },
            now,
            90,
        )
        .expect("certificate")
    };
    let mut data = BTreeMap::from([
        (
            tls::CA_CERTIFICATE.to_string(),
            current.certificate_pem.clone(),
        ),
        (
            tls::OTHER_CA_CERTIFICATE.to_string(),
            next.certificate_pem.clone(),
        ),
    ]);
    for (pod, (dns_names, _)) in tls::wanted(cluster) {
        let member = issue(&current, &pod, dns_names);
        let (crt, key) = tls::member_keys(&pod);
        data.insert(crt, member.certificate_pem);
        data.insert(key, member.key_pem);
    }
    let (client_name, client_names) = tls::backup_client(cluster).expect("backup + backup scope");
    let client = issue(&current, &client_name, client_names);
    let (crt, key) = tls::member_keys(&client_name);
    data.insert(crt, client.certificate_pem.clone());
    data.insert(key, client.key_pem.clone());

    let root = std::env::temp_dir().join(format!("neo4j-aks-trust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mounts = lay_out(&sts, &tls::secret_name(cluster), &data, &root);
    let trusted_dir = mounts[0].1.join("trusted");
    let mut trusted: Vec<String> = std::fs::read_dir(&trusted_dir)
        .expect("trusted dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    trusted.sort();
    assert_eq!(trusted, ["ca.crt", "other-ca.crt"], "one CA per file");
    let client_crt = root.join("backup-client.crt");
    std::fs::write(&client_crt, &client.certificate_pem).expect("write");
    assert_verifies(&trusted_dir.join("ca.crt"), "sslclient", &client_crt);

    let local = |value: &str| localize(&mounts, value);
    let harness = Harness::start(
        &script,
        &root,
        tls::settings(cluster)
            .into_iter()
            .chain(tls::member_settings(cluster)),
        local,
    );
    let bolt_port = harness.bolt_port;
    let options = BoltOptions::new("localhost", bolt_port)
        .with_timeout(Duration::from_secs(20))
        .with_tls(Tls::On {
            ca_file: Some(trusted_dir.join("ca.crt")),
        });
    let counted = BoltAdminClient::connect(options, &harness.credentials)
        .expect("client builds")
        .count_graph("neo4j")
        .await;
    harness.stop();

    // The next CA's member certificate chains to other-ca.crt, not to ca.crt.
    let from_next_ca = issue(&next, "db-1", tls::member_dns_names(cluster, 1));
    let next_crt = root.join("next-member.crt");
    std::fs::write(&next_crt, &from_next_ca.certificate_pem).expect("write");
    assert_verifies(&trusted_dir.join("other-ca.crt"), "sslclient", &next_crt);
    let refused = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(trusted_dir.join("ca.crt"))
        .arg(&next_crt)
        .output()
        .expect("openssl runs");
    assert!(
        !refused.status.success(),
        "another CA's certificate must not verify"
    );

    // The backup Job's view of <name>-tls: its certificate and key, both CAs, nothing else.
    let volume = tls::backup_client_volume(cluster, "backup-tls").expect("a volume");
    let mut keys: Vec<String> = volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
        .flat_map(|s| s.secret.iter().flat_map(|s| s.items.iter().flatten()))
        .map(|i| format!("{} -> {}", i.key, i.path))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "backup-client.crt -> backup-client.crt",
            "backup-client.key -> backup-client.key",
            "ca.crt -> trusted/ca.crt",
            "other-ca.crt -> trusted/other-ca.crt",
        ]
    );
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        counted.is_ok(),
        "Neo4j with two trusted CA files serves Bolt over TLS: {counted:?}"
    );
}
