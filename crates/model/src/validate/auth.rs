//! Where the admin password comes from.

use super::DEFAULT_PASSWORD_KEY;
use super::dns::is_dns_subdomain;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::PasswordSource;

pub(super) fn check_auth(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    name: Option<&str>,
) -> Option<PasswordSource> {
    match spec
        .auth
        .as_ref()
        .and_then(|a| a.password_secret_ref.clone())
    {
        None => name.map(|n| PasswordSource::Generated {
            secret: format!("{n}-secrets"),
            key: DEFAULT_PASSWORD_KEY.into(),
        }),
        Some(reference) => {
            let key = reference
                .key
                .unwrap_or_else(|| DEFAULT_PASSWORD_KEY.to_string());
            if key.is_empty()
                || key.len() > 253
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            {
                f.problem(
                    "spec.auth.passwordSecretRef.key",
                    format!("{key:?} is not a Secret key (letters, digits, '-', '_', '.')"),
                );
            }
            match reference.name {
                Some(secret) if is_dns_subdomain(&secret) => {
                    Some(PasswordSource::Existing { secret, key })
                }
                Some(secret) => {
                    f.problem(
                        "spec.auth.passwordSecretRef.name",
                        format!("{secret:?} is not a Secret name"),
                    );
                    None
                }
                None => {
                    f.problem(
                        "spec.auth.passwordSecretRef.name",
                        "required: the Secret holding the password",
                    );
                    None
                }
            }
        }
    }
}
