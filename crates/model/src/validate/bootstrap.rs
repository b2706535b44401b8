//! `spec.bootstrap.fromBackup`: seeding a new cluster from backups.

use super::MAX_NAME_LENGTH;
use super::backup::BlobAccess;
use super::backup::check_blob_location;
use super::dns::is_dns_label;
use crate::validated::Backup;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::{Bootstrap, Edition};

/// `spec.bootstrap`; `Some` when it names backups to seed from.
pub(super) fn check_bootstrap(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    name: Option<&str>,
    edition: Edition,
    disk_size_gi: Option<i32>,
) -> Option<Bootstrap> {
    let bootstrap = spec.bootstrap.as_ref()?;
    let Some(from) = bootstrap.from_backup.as_ref() else {
        f.problem(
            "spec.bootstrap.fromBackup",
            "required inside spec.bootstrap: the backups to seed the new cluster from (or remove spec.bootstrap)",
        );
        return None;
    };
    if edition == Edition::Community {
        f.problem(
            "spec.bootstrap.fromBackup",
            "seeding databases from a backup (CREATE DATABASE ... seedURI) needs Neo4j Enterprise; use edition enterprise",
        );
    }
    let mut source_cluster = from.source_cluster.clone().or(name.map(str::to_string));
    if let Some(source) = source_cluster.as_deref()
        && (!is_dns_label(source) || source.len() > MAX_NAME_LENGTH)
    {
        f.problem(
            "spec.bootstrap.fromBackup.sourceCluster",
            format!("{source:?} is not a Neo4jCluster name (a DNS label of at most {MAX_NAME_LENGTH} characters)"),
        );
        // Reported once: the container derived from it would only repeat the problem.
        source_cluster = None;
    }
    let blob = check_blob_location(
        f,
        "spec.bootstrap.fromBackup",
        BlobAccess {
            target: from.target.as_ref(),
            credentials: from.credentials.as_ref(),
            default_container: source_cluster
                .as_ref()
                .map(|n| format!("neo4j-backups-{n}")),
            required: Some("seeding from a backup"),
            identity_account: "this cluster's member ServiceAccount",
        },
    );
    let databases = from.databases.clone().unwrap_or_default();
    if databases.is_empty() {
        f.problem(
            "spec.bootstrap.fromBackup.databases",
            "required: the databases to restore by name, e.g. [neo4j, sales]",
        );
    }
    for (i, database) in databases.iter().enumerate() {
        let path = format!("spec.bootstrap.fromBackup.databases[{i}]");
        if database == "system" {
            f.problem(
                path,
                "system cannot be seeded; users and roles come from each backup's metadata script (docs/runbooks/restore-cluster.md)",
            );
        } else if !is_database_name(database) {
            f.problem(
                path,
                format!("{database:?} is not a database name (3 to 63 lowercase letters, digits, '.' and '-', a letter first, no '.' or '-' last, not starting with \"system\"; no patterns)"),
            );
        } else if databases[..i].contains(database) {
            f.problem(path, format!("{database:?} is listed twice"));
        }
    }
    let not_after = match from.not_after.as_deref() {
        None => None,
        Some(text) => match text.parse::<k8s_openapi::jiff::Timestamp>() {
            Ok(t) => Some(t.to_string()),
            Err(e) => {
                f.problem(
                    "spec.bootstrap.fromBackup.notAfter",
                    format!("{text:?} is not an RFC 3339 time such as 2026-11-20T00:00:00Z ({e})"),
                );
                None
            }
        },
    };
    let seed_size_gi = from.seed_size_gi.or(disk_size_gi).unwrap_or(1);
    if !(1..=65536).contains(&seed_size_gi) {
        f.problem(
            "spec.bootstrap.fromBackup.seedSizeGi",
            format!("{seed_size_gi} must be between 1 and 65536 (GiB)"),
        );
    }
    Some(Bootstrap {
        source_cluster: source_cluster?,
        blob: blob?,
        databases,
        not_after,
        seed_size_gi,
    })
}

/// Neo4j's rules for database names (Operations Manual, "Naming rules for databases"): 3 to 63
/// characters, letters, digits, dots and dashes, a letter first (a digit only from 2025.01), no
/// dot or dash last, the `system` prefix reserved. Names are case-insensitive and Neo4j lists them
/// lowercased, so only lowercase is accepted here: the operator compares them with SHOW DATABASES.
pub(super) fn is_database_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with(['.', '-'])
        && !name.starts_with("system")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

/// What backup and bootstrap mean together: seeding needs a cluster, and backups written where the
/// bootstrap reads would join the restored cluster's chains.
pub(super) fn check_backup_and_bootstrap(
    f: &mut Findings,
    name: Option<&str>,
    backup: Option<&Backup>,
    bootstrap: Option<&Bootstrap>,
    clustered: bool,
) {
    if let (Some(backup), Some(bootstrap)) = (backup, bootstrap)
        && name == Some(bootstrap.source_cluster.as_str())
        && (
            &backup.blob.storage_account,
            &backup.blob.container,
            &backup.blob.prefix,
        ) == (
            &bootstrap.blob.storage_account,
            &bootstrap.blob.container,
            &bootstrap.blob.prefix,
        )
    {
        f.warning(
            "spec.backup",
            "writes where spec.bootstrap reads, under the same cluster name: this cluster's backups would join the restored cluster's chains. Keep spec.backup.enabled false until status.bootstrap.phase is Done, and make the first run type FULL",
        );
    }
    if bootstrap.is_some() && !clustered {
        f.problem(
            "spec.bootstrap.fromBackup",
            "seeding from a backup is built for clusters (nodeCount 3 or more); restore a standalone server with neo4j-admin database restore (docs/runbooks/restore-cluster.md)",
        );
    }
}
