//! The certificate step with `spec.tls.source: certManager`. cert-manager keeps one Secret per
//! member (`<pod>-cert`: `tls.crt`, `tls.key`, `ca.crt`, from the Certificates the renderer
//! makes); the members mount `<name>-tls` as with every source. This step checks what
//! cert-manager issued with the check the `secret` source uses
//! ([`neo4j_aks_render::certificates::check_provided`]) and copies it into `<name>-tls` as
//! `<pod>.crt`, `<pod>.key` and `ca.crt`, recording `neo4j-aks.io/certificates-renewed-at` when
//! a running member's certificate changed, so a renewal rolls or reloads the members as the
//! generated source's does.
//!
//! Until every member's Secret holds a certificate and key, the StatefulSet is not applied (a
//! member would start without its files): the apply stops there with an error naming the
//! Certificates that are not Ready and why, which the status and an Event carry. A Certificate's
//! status change (cert-manager finished or failed) reconciles the cluster: the operator owns
//! the Certificates. Nothing here prints or logs a key.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::api::annotations::CERTIFICATES_RENEWED_AT;
use neo4j_aks_render::cert_manager::{
    SECRET_CA, SECRET_CERTIFICATE, SECRET_PRIVATE_KEY, certificate_name,
};
use neo4j_aks_render::tls::{self, CA_CERTIFICATE};
use serde_json::Value;
use time::OffsetDateTime;

use crate::changeset::Live;
use crate::error::ApplyError;
use crate::kinds::Kind;

/// What the certificate step does with cert-manager's Secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Copy them into `<name>-tls`: members whose certificate is new (`added`) or replaced
    /// (`renewed`), members no longer rendered (`removed`), and whether the CA the members
    /// trust changed. A renewal or a new CA rolls or reloads the running members.
    Gather {
        added: Vec<String>,
        renewed: Vec<String>,
        removed: Vec<String>,
        ca_changed: bool,
    },
    /// Some member has no certificate yet: each Certificate and why it is not Ready.
    Wait { pending: Vec<String> },
    /// What cert-manager issued cannot serve: every problem.
    Refuse { problems: Vec<String> },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Gather {
                added,
                renewed,
                removed,
                ca_changed,
            } => {
                let mut parts: Vec<String> = Vec::new();
                parts.extend(
                    added
                        .iter()
                        .map(|p| format!("{p} (issued by cert-manager)")),
                );
                parts.extend(
                    renewed
                        .iter()
                        .map(|p| format!("{p} (renewed by cert-manager)")),
                );
                parts.extend(removed.iter().map(|p| format!("{p} removed")));
                if *ca_changed {
                    parts.push("a new CA certificate".into());
                }
                write!(f, "{}", parts.join(", "))
            }
            Step::Wait { pending } => write!(
                f,
                "waiting for cert-manager before starting members: {}",
                pending.join("; ")
            ),
            Step::Refuse { problems } => write!(
                f,
                "the certificates cert-manager issued cannot be used: {}",
                problems.join("; ")
            ),
        }
    }
}

/// The data of each member's cert-manager Secret, by pod (empty unless the source is
/// certManager). Read by name: cert-manager creates them, so they carry none of our labels.
pub async fn read_issued(
    client: &Client,
    cluster: &ValidatedCluster,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ApplyError> {
    let mut issued = BTreeMap::new();
    if cluster
        .tls
        .as_ref()
        .and_then(|t| t.cert_manager())
        .is_none()
    {
        return Ok(issued);
    }
    let api = Api::<Secret>::namespaced(client.clone(), &cluster.namespace);
    for pod in crate::certificates::wanted(cluster).into_keys() {
        let name = certificate_name(&pod);
        let secret = api
            .get_opt(&name)
            .await
            .map_err(|source| ApplyError::ReadFailed {
                what: format!("Secret {name}"),
                source,
            })?;
        if let Some(secret) = secret {
            issued.insert(pod, crate::certificates::text_data(Some(&secret)));
        }
    }
    Ok(issued)
}

/// Decides from cert-manager's Secrets and `<name>-tls` what to do (pure, the time given);
/// `None` when the source is not certManager or `<name>-tls` already holds what was issued.
pub fn plan(cluster: &ValidatedCluster, live: &Live, now: OffsetDateTime) -> Option<Step> {
    cluster.tls.as_ref()?.cert_manager()?;
    let data = match assemble(cluster, live, now) {
        Ok(data) => data,
        Err(step) => return Some(step),
    };
    let stored = stored(cluster, live);
    if stored == data {
        return None;
    }
    let mut added = Vec::new();
    let mut renewed = Vec::new();
    for pod in crate::certificates::wanted(cluster).into_keys() {
        let (crt, key) = tls::member_keys(&pod);
        match (stored.get(&crt), stored.get(&key)) {
            // `assemble` put both files of every wanted member into `data`.
            (Some(c), Some(k)) if Some(c) == data.get(&crt) && Some(k) == data.get(&key) => {}
            (Some(_), _) => renewed.push(pod),
            (None, _) => added.push(pod),
        }
    }
    let removed = stored
        .keys()
        .filter(|k| !data.contains_key(*k))
        .filter_map(|k| k.strip_suffix(".crt"))
        .map(str::to_string)
        .collect();
    let ca_changed = stored
        .get(CA_CERTIFICATE)
        .is_some_and(|ca| Some(ca) != data.get(CA_CERTIFICATE));
    Some(Step::Gather {
        added,
        renewed,
        removed,
        ca_changed,
    })
}

/// Writes `<name>-tls` from cert-manager's Secrets (as [`plan`] found them in `live`). A member
/// whose certificate changed keeps serving the old one until it reloads or restarts: the
/// renewal time makes that happen.
pub async fn gather(
    client: &Client,
    cluster: &ValidatedCluster,
    live: &Live,
    step: &Step,
    now: OffsetDateTime,
) -> Result<(), ApplyError> {
    let name = tls::secret_name(cluster);
    let refused = |step: &Step| match step {
        Step::Refuse { .. } => ApplyError::CertificatesFailed {
            name: name.clone(),
            reason: step.to_string(),
        },
        _ => ApplyError::CertificatesPending {
            name: name.clone(),
            reason: step.to_string(),
        },
    };
    let Step::Gather {
        renewed,
        ca_changed,
        ..
    } = step
    else {
        return Err(refused(step));
    };
    let data = assemble(cluster, live, now).map_err(|step| refused(&step))?;
    let renewed_at = if renewed.is_empty() && !ca_changed {
        live.objects
            .get(&(Kind::Secret, name.clone()))
            .and_then(|s| s.pointer("/metadata/annotations"))
            .and_then(|a| a.get(CERTIFICATES_RENEWED_AT))
            .and_then(Value::as_str)
            .map(str::to_string)
    } else {
        Some(neo4j_aks_render::certificates::rfc3339(now))
    };
    let annotations = renewed_at
        .map(|at| BTreeMap::from([(CERTIFICATES_RENEWED_AT.to_string(), at)]))
        .unwrap_or_default();
    crate::certificates::write_with(client, cluster, &name, data, annotations).await
}

/// `<name>-tls` as it must be: every member's files from its cert-manager Secret and the one
/// CA they share, checked; or why it cannot be built yet ([`Step::Wait`]) or at all
/// ([`Step::Refuse`]).
fn assemble(
    cluster: &ValidatedCluster,
    live: &Live,
    now: OffsetDateTime,
) -> Result<BTreeMap<String, String>, Step> {
    let wanted = crate::certificates::wanted(cluster);
    let mut data = BTreeMap::new();
    let mut pending = Vec::new();
    let mut cas: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for pod in wanted.keys() {
        let secret = certificate_name(pod);
        let issued = live.issued.get(pod);
        let text = |key: &str| issued.and_then(|d| d.get(key)).filter(|v| !v.is_empty());
        let (Some(certificate), Some(private_key)) =
            (text(SECRET_CERTIFICATE), text(SECRET_PRIVATE_KEY))
        else {
            pending.push(not_ready(live, &secret));
            continue;
        };
        let (crt, key) = tls::member_keys(pod);
        data.insert(crt, certificate.clone());
        data.insert(key, private_key.clone());
        match text(SECRET_CA) {
            Some(ca) => cas.entry(ca.clone()).or_default().push(secret),
            None => problems.push(format!(
                "Secret {secret} has no {SECRET_CA}: the issuer does not say which CA signed it (ACME issuers never do), and the members must trust that CA to authenticate each other; use an issuer that fills {SECRET_CA}, such as a CA issuer"
            )),
        }
    }
    if !pending.is_empty() {
        return Err(Step::Wait { pending });
    }
    if cas.len() > 1 {
        let groups: Vec<String> = cas.values().map(|s| s.join(", ")).collect();
        problems.push(format!(
            "the members' Secrets carry different {SECRET_CA} ({}): the issuer's CA changed while some were issued; have cert-manager renew the others (cmctl renew) so every member is signed by one CA",
            groups.join(" | ")
        ));
    }
    if let Some(ca) = cas.into_keys().next() {
        data.insert(CA_CERTIFICATE.to_string(), ca);
    }
    if problems.is_empty() {
        let found = neo4j_aks_render::certificates::check_provided(&data, &wanted, now);
        problems.extend(found.problems.into_iter().map(|p| {
            // Name the Secret and key the file came from: `<pod>.crt` is `tls.crt` of
            // `<pod>-cert`, `<pod>.key` its `tls.key`.
            let named = p.split_once(": ").and_then(|(file, rest)| {
                let (pod, key) = match file.strip_suffix(".crt") {
                    Some(pod) => (pod, SECRET_CERTIFICATE),
                    None => (file.strip_suffix(".key")?, SECRET_PRIVATE_KEY),
                };
                let rest = rest.replace(&format!("{pod}.crt"), SECRET_CERTIFICATE);
                Some(format!("Secret {} {key}: {rest}", certificate_name(pod)))
            });
            named.unwrap_or(p)
        }));
    }
    if problems.is_empty() {
        Ok(data)
    } else {
        Err(Step::Refuse { problems })
    }
}

/// Why the Certificate `name` has not filled its Secret, from its Ready condition.
fn not_ready(live: &Live, name: &str) -> String {
    let Some(certificate) = live.objects.get(&(Kind::Certificate, name.to_string())) else {
        return format!("Certificate {name} not created yet");
    };
    let ready = certificate
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
    match ready {
        None => format!("Certificate {name} not issued yet"),
        Some(c) => format!(
            "Certificate {name} not Ready ({}: {})",
            c["reason"].as_str().unwrap_or("no reason"),
            c["message"].as_str().unwrap_or("no message")
        ),
    }
}

fn stored(cluster: &ValidatedCluster, live: &Live) -> BTreeMap<String, String> {
    let secret = live
        .objects
        .get(&(Kind::Secret, tls::secret_name(cluster)))
        .cloned()
        .and_then(|v| serde_json::from_value::<Secret>(v).ok());
    crate::certificates::text_data(secret.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use neo4j_aks_model::Neo4jCluster;
    use neo4j_aks_render::certificates::{self, KeyedCertificate};
    use serde_json::json;

    fn cluster() -> ValidatedCluster {
        let yaml = "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata: {name: db, namespace: ns}\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  tls:\n    enabled: true\n    source: certManager\n    certManager:\n      issuerRef: {name: ca}\n";
        neo4j_aks_model::validate(&Neo4jCluster::from_yaml(yaml).expect("parses")).expect("valid")
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_796_000_000).expect("time")
    }

    /// What cert-manager's CA issuer puts into `<pod>-cert`, signed by `ca`.
    fn issue(c: &ValidatedCluster, ca: &KeyedCertificate, pod: &str) -> BTreeMap<String, String> {
        let wanted = &crate::certificates::wanted(c)[pod];
        let member = certificates::issue_member(ca, pod, wanted, now(), 90).expect("member");
        BTreeMap::from([
            (SECRET_CERTIFICATE.to_string(), member.certificate_pem),
            (SECRET_PRIVATE_KEY.to_string(), member.key_pem),
            (SECRET_CA.to_string(), ca.certificate_pem.clone()),
        ])
    }

    fn members_secret(data: &BTreeMap<String, String>) -> Value {
        serde_json::to_value(Secret {
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.clone(), ByteString(v.clone().into_bytes())))
                    .collect(),
            ),
            ..Secret::default()
        })
        .expect("json")
    }

    fn live_with(issued: BTreeMap<String, BTreeMap<String, String>>) -> Live {
        Live {
            issued,
            read_at: now(),
            ..Live::default()
        }
    }

    fn pods() -> [String; 3] {
        ["db-0", "db-1", "db-2"].map(String::from)
    }

    #[test]
    fn members_wait_for_every_certificate_and_say_why() {
        let c = cluster();
        let ca = certificates::issue_ca("db", "ns", now(), 3650).expect("ca");
        let mut live = live_with(BTreeMap::from([(
            "db-0".to_string(),
            issue(&c, &ca, "db-0"),
        )]));
        live.objects.insert(
            (Kind::Certificate, "db-1-cert".into()),
            json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "DoesNotExist", "message": "Issuing certificate as Secret does not exist"}]}}),
        );
        let Some(Step::Wait { pending }) = plan(&c, &live, now()) else {
            panic!("waits")
        };
        assert_eq!(
            pending,
            [
                "Certificate db-1-cert not Ready (DoesNotExist: Issuing certificate as Secret does not exist)",
                "Certificate db-2-cert not created yet",
            ]
        );
    }

    #[test]
    fn issued_certificates_are_gathered_once_and_a_renewal_is_told_apart() {
        let c = cluster();
        let ca = certificates::issue_ca("db", "ns", now(), 3650).expect("ca");
        let issued: BTreeMap<_, _> = pods()
            .into_iter()
            .map(|p| (p.clone(), issue(&c, &ca, &p)))
            .collect();
        let mut live = live_with(issued.clone());
        assert_eq!(
            plan(&c, &live, now()),
            Some(Step::Gather {
                added: pods().to_vec(),
                renewed: Vec::new(),
                removed: Vec::new(),
                ca_changed: false,
            })
        );
        let data = assemble(&c, &live, now()).expect("usable");
        assert_eq!(data["db-1.crt"], issued["db-1"][SECRET_CERTIFICATE]);
        assert_eq!(data["db-1.key"], issued["db-1"][SECRET_PRIVATE_KEY]);
        assert_eq!(data[CA_CERTIFICATE], ca.certificate_pem);
        live.objects
            .insert((Kind::Secret, "db-tls".into()), members_secret(&data));
        assert_eq!(plan(&c, &live, now()), None, "nothing new");
        // cert-manager renews db-1 (a new key: rotationPolicy Always).
        live.issued.insert("db-1".into(), issue(&c, &ca, "db-1"));
        assert_eq!(
            plan(&c, &live, now()),
            Some(Step::Gather {
                added: Vec::new(),
                renewed: vec!["db-1".into()],
                removed: Vec::new(),
                ca_changed: false,
            })
        );
    }

    #[test]
    fn a_member_no_longer_rendered_leaves_the_members_secret() {
        let c = cluster();
        let ca = certificates::issue_ca("db", "ns", now(), 3650).expect("ca");
        let mut live = live_with(
            pods()
                .into_iter()
                .map(|p| (p.clone(), issue(&c, &ca, &p)))
                .collect(),
        );
        let mut data = assemble(&c, &live, now()).expect("usable");
        // db-3 ran before a scale-down: its files are still in db-tls.
        let four = crate::certificates::wanted(&c)["db-2"].clone();
        let gone = certificates::issue_member(&ca, "db-3", &four, now(), 90).expect("member");
        data.insert("db-3.crt".into(), gone.certificate_pem);
        data.insert("db-3.key".into(), gone.key_pem);
        live.objects
            .insert((Kind::Secret, "db-tls".into()), members_secret(&data));
        assert_eq!(
            plan(&c, &live, now()),
            Some(Step::Gather {
                added: Vec::new(),
                renewed: Vec::new(),
                removed: vec!["db-3".into()],
                ca_changed: false,
            })
        );
    }

    #[test]
    fn an_issuer_without_ca_crt_or_with_another_ca_is_refused_with_the_secret_named() {
        let c = cluster();
        let ca = certificates::issue_ca("db", "ns", now(), 3650).expect("ca");
        let other = certificates::issue_ca("other", "ns", now(), 3650).expect("ca");
        let mut issued: BTreeMap<_, _> = pods()
            .into_iter()
            .map(|p| (p.clone(), issue(&c, &ca, &p)))
            .collect();
        issued.get_mut("db-2").expect("db-2").remove(SECRET_CA);
        let Some(Step::Refuse { problems }) = plan(&c, &live_with(issued.clone()), now()) else {
            panic!("refused")
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("Secret db-2-cert has no ca.crt"),
            "{problems:?}"
        );
        // db-2 signed by another CA than the one its Secret (and the others) name.
        let mut forged = issue(&c, &other, "db-2");
        forged.insert(SECRET_CA.into(), ca.certificate_pem.clone());
        issued.insert("db-2".into(), forged);
        let Some(Step::Refuse { problems }) = plan(&c, &live_with(issued), now()) else {
            panic!("refused")
        };
        assert_eq!(problems, ["Secret db-2-cert tls.crt: not signed by ca.crt"]);
    }
}
