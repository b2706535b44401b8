//! Azure's naming rules for the resources whose names the user chooses, checked before anything
//! is deployed, each message stating the rule.
//!
//! Sources (Microsoft Learn, "Naming rules and restrictions for Azure resources",
//! https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
//! storage accounts 3-24 lowercase letters and digits, globally unique; key vaults 3-24
//! alphanumerics and hyphens, starting with a letter, ending with a letter or digit, no
//! consecutive hyphens, globally unique; managed clusters 1-63 alphanumerics, underscores and
//! hyphens, starting and ending with an alphanumeric; resource groups 1-90 alphanumerics,
//! underscores, hyphens, periods and parentheses, not ending with a period.

use neo4j_aks_model::validate;

pub const STORAGE_ACCOUNT_RULE: &str = "a storage account name is 3 to 24 lowercase letters and digits (no hyphens, no capitals), unique across Azure";
pub const KEY_VAULT_RULE: &str = "a Key Vault name is 3 to 24 letters, digits and hyphens, starts with a letter, ends with a letter or digit, has no consecutive hyphens, and is unique across Azure";
pub const AKS_RULE: &str = "an AKS cluster name is 1 to 63 letters, digits, underscores and hyphens, starting and ending with a letter or digit";
pub const RESOURCE_GROUP_RULE: &str = "a resource group name is 1 to 90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period";

/// The predicate the spec's `storageAccount` is validated with, and the rule spelled out.
pub fn storage_account(name: &str) -> Result<(), String> {
    check(
        validate::is_storage_account_name(name),
        name,
        STORAGE_ACCOUNT_RULE,
    )
}

/// The predicate the spec's `secrets.keyVault.name` is validated with, and the rule spelled out.
pub fn key_vault(name: &str) -> Result<(), String> {
    check(validate::is_key_vault_name(name), name, KEY_VAULT_RULE)
}

pub fn aks(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let ok = (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
    check(ok, name, AKS_RULE)
}

pub fn resource_group(name: &str) -> Result<(), String> {
    let ok = (1..=90).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'))
        && !name.ends_with('.');
    check(ok, name, RESOURCE_GROUP_RULE)
}

fn check(ok: bool, name: &str, rule: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is refused: {rule}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_account_names() {
        for good in ["abc", "neo4jbackups01", "a23456789012345678901234"] {
            assert_eq!(storage_account(good), Ok(()), "{good}");
        }
        for bad in [
            "ab",
            "Neo4jBackups",
            "neo4j-backups",
            "a234567890123456789012345",
            "neo4j_backups",
            "",
        ] {
            let error = storage_account(bad).expect_err(bad);
            assert!(
                error.contains("3 to 24 lowercase letters and digits"),
                "{error}"
            );
        }
    }

    #[test]
    fn key_vault_names() {
        for good in ["kv1", "neo4j-aks-kv", "A-b-c", "k23456789012345678901234"] {
            assert_eq!(key_vault(good), Ok(()), "{good}");
        }
        for bad in [
            "kv",
            "1kv",
            "-kv",
            "kv-",
            "neo4j--kv",
            "kv_1",
            "k234567890123456789012345",
        ] {
            let error = key_vault(bad).expect_err(bad);
            assert!(error.contains("no consecutive hyphens"), "{error}");
        }
    }

    #[test]
    fn aks_and_resource_group_names() {
        assert_eq!(aks("aks-neo4j_1"), Ok(()));
        assert!(aks("-aks").is_err());
        assert!(aks(&"a".repeat(64)).is_err());
        assert_eq!(resource_group("rg-neo4j.prod(1)"), Ok(()));
        assert!(resource_group("rg.").is_err());
        assert!(resource_group("rg neo4j").is_err());
    }
}
