//! cert-manager `cert-manager.io/v1`: Certificate, Issuer and ClusterIssuer.
//! Source: github.com/cert-manager/cert-manager v1.21.2,
//! `deploy/crds/cert-manager.io_{certificates,issuers,clusterissuers}.yaml`.

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `spec` of a Certificate: the Secret cert-manager keeps filled, and what goes into it.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "Certificate",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// Required by the CRD: the Secret that receives `tls.crt`, `tls.key` and `ca.crt`.
    pub secret_name: String,
    /// Required by the CRD.
    pub issuer_ref: IssuerRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub dns_names: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ip_addresses: Vec<String>,
    /// A Go duration such as `2160h`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<String>,
    /// `server auth`, `client auth`, `digital signature`, `key encipherment`, ...
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub usages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<CertificatePrivateKey>,
    #[serde(rename = "isCA", skip_serializing_if = "Option::is_none")]
    pub is_ca: Option<bool>,
}

/// `spec.issuerRef`: an Issuer in the namespace or a ClusterIssuer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuerRef {
    pub name: String,
    /// `Issuer` (cert-manager's default) or `ClusterIssuer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// `spec.privateKey`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificatePrivateKey {
    /// `RSA`, `ECDSA` or `Ed25519`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i32>,
    /// `PKCS1` or `PKCS8`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// `Always` (a new key at every renewal) or `Never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_policy: Option<String>,
}

/// `spec` of an Issuer; neo4j-aks renders only the two kinds it can run without outside
/// services: a CA kept in a Secret, and self-signed (to bootstrap that CA).
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "Issuer",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct IssuerSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaIssuer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<SelfSignedIssuer>,
}

/// `spec` of a ClusterIssuer: the same as an Issuer's; its CA Secret lives in cert-manager's
/// cluster resource namespace.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "ClusterIssuer",
    schema = "disabled"
)]
pub struct ClusterIssuerSpec {
    #[serde(flatten)]
    pub issuer: IssuerSpec,
}

/// `spec.ca`: sign with the CA in this Secret (`tls.crt`, `tls.key`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaIssuer {
    pub secret_name: String,
}

/// `spec.selfSigned`: an empty object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SelfSignedIssuer {}
