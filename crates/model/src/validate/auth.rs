//! Where the admin password comes from.

use super::DEFAULT_PASSWORD_KEY;
use super::dns::is_dns_subdomain;
use super::key_vault::check_key_vault;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::{KEY_VAULT_SECRET_KEY, PasswordSource, key_vault_object_name};

pub(super) fn check_auth(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    name: Option<&str>,
) -> Option<PasswordSource> {
    if let Some(key_vault) = spec.secrets.as_ref().and_then(|s| s.key_vault.as_ref()) {
        let both = spec
            .auth
            .as_ref()
            .is_some_and(|a| a.password_secret_ref.is_some());
        if both {
            f.problem(
                "spec.auth.passwordSecretRef",
                "the admin password has one source: remove auth.passwordSecretRef to read it from spec.secrets.keyVault, or remove spec.secrets.keyVault",
            );
        }
        let vault = check_key_vault(f, key_vault);
        return match (both, vault, name) {
            (false, Some(vault), Some(name)) => Some(PasswordSource::KeyVault {
                secret: key_vault_object_name(name),
                key: KEY_VAULT_SECRET_KEY.to_string(),
                vault,
            }),
            _ => None,
        };
    }
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
