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
}
