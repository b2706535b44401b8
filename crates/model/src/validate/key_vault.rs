//! `spec.secrets.keyVault`: an Azure Key Vault, the identity that reads it and the secret that
//! holds the admin password.
//!
//! Names follow Azure's rules for `Microsoft.KeyVault` ("Naming rules and restrictions for Azure
//! resources", https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault):
//! `vaults`: 3-24, alphanumerics and hyphens, start with a letter, end with a letter or digit,
//! no consecutive hyphens; `vaults / secrets`: 1-127, alphanumerics and hyphens. Azure refuses
//! anything else, so neo4j-aks refuses it before anything is applied.

use super::backup::is_guid;
use crate::problems::Findings;
use crate::spec::KeyVaultSpec;
use crate::validated::KeyVault;

const PATH: &str = "spec.secrets.keyVault";

/// A name Azure accepts for a key vault.
pub fn is_key_vault_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=24).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("--")
}

/// A name Azure accepts for a secret in a key vault.
pub fn is_key_vault_secret_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Checks every field, reporting each problem; `None` when any is missing or wrong.
pub(super) fn check_key_vault(f: &mut Findings, spec: &KeyVaultSpec) -> Option<KeyVault> {
    let name = required(f, "name", spec.name.as_ref(), "the key vault's name").filter(|n| {
        let ok = is_key_vault_name(n);
        if !ok {
            f.problem(
                format!("{PATH}.name"),
                format!("{n:?} is not a key vault name: 3 to 24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without consecutive hyphens (e.g. kv-neo4j-prod)"),
            );
        }
        ok
    });
    let tenant_id = guid(
        f,
        "tenantId",
        spec.tenant_id.as_ref(),
        "tenant ID",
        "the Microsoft Entra tenant of the vault",
    );
    let client_id = guid(
        f,
        "clientId",
        spec.client_id.as_ref(),
        "client ID",
        "the managed identity federated with the member ServiceAccount <name>-sa",
    );
    let password_secret = required(
        f,
        "passwordSecret",
        spec.password_secret.as_ref(),
        "the Key Vault secret whose value is neo4j/<password>",
    )
    .filter(|s| {
        let ok = is_key_vault_secret_name(s);
        if !ok {
            f.problem(
                format!("{PATH}.passwordSecret"),
                format!("{s:?} is not a Key Vault secret name: 1 to 127 letters, digits and hyphens (e.g. neo4j-admin-password)"),
            );
        }
        ok
    });
    Some(KeyVault {
        name: name?,
        tenant_id: tenant_id?,
        client_id: client_id?,
        password_secret: password_secret?,
    })
}

fn required(f: &mut Findings, field: &str, value: Option<&String>, what: &str) -> Option<String> {
    if value.is_none() {
        f.problem(format!("{PATH}.{field}"), format!("required: {what}"));
    }
    value.cloned()
}

fn guid(
    f: &mut Findings,
    field: &str,
    value: Option<&String>,
    noun: &str,
    what: &str,
) -> Option<String> {
    let value = required(f, field, value, &format!("{what}, a GUID"))?;
    if is_guid(&value) {
        Some(value)
    } else {
        f.problem(
            format!("{PATH}.{field}"),
            format!(
                "{value:?} is not a {noun} (a GUID such as 00000000-0000-0000-0000-000000000000)"
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(spec: &KeyVaultSpec) -> Vec<String> {
        let mut f = Findings::default();
        check_key_vault(&mut f, spec);
        f.problems.into_iter().map(|p| p.to_string()).collect()
    }

    fn good() -> KeyVaultSpec {
        KeyVaultSpec {
            name: Some("kv-neo4j-prod".into()),
            tenant_id: Some("72f988bf-86f1-41af-91ab-2d7cd011db47".into()),
            client_id: Some("00000000-0000-0000-0000-000000000000".into()),
            password_secret: Some("neo4j-admin-password".into()),
        }
    }

    #[test]
    fn vault_names_follow_azures_rules() {
        for good in [
            "kv1",                      // shortest: 3
            "a23456789012345678901234", // longest: 24
            "KV-Neo4j-Prod",            // upper case is alphanumeric (names are case-insensitive)
            "a-b-c",
            "abc9",
        ] {
            assert!(is_key_vault_name(good), "{good}");
        }
        for bad in [
            "",
            "kv",                        // 2: too short
            "a234567890123456789012345", // 25: too long
            "1kv",                       // starts with a digit
            "-kv",                       // starts with a hyphen
            "kv-",                       // ends with a hyphen
            "kv--neo4j",                 // consecutive hyphens
            "kv_neo4j",                  // underscore
            "kv.neo4j",                  // period
            "kv neo4j",                  // space
            "kvé",                       // not ASCII
        ] {
            assert!(!is_key_vault_name(bad), "{bad}");
        }
    }

    #[test]
    fn secret_names_follow_azures_rules() {
        let longest = "a".repeat(127);
        for good in [
            "a",
            "1",
            "-",
            "neo4j-admin-password",
            "Neo4jAuth",
            longest.as_str(),
        ] {
            assert!(is_key_vault_secret_name(good), "{good}");
        }
        let too_long = "a".repeat(128);
        for bad in [
            "",
            too_long.as_str(),
            "neo4j_auth",
            "neo4j.auth",
            "neo4j/auth",
        ] {
            assert!(!is_key_vault_secret_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_complete_vault_is_accepted_as_written() {
        let mut f = Findings::default();
        let vault = check_key_vault(&mut f, &good()).expect("valid");
        assert!(f.is_clean());
        assert_eq!(vault.name, "kv-neo4j-prod");
        assert_eq!(vault.password_secret, "neo4j-admin-password");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field() {
        let bad = KeyVaultSpec {
            name: Some("kv--x".into()),
            tenant_id: Some("not-a-guid".into()),
            client_id: Some("0000000-0000-0000-0000-000000000000".into()),
            password_secret: Some("neo4j_password".into()),
        };
        let found = problems(&bad);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].starts_with(
                "spec.secrets.keyVault.name: \"kv--x\" is not a key vault name: 3 to 24"
            )
        );
        assert!(found[1].starts_with(
            "spec.secrets.keyVault.tenantId: \"not-a-guid\" is not a tenant ID (a GUID"
        ));
        assert!(found[2].starts_with("spec.secrets.keyVault.clientId: "));
        assert!(found[3].starts_with("spec.secrets.keyVault.passwordSecret: \"neo4j_password\" is not a Key Vault secret name"));

        let missing = problems(&KeyVaultSpec::default());
        assert_eq!(
            missing,
            [
                "spec.secrets.keyVault.name: required: the key vault's name",
                "spec.secrets.keyVault.tenantId: required: the Microsoft Entra tenant of the vault, a GUID",
                "spec.secrets.keyVault.clientId: required: the managed identity federated with the member ServiceAccount <name>-sa, a GUID",
                "spec.secrets.keyVault.passwordSecret: required: the Key Vault secret whose value is neo4j/<password>",
            ]
        );
    }
}
