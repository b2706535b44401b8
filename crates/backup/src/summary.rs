//! Per database, the newest restorable backup and the newest verification, and which databases
//! are overdue: what `neo4j-aks backup check` reports straight from Blob. Pure, from a catalogue.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::catalogue::{BackupKind, Catalogue, VerificationRecord};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DatabaseSummary {
    /// The newest restorable artifact: what a restore would use.
    pub last_successful: Option<BackupPoint>,
    /// The newest verification record of any artifact, with the artifact it is for.
    pub last_verification: Option<(String, VerificationRecord)>,
    /// Complete artifacts stored, and their total size.
    pub artifacts: usize,
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackupPoint {
    pub artifact: String,
    pub kind: BackupKind,
    pub finished_at: Timestamp,
    pub size_bytes: u64,
    pub duration_ms: i64,
}

/// Per-database summary of a catalogue.
pub fn summarize(catalogue: &Catalogue) -> BTreeMap<String, DatabaseSummary> {
    let mut out = BTreeMap::new();
    for (database, chains) in &catalogue.chains {
        let artifacts = chains.iter().flat_map(|c| &c.artifacts);
        let last_successful = catalogue
            .newest_restore_point(database)
            .map(|(_, a)| BackupPoint {
                artifact: a.metadata.artifact.clone(),
                kind: a.metadata.kind,
                finished_at: a.metadata.finished_at,
                size_bytes: a.metadata.size_bytes,
                duration_ms: a.metadata.duration_ms(),
            });
        let last_verification = artifacts
            .clone()
            .filter_map(|a| {
                a.verification
                    .as_ref()
                    .map(|v| (a.metadata.artifact.clone(), v.clone()))
            })
            .max_by(|(a, x), (b, y)| (x.at, a).cmp(&(y.at, b)));
        out.insert(
            database.clone(),
            DatabaseSummary {
                last_successful,
                last_verification,
                artifacts: artifacts.clone().count(),
                bytes: artifacts.map(|a| a.metadata.size_bytes).sum(),
            },
        );
    }
    out
}

/// Databases (of `expected`) whose newest restorable backup is older than `max_age` at `now`, or
/// that have none: the "no successful backup in 24h" alert.
pub fn overdue(
    summary: &BTreeMap<String, DatabaseSummary>,
    expected: &[&str],
    now: Timestamp,
    max_age: SignedDuration,
) -> Vec<String> {
    expected
        .iter()
        .filter(|db| {
            summary
                .get(**db)
                .and_then(|s| s.last_successful.as_ref())
                .is_none_or(|p| now.duration_since(p.finished_at) > max_age)
        })
        .map(|db| db.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{ArtifactMetadata, ListedObject, MARKER_FORMAT, VerificationCheck};
    use crate::layout::BlobLayout;

    fn catalogue() -> Catalogue {
        let layout = BlobLayout::new("").unwrap();
        let full = "neo4j-2026-01-01T00-00-00.backup";
        let diff = "neo4j-2026-01-02T00-00-00.backup";
        let mut listing = Vec::new();
        let mut markers = BTreeMap::new();
        let mut verifications = BTreeMap::new();
        for (name, kind, parent, at) in [
            (full, BackupKind::Full, None, "2026-01-01T00:10:00Z"),
            (diff, BackupKind::Diff, Some(full), "2026-01-02T00:10:00Z"),
        ] {
            let at: Timestamp = at.parse().unwrap();
            let key = layout.artifact_key("g", "neo4j", name).unwrap();
            let marker = layout.marker_key("g", "neo4j", name).unwrap();
            listing.push(ListedObject {
                key,
                size: 10,
                last_modified: at,
            });
            listing.push(ListedObject {
                key: marker.clone(),
                size: 1,
                last_modified: at,
            });
            markers.insert(
                marker,
                Ok(ArtifactMetadata {
                    format: MARKER_FORMAT,
                    artifact: name.into(),
                    cluster: "g".into(),
                    database: "neo4j".into(),
                    kind,
                    chain_id: full.into(),
                    parent: parent.map(Into::into),
                    started_at: at - SignedDuration::from_mins(10),
                    finished_at: at,
                    neo4j_version: "5.26.0".into(),
                    members: vec![],
                    size_bytes: 10,
                    sha256: String::new(),
                    counts: None,
                }),
            );
        }
        let vkey = layout.verification_key("g", "neo4j", full).unwrap();
        listing.push(ListedObject {
            key: vkey.clone(),
            size: 1,
            last_modified: "2026-01-03T00:00:00Z".parse().unwrap(),
        });
        verifications.insert(
            vkey,
            VerificationRecord {
                at: "2026-01-03T00:00:00Z".parse().unwrap(),
                check: VerificationCheck::RestoreCheck,
                ok: true,
                detail: "check passed".into(),
            },
        );
        Catalogue::assemble(&layout, "g", &listing, &markers, &verifications)
    }

    #[test]
    fn summary_names_the_newest_restore_point_and_verification() {
        let s = summarize(&catalogue());
        let db = &s["neo4j"];
        let last = db.last_successful.as_ref().unwrap();
        assert_eq!(last.artifact, "neo4j-2026-01-02T00-00-00.backup");
        assert_eq!(last.kind, BackupKind::Diff);
        assert_eq!(last.duration_ms, 600_000);
        let (artifact, v) = db.last_verification.as_ref().unwrap();
        assert_eq!(artifact, "neo4j-2026-01-01T00-00-00.backup");
        assert!(v.ok);
        assert_eq!((db.artifacts, db.bytes), (2, 20));
    }

    #[test]
    fn overdue_flags_stale_and_missing_databases() {
        let s = summarize(&catalogue());
        let day = SignedDuration::from_hours(24);
        let fresh: Timestamp = "2026-01-02T12:00:00Z".parse().unwrap();
        assert!(overdue(&s, &["neo4j"], fresh, day).is_empty());
        let stale: Timestamp = "2026-01-03T12:00:00Z".parse().unwrap();
        assert_eq!(
            overdue(&s, &["neo4j", "system"], stale, day),
            vec!["neo4j", "system"]
        );
        assert_eq!(overdue(&s, &["system"], fresh, day), vec!["system"]);
    }
}
