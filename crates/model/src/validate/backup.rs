//! `spec.backup`: schedules, target, credentials, retention, verification.

use super::dns::is_dns_label;
use super::dns::is_dns_subdomain;

use crate::problems::Findings;
use crate::spec::{BackupCredentials, BackupTarget, Neo4jClusterSpec};
use crate::validated::{
    Backup, BackupCredential, BackupRetention, BackupType, BlobLocation, Edition,
};

/// The backup section; `Some` only when it is enabled (every field is checked either way, so a
/// disabled section cannot hide a mistake until the day it is turned on).
pub(super) fn check_backup(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    name: Option<&str>,
    edition: Edition,
    disk_size_gi: Option<i32>,
) -> Option<Backup> {
    let backup = spec.backup.as_ref()?;
    let enabled = backup.enabled == Some(true);
    if enabled && edition == Edition::Community {
        f.problem(
            "spec.backup.enabled",
            "online backups (neo4j-admin database backup) need Neo4j Enterprise; use edition enterprise or disable backups",
        );
    }
    for (path, schedule) in [
        ("spec.backup.schedule", backup.schedule.as_deref()),
        (
            "spec.backup.verification.schedule",
            backup
                .verification
                .as_ref()
                .and_then(|v| v.schedule.as_deref()),
        ),
    ] {
        if let Some(Err(e)) = schedule.map(crate::schedule::check) {
            f.problem(path, e);
        }
    }
    let backup_type = match backup.backup_type.as_deref() {
        None | Some("AUTO") => BackupType::Auto,
        Some("FULL") => BackupType::Full,
        Some("DIFF") => BackupType::Diff,
        Some(kind) => {
            f.problem(
                "spec.backup.type",
                format!("{kind:?} is not a backup type; use AUTO (default), FULL or DIFF"),
            );
            BackupType::Auto
        }
    };
    for (i, database) in backup.databases.iter().flatten().enumerate() {
        let valid = database == "*"
            || (!database.is_empty()
                && database.len() <= 63
                && database
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-*".contains(c)));
        if !valid {
            f.problem(
                format!("spec.backup.databases[{i}]"),
                format!("{database:?} is not a database name or pattern"),
            );
        }
    }
    if backup.databases.as_ref().is_some_and(Vec::is_empty) {
        f.problem(
            "spec.backup.databases",
            "an empty list backs up nothing; leave it out to back up every database (\"*\")",
        );
    }
    let blob = check_blob_location(
        f,
        "spec.backup",
        BlobAccess {
            target: backup.target.as_ref(),
            credentials: backup.credentials.as_ref(),
            default_container: name.map(crate::validated::default_backup_container),
            required: enabled.then_some("backups are enabled"),
            identity_account: "the <name>-backup ServiceAccount",
        },
    );
    let mut counts = [7u32, 4, 12];
    if let Some(retention) = &backup.retention {
        for (slot, (path, value)) in counts.iter_mut().zip([
            ("spec.backup.retention.daily", retention.daily),
            ("spec.backup.retention.weekly", retention.weekly),
            ("spec.backup.retention.monthly", retention.monthly),
        ]) {
            match value {
                Some(n) if (0..=1000).contains(&n) => *slot = n.unsigned_abs(),
                Some(n) => f.problem(path, format!("{n} must be between 0 and 1000")),
                None => {}
            }
        }
    }
    let temp_size_gi = backup.temp_size_gi.or(disk_size_gi).unwrap_or(1);
    if !(1..=65536).contains(&temp_size_gi) {
        f.problem(
            "spec.backup.tempSizeGi",
            format!("{temp_size_gi} must be between 1 and 65536 (GiB)"),
        );
    }
    let verification = backup.verification.clone().unwrap_or_default();
    let verification_schedule = (verification.enabled != Some(false)).then(|| {
        verification
            .schedule
            .clone()
            .unwrap_or_else(|| "0 4 * * 0".to_string())
    });
    // The API server refuses CronJob names over 52 characters (its Jobs append a suffix).
    if enabled
        && let (Some(name), Some(_)) = (name, &verification_schedule)
        && format!("{name}-backup-verification").len() > 52
    {
        f.problem(
            "spec.backup.verification",
            format!(
                "the CronJob {name}-backup-verification would have {} characters and Kubernetes allows 52 for CronJob names; use a cluster name of at most 32 characters, or verification.enabled: false",
                name.len() + "-backup-verification".len()
            ),
        );
    }
    if !enabled {
        return None;
    }
    Some(Backup {
        schedule: backup
            .schedule
            .clone()
            .unwrap_or_else(|| "0 2 * * *".to_string()),
        suspend: backup.suspend == Some(true),
        databases: backup
            .databases
            .clone()
            .unwrap_or_else(|| vec!["*".to_string()]),
        backup_type,
        blob: blob?,
        retention: BackupRetention {
            daily: counts[0],
            weekly: counts[1],
            monthly: counts[2],
        },
        temp_size_gi,
        verification_schedule,
    })
}

/// Checks target and credentials under `path`; `None` when something is missing or invalid
/// (each reported).
pub(super) fn check_blob_location(
    f: &mut Findings,
    path: &str,
    access: BlobAccess<'_>,
) -> Option<BlobLocation> {
    let target = access.target.cloned().unwrap_or_default();
    let account = match target.storage_account.as_deref() {
        None => {
            if let Some(why) = access.required {
                f.problem(
                    format!("{path}.target.storageAccount"),
                    format!("required when {why}: the Azure Storage account of the backups"),
                );
            }
            None
        }
        Some(account) if !is_storage_account_name(account) => {
            f.problem(
                format!("{path}.target.storageAccount"),
                format!("{account:?} is not an Azure Storage account name (3 to 24 lowercase letters and digits)"),
            );
            None
        }
        Some(account) => Some(account.to_string()),
    };
    let container = target.container.clone().or(access.default_container);
    if let Some(container) = container.as_deref()
        && (!(3..=63).contains(&container.len())
            || !is_dns_label(container)
            || container.contains("--"))
    {
        f.problem(
            format!("{path}.target.container"),
            format!("{container:?} is not a blob container name (3 to 63 lowercase letters, digits and single '-')"),
        );
    }
    let prefix = target.prefix.clone().unwrap_or_default();
    if !prefix.is_empty()
        && prefix.split('/').any(|segment| {
            segment.is_empty()
                || !segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
    {
        f.problem(
            format!("{path}.target.prefix"),
            format!("{prefix:?} is not a blob path prefix (segments of letters, digits, '.', '_', '-' separated by single '/')"),
        );
    }
    let credentials = access.credentials.cloned().unwrap_or_default();
    let credential = match (
        &credentials.workload_identity_client_id,
        &credentials.account_key_secret_ref,
    ) {
        (Some(_), Some(_)) => {
            f.problem(
                format!("{path}.credentials"),
                "choose one: workloadIdentityClientId or accountKeySecretRef",
            );
            None
        }
        (Some(id), None) if !is_guid(id) => {
            f.problem(
                format!("{path}.credentials.workloadIdentityClientId"),
                format!("{id:?} is not a client ID (a GUID such as 00000000-0000-0000-0000-000000000000)"),
            );
            None
        }
        (Some(id), None) => Some(BackupCredential::WorkloadIdentity {
            client_id: id.clone(),
        }),
        (None, Some(secret)) => {
            let key = secret
                .key
                .clone()
                .unwrap_or_else(|| "azurestorageaccountkey".to_string());
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            {
                f.problem(
                    format!("{path}.credentials.accountKeySecretRef.key"),
                    format!("{key:?} is not a Secret key (letters, digits, '-', '_', '.')"),
                );
            }
            match secret.name.clone() {
                Some(name) if is_dns_subdomain(&name) => {
                    Some(BackupCredential::AccountKey { secret: name, key })
                }
                _ => {
                    f.problem(
                        format!("{path}.credentials.accountKeySecretRef.name"),
                        "required: the Secret holding the storage account key",
                    );
                    None
                }
            }
        }
        (None, None) => {
            if let Some(why) = access.required {
                f.problem(
                    format!("{path}.credentials"),
                    format!(
                        "required when {why}: workloadIdentityClientId (the managed identity federated with {}) or accountKeySecretRef",
                        access.identity_account
                    ),
                );
            }
            None
        }
    };
    Some(BlobLocation {
        storage_account: account?,
        container: container?,
        prefix,
        credential: credential?,
    })
}

/// A name Azure accepts for a storage account: 3 to 24 lowercase letters and digits.
pub fn is_storage_account_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A GUID as Entra writes client, tenant and object IDs.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A blob location as `spec.backup` and `spec.bootstrap.fromBackup` write it.
pub(super) struct BlobAccess<'a> {
    pub(super) target: Option<&'a BackupTarget>,
    pub(super) credentials: Option<&'a BackupCredentials>,
    pub(super) default_container: Option<String>,
    /// Why account and credentials must be present (`None`: only check what is written).
    pub(super) required: Option<&'static str>,
    /// Who the workload identity is federated with, for the message.
    pub(super) identity_account: &'static str,
}
