//! `spec.tls.source: certManager`: one cert-manager Certificate per member, each kept in its own
//! Secret `<pod>-cert` by cert-manager (`tls.crt`, `tls.key`, `ca.crt`). The operator gathers
//! them into `<name>-tls`, which the members mount as with the other sources (see [`crate::tls`]
//! for why one Secret). Field names and values: cert-manager v1.21.2,
//! `deploy/crds/cert-manager.io_certificates.yaml`.

use neo4j_aks_model::ValidatedCluster;

use crate::crd::cert_manager::{Certificate, CertificatePrivateKey, CertificateSpec, IssuerRef};
use crate::{meta, tls};

/// Data keys of the Secret cert-manager fills (`kubernetes.io/tls` plus the CA).
pub const SECRET_CERTIFICATE: &str = "tls.crt";
pub const SECRET_PRIVATE_KEY: &str = "tls.key";
pub const SECRET_CA: &str = "ca.crt";

/// The member's Certificate and the Secret cert-manager fills for it. Not `<pod>-tls`: for a
/// cluster `db` that is `db-0-tls`, which is also the members' Secret of a cluster named `db-0`
/// in the same namespace.
pub fn certificate_name(pod: &str) -> String {
    format!("{pod}-cert")
}

/// One Certificate per rendered member; none unless `spec.tls.source` is `certManager`.
pub fn certificates(cluster: &ValidatedCluster) -> Vec<Certificate> {
    let Some(issuance) = cluster.tls.as_ref().and_then(|t| t.cert_manager()) else {
        return Vec::new();
    };
    let ip_addresses: Vec<String> = tls::ip_addresses(cluster)
        .iter()
        .map(ToString::to_string)
        .collect();
    (0..cluster.members.rendered())
        .map(|ordinal| {
            let name = certificate_name(&cluster.pod_name(ordinal));
            Certificate {
                metadata: meta::namespaced(cluster, name.clone()),
                spec: CertificateSpec {
                    secret_name: name,
                    issuer_ref: IssuerRef {
                        name: issuance.issuer_name.clone(),
                        kind: Some(issuance.issuer_kind.clone()),
                        group: Some(issuance.issuer_group.clone()),
                    },
                    // The names the generated source puts on its certificates.
                    dns_names: tls::member_dns_names(cluster, ordinal),
                    ip_addresses: ip_addresses.clone(),
                    duration: issuance.duration.clone(),
                    renew_before: issuance.renew_before.clone(),
                    // Servers on every scope, and clients of each other where the cluster and
                    // backup scopes require mutual TLS. No key encipherment: an ECDSA key
                    // cannot encipher.
                    usages: ["digital signature", "server auth", "client auth"]
                        .map(String::from)
                        .to_vec(),
                    private_key: Some(CertificatePrivateKey {
                        // The TLS 1.2 cipher suites of crate::tls are the ECDSA ones.
                        algorithm: Some("ECDSA".into()),
                        size: Some(256),
                        // Neo4j reads only PKCS #8 keys.
                        encoding: Some("PKCS8".into()),
                        rotation_policy: Some("Always".into()),
                    }),
                    common_name: None,
                    is_ca: None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use neo4j_aks_model::{Neo4jCluster, validate};

    fn cluster(tls: &str) -> ValidatedCluster {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: g\n  namespace: db\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: \"yes\"\n  nodeCount: 3\n  tls:\n    enabled: true\n{tls}"
        );
        validate(&Neo4jCluster::from_yaml(&yaml).expect("parses")).expect("valid")
    }

    #[test]
    fn one_certificate_per_member_with_the_names_of_the_generated_source() {
        let c = cluster(
            "    source: certManager\n    extraIpAddresses: [\"10.0.0.7\"]\n    certManager:\n      issuerRef: {name: ca, kind: ClusterIssuer}\n      duration: 720h\n      renewBefore: 240h\n",
        );
        let certificates = certificates(&c);
        let names: Vec<&str> = certificates
            .iter()
            .map(|c| c.spec.secret_name.as_str())
            .collect();
        assert_eq!(names, ["g-0-cert", "g-1-cert", "g-2-cert"]);
        let wanted = tls::wanted(&c);
        for (certificate, (pod, (dns, ips))) in certificates.iter().zip(wanted) {
            assert_eq!(
                certificate.metadata.name.as_deref(),
                Some(&*certificate_name(&pod))
            );
            assert_eq!(certificate.spec.dns_names, dns);
            let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
            assert_eq!(certificate.spec.ip_addresses, ips);
        }
        assert_eq!(certificates[0].spec.ip_addresses, ["127.0.0.1", "10.0.0.7"]);
        insta::assert_yaml_snapshot!(certificates[1]);
    }

    #[test]
    fn other_sources_render_no_certificate() {
        assert!(certificates(&cluster("")).is_empty());
        assert!(
            certificates(&cluster("    source: secret\n    secret: {name: mine}\n")).is_empty()
        );
    }
}
