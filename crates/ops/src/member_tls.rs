//! Renewed certificates without a restart (Neo4j 2025.03+ with Bolt on TLS): the operator looks
//! at the certificate each Ready member presents on Bolt and, where it is not the one the Secret
//! `<name>-tls` holds, asks that member to reload through `CALL dbms.security.reloadTLS()` over
//! a direct `bolt+s` connection, then looks again (security/ssl-framework.adoc, "Certificates
//! rotation": connect to each member in turn with a `bolt` URI; new connections get the new
//! certificate, existing ones keep the old).
//!
//! The kubelet brings the renewed Secret into the pods' files within its sync period (about a
//! minute), so a reload can come too early and load the old files again; the next reconcile
//! looks again and reloads again, until the member presents the new certificate.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_topology::ClientError;
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions, Tls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

use crate::neo4j::{BOLT_PORT, CONNECT_TIMEOUT, Target};

/// What the operator asks each member: the certificate it presents, and to reload.
pub trait MemberTls: Send + Sync {
    /// The DER of the certificate `host` presents on Bolt, verified against `ca_pem` (host name
    /// included).
    fn presented<'a>(
        &'a self,
        host: &'a str,
        ca_pem: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, ClientError>>;
    /// `CALL dbms.security.reloadTLS()` on `host` only.
    fn reload<'a>(
        &'a self,
        target: &'a Target,
        host: &'a str,
    ) -> BoxFuture<'a, Result<(), ClientError>>;
}

/// Production: a TLS handshake to the member's Bolt port, and a direct Bolt connection.
#[derive(Clone, Debug)]
pub struct BoltMemberTls {
    pub port: u16,
}

impl Default for BoltMemberTls {
    fn default() -> Self {
        BoltMemberTls { port: BOLT_PORT }
    }
}

impl MemberTls for BoltMemberTls {
    fn presented<'a>(
        &'a self,
        host: &'a str,
        ca_pem: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, ClientError>> {
        async move {
            let unavailable = |detail: String| ClientError::Unavailable { detail };
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
                let certificate =
                    certificate.map_err(|e| unavailable(format!("the cluster CA: {e}")))?;
                roots
                    .add(certificate)
                    .map_err(|e| unavailable(format!("the cluster CA: {e}")))?;
            }
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| unavailable(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
            let name = ServerName::try_from(host.to_string())
                .map_err(|e| unavailable(format!("{host}: {e}")))?;
            let handshake = async {
                let tcp = TcpStream::connect((host, self.port))
                    .await
                    .map_err(|e| unavailable(format!("{host}:{}: {e}", self.port)))?;
                tokio_rustls::TlsConnector::from(Arc::new(config))
                    .connect(name, tcp)
                    .await
                    .map_err(|e| unavailable(format!("TLS with {host}:{}: {e}", self.port)))
            };
            let stream = tokio::time::timeout(CONNECT_TIMEOUT, handshake)
                .await
                .map_err(|_| unavailable(format!("TLS with {host}:{} timed out", self.port)))??;
            let (_, session) = stream.get_ref();
            session
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|leaf| leaf.as_ref().to_vec())
                .ok_or_else(|| unavailable(format!("{host} presented no certificate")))
        }
        .boxed()
    }

    fn reload<'a>(
        &'a self,
        target: &'a Target,
        host: &'a str,
    ) -> BoxFuture<'a, Result<(), ClientError>> {
        async move {
            let ca_file = crate::neo4j::ca_file(target, target.bolt_ca.as_deref().unwrap_or(""))?;
            let options = BoltOptions::new(host.to_string(), self.port)
                .with_timeout(CONNECT_TIMEOUT)
                .with_tls(Tls::On {
                    ca_file: Some(ca_file),
                })
                .direct();
            BoltAdminClient::connect(options, &target.credentials)?
                .reload_tls()
                .await
        }
        .boxed()
    }
}

/// Whether a member presents the certificate the Secret holds for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented {
    Current,
    /// Still the previous certificate after this reconcile's reload (the kubelet may not have
    /// updated the files yet).
    Outdated,
    /// The member could not be asked (not Ready, no answer); says why.
    Unknown(String),
}

/// DER of each member certificate in `<name>-tls`, by pod name.
pub fn issued_der(data: &BTreeMap<String, String>, pods: &[String]) -> BTreeMap<String, Vec<u8>> {
    pods.iter()
        .filter_map(|pod| {
            let pem = data.get(&neo4j_aks_render::tls::member_keys(pod).0)?;
            let der = CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
            Some((pod.clone(), der.as_ref().to_vec()))
        })
        .collect()
}

/// For each Ready member (`ready_hosts`: pod → host name): compares what it presents with what
/// was issued, reloads where they differ, and looks again.
pub async fn bring_up_to_date(
    member_tls: &dyn MemberTls,
    target: &Target,
    ready_hosts: &BTreeMap<String, String>,
    issued: &BTreeMap<String, Vec<u8>>,
) -> BTreeMap<String, Presented> {
    let Some(ca_pem) = target.bolt_ca.as_deref() else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (pod, host) in ready_hosts {
        let Some(want) = issued.get(pod) else {
            continue;
        };
        let state = match member_tls.presented(host, ca_pem).await {
            Err(e) => Presented::Unknown(e.to_string()),
            Ok(der) if der == *want => Presented::Current,
            Ok(_) => match member_tls.reload(target, host).await {
                Err(e) => Presented::Unknown(format!("reloadTLS failed: {e}")),
                Ok(()) => match member_tls.presented(host, ca_pem).await {
                    Ok(der) if der == *want => Presented::Current,
                    Ok(_) => Presented::Outdated,
                    Err(e) => Presented::Unknown(e.to_string()),
                },
            },
        };
        out.insert(pod.clone(), state);
    }
    out
}

/// The reconcile step: fills `presented` of each member in `certificates` (2025.03+ with Bolt
/// on TLS; nothing otherwise) and returns whether a member still presents an outdated
/// certificate after its reload (worth a quick look again).
pub async fn reconcile(
    ctx: &crate::context::Context,
    spec: &ValidatedCluster,
    pods: &[neo4j_aks_topology::observed::PodObservation],
    secret: Option<&k8s_openapi::api::core::v1::Secret>,
    certificates: &mut neo4j_aks_model::CertificatesStatus,
) -> bool {
    if !neo4j_aks_render::tls::reloads_without_restart(spec) {
        return false;
    }
    let data = crate::certificates::text_data(secret);
    let pod_names: Vec<String> = certificates.members.iter().map(|m| m.pod.clone()).collect();
    let issued = issued_der(&data, &pod_names);
    // The CA comes from the Secret the controller already read.
    let bolt_ca = neo4j_aks_render::tls::trusted_cas_pem(&data);
    let target = async {
        Ok::<_, crate::error::Day2Error>(Target {
            namespace: spec.namespace.clone(),
            cluster: spec.name.clone(),
            hosts: Vec::new(),
            credentials: crate::day2::credentials(ctx, spec).await?,
            bolt_ca,
        })
    };
    let presented = match target.await {
        Ok(target) => {
            bring_up_to_date(&*ctx.member_tls, &target, &ready_hosts(spec, pods), &issued).await
        }
        Err(e) => pod_names
            .iter()
            .map(|pod| (pod.clone(), Presented::Unknown(e.to_string())))
            .collect(),
    };
    let mut pending = false;
    for member in &mut certificates.members {
        let state = presented
            .get(&member.pod)
            .cloned()
            .unwrap_or_else(|| Presented::Unknown("not Ready".to_string()));
        if let Presented::Unknown(why) = &state {
            tracing::debug!(pod = %member.pod, why = %why, "cannot tell which certificate the member presents");
        }
        // Outdated: files not synced yet, look again soon. Unknown (not Ready, unreachable) is
        // left to the normal resync instead of a tight loop of handshakes.
        pending |= state == Presented::Outdated;
        member.presented = Some(state.label().to_string());
    }
    pending
}

impl Presented {
    /// The word `status.certificates.members[].presented` carries.
    pub fn label(&self) -> &'static str {
        match self {
            Presented::Current => "Current",
            Presented::Outdated => "Outdated",
            Presented::Unknown(_) => "Unknown",
        }
    }
}

/// The pod → host names of the Ready members.
pub fn ready_hosts(
    spec: &ValidatedCluster,
    pods: &[neo4j_aks_topology::observed::PodObservation],
) -> BTreeMap<String, String> {
    pods.iter()
        .filter(|p| p.ready)
        .map(|p| {
            let ordinal = i32::try_from(p.ordinal).unwrap_or(i32::MAX);
            (
                format!("{}-{}", spec.statefulset_name(), p.ordinal),
                spec.member_fqdn(ordinal),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use neo4j_aks_topology::Credentials;
    use std::sync::Mutex;

    /// A member that presents what it loaded, and loads `files` on reload.
    struct Members {
        loaded: Mutex<BTreeMap<String, Vec<u8>>>,
        files: BTreeMap<String, Vec<u8>>,
        reloads: Mutex<Vec<String>>,
    }

    impl MemberTls for Members {
        fn presented<'a>(
            &'a self,
            host: &'a str,
            _: &'a str,
        ) -> BoxFuture<'a, Result<Vec<u8>, ClientError>> {
            let got = self.loaded.lock().expect("lock").get(host).cloned();
            futures::future::ready(got.ok_or(ClientError::Unavailable {
                detail: "down".into(),
            }))
            .boxed()
        }
        fn reload<'a>(
            &'a self,
            _: &'a Target,
            host: &'a str,
        ) -> BoxFuture<'a, Result<(), ClientError>> {
            self.reloads.lock().expect("lock").push(host.to_string());
            if let Some(file) = self.files.get(host) {
                self.loaded
                    .lock()
                    .expect("lock")
                    .insert(host.to_string(), file.clone());
            }
            futures::future::ready(Ok(())).boxed()
        }
    }

    fn target() -> Target {
        Target {
            namespace: "ns".into(),
            cluster: "db".into(),
            hosts: Vec::new(),
            credentials: Credentials::new("neo4j", "secret"),
            bolt_ca: Some("ca".into()),
        }
    }

    #[test]
    fn only_members_presenting_an_old_certificate_are_reloaded() {
        let hosts: BTreeMap<String, String> = (0..4)
            .map(|i| (format!("db-{i}"), format!("h{i}")))
            .collect();
        let issued: BTreeMap<String, Vec<u8>> =
            (0..4).map(|i| (format!("db-{i}"), vec![2, i])).collect();
        let members = Members {
            // h0 already new, h1 old (files updated), h2 old (files not yet updated), h3 down.
            loaded: Mutex::new(BTreeMap::from([
                ("h0".into(), vec![2, 0]),
                ("h1".into(), vec![1, 1]),
                ("h2".into(), vec![1, 2]),
            ])),
            files: BTreeMap::from([("h1".into(), vec![2, 1]), ("h2".into(), vec![1, 2])]),
            reloads: Mutex::default(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let result = runtime.block_on(bring_up_to_date(&members, &target(), &hosts, &issued));
        assert_eq!(result["db-0"], Presented::Current);
        assert_eq!(result["db-1"], Presented::Current);
        assert_eq!(result["db-2"], Presented::Outdated);
        assert!(matches!(result["db-3"], Presented::Unknown(_)));
        assert_eq!(*members.reloads.lock().expect("lock"), ["h1", "h2"]);
    }
}
