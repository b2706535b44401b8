//! The certificate step of apply: what the TLS Secrets hold decides which certificates to issue
//! ([`plan`], pure, the time given); [`issue`] issues them and writes both Secrets under their
//! own field manager. Nothing here prints or logs a key.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ObjectMeta, Patch, PatchParams};
use neo4j_aks_model::api::annotations::{CERTIFICATES_RENEWED_AT, TRUSTED_CA_ADDED_AT};
use neo4j_aks_model::api::managers;
use neo4j_aks_model::{
    CertificatesStatus, MemberCertificateStatus, ScopeCertificateStatus, ValidatedCluster,
};
use neo4j_aks_render::certificates::{self, KeyedCertificate, Reason, Wanted};
use neo4j_aks_render::tls::{
    self, CA_CERTIFICATE, CA_PRIVATE_KEY, NEXT_CA_CERTIFICATE, NEXT_CA_PRIVATE_KEY,
    OTHER_CA_CERTIFICATE,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::changeset::Live;
use crate::error::ApplyError;
use crate::kinds::Kind;

/// What happens to the CA. A CA that members already use is replaced in three steps, so that
/// no member ever presents a certificate another member does not trust yet: every member first
/// trusts the new CA beside the old one (a restart each, one at a time), then gets a
/// certificate of the new CA, and the old CA is trusted until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaStep {
    /// No CA is in use yet (or what `<name>-tls` holds cannot be read): a new CA and every
    /// member's certificate at once.
    Issue(Reason),
    /// Step 1: a new CA, trusted by the members (`other-ca.crt`) but not signing yet.
    Introduce(Reason),
    /// Step 2, once every member runs trusting both: the new CA signs every member's
    /// certificate; the old one stays trusted (`other-ca.crt`).
    Switch,
    /// Step 3: the old CA expired; it is no longer trusted.
    Retire,
}

impl std::fmt::Display for CaStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaStep::Issue(reason) => write!(f, "a new CA ({reason})"),
            CaStep::Introduce(reason) => {
                write!(f, "a new CA trusted beside the current one ({reason})")
            }
            CaStep::Switch => write!(f, "members switched to the new CA"),
            CaStep::Retire => write!(f, "the expired previous CA retired"),
        }
    }
}

/// What to issue: a CA step, and the members whose certificates cannot stay, each with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificatePlan {
    pub ca: Option<CaStep>,
    pub members: Vec<(String, Reason)>,
    /// Members whose stored certificate is no longer rendered (after a scale-down): dropped.
    pub removed: Vec<String>,
}

impl std::fmt::Display for CertificatePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(step) = &self.ca {
            parts.push(step.to_string());
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
    let members_data = secret_data(live, &tls::secret_name(cluster));
    let in_use = members_use_a_ca(&members_data, &wanted(cluster));
    let wanted = issued_certificates(cluster);
    let at =
        |seconds: Option<i64>| seconds.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
    let ca_due = match &ca {
        None => Some(Reason::Missing),
        Some(ca) => certificates::ca_usable(ca, now, tls.certificate_days)
            .err()
            .or_else(|| {
                let requested = at(tls.rotate_ca_requested_at)?;
                let issued = certificates::issued_at(&ca.certificate_pem)?;
                (issued < requested && requested <= now).then_some(Reason::RotationRequested)
            }),
    };
    let ca_step = if stored_next_ca(cluster, live).is_some() {
        trust_rolled_out(cluster, live).then_some(CaStep::Switch)
    } else if let Some(reason) = ca_due {
        Some(if in_use {
            CaStep::Introduce(reason)
        } else {
            CaStep::Issue(reason)
        })
    } else {
        other_ca_expired(&members_data, now).then_some(CaStep::Retire)
    };
    let rotate_requested_at = at(tls.rotate_requested_at);
    let reissue_all = matches!(ca_step, Some(CaStep::Issue(_) | CaStep::Switch));
    let members = wanted
        .iter()
        .filter_map(|(pod, wanted)| {
            let stored = stored_member(&members_data, pod);
            let reason = match &ca {
                _ if stored.is_none() => Reason::Missing,
                _ if reissue_all => Reason::OtherIssuer,
                // Nothing can sign until a CA exists; step 1 issues one.
                None => return None,
                Some(ca) => certificates::judge_member(
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
        .filter(|k| ![CA_CERTIFICATE, OTHER_CA_CERTIFICATE].contains(&k.as_str()))
        .filter_map(|k| k.strip_suffix(".crt"))
        .filter(|pod| !wanted.contains_key(*pod))
        .map(str::to_string)
        .collect();
    let plan = CertificatePlan {
        ca: ca_step,
        members,
        removed,
    };
    (plan.ca.is_some() || !plan.members.is_empty() || !plan.removed.is_empty()).then_some(plan)
}

/// Whether running members already present certificates of the CA in `<name>-tls`: replacing
/// that CA at once would leave members that restarted first unable to talk to the others.
fn members_use_a_ca(data: &BTreeMap<String, String>, wanted: &BTreeMap<String, Wanted>) -> bool {
    data.get(CA_CERTIFICATE)
        .is_some_and(|pem| certificates::expiry(pem).is_some())
        && wanted
            .keys()
            .any(|pod| data.contains_key(&tls::member_keys(pod).0))
}

/// Step 1 of a CA rotation is done: the StatefulSet's pod template carries the time the new CA
/// was added to what members trust, its controller has seen that template, and every member runs
/// it and is ready (the day-2 executor restarted them one at a time).
fn trust_rolled_out(cluster: &ValidatedCluster, live: &Live) -> bool {
    let Some(added_at) = live
        .objects
        .get(&(Kind::Secret, tls::secret_name(cluster)))
        .and_then(|s| s.pointer("/metadata/annotations"))
        .and_then(|a| a.get(TRUSTED_CA_ADDED_AT))
    else {
        return false;
    };
    let Some(sts) = live
        .objects
        .get(&(Kind::StatefulSet, cluster.statefulset_name()))
        .cloned()
        .and_then(|v| serde_json::from_value::<StatefulSet>(v).ok())
    else {
        return false;
    };
    let template_added_at = sts
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(TRUSTED_CA_ADDED_AT));
    let replicas = sts.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let template_seen = crate::observe::desired_revision(&sts).is_some();
    let status = sts.status.unwrap_or_default();
    template_added_at.and_then(|t| added_at.as_str().map(|a| a == t)) == Some(true)
        && template_seen
        && status.updated_replicas == Some(replicas)
        && status.ready_replicas == Some(replicas)
}

/// The second trusted CA of `<name>-tls` has expired (nobody can present its certificates).
fn other_ca_expired(data: &BTreeMap<String, String>, now: OffsetDateTime) -> bool {
    data.get(OTHER_CA_CERTIFICATE)
        .is_some_and(|pem| certificates::expiry(pem).is_none_or(|at| at <= now))
}

/// Issues what `plan` asks for and writes both Secrets: the CA first (a member certificate is
/// never written before the CA that signed it), then every member's files and the CAs members
/// trust.
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
    let new_ca = || {
        certificates::issue_ca(&cluster.name, &cluster.namespace, now, tls.ca_days)
            .map_err(|e| failed(&ca_secret, e.to_string()))
    };
    let stored = secret_data(live, &member_secret);
    let current = stored_ca(cluster, live);
    // The CA that signs member certificates from now on, and the new one trusted beside it.
    let (signer, next) = match &plan.ca {
        Some(CaStep::Issue(_)) => (Some(new_ca()?), None),
        Some(CaStep::Introduce(_)) => (current, Some(new_ca()?)),
        Some(CaStep::Switch) => {
            let next = stored_next_ca(cluster, live)
                .ok_or_else(|| failed(&ca_secret, "the new CA is gone from the Secret".into()))?;
            (Some(next), None)
        }
        Some(CaStep::Retire) | None => (current, stored_next_ca(cluster, live)),
    };
    let mut ca_data = BTreeMap::new();
    if let Some(signer) = &signer {
        ca_data.insert(CA_CERTIFICATE.to_string(), signer.certificate_pem.clone());
        ca_data.insert(CA_PRIVATE_KEY.to_string(), signer.key_pem.clone());
    }
    if let Some(next) = &next {
        ca_data.insert(
            NEXT_CA_CERTIFICATE.to_string(),
            next.certificate_pem.clone(),
        );
        ca_data.insert(NEXT_CA_PRIVATE_KEY.to_string(), next.key_pem.clone());
    }
    if !ca_data.is_empty() && ca_data != secret_data(live, &ca_secret) {
        write(client, cluster, &ca_secret, ca_data).await?;
    }

    // What members trust besides the signer: the new CA during step 1; after a switch, the CA
    // the members' running certificates come from, until it expires.
    let stored_ca_pem = stored.get(CA_CERTIFICATE);
    let signer_pem = signer.as_ref().map(|s| &s.certificate_pem);
    let other_ca = match (&next, &plan.ca) {
        (Some(next), _) => Some(next.certificate_pem.clone()),
        (None, Some(CaStep::Retire)) => None,
        (None, _) => match stored_ca_pem.filter(|pem| Some(*pem) != signer_pem) {
            Some(previous) if certificates::expiry(previous).is_some_and(|at| at > now) => {
                Some(previous.clone())
            }
            _ => stored
                .get(OTHER_CA_CERTIFICATE)
                .filter(|pem| Some(*pem) != signer_pem)
                .cloned(),
        },
    };
    let trust_pem = match (&next, signer_pem, stored_ca_pem) {
        // Step 1: members keep presenting (and clients keep expecting) the current CA.
        (Some(_), Some(signer), _) => Some(signer.clone()),
        (Some(_), None, stored) => stored.cloned(),
        (None, signer, _) => signer.cloned(),
    };
    let mut data = BTreeMap::new();
    if let Some(pem) = trust_pem {
        data.insert(CA_CERTIFICATE.to_string(), pem);
    }
    if let Some(pem) = &other_ca {
        data.insert(OTHER_CA_CERTIFICATE.to_string(), pem.clone());
    }
    // A member whose certificate is replaced keeps serving the old one until it restarts.
    let mut renewed = false;
    for (pod, wanted) in issued_certificates(cluster) {
        let reissue = plan.members.iter().any(|(p, _)| *p == pod);
        let member = match (stored_member(&stored, &pod), &signer) {
            (Some(kept), _) if !reissue => kept,
            (previous, Some(signer)) => {
                // The backup Jobs read their certificate when they start: no member restarts.
                renewed |= previous.is_some() && pod != tls::BACKUP_CLIENT;
                certificates::issue_member(signer, &pod, &wanted, now, tls.certificate_days)
                    .map_err(|e| failed(&member_secret, e.to_string()))?
            }
            // No CA can sign yet (its Secret was lost during step 1): kept as it is.
            (Some(kept), None) => kept,
            (None, None) => continue,
        };
        let (certificate_key, private_key) = tls::member_keys(&pod);
        data.insert(certificate_key, member.certificate_pem);
        data.insert(private_key, member.key_pem);
    }
    let mut annotations = BTreeMap::new();
    let renewed_at = if renewed {
        Some(rfc3339(now).map_err(|e| failed(&member_secret, e))?)
    } else {
        annotation(live, &member_secret, CERTIFICATES_RENEWED_AT)
    };
    if let Some(at) = renewed_at {
        annotations.insert(CERTIFICATES_RENEWED_AT.to_string(), at);
    }
    let trusted_added_at = if matches!(plan.ca, Some(CaStep::Introduce(_))) {
        Some(rfc3339(now).map_err(|e| failed(&member_secret, e))?)
    } else {
        annotation(live, &member_secret, TRUSTED_CA_ADDED_AT)
    };
    if let Some(at) = trusted_added_at {
        annotations.insert(TRUSTED_CA_ADDED_AT.to_string(), at);
    }
    write_with(client, cluster, &member_secret, data, annotations).await
}

fn rfc3339(at: OffsetDateTime) -> Result<String, String> {
    k8s_openapi::jiff::Timestamp::from_second(at.unix_timestamp())
        .map(|t| t.to_string())
        .map_err(|e| e.to_string())
}

/// An annotation the live Secret records (kept: this field manager owns it, and an apply
/// without it would remove it).
fn annotation(live: &Live, name: &str, key: &str) -> Option<String> {
    live.objects
        .get(&(Kind::Secret, name.to_string()))?
        .pointer("/metadata/annotations")?
        .get(key)?
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

/// Every certificate the operator issues into `<name>-tls`: the members', and the backup Jobs'
/// client certificate when the `backup` scope is on and the cluster is backed up.
fn issued_certificates(cluster: &ValidatedCluster) -> BTreeMap<String, Wanted> {
    let mut all = wanted(cluster);
    if let Some((name, dns_names)) = tls::backup_client(cluster) {
        all.insert(
            name,
            Wanted {
                dns_names,
                ip_addresses: Vec::new(),
            },
        );
    }
    all
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

/// Step 1 of a CA rotation: the new CA, kept beside the signing one until the members trust it.
fn stored_next_ca(cluster: &ValidatedCluster, live: &Live) -> Option<KeyedCertificate> {
    let data = secret_data(live, &tls::ca_secret_name(cluster));
    Some(KeyedCertificate {
        certificate_pem: data.get(NEXT_CA_CERTIFICATE)?.clone(),
        key_pem: data.get(NEXT_CA_PRIVATE_KEY)?.clone(),
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
    let ca_pem = data.get(CA_CERTIFICATE);
    let ca_issued = ca_pem.and_then(|p| certificates::issued_at(p));
    // The second trusted CA is the next one while it is newer than the signing CA (step 1 of a
    // rotation), the previous one after the switch.
    let other = data.get(OTHER_CA_CERTIFICATE).map(|p| {
        let newer = certificates::issued_at(p)
            .zip(ca_issued)
            .is_some_and(|(other, ca)| other > ca);
        (newer, certificates::expiry(p).and_then(text))
    });
    let annotation = |key: &str| {
        secret
            .and_then(|s| s.metadata.annotations.as_ref())
            .and_then(|a| a.get(key))
            .cloned()
    };
    Some(CertificatesStatus {
        ca_expires_at: ca_pem.and_then(|p| certificates::expiry(p)).and_then(text),
        ca_issued_at: ca_issued.and_then(text),
        next_ca_expires_at: other
            .as_ref()
            .filter(|(newer, _)| *newer)
            .and_then(|(_, at)| at.clone()),
        previous_ca_expires_at: other
            .as_ref()
            .filter(|(newer, _)| !*newer)
            .and_then(|(_, at)| at.clone()),
        trusted_ca_added_at: annotation(TRUSTED_CA_ADDED_AT),
        scopes: tls
            .scopes
            .iter()
            .map(|scope| ScopeCertificateStatus {
                scope: scope.name().to_string(),
                expires_at: earliest.clone(),
            })
            .collect(),
        expires_at: earliest,
        renewed_at: annotation(CERTIFICATES_RENEWED_AT),
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
        assert_eq!(plan.ca, None, "the CA stays");
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

    fn ca_rotation_requested(at: &str) -> ValidatedCluster {
        let mut c = cluster(None);
        if let Some(tls) = c.tls.as_mut() {
            tls.rotate_ca_requested_at = Some(self::at(at).unix_timestamp());
        }
        c
    }

    fn secret_mut<'a>(live: &'a mut Live, name: &str) -> &'a mut Value {
        live.objects
            .get_mut(&(Kind::Secret, name.to_string()))
            .expect("secret")
    }

    fn put(live: &mut Live, secret: &str, key: &str, pem: &str) {
        secret_mut(live, secret)["data"][key] =
            serde_json::to_value(ByteString(pem.as_bytes().to_vec())).expect("json");
    }

    /// The live StatefulSet: its template carries `trusted` (the trusted-CA time), `updated`
    /// of 3 members run it, all ready.
    fn statefulset(live: &mut Live, trusted: &str, updated: i32) {
        let sts = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "generation": 4},
            "spec": {"replicas": 3, "selector": {}, "serviceName": "db",
                "template": {"metadata": {"annotations": {TRUSTED_CA_ADDED_AT: trusted}}}},
            "status": {"replicas": 3, "observedGeneration": 4, "updateRevision": "db-2",
                "updatedReplicas": updated, "readyReplicas": 3},
        });
        live.objects
            .insert((Kind::StatefulSet, "db".to_string()), sts);
    }

    /// The CA rotation's three steps, each decided from what the Secrets and the StatefulSet
    /// hold: introduce (members keep their certificates), wait until every member runs the pod
    /// template that trusts both, switch (every member re-issued), retire once the old expired.
    #[test]
    fn a_ca_in_use_is_replaced_in_three_steps() {
        let issued = "2026-12-01T00:00:00Z";
        let c = ca_rotation_requested("2026-12-02T00:00:00Z");
        let mut live = live(&c, issued, None);
        live.read_at = at("2026-12-02T00:00:05Z");
        let step1 = plan_of(&c, &live).expect("a plan");
        assert_eq!(step1.ca, Some(CaStep::Introduce(Reason::RotationRequested)));
        assert!(step1.members.is_empty(), "members keep their certificates");

        // Step 1 written: the new CA waits in the CA Secret, members are told to trust it.
        let next = certificates::issue_ca("db", "ns", live.read_at, 3650).expect("ca");
        put(
            &mut live,
            "db-tls-ca",
            NEXT_CA_CERTIFICATE,
            &next.certificate_pem,
        );
        put(&mut live, "db-tls-ca", NEXT_CA_PRIVATE_KEY, &next.key_pem);
        put(
            &mut live,
            "db-tls",
            OTHER_CA_CERTIFICATE,
            &next.certificate_pem,
        );
        secret_mut(&mut live, "db-tls")["metadata"]["annotations"] =
            serde_json::json!({TRUSTED_CA_ADDED_AT: "2026-12-02T00:00:05Z"});
        assert_eq!(plan_of(&c, &live), None, "no StatefulSet seen yet: wait");
        statefulset(&mut live, "2026-12-02T00:00:05Z", 2);
        assert_eq!(
            plan_of(&c, &live),
            None,
            "one member still trusts only the old CA"
        );
        statefulset(&mut live, "2026-12-01T00:00:00Z", 3);
        assert_eq!(
            plan_of(&c, &live),
            None,
            "an older trust template does not count"
        );
        statefulset(&mut live, "2026-12-02T00:00:05Z", 3);
        let step2 = plan_of(&c, &live).expect("a plan");
        assert_eq!(step2.ca, Some(CaStep::Switch));
        assert_eq!(
            step2.members,
            ["db-0", "db-1", "db-2"].map(|p| (p.to_string(), Reason::OtherIssuer))
        );

        // Switched: the new CA signs; the old one is the second trusted CA until it expires.
        // (An old CA of 30 days, so that it expires long before the new one.)
        let old_ca = certificates::issue_ca("db", "ns", at(issued), 30).expect("ca");
        let mut after = super::tests::live(&c, "2026-12-02T00:00:05Z", None);
        after.read_at = at("2026-12-03T00:00:00Z");
        put(
            &mut after,
            "db-tls",
            OTHER_CA_CERTIFICATE,
            &old_ca.certificate_pem,
        );
        assert_eq!(
            plan_of(&c, &after),
            None,
            "the old CA is trusted until it expires"
        );
        after.read_at = at("2027-01-01T00:00:00Z");
        assert_eq!(
            plan_of(&c, &after),
            Some(CertificatePlan {
                ca: Some(CaStep::Retire),
                members: Vec::new(),
                removed: Vec::new()
            }),
            "expired: no longer trusted"
        );
    }

    /// No member uses a CA yet: nothing to keep working, so the CA and every member at once.
    #[test]
    fn a_new_cluster_gets_its_ca_and_every_member_at_once() {
        let c = cluster(None);
        let live = Live {
            read_at: at("2026-12-01T00:00:00Z"),
            ..Live::default()
        };
        let plan = plan_of(&c, &live).expect("a plan");
        assert_eq!(plan.ca, Some(CaStep::Issue(Reason::Missing)));
        assert_eq!(
            plan.members,
            ["db-0", "db-1", "db-2"].map(|p| (p.to_string(), Reason::Missing))
        );
    }

    /// The CA Secret lost while members run: they are still given the trust step first, and
    /// no member certificate is issued while nothing can sign it.
    #[test]
    fn a_lost_ca_secret_is_replaced_without_breaking_running_members() {
        let c = cluster(None);
        let mut live = live(&c, "2026-12-01T00:00:00Z", None);
        live.objects
            .remove(&(Kind::Secret, "db-tls-ca".to_string()));
        live.read_at = at("2026-12-01T01:00:00Z");
        let plan = plan_of(&c, &live).expect("a plan");
        assert_eq!(plan.ca, Some(CaStep::Introduce(Reason::Missing)));
        assert!(plan.members.is_empty());
    }

    /// A backed-up cluster with the `backup` scope: the backup Jobs' client certificate is
    /// issued, judged and renewed like a member's, and dropped when no longer wanted.
    #[test]
    fn the_backup_client_certificate_is_issued_with_the_members() {
        let yaml = "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: db\n  namespace: ns\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  tls:\n    enabled: true\n  backup:\n    enabled: true\n    target:\n      storageAccount: graphbackups01\n    credentials:\n      accountKeySecretRef:\n        name: key\n";
        let c = neo4j_aks_model::validate(&Neo4jCluster::from_yaml(yaml).expect("parses"))
            .expect("valid");
        let fresh = plan_of(
            &c,
            &Live {
                read_at: at("2026-12-01T00:00:00Z"),
                ..Live::default()
            },
        )
        .expect("a plan");
        let names: Vec<&str> = fresh.members.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["backup-client", "db-0", "db-1", "db-2"]);
        // Issued with the members (live() writes members only): only the client is missing.
        let mut live = live(&c, "2026-12-01T00:00:00Z", None);
        live.read_at = at("2026-12-01T01:00:00Z");
        assert_eq!(
            plan_of(&c, &live).map(|p| p.members),
            Some(vec![("backup-client".to_string(), Reason::Missing)])
        );
        // A client certificate left over when the scope goes: removed.
        let ca = certificates::issue_ca("db", "ns", live.read_at, 3650).expect("ca");
        let client = certificates::issue_member(
            &ca,
            "backup-client",
            &Wanted {
                dns_names: vec!["db-backup-client".into()],
                ip_addresses: Vec::new(),
            },
            live.read_at,
            90,
        )
        .expect("client");
        let without = cluster(None);
        let mut stale = super::tests::live(&without, "2026-12-01T00:00:00Z", None);
        stale.read_at = at("2026-12-01T01:00:00Z");
        put(
            &mut stale,
            "db-tls",
            "backup-client.crt",
            &client.certificate_pem,
        );
        assert_eq!(
            plan_of(&without, &stale).map(|p| p.removed),
            Some(vec!["backup-client".to_string()])
        );
    }

    #[test]
    fn trusted_cas_bundle_both_during_a_rotation() {
        let mut data = BTreeMap::from([(CA_CERTIFICATE.to_string(), "A\n".to_string())]);
        assert_eq!(tls::trusted_cas_pem(&data).as_deref(), Some("A\n"));
        data.insert(OTHER_CA_CERTIFICATE.to_string(), "B".to_string());
        assert_eq!(tls::trusted_cas_pem(&data).as_deref(), Some("A\nB\n"));
    }
}
