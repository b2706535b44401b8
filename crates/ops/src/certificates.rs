//! The certificate step of apply: what the TLS Secrets hold decides which certificates to issue
//! ([`plan`], pure, the time given); [`issue`] issues them and writes both Secrets under their
//! own field manager. Nothing here prints or logs a key.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ObjectMeta, Patch, PatchParams};
use neo4j_aks_model::api::annotations::CERTIFICATES_RENEWED_AT;
use neo4j_aks_model::api::managers;
use neo4j_aks_model::{
    CertificatesStatus, MemberCertificateStatus, ScopeCertificateStatus, ValidatedCluster,
};
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
    if !tls::generated(cluster) {
        // source: secret: the user issues and renews; prepare checked their Secret.
        return None;
    }
    let ca = stored_ca(cluster, live);
    let new_ca = match &ca {
        None => Some(Reason::Missing),
        Some(ca) => certificates::ca_usable(ca, now, tls.certificate_days).err(),
    };
    let members_data = secret_data(live, &tls::secret_name(cluster));
    let wanted = wanted(cluster);
    let rotate_requested_at = tls
        .rotate_requested_at
        .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok());
    let members = wanted
        .iter()
        .filter_map(|(pod, wanted)| {
            let stored = stored_member(&members_data, pod);
            let reason = match (&new_ca, &ca) {
                _ if stored.is_none() => Reason::Missing,
                (Some(_), _) | (_, None) => Reason::OtherIssuer,
                (None, Some(ca)) => certificates::judge_member(
                    &ca.certificate_pem,
                    stored.as_ref(),
                    wanted,
                    now,
                    tls.renew_before_days,
                    rotate_requested_at,
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
    // A member whose certificate is replaced keeps serving the old one until it restarts.
    let mut renewed = false;
    for (pod, wanted) in wanted(cluster) {
        let reissue = plan.members.iter().any(|(p, _)| *p == pod);
        let member = match stored_member(&stored, &pod) {
            Some(kept) if !reissue => kept,
            previous => {
                renewed |= previous.is_some();
                certificates::issue_member(&ca, &pod, &wanted, now, tls.certificate_days)
                    .map_err(|e| failed(&member_secret, e.to_string()))?
            }
        };
        let (certificate_key, private_key) = tls::member_keys(&pod);
        data.insert(certificate_key, member.certificate_pem);
        data.insert(private_key, member.key_pem);
    }
    let renewed_at = if renewed {
        Some(rfc3339(now).map_err(|e| failed(&member_secret, e))?)
    } else {
        renewed_at(live, &member_secret)
    };
    let annotations = renewed_at
        .map(|at| BTreeMap::from([(CERTIFICATES_RENEWED_AT.to_string(), at)]))
        .unwrap_or_default();
    write_with(client, cluster, &member_secret, data, annotations).await
}

fn rfc3339(at: OffsetDateTime) -> Result<String, String> {
    k8s_openapi::jiff::Timestamp::from_second(at.unix_timestamp())
        .map(|t| t.to_string())
        .map_err(|e| e.to_string())
}

/// The renewal time the live Secret records (kept: this field manager owns the annotation, and
/// an apply without it would remove it).
fn renewed_at(live: &Live, name: &str) -> Option<String> {
    live.objects
        .get(&(Kind::Secret, name.to_string()))?
        .pointer("/metadata/annotations")?
        .get(CERTIFICATES_RENEWED_AT)?
        .as_str()
        .map(str::to_string)
}

/// Server-side apply of a Secret's data under the certificates field manager: keys it wrote
/// before and leaves out now (a removed member's) are removed by the server.
async fn write(
    client: &Client,
    cluster: &ValidatedCluster,
    name: &str,
    data: BTreeMap<String, String>,
) -> Result<(), ApplyError> {
    write_with(client, cluster, name, data, BTreeMap::new()).await
}

pub(crate) async fn write_with(
    client: &Client,
    cluster: &ValidatedCluster,
    name: &str,
    data: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> Result<(), ApplyError> {
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(cluster.namespace.clone()),
            annotations: (!annotations.is_empty()).then_some(annotations),
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

/// What each member's certificate must carry, by pod name ([`tls::wanted`] as [`Wanted`]).
pub fn wanted(cluster: &ValidatedCluster) -> BTreeMap<String, Wanted> {
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

/// What the Secret `<name>-tls` (or the user's, `source: secret`) holds, for the status, the metrics and `neo4j-aks certs status`:
/// `None` when TLS is off. Pure; `secret` is the live Secret (absent before the first issue).
pub fn inventory(
    cluster: &ValidatedCluster,
    secret: Option<&Secret>,
) -> Option<CertificatesStatus> {
    let tls = cluster.tls.as_ref()?;
    let data = text_data(secret);
    let generated = tls::generated(cluster);
    let text = |at: OffsetDateTime| rfc3339(at).ok();
    let members: Vec<MemberCertificateStatus> = wanted(cluster)
        .into_keys()
        .map(|pod| {
            let pem = data.get(&tls::member_keys(&pod).0);
            MemberCertificateStatus {
                issued_at: pem
                    .and_then(|p| {
                        if generated {
                            certificates::issued_at(p)
                        } else {
                            // A user's certificate: its own notBefore, no backdating assumed.
                            certificates::valid_from(p)
                        }
                    })
                    .and_then(text),
                expires_at: pem.and_then(|p| certificates::expiry(p)).and_then(text),
                presented: None,
                pod,
            }
        })
        .collect();
    let earliest = wanted(cluster)
        .keys()
        .map(|pod| {
            data.get(&tls::member_keys(pod).0)
                .and_then(|p| certificates::expiry(p))
        })
        .collect::<Option<Vec<_>>>()
        .and_then(|all| all.into_iter().min())
        .and_then(text);
    Some(CertificatesStatus {
        ca_expires_at: data
            .get(CA_CERTIFICATE)
            .and_then(|p| certificates::expiry(p))
            .and_then(text),
        scopes: tls
            .scopes
            .iter()
            .map(|scope| ScopeCertificateStatus {
                scope: scope.name().to_string(),
                expires_at: earliest.clone(),
            })
            .collect(),
        expires_at: earliest,
        renewed_at: secret
            .and_then(|s| s.metadata.annotations.as_ref())
            .and_then(|a| a.get(CERTIFICATES_RENEWED_AT))
            .cloned(),
        members,
    })
}

/// Reads `<name>-tls` and tells what it holds (see [`inventory`]).
pub async fn read_inventory(
    client: &Client,
    cluster: &ValidatedCluster,
) -> Result<Option<CertificatesStatus>, ApplyError> {
    Ok(inventory(
        cluster,
        read_secret(client, cluster).await?.as_ref(),
    ))
}

/// The Secret `<name>-tls`; `None` when TLS is off or it does not exist yet.
pub async fn read_secret(
    client: &Client,
    cluster: &ValidatedCluster,
) -> Result<Option<Secret>, ApplyError> {
    if cluster.tls.is_none() {
        return Ok(None);
    }
    let name = tls::secret_name(cluster);
    Api::<Secret>::namespaced(client.clone(), &cluster.namespace)
        .get_opt(&name)
        .await
        .map_err(|source| ApplyError::ReadFailed {
            what: format!("Secret {name}"),
            source,
        })
}

/// A Secret's data as text.
pub fn text_data(secret: Option<&Secret>) -> BTreeMap<String, String> {
    secret
        .and_then(|s| s.data.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| String::from_utf8(v.0).ok().map(|v| (k, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use neo4j_aks_model::Neo4jCluster;

    fn cluster(rotate: Option<&str>) -> ValidatedCluster {
        let annotations = rotate
            .map(|at| {
                format!(
                    "  annotations:\n    neo4j-aks.io/rotate-certificates-requested-at: \"{at}\"\n"
                )
            })
            .unwrap_or_default();
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: db\n  namespace: ns\n{annotations}spec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  tls:\n    enabled: true\n    scopes: [bolt, cluster]\n"
        );
        neo4j_aks_model::validate(&Neo4jCluster::from_yaml(&yaml).expect("parses")).expect("valid")
    }

    fn at(text: &str) -> OffsetDateTime {
        let second = text
            .parse::<k8s_openapi::jiff::Timestamp>()
            .expect("time")
            .as_second();
        OffsetDateTime::from_unix_timestamp(second).expect("time")
    }

    /// The Secrets as the certificate step would have written them at `issued`.
    fn live(cluster: &ValidatedCluster, issued: &str, renewed: Option<&str>) -> Live {
        let now = at(issued);
        let ca = certificates::issue_ca("db", "ns", now, 3650).expect("ca");
        let mut data = BTreeMap::from([(CA_CERTIFICATE.to_string(), ca.certificate_pem.clone())]);
        for (pod, w) in wanted(cluster) {
            let m = certificates::issue_member(&ca, &pod, &w, now, 90).expect("member");
            let (crt, key) = tls::member_keys(&pod);
            data.insert(crt, m.certificate_pem);
            data.insert(key, m.key_pem);
        }
        let secret = |name: &str, data: &BTreeMap<String, String>, renewed: Option<&str>| {
            let mut metadata = ObjectMeta {
                name: Some(name.to_string()),
                ..ObjectMeta::default()
            };
            metadata.annotations = renewed
                .map(|r| BTreeMap::from([(CERTIFICATES_RENEWED_AT.to_string(), r.to_string())]));
            serde_json::to_value(Secret {
                metadata,
                data: Some(
                    data.iter()
                        .map(|(k, v)| (k.clone(), ByteString(v.clone().into_bytes())))
                        .collect(),
                ),
                ..Secret::default()
            })
            .expect("json")
        };
        let ca_data = BTreeMap::from([
            (CA_CERTIFICATE.to_string(), ca.certificate_pem.clone()),
            (CA_PRIVATE_KEY.to_string(), ca.key_pem.clone()),
        ]);
        Live {
            objects: BTreeMap::from([
                (
                    (Kind::Secret, "db-tls".to_string()),
                    secret("db-tls", &data, renewed),
                ),
                (
                    (Kind::Secret, "db-tls-ca".to_string()),
                    secret("db-tls-ca", &ca_data, None),
                ),
            ]),
            read_at: now,
            issued: BTreeMap::new(),
        }
    }

    #[test]
    fn inventory_tells_each_scope_and_member_and_the_earliest_expiry() {
        let c = cluster(None);
        let live = live(&c, "2026-12-01T00:00:00Z", Some("2026-12-01T00:00:00Z"));
        let secret: Secret =
            serde_json::from_value(live.objects[&(Kind::Secret, "db-tls".to_string())].clone())
                .expect("secret");
        let status = inventory(&c, Some(&secret)).expect("TLS is on");
        assert_eq!(status.expires_at.as_deref(), Some("2027-03-01T00:00:00Z"));
        assert_eq!(
            status.ca_expires_at.as_deref(),
            Some("2036-11-28T00:00:00Z")
        );
        assert_eq!(status.renewed_at.as_deref(), Some("2026-12-01T00:00:00Z"));
        let scopes: Vec<(&str, Option<&str>)> = status
            .scopes
            .iter()
            .map(|s| (s.scope.as_str(), s.expires_at.as_deref()))
            .collect();
        assert_eq!(
            scopes,
            [
                ("bolt", Some("2027-03-01T00:00:00Z")),
                ("cluster", Some("2027-03-01T00:00:00Z"))
            ]
        );
        let members: Vec<(&str, Option<&str>)> = status
            .members
            .iter()
            .map(|m| (m.pod.as_str(), m.issued_at.as_deref()))
            .collect();
        assert_eq!(
            members,
            [
                ("db-0", Some("2026-12-01T00:00:00Z")),
                ("db-1", Some("2026-12-01T00:00:00Z")),
                ("db-2", Some("2026-12-01T00:00:00Z"))
            ]
        );
        // Nothing issued yet: every member listed without dates, no earliest expiry.
        let empty = inventory(&c, None).expect("TLS is on");
        assert!(empty.expires_at.is_none() && empty.members.iter().all(|m| m.expires_at.is_none()));
    }

    #[test]
    fn a_rotation_request_replaces_every_member_certificate_once() {
        let issued = "2026-12-01T00:00:00Z";
        let mut live = live(&cluster(None), issued, None);
        // Asked an hour later: every member's certificate predates it.
        let c = cluster(Some("2026-12-01T01:00:00Z"));
        live.read_at = at("2026-12-01T01:00:05Z");
        let plan = plan(&c, &live, live.read_at).expect("a plan");
        assert_eq!(plan.new_ca, None, "the CA stays");
        assert_eq!(
            plan.members,
            ["db-0", "db-1", "db-2"].map(|p| (p.to_string(), Reason::RotationRequested))
        );
        // The same request against certificates issued after it: nothing to do.
        let mut after = super::tests::live(&c, "2026-12-01T01:00:05Z", None);
        after.read_at = at("2026-12-01T01:00:10Z");
        assert_eq!(plan_of(&c, &after), None);
    }

    fn plan_of(c: &ValidatedCluster, live: &Live) -> Option<CertificatePlan> {
        plan(c, live, live.read_at)
    }
}
