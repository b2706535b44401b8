//! The certificate step of apply: what the TLS Secrets hold decides which certificates to issue
//! ([`plan`], pure, the time given); [`issue`] issues them and writes both Secrets under their
//! own field manager. Nothing here prints or logs a key.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ObjectMeta, Patch, PatchParams};
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::api::managers;
use neo4j_aks_render::certificates::{self, KeyedCertificate, Reason, Wanted};
use neo4j_aks_render::tls::{self, CA_CERTIFICATE, CA_PRIVATE_KEY};
use serde_json::Value;
use time::OffsetDateTime;

use crate::changeset::Live;
use crate::error::ApplyError;
use crate::kinds::Kind;

/// What to issue: a new CA (every member then gets a new certificate too), and the members whose
/// certificates cannot stay, each with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificatePlan {
    pub new_ca: Option<Reason>,
    pub members: Vec<(String, Reason)>,
    /// Members whose stored certificate is no longer rendered (after a scale-down): dropped.
    pub removed: Vec<String>,
}

impl std::fmt::Display for CertificatePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(reason) = &self.new_ca {
            parts.push(format!("a new CA ({reason})"));
        }
        parts.extend(
            self.members
                .iter()
                .map(|(pod, reason)| format!("{pod} ({reason})")),
        );
        parts.extend(self.removed.iter().map(|pod| format!("{pod} removed")));
        write!(f, "{}", parts.join(", "))
    }
}

/// Decides from the live Secrets what to issue; `None` when TLS is off or nothing is due.
pub fn plan(
    cluster: &ValidatedCluster,
    live: &Live,
    now: OffsetDateTime,
) -> Option<CertificatePlan> {
    let tls = cluster.tls.as_ref()?;
    let ca = stored_ca(cluster, live);
    let new_ca = match &ca {
        None => Some(Reason::Missing),
        Some(ca) => certificates::ca_usable(ca, now, tls.certificate_days).err(),
    };
    let members_data = secret_data(live, &tls::secret_name(cluster));
    let wanted = wanted(cluster);
    let members = wanted
        .iter()
        .filter_map(|(pod, wanted)| {
            let reason = match (&new_ca, &ca) {
                (Some(_), _) | (_, None) => Reason::OtherIssuer,
                (None, Some(ca)) => certificates::judge_member(
                    &ca.certificate_pem,
                    stored_member(&members_data, pod).as_ref(),
                    wanted,
                    now,
                    tls.renew_before_days,
                )
                .err()?,
            };
            Some((pod.clone(), reason))
        })
        .collect();
    let removed = members_data
        .keys()
        .filter(|k| *k != CA_CERTIFICATE)
        .filter_map(|k| k.strip_suffix(".crt"))
        .filter(|pod| !wanted.contains_key(*pod))
        .map(str::to_string)
        .collect();
    let plan = CertificatePlan {
        new_ca,
        members,
        removed,
    };
    (plan.new_ca.is_some() || !plan.members.is_empty() || !plan.removed.is_empty()).then_some(plan)
}

/// Issues what `plan` asks for and writes both Secrets: the CA first (a member certificate is
/// never written before the CA that signed it), then every member's files and the CA
/// certificate members trust.
pub async fn issue(
    client: &Client,
    cluster: &ValidatedCluster,
    live: &Live,
    plan: &CertificatePlan,
    now: OffsetDateTime,
) -> Result<(), ApplyError> {
    let Some(tls) = &cluster.tls else {
        return Ok(());
    };
    let failed = |name: &str, reason: String| ApplyError::CertificatesFailed {
        name: name.to_string(),
        reason,
    };
    let ca_secret = tls::ca_secret_name(cluster);
    let member_secret = tls::secret_name(cluster);
    let ca = match (&plan.new_ca, stored_ca(cluster, live)) {
        (None, Some(ca)) => ca,
        _ => {
            let ca = certificates::issue_ca(&cluster.name, &cluster.namespace, now, tls.ca_days)
                .map_err(|e| failed(&ca_secret, e.to_string()))?;
            write(
                client,
                cluster,
                &ca_secret,
                BTreeMap::from([
                    (CA_CERTIFICATE.to_string(), ca.certificate_pem.clone()),
                    (CA_PRIVATE_KEY.to_string(), ca.key_pem.clone()),
                ]),
            )
            .await?;
            ca
        }
    };
    let stored = secret_data(live, &member_secret);
    let mut data = BTreeMap::from([(CA_CERTIFICATE.to_string(), ca.certificate_pem.clone())]);
    for (pod, wanted) in wanted(cluster) {
        let reissue = plan.members.iter().any(|(p, _)| *p == pod);
        let member = match stored_member(&stored, &pod) {
            Some(kept) if !reissue => kept,
            _ => certificates::issue_member(&ca, &pod, &wanted, now, tls.certificate_days)
                .map_err(|e| failed(&member_secret, e.to_string()))?,
        };
        let (certificate_key, private_key) = tls::member_keys(&pod);
        data.insert(certificate_key, member.certificate_pem);
        data.insert(private_key, member.key_pem);
    }
    write(client, cluster, &member_secret, data).await
}

/// Server-side apply of a Secret's data under the certificates field manager: keys it wrote
/// before and leaves out now (a removed member's) are removed by the server.
async fn write(
    client: &Client,
    cluster: &ValidatedCluster,
    name: &str,
    data: BTreeMap<String, String>,
) -> Result<(), ApplyError> {
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(cluster.namespace.clone()),
            ..ObjectMeta::default()
        },
        data: Some(
            data.into_iter()
                .map(|(k, v)| (k, ByteString(v.into_bytes())))
                .collect(),
        ),
        ..Secret::default()
    };
    Api::<Secret>::namespaced(client.clone(), &cluster.namespace)
        .patch(
            name,
            &PatchParams::apply(managers::CERTIFICATES).force(),
            &Patch::Apply(&secret),
        )
        .await
        .map(|_| ())
        .map_err(|source| ApplyError::ApplyFailed {
            kind: Kind::Secret.name(),
            name: name.to_string(),
            source,
        })
}

fn wanted(cluster: &ValidatedCluster) -> BTreeMap<String, Wanted> {
    tls::wanted(cluster)
        .into_iter()
        .map(
            |(pod, (dns_names, ip_addresses)): (String, (Vec<String>, Vec<IpAddr>))| {
                (
                    pod,
                    Wanted {
                        dns_names,
                        ip_addresses,
                    },
                )
            },
        )
        .collect()
}

/// A Secret's data as text, from the live objects.
fn secret_data(live: &Live, name: &str) -> BTreeMap<String, String> {
    live.objects
        .get(&(Kind::Secret, name.to_string()))
        .cloned()
        .and_then(|v: Value| serde_json::from_value::<Secret>(v).ok())
        .and_then(|s| s.data)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| String::from_utf8(v.0).ok().map(|v| (k, v)))
        .collect()
}

fn stored_ca(cluster: &ValidatedCluster, live: &Live) -> Option<KeyedCertificate> {
    let data = secret_data(live, &tls::ca_secret_name(cluster));
    Some(KeyedCertificate {
        certificate_pem: data.get(CA_CERTIFICATE)?.clone(),
        key_pem: data.get(CA_PRIVATE_KEY)?.clone(),
    })
}

fn stored_member(data: &BTreeMap<String, String>, pod: &str) -> Option<KeyedCertificate> {
    let (certificate_key, private_key) = tls::member_keys(pod);
    Some(KeyedCertificate {
        certificate_pem: data.get(&certificate_key)?.clone(),
        key_pem: data.get(&private_key)?.clone(),
    })
}
