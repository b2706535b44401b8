//! Where things live in the container:
//!
//! ```text
//! <prefix>/<cluster>/<database>/<artifact>.backup              the artifact, as neo4j-admin wrote it
//! <prefix>/<cluster>/<database>/<artifact>.backup.meta.json    the marker, written last
//! <prefix>/<cluster>/<database>/<artifact>.backup.verify.json  the newest verification record
//! ```
//!
//! The prefix may be empty. Cluster and database names are single path segments.

use crate::error::BackupError;

pub const ARTIFACT_SUFFIX: &str = ".backup";
pub const MARKER_SUFFIX: &str = ".meta.json";
pub const VERIFICATION_SUFFIX: &str = ".verify.json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectRole {
    Artifact,
    Marker,
    Verification,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobLayout {
    prefix: String,
}

impl BlobLayout {
    /// `prefix` is trimmed of slashes; each of its segments must be a valid segment.
    pub fn new(prefix: &str) -> Result<BlobLayout, BackupError> {
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() {
            for segment in prefix.split('/') {
                check_segment("prefix segment", segment)?;
            }
        }
        Ok(BlobLayout {
            prefix: prefix.to_string(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `<prefix>/<cluster>/`: everything stored for a cluster.
    pub fn cluster_prefix(&self, cluster: &str) -> Result<String, BackupError> {
        check_segment("cluster name", cluster)?;
        Ok(if self.prefix.is_empty() {
            format!("{cluster}/")
        } else {
            format!("{}/{cluster}/", self.prefix)
        })
    }

    pub fn artifact_key(
        &self,
        cluster: &str,
        database: &str,
        artifact: &str,
    ) -> Result<String, BackupError> {
        check_segment("database name", database)?;
        check_artifact_name(artifact)?;
        Ok(format!(
            "{}{database}/{artifact}",
            self.cluster_prefix(cluster)?
        ))
    }

    pub fn marker_key(
        &self,
        cluster: &str,
        database: &str,
        artifact: &str,
    ) -> Result<String, BackupError> {
        Ok(format!(
            "{}{MARKER_SUFFIX}",
            self.artifact_key(cluster, database, artifact)?
        ))
    }

    pub fn verification_key(
        &self,
        cluster: &str,
        database: &str,
        artifact: &str,
    ) -> Result<String, BackupError> {
        Ok(format!(
            "{}{VERIFICATION_SUFFIX}",
            self.artifact_key(cluster, database, artifact)?
        ))
    }

    /// Splits a listed key into (database, artifact, role); `None` for keys the layout does not name.
    pub fn parse_key(&self, cluster: &str, key: &str) -> Option<(String, String, ObjectRole)> {
        let base = self.cluster_prefix(cluster).ok()?;
        let rest = key.strip_prefix(&base)?;
        let (database, name) = rest.split_once('/')?;
        if check_segment("database name", database).is_err() {
            return None;
        }
        let (artifact, role) = if let Some(a) = name.strip_suffix(MARKER_SUFFIX) {
            (a, ObjectRole::Marker)
        } else if let Some(a) = name.strip_suffix(VERIFICATION_SUFFIX) {
            (a, ObjectRole::Verification)
        } else {
            (name, ObjectRole::Artifact)
        };
        check_artifact_name(artifact).ok()?;
        Some((database.to_string(), artifact.to_string(), role))
    }
}

fn check_segment(what: &str, segment: &str) -> Result<(), BackupError> {
    let ok = !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(BackupError::InvalidName {
            what: what.to_string(),
            name: segment.to_string(),
        })
    }
}

/// A database name the layout can hold: one path segment.
pub fn check_database_name(database: &str) -> Result<(), BackupError> {
    check_segment("database name", database)
}

/// An artifact name is one segment ending in `.backup`.
pub fn check_artifact_name(artifact: &str) -> Result<(), BackupError> {
    check_segment("artifact name", artifact)?;
    if artifact.len() > ARTIFACT_SUFFIX.len() && artifact.ends_with(ARTIFACT_SUFFIX) {
        Ok(())
    } else {
        Err(BackupError::InvalidName {
            what: "artifact name (must end in .backup)".to_string(),
            name: artifact.to_string(),
        })
    }
}

/// The database an artifact belongs to, from neo4j-admin's file name
/// `<database>-<YYYY-MM-DDTHH-MM-SS>.backup`.
pub fn database_of_artifact(artifact: &str) -> Result<String, BackupError> {
    check_artifact_name(artifact)?;
    let stem = &artifact[..artifact.len() - ARTIFACT_SUFFIX.len()];
    // The timestamp is 19 characters, preceded by a dash.
    const STAMP: usize = "2026-01-01T00-00-00".len();
    let bad = || BackupError::InvalidName {
        what: "neo4j-admin artifact name (<database>-<YYYY-MM-DDTHH-MM-SS>.backup)".to_string(),
        name: artifact.to_string(),
    };
    if stem.len() <= STAMP + 1 {
        return Err(bad());
    }
    let (database, stamp) = stem.split_at(stem.len() - STAMP);
    let database = database.strip_suffix('-').ok_or_else(bad)?;
    let stamp_ok = stamp.chars().enumerate().all(|(i, c)| match i {
        4 | 7 | 13 | 16 => c == '-',
        10 => c == 'T',
        _ => c.is_ascii_digit(),
    });
    if !stamp_ok || database.is_empty() {
        return Err(bad());
    }
    Ok(database.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_parse() {
        let layout = BlobLayout::new("/backups/prod/").unwrap();
        let a = "neo4j-2026-11-26T03-00-12.backup";
        let key = layout.artifact_key("graph", "neo4j", a).unwrap();
        assert_eq!(
            key,
            "backups/prod/graph/neo4j/neo4j-2026-11-26T03-00-12.backup"
        );
        let marker = layout.marker_key("graph", "neo4j", a).unwrap();
        assert_eq!(
            layout.parse_key("graph", &marker),
            Some(("neo4j".into(), a.into(), ObjectRole::Marker))
        );
        assert_eq!(
            layout.parse_key("graph", &key),
            Some(("neo4j".into(), a.into(), ObjectRole::Artifact))
        );
        assert_eq!(layout.parse_key("other", &key), None);
        assert_eq!(
            layout.parse_key("graph", "backups/prod/graph/neo4j/notes.txt"),
            None
        );
    }

    #[test]
    fn empty_prefix_has_no_leading_slash() {
        let layout = BlobLayout::new("").unwrap();
        assert_eq!(layout.cluster_prefix("g").unwrap(), "g/");
    }

    #[test]
    fn names_with_slashes_or_dots_only_are_rejected() {
        let layout = BlobLayout::new("p").unwrap();
        assert!(layout.cluster_prefix("a/b").is_err());
        assert!(layout.artifact_key("g", "..", "x.backup").is_err());
        assert!(layout.artifact_key("g", "db", "x.tar").is_err());
        assert!(BlobLayout::new("a/../b").is_err());
    }

    #[test]
    fn database_comes_from_the_neo4j_admin_file_name() {
        assert_eq!(
            database_of_artifact("neo4j-2026-11-26T03-00-12.backup").unwrap(),
            "neo4j"
        );
        assert_eq!(
            database_of_artifact("my-db.v2-2026-11-26T03-00-12.backup").unwrap(),
            "my-db.v2"
        );
        assert!(database_of_artifact("neo4j.backup").is_err());
        assert!(database_of_artifact("neo4j-2026-11-26 03-00-12.backup").is_err());
        assert!(database_of_artifact("-2026-11-26T03-00-12.backup").is_err());
    }
}
