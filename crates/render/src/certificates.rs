//! The generated CA and member certificates: issuing them (rcgen, ECDSA P-256, keys in PKCS #8
//! as Neo4j requires, security/ssl-framework.adoc), and deciding from what the Secrets hold which
//! to issue again. Deciding is pure: the time is an argument. Issuing draws fresh keys.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;

/// A certificate and its private key, both PEM. The key is never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyedCertificate {
    pub certificate_pem: String,
    pub key_pem: String,
}

impl fmt::Debug for KeyedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedCertificate")
            .field("certificate_pem", &self.certificate_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot issue a certificate: {0}")]
    Issue(#[from] rcgen::Error),
    #[error("the CA certificate in the Secret cannot be read: {0}")]
    UnreadableCa(String),
    #[error("validity of {days} days from {now} is out of range")]
    Validity { days: u32, now: OffsetDateTime },
}

/// What a member's certificate must say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
}

/// Why a certificate is issued (again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Missing,
    Unreadable,
    /// Signed by another CA (the CA was replaced, or someone edited the Secret).
    OtherIssuer,
    /// The private key in the Secret is not the certificate's.
    KeyMismatch,
    /// The names changed (a new load balancer name, another resolver).
    NamesChanged,
    /// Expires within the renewal window (or has expired).
    Expiring {
        not_after: OffsetDateTime,
    },
    /// Issued before the rotation asked for (`neo4j-aks certs rotate`).
    RotationRequested,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Missing => write!(f, "no certificate yet"),
            Reason::Unreadable => write!(f, "the stored certificate or key cannot be read"),
            Reason::OtherIssuer => write!(f, "signed by another CA"),
            Reason::KeyMismatch => write!(f, "the stored key does not match the certificate"),
            Reason::NamesChanged => write!(f, "the names it must carry changed"),
            Reason::Expiring { not_after } => write!(f, "expires {not_after}"),
            Reason::RotationRequested => write!(f, "a rotation was requested"),
        }
    }
}

/// A new self-signed CA for one cluster: may sign member certificates only (path length 0).
pub fn issue_ca(
    cluster: &str,
    namespace: &str,
    now: OffsetDateTime,
    days: u32,
) -> Result<KeyedCertificate, CertificateError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = name(&format!("neo4j-aks CA {namespace}/{cluster}"));
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (params.not_before, params.not_after) = validity(now, days)?;
    let certificate = params.self_signed(&key)?;
    Ok(KeyedCertificate {
        certificate_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A member's certificate, signed by `ca`: a server to clients and, for cluster and backup
/// traffic, a client to the other members (both extended key usages).
pub fn issue_member(
    ca: &KeyedCertificate,
    pod: &str,
    wanted: &Wanted,
    now: OffsetDateTime,
    days: u32,
) -> Result<KeyedCertificate, CertificateError> {
    let ca_key = KeyPair::from_pem(&ca.key_pem)?;
    let issuer = Issuer::from_ca_cert_pem(&ca.certificate_pem, ca_key)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = name(pod);
    // Says CA:FALSE outright, so no verifier may take a member for a CA.
    params.is_ca = IsCa::ExplicitNoCa;
    params.subject_alt_names = wanted
        .dns_names
        .iter()
        .map(|n| n.clone().try_into().map(SanType::DnsName))
        .chain(
            wanted
                .ip_addresses
                .iter()
                .map(|ip| Ok(SanType::IpAddress(*ip))),
        )
        .collect::<Result<_, _>>()?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyAgreement,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    (params.not_before, params.not_after) = validity(now, days)?;
    let certificate = params.signed_by(&key, &issuer)?;
    Ok(KeyedCertificate {
        certificate_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Whether the CA a Secret holds can go on signing: readable, its key matching, and valid for
/// longer than a member certificate issued now would be (a member certificate never outlives
/// its CA).
pub fn ca_usable(
    ca: &KeyedCertificate,
    now: OffsetDateTime,
    member_days: u32,
) -> Result<(), Reason> {
    let pem = parse_pem(&ca.certificate_pem).ok_or(Reason::Unreadable)?;
    let certificate = pem.parse_x509().map_err(|_| Reason::Unreadable)?;
    key_matches(&certificate, &ca.key_pem)?;
    let not_after = not_after(&certificate)?;
    if not_after <= now + Duration::days(i64::from(member_days)) {
        return Err(Reason::Expiring { not_after });
    }
    Ok(())
}

/// Whether a member's stored certificate may stay, or why it must be issued again.
/// `rotate_requested_at`: certificates issued before it must go.
pub fn judge_member(
    ca_certificate_pem: &str,
    stored: Option<&KeyedCertificate>,
    wanted: &Wanted,
    now: OffsetDateTime,
    renew_before_days: u32,
    rotate_requested_at: Option<OffsetDateTime>,
) -> Result<(), Reason> {
    let stored = stored.ok_or(Reason::Missing)?;
    let ca_pem = parse_pem(ca_certificate_pem).ok_or(Reason::Unreadable)?;
    let ca = ca_pem.parse_x509().map_err(|_| Reason::Unreadable)?;
    let pem = parse_pem(&stored.certificate_pem).ok_or(Reason::Unreadable)?;
    let certificate = pem.parse_x509().map_err(|_| Reason::Unreadable)?;
    certificate
        .verify_signature(Some(ca.public_key()))
        .map_err(|_| Reason::OtherIssuer)?;
    key_matches(&certificate, &stored.key_pem)?;
    if names(&certificate)? != names_of(wanted) {
        return Err(Reason::NamesChanged);
    }
    let not_after = not_after(&certificate)?;
    if not_after <= now + Duration::days(i64::from(renew_before_days)) {
        return Err(Reason::Expiring { not_after });
    }
    let issued = issued(&certificate)?;
    if rotate_requested_at.is_some_and(|at| issued < at && at <= now) {
        return Err(Reason::RotationRequested);
    }
    Ok(())
}

/// What a user's Secret (`source: secret`) holds that cannot be used, and what can be used
/// but deserves a look. Each message names the data key and the reason; never a key's content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvidedFindings {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// A certificate expiring within this many days is a warning (still used); an expired one, or
/// one not valid yet, is refused.
pub const PROVIDED_WARN_DAYS: i64 = 7;

/// Checks a user's Secret before anything is applied: `ca.crt` readable and valid now; for every
/// member in `wanted`, `<pod>.crt` and `<pod>.key` present, PEM, the key PKCS #8 (as Neo4j
/// requires) and matching the certificate, the certificate signed by `ca.crt`, valid now, and
/// carrying at least every wanted name (a wildcard `*.x` covers one label; more names are
/// allowed). Every problem at once, members in name order. Pure: the time is an argument.
pub fn check_provided(
    data: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, Wanted>,
    now: OffsetDateTime,
) -> ProvidedFindings {
    let mut out = ProvidedFindings::default();
    let ca_pem = data.get(CA_KEY).and_then(|p| parse_pem(p));
    let ca = match (&data.get(CA_KEY), &ca_pem) {
        (None, _) => {
            out.problems.push(format!(
                "{CA_KEY}: missing (the CA certificate that signed the member certificates)"
            ));
            None
        }
        (Some(_), None) => {
            out.problems
                .push(format!("{CA_KEY}: not a PEM certificate"));
            None
        }
        (Some(_), Some(pem)) => match pem.parse_x509() {
            Ok(ca) => {
                validity_findings(&mut out, CA_KEY, &ca, now);
                Some(ca)
            }
            Err(_) => {
                out.problems
                    .push(format!("{CA_KEY}: not a readable X.509 certificate"));
                None
            }
        },
    };
    for (pod, wanted) in wanted {
        let (crt_key, key_key) = crate::tls::member_keys(pod);
        let crt = data.get(&crt_key);
        let key = data.get(&key_key);
        if crt.is_none() {
            out.problems.push(format!("{crt_key}: missing"));
        }
        if key.is_none() {
            out.problems.push(format!("{key_key}: missing"));
        }
        let pkcs8 = match key.map(|k| (k, parse_pem(k))) {
            None => None,
            Some((_, None)) => {
                out.problems
                    .push(format!("{key_key}: not a PEM private key"));
                None
            }
            Some((_, Some(pem))) if pem.label != "PRIVATE KEY" => {
                out.problems.push(format!(
                    "{key_key}: a {:?} PEM block; Neo4j reads only PKCS #8 (\"PRIVATE KEY\", e.g. openssl pkcs8 -topk8 -nocrypt)",
                    pem.label
                ));
                None
            }
            Some((text, Some(_))) => Some(text),
        };
        let Some(crt) = crt else { continue };
        let Some(pem) = parse_pem(crt) else {
            out.problems
                .push(format!("{crt_key}: not a PEM certificate"));
            continue;
        };
        let Ok(certificate) = pem.parse_x509() else {
            out.problems
                .push(format!("{crt_key}: not a readable X.509 certificate"));
            continue;
        };
        if let Some(ca) = &ca
            && certificate.verify_signature(Some(ca.public_key())).is_err()
        {
            out.problems
                .push(format!("{crt_key}: not signed by {CA_KEY}"));
        }
        if let Some(key) = pkcs8 {
            match key_matches(&certificate, key) {
                Ok(()) => {}
                Err(Reason::KeyMismatch) => out
                    .problems
                    .push(format!("{key_key}: does not match {crt_key}")),
                Err(_) => out.problems.push(format!(
                    "{key_key}: not a private key neo4j-aks can read (ECDSA P-256/P-384, Ed25519 or RSA, unencrypted)"
                )),
            }
        }
        match names(&certificate) {
            Err(_) => out.problems.push(format!(
                "{crt_key}: its subject alternative names cannot be read"
            )),
            Ok(have) => {
                let lacks_dns: Vec<&str> = wanted
                    .dns_names
                    .iter()
                    .filter(|n| !covers_dns(&have, n))
                    .map(String::as_str)
                    .collect();
                let lacks_ip: Vec<String> = wanted
                    .ip_addresses
                    .iter()
                    .filter(|ip| !have.contains_key(&format!("ip:{ip}")))
                    .map(ToString::to_string)
                    .collect();
                if !lacks_dns.is_empty() {
                    out.problems.push(format!(
                        "{crt_key}: lacks DNS name{} {}",
                        if lacks_dns.len() == 1 { "" } else { "s" },
                        lacks_dns.join(", ")
                    ));
                }
                if !lacks_ip.is_empty() {
                    out.problems.push(format!(
                        "{crt_key}: lacks IP address{} {}",
                        if lacks_ip.len() == 1 { "" } else { "es" },
                        lacks_ip.join(", ")
                    ));
                }
            }
        }
        validity_findings(&mut out, &crt_key, &certificate, now);
    }
    out
}

const CA_KEY: &str = "ca.crt";

fn validity_findings(
    out: &mut ProvidedFindings,
    key: &str,
    certificate: &X509Certificate<'_>,
    now: OffsetDateTime,
) {
    let validity = certificate.validity();
    let from = OffsetDateTime::from_unix_timestamp(validity.not_before.timestamp()).ok();
    let to = OffsetDateTime::from_unix_timestamp(validity.not_after.timestamp()).ok();
    match (from, to) {
        (Some(from), Some(to)) => {
            if to <= now {
                out.problems.push(format!("{key}: expired {}", rfc3339(to)));
            } else if from > now {
                out.problems
                    .push(format!("{key}: not valid before {}", rfc3339(from)));
            } else if to <= now + Duration::days(PROVIDED_WARN_DAYS) {
                out.warnings.push(format!(
                    "{key}: expires {}, within {PROVIDED_WARN_DAYS} days; replace it in the Secret",
                    rfc3339(to)
                ));
            }
        }
        _ => out
            .problems
            .push(format!("{key}: its validity period cannot be read")),
    }
}

/// Whether a certificate's names cover `name`: the name itself, or a wildcard `*.rest` where
/// `name` is one label followed by `.rest` (RFC 6125).
fn covers_dns(have: &BTreeMap<String, ()>, name: &str) -> bool {
    if have.contains_key(&format!("dns:{name}")) {
        return true;
    }
    name.split_once('.')
        .is_some_and(|(_, rest)| have.contains_key(&format!("dns:*.{rest}")))
}

/// `2026-11-01T00:00:00Z`.
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A digest of every certificate in a user's Secret (`sha256:<hex>` over each `*.crt` key and
/// value, in key order): a new value means the user replaced certificates, which members before
/// 2025.03 load only by restarting. Keys are not part of it.
pub fn provided_digest(data: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (key, value) in data.iter().filter(|(k, _)| k.ends_with(".crt")) {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// Whether `certificate_pem` carries a valid signature of the CA `ca_pem` (validity and names
/// not judged): which of two CAs with the same name issued it.
pub fn signed_by(certificate_pem: &str, ca_pem: &str) -> bool {
    let (Some(certificate), Some(ca)) = (parse_pem(certificate_pem), parse_pem(ca_pem)) else {
        return false;
    };
    let (Ok(certificate), Ok(ca)) = (certificate.parse_x509(), ca.parse_x509()) else {
        return false;
    };
    certificate.verify_signature(Some(ca.public_key())).is_ok()
}

/// When a certificate expires.
pub fn expiry(certificate_pem: &str) -> Option<OffsetDateTime> {
    let pem = parse_pem(certificate_pem)?;
    let certificate = pem.parse_x509().ok()?;
    not_after(&certificate).ok()
}

/// When a certificate this module issued was issued (its validity starts [`BACKDATE`] earlier).
pub fn issued_at(certificate_pem: &str) -> Option<OffsetDateTime> {
    let pem = parse_pem(certificate_pem)?;
    let certificate = pem.parse_x509().ok()?;
    issued(&certificate).ok()
}

/// When a certificate's validity starts (for certificates neo4j-aks did not issue).
pub fn valid_from(certificate_pem: &str) -> Option<OffsetDateTime> {
    let pem = parse_pem(certificate_pem)?;
    let certificate = pem.parse_x509().ok()?;
    OffsetDateTime::from_unix_timestamp(certificate.validity().not_before.timestamp()).ok()
}

fn issued(certificate: &X509Certificate<'_>) -> Result<OffsetDateTime, Reason> {
    OffsetDateTime::from_unix_timestamp(certificate.validity().not_before.timestamp())
        .map(|from| from + BACKDATE)
        .map_err(|_| Reason::Unreadable)
}

/// How long before its issue a certificate is already valid: clocks of members and clients
/// differ a little.
const BACKDATE: Duration = Duration::hours(1);

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "neo4j-aks");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Valid from [`BACKDATE`] before `now`.
fn validity(
    now: OffsetDateTime,
    days: u32,
) -> Result<(OffsetDateTime, OffsetDateTime), CertificateError> {
    let from = now.checked_sub(BACKDATE);
    let to = now.checked_add(Duration::days(i64::from(days)));
    match (from, to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(CertificateError::Validity { days, now }),
    }
}

fn parse_pem(text: &str) -> Option<Pem> {
    Pem::iter_from_buffer(text.as_bytes()).next()?.ok()
}

fn key_matches(certificate: &X509Certificate<'_>, key_pem: &str) -> Result<(), Reason> {
    let key = KeyPair::from_pem(key_pem).map_err(|_| Reason::Unreadable)?;
    if certificate.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
        return Err(Reason::KeyMismatch);
    }
    Ok(())
}

fn not_after(certificate: &X509Certificate<'_>) -> Result<OffsetDateTime, Reason> {
    OffsetDateTime::from_unix_timestamp(certificate.validity().not_after.timestamp())
        .map_err(|_| Reason::Unreadable)
}

/// DNS names and IP addresses of a certificate, as sorted strings.
fn names(certificate: &X509Certificate<'_>) -> Result<BTreeMap<String, ()>, Reason> {
    let mut out = BTreeMap::new();
    let Some(san) = certificate
        .subject_alternative_name()
        .map_err(|_| Reason::Unreadable)?
    else {
        return Ok(out);
    };
    for general in &san.value.general_names {
        match general {
            GeneralName::DNSName(n) => {
                out.insert(format!("dns:{n}"), ());
            }
            GeneralName::IPAddress(bytes) => {
                let ip = match bytes.len() {
                    4 => <[u8; 4]>::try_from(*bytes).map(IpAddr::from).ok(),
                    16 => <[u8; 16]>::try_from(*bytes).map(IpAddr::from).ok(),
                    _ => None,
                };
                let ip = ip.ok_or(Reason::Unreadable)?;
                out.insert(format!("ip:{ip}"), ());
            }
            _ => {}
        }
    }
    Ok(out)
}

fn names_of(wanted: &Wanted) -> BTreeMap<String, ()> {
    wanted
        .dns_names
        .iter()
        .map(|n| format!("dns:{n}"))
        .chain(wanted.ip_addresses.iter().map(|ip| format!("ip:{ip}")))
        .map(|k| (k, ()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).expect("a valid time")
    }

    const NOW: i64 = 1_796_000_000; // 2026-11-29

    fn wanted() -> Wanted {
        Wanted {
            dns_names: vec![
                "g-0.g-headless.ns.svc.cluster.local".into(),
                "localhost".into(),
            ],
            ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        }
    }

    #[test]
    fn a_fresh_member_certificate_is_kept_until_its_renewal_window() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let member = issue_member(&ca, "g-0", &wanted(), at(NOW), 90).expect("member");
        let judge = |days: i64| {
            judge_member(
                &ca.certificate_pem,
                Some(&member),
                &wanted(),
                at(NOW) + Duration::days(days),
                30,
                None,
            )
        };
        assert_eq!(judge(0), Ok(()));
        assert_eq!(judge(59), Ok(()));
        assert!(matches!(judge(60), Err(Reason::Expiring { .. })));
        assert!(matches!(judge(200), Err(Reason::Expiring { .. })));
    }

    #[test]
    fn each_reason_to_issue_again_is_told() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let other_ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let member = issue_member(&ca, "g-0", &wanted(), at(NOW), 90).expect("member");
        let judge = |stored: Option<&KeyedCertificate>, wanted: &Wanted, ca: &str| {
            judge_member(ca, stored, wanted, at(NOW), 30, None)
        };
        assert_eq!(
            judge(None, &wanted(), &ca.certificate_pem),
            Err(Reason::Missing)
        );
        assert_eq!(
            judge(Some(&member), &wanted(), &other_ca.certificate_pem),
            Err(Reason::OtherIssuer)
        );
        let swapped = KeyedCertificate {
            key_pem: other_ca.key_pem.clone(),
            ..member.clone()
        };
        assert_eq!(
            judge(Some(&swapped), &wanted(), &ca.certificate_pem),
            Err(Reason::KeyMismatch)
        );
        let mut more = wanted();
        more.dns_names.push("neo4j.example.com".into());
        assert_eq!(
            judge(Some(&member), &more, &ca.certificate_pem),
            Err(Reason::NamesChanged)
        );
        let garbage = KeyedCertificate {
            certificate_pem: "not a certificate".into(),
            ..member
        };
        assert_eq!(
            judge(Some(&garbage), &wanted(), &ca.certificate_pem),
            Err(Reason::Unreadable)
        );
    }

    #[test]
    fn a_rotation_replaces_certificates_issued_before_it_and_only_those() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let member = issue_member(&ca, "g-0", &wanted(), at(NOW), 90).expect("member");
        assert_eq!(issued_at(&member.certificate_pem), Some(at(NOW)));
        let judge = |now: i64, rotate: i64| {
            judge_member(
                &ca.certificate_pem,
                Some(&member),
                &wanted(),
                at(now),
                30,
                Some(at(rotate)),
            )
        };
        // Asked after the certificate was issued: it goes.
        assert_eq!(judge(NOW + 60, NOW + 10), Err(Reason::RotationRequested));
        // Asked before it was issued (the certificate is the rotation's result): it stays.
        assert_eq!(judge(NOW + 60, NOW - 10), Ok(()));
        // A request dated in the future waits for its time.
        assert_eq!(judge(NOW + 60, NOW + 3600), Ok(()));
    }

    #[test]
    fn a_ca_that_would_not_outlive_a_new_member_certificate_is_replaced() {
        let ca = issue_ca("g", "ns", at(NOW), 100).expect("ca");
        assert_eq!(ca_usable(&ca, at(NOW), 90), Ok(()));
        assert!(matches!(
            ca_usable(&ca, at(NOW) + Duration::days(11), 90),
            Err(Reason::Expiring { .. })
        ));
    }

    #[test]
    fn keys_are_pkcs8_and_never_in_debug_output() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let member = issue_member(&ca, "g-0", &wanted(), at(NOW), 90).expect("member");
        assert!(member.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{member:?}").contains("PRIVATE KEY"));
        assert_eq!(
            expiry(&member.certificate_pem),
            Some(at(NOW) + Duration::days(90))
        );
    }

    /// A user's Secret as `source: secret` expects it, for members g-0 and g-1.
    fn provided(
        ca: &KeyedCertificate,
        members: &[(&str, &KeyedCertificate)],
    ) -> BTreeMap<String, String> {
        let mut data = BTreeMap::from([("ca.crt".to_string(), ca.certificate_pem.clone())]);
        for (pod, member) in members {
            data.insert(format!("{pod}.crt"), member.certificate_pem.clone());
            data.insert(format!("{pod}.key"), member.key_pem.clone());
        }
        data
    }

    fn wanted_for(pod: &str) -> Wanted {
        Wanted {
            dns_names: vec![
                format!("{pod}.g-headless.ns.svc.cluster.local"),
                "localhost".into(),
            ],
            ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        }
    }

    fn two_members() -> BTreeMap<String, Wanted> {
        ["g-0", "g-1"]
            .into_iter()
            .map(|pod| (pod.to_string(), wanted_for(pod)))
            .collect()
    }

    fn check(data: &BTreeMap<String, String>) -> ProvidedFindings {
        check_provided(data, &two_members(), at(NOW))
    }

    #[test]
    fn a_good_provided_secret_passes_and_more_names_or_wildcards_are_allowed() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let mut more = wanted_for("g-0");
        more.dns_names.push("neo4j.example.com".into());
        let g0 = issue_member(&ca, "g-0", &more, at(NOW), 90).expect("member");
        let wildcard = Wanted {
            dns_names: vec![
                "*.g-headless.ns.svc.cluster.local".into(),
                "localhost".into(),
            ],
            ip_addresses: vec![IpAddr::from([127, 0, 0, 1])],
        };
        let g1 = issue_member(&ca, "g-1", &wildcard, at(NOW), 90).expect("member");
        let data = provided(&ca, &[("g-0", &g0), ("g-1", &g1)]);
        assert_eq!(check(&data), ProvidedFindings::default());
    }

    #[test]
    fn each_defect_of_a_provided_secret_is_named_with_its_key_all_at_once() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let other_ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        // Issued 100 days ago for 90 days: expired 10 days ago.
        let expired = issue_member(
            &ca,
            "g-0",
            &wanted_for("g-0"),
            at(NOW) - Duration::days(100),
            90,
        )
        .expect("member");
        let foreign =
            issue_member(&other_ca, "g-1", &wanted_for("g-1"), at(NOW), 90).expect("member");
        let data = provided(&ca, &[("g-0", &expired), ("g-1", &foreign)]);
        let found = check(&data);
        assert_eq!(
            found.problems,
            vec![
                "g-0.crt: expired 2026-11-20T00:53:20Z".to_string(),
                "g-1.crt: not signed by ca.crt".to_string(),
            ]
        );
        assert!(found.warnings.is_empty());
    }

    #[test]
    fn a_swapped_key_a_missing_name_and_missing_files_are_refused() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let g0 = issue_member(&ca, "g-0", &wanted_for("g-0"), at(NOW), 90).expect("member");
        let g1 = issue_member(&ca, "g-1", &wanted_for("g-1"), at(NOW), 90).expect("member");
        let swapped = KeyedCertificate {
            key_pem: g1.key_pem.clone(),
            ..g0.clone()
        };
        let data = provided(&ca, &[("g-0", &swapped)]);
        assert_eq!(
            check(&data).problems,
            vec![
                "g-0.key: does not match g-0.crt".to_string(),
                "g-1.crt: missing".to_string(),
                "g-1.key: missing".to_string(),
            ]
        );
        let narrow = Wanted {
            dns_names: vec!["localhost".into()],
            ip_addresses: Vec::new(),
        };
        let g1_narrow = issue_member(&ca, "g-1", &narrow, at(NOW), 90).expect("member");
        let data = provided(&ca, &[("g-0", &g0), ("g-1", &g1_narrow)]);
        assert_eq!(
            check(&data).problems,
            vec![
                "g-1.crt: lacks DNS name g-1.g-headless.ns.svc.cluster.local".to_string(),
                "g-1.crt: lacks IP address 127.0.0.1".to_string(),
            ]
        );
        let mut data = provided(&ca, &[("g-0", &g0), ("g-1", &g1)]);
        data.remove("ca.crt");
        assert_eq!(
            check(&data).problems,
            vec![
                "ca.crt: missing (the CA certificate that signed the member certificates)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn unreadable_files_sec1_keys_and_not_yet_valid_certificates_are_refused() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let g0 = issue_member(&ca, "g-0", &wanted_for("g-0"), at(NOW), 90).expect("member");
        let future = issue_member(
            &ca,
            "g-1",
            &wanted_for("g-1"),
            at(NOW) + Duration::days(2),
            90,
        )
        .expect("member");
        let sec1 = KeyedCertificate {
            key_pem: g0.key_pem.replace("PRIVATE KEY", "EC PRIVATE KEY"),
            ..g0.clone()
        };
        let mut data = provided(&ca, &[("g-0", &sec1), ("g-1", &future)]);
        let found = check(&data);
        assert_eq!(
            found.problems,
            vec![
                "g-0.key: a \"EC PRIVATE KEY\" PEM block; Neo4j reads only PKCS #8 (\"PRIVATE KEY\", e.g. openssl pkcs8 -topk8 -nocrypt)".to_string(),
                "g-1.crt: not valid before 2026-12-01T23:53:20Z".to_string(),
            ]
        );
        data.insert("g-0.crt".into(), "garbage".into());
        data.insert("g-0.key".into(), "garbage".into());
        assert_eq!(
            check(&data).problems[..2],
            [
                "g-0.key: not a PEM private key".to_string(),
                "g-0.crt: not a PEM certificate".to_string(),
            ]
        );
        // No key's content in any message.
        assert!(!format!("{:?}", check(&data)).contains("PRIVATE KEY-----"));
    }

    #[test]
    fn a_provided_certificate_close_to_expiry_is_a_warning_not_a_refusal() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let g0 = issue_member(
            &ca,
            "g-0",
            &wanted_for("g-0"),
            at(NOW) - Duration::days(85),
            90,
        )
        .expect("member");
        let g1 = issue_member(&ca, "g-1", &wanted_for("g-1"), at(NOW), 90).expect("member");
        let found = check(&provided(&ca, &[("g-0", &g0), ("g-1", &g1)]));
        assert!(found.problems.is_empty(), "{found:?}");
        assert_eq!(
            found.warnings,
            vec![
                "g-0.crt: expires 2026-12-05T00:53:20Z, within 7 days; replace it in the Secret"
                    .to_string()
            ]
        );
    }

    #[test]
    fn the_digest_follows_the_certificates_and_not_the_keys() {
        let ca = issue_ca("g", "ns", at(NOW), 3650).expect("ca");
        let g0 = issue_member(&ca, "g-0", &wanted_for("g-0"), at(NOW), 90).expect("member");
        let data = provided(&ca, &[("g-0", &g0)]);
        let digest = provided_digest(&data);
        assert!(digest.starts_with("sha256:"));
        let mut key_changed = data.clone();
        key_changed.insert("g-0.key".into(), "other".into());
        assert_eq!(provided_digest(&key_changed), digest);
        let renewed = issue_member(&ca, "g-0", &wanted_for("g-0"), at(NOW), 90).expect("member");
        let mut cert_changed = data.clone();
        cert_changed.insert("g-0.crt".into(), renewed.certificate_pem);
        assert_ne!(provided_digest(&cert_changed), digest);
    }
}
