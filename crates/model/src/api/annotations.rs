//! Annotations neo4j-aks writes or reads.

/// On the pod template: sha256 of the neo4j.conf lines a running member acts on.
pub const CONFIG_DIGEST: &str = "neo4j-aks.io/config-digest";
/// On the Neo4jCluster (written by `neo4j-aks restart`) and copied into the pod template: a new
/// value restarts every member once.
pub const RESTART_REQUESTED_AT: &str = "neo4j-aks.io/restart-requested-at";
/// On the Neo4jCluster (written by `neo4j-aks certs rotate`): member certificates issued before
/// this RFC 3339 time are issued again (generated TLS).
pub const ROTATE_CERTIFICATES_REQUESTED_AT: &str = "neo4j-aks.io/rotate-certificates-requested-at";
/// On the Neo4jCluster (written by `neo4j-aks certs rotate --ca`): a CA issued before this
/// RFC 3339 time is replaced, with both CAs trusted while the members switch (generated TLS).
pub const ROTATE_CA_REQUESTED_AT: &str = "neo4j-aks.io/rotate-ca-requested-at";
/// On the Secret `<name>-tls` (written when a new CA is added to what the members trust) and
/// copied into the pod template: every member restarts once to trust both CAs before any member
/// presents a certificate of the new one.
pub const TRUSTED_CA_ADDED_AT: &str = "neo4j-aks.io/trusted-ca-added-at";
/// On the Secret `<name>-tls` (written with the certificates) and copied into the pod template:
/// when running members' certificates were last replaced. A new value is a new pod template
/// revision, so every member restarts once and loads its new certificate. With `source: secret`
/// the pod template carries a digest of the user's certificates (`sha256:…`) here instead.
pub const CERTIFICATES_RENEWED_AT: &str = "neo4j-aks.io/certificates-renewed-at";
/// On the Neo4jCluster (written by `neo4j-aks restore --member`): the member to replace.
pub const REPLACE_MEMBER: &str = "neo4j-aks.io/replace-member";
/// On the Neo4jCluster (written by `neo4j-aks scale --yes`): the member count a scale-down is
/// confirmed to.
pub const CONFIRM_SCALE_DOWN: &str = "neo4j-aks.io/confirm-scale-down";
/// On the generated-password Secret: never deleted, never overwritten.
pub const GENERATED_PASSWORD: &str = "neo4j-aks.io/password";
/// On a ServiceAccount: the Entra application the AKS workload identity webhook federates it with.
pub const WORKLOAD_IDENTITY_CLIENT_ID: &str = "azure.workload.identity/client-id";
