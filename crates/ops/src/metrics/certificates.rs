//! When a cluster's generated certificates expire (docs/security/tls.md): one series for the
//! CA and one for the earliest member certificate, so the series count is `clusters × 2`
//! whatever the member count.

use neo4j_aks_model::CertificatesStatus;
use neo4j_aks_model::api::metrics as names;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct CertificateLabel {
    pub namespace: String,
    pub cluster: String,
    /// `ca` or `members`.
    pub certificate: String,
}

#[derive(Default)]
pub struct CertificateMetrics {
    expiry: Family<CertificateLabel, Gauge>,
}

impl CertificateMetrics {
    pub fn register(registry: &mut Registry) -> CertificateMetrics {
        let m = CertificateMetrics::default();
        registry.register(
            names::short(names::CERTIFICATE_EXPIRY),
            "Unix time the cluster's CA (certificate=ca) or earliest member certificate (certificate=members) expires",
            m.expiry.clone(),
        );
        m
    }

    /// Sets the series from what `<name>-tls` holds; a certificate that is not there (TLS off,
    /// not issued yet) has no series.
    pub fn record(&self, namespace: &str, cluster: &str, status: Option<&CertificatesStatus>) {
        let at = |text: Option<&String>| {
            text.and_then(|t| t.parse::<k8s_openapi::jiff::Timestamp>().ok())
                .map(|t| t.as_second())
        };
        for (certificate, expiry) in [
            ("ca", status.and_then(|s| at(s.ca_expires_at.as_ref()))),
            ("members", status.and_then(|s| at(s.expires_at.as_ref()))),
        ] {
            let label = CertificateLabel {
                namespace: namespace.to_string(),
                cluster: cluster.to_string(),
                certificate: certificate.to_string(),
            };
            match expiry {
                Some(at) => {
                    self.expiry.get_or_create(&label).set(at);
                }
                None => {
                    self.expiry.remove(&label);
                }
            }
        }
    }

    pub fn forget(&self, namespace: &str, cluster: &str) {
        self.record(namespace, cluster, None);
    }
}
