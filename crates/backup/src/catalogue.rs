//! The backup catalogue: what Neo4j writes, what we record per artifact, and which listed objects
//! form complete artifacts and chains. Pure: built from a blob listing plus the parsed markers.
//!
//! `neo4j-admin database backup` writes one immutable `.backup` file per database per run, FULL or
//! DIFF. A chain is a FULL plus the contiguous DIFFs taken after it; restoring needs the whole
//! prefix of the chain up to the wanted point. An artifact counts as complete only when its blob
//! exists and its metadata marker (written last) exists, parses, names the same artifact and
//! records the blob's exact size.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use neo4j_aks_model::api::backup::{CountRange, GraphCounts};

use crate::layout::{BlobLayout, ObjectRole};

/// FULL or DIFF, as neo4j-admin reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BackupKind {
    Full,
    Diff,
}

impl std::fmt::Display for BackupKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BackupKind::Full => "FULL",
            BackupKind::Diff => "DIFF",
        })
    }
}

/// Version of the marker document; bumped when a field changes meaning.
pub const MARKER_FORMAT: u32 = 1;

/// What we record per artifact, stored as the marker object (JSON) written after the artifact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactMetadata {
    pub format: u32,
    /// File name as neo4j-admin wrote it, e.g. `neo4j-2026-11-26T03-00-12.backup`.
    pub artifact: String,
    pub cluster: String,
    pub database: String,
    pub kind: BackupKind,
    /// Artifact name of the FULL that starts this artifact's chain (its own name for a FULL).
    pub chain_id: String,
    /// Artifact this DIFF was taken on top of; `None` for a FULL.
    pub parent: Option<String>,
    /// When neo4j-admin started and finished the run that produced the artifact.
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub neo4j_version: String,
    /// Cluster members at backup time (server names or addresses).
    pub members: Vec<String>,
    pub size_bytes: u64,
    /// Lower-case hex sha256 of the artifact bytes, computed while uploading.
    pub sha256: String,
    /// Node and relationship counts of the database on the backup source, read just before and
    /// just after the run: what the verification compares a restored copy with. Absent when the
    /// source could not be counted (and in markers written before counts were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<CountRange>,
}

impl ArtifactMetadata {
    pub fn duration_ms(&self) -> i64 {
        self.finished_at.as_millisecond() - self.started_at.as_millisecond()
    }
}

/// Result of a check on a downloaded or restored artifact, stored next to the marker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub at: Timestamp,
    pub check: VerificationCheck,
    pub ok: bool,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationCheck {
    /// Downloaded and the sha256 matched the marker.
    Checksum,
    /// Restored into a throw-away Neo4j and `neo4j-admin database check` passed.
    RestoreCheck,
}

/// One object from a blob listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub last_modified: Timestamp,
}

/// A marker object's content as read from the store: parsed, or why it could not be.
pub type MarkerContent = Result<ArtifactMetadata, String>;

/// A complete artifact: blob and matching marker both present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub metadata: ArtifactMetadata,
    pub artifact_key: String,
    pub marker_key: String,
    /// Verification records found for this artifact, oldest first.
    pub verification: Option<VerificationRecord>,
    pub verification_key: Option<String>,
    /// True when every artifact from the chain's FULL up to this one is complete and linked.
    pub restorable: bool,
}

/// Objects that do not form a complete artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leftover {
    pub key: String,
    pub database: String,
    /// The artifact the object belongs to (empty for unknown keys).
    pub artifact: String,
    pub last_modified: Timestamp,
    pub problem: LeftoverProblem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeftoverProblem {
    /// Artifact blob without marker: an upload that was interrupted or is still running.
    MissingMarker,
    /// Marker without its artifact blob.
    MissingArtifact,
    /// Marker present but unreadable or not matching the blob.
    BadMarker(String),
    /// A verification record whose artifact is gone.
    StrayVerification,
    /// A key under the cluster prefix that the layout does not name.
    Unknown,
}

/// All artifacts of one chain, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub database: String,
    pub chain_id: String,
    pub artifacts: Vec<Artifact>,
}

impl Chain {
    /// The FULL that starts the chain, when it is complete.
    pub fn full(&self) -> Option<&Artifact> {
        self.artifacts
            .iter()
            .find(|a| a.metadata.kind == BackupKind::Full && a.metadata.artifact == self.chain_id)
    }

    /// Restore points: artifacts that can be restored (their whole prefix is complete).
    pub fn restore_points(&self) -> impl Iterator<Item = &Artifact> {
        self.artifacts.iter().filter(|a| a.restorable)
    }

    /// The newest restorable artifact: what `restore --from-path` is pointed at.
    pub fn end(&self) -> Option<&Artifact> {
        self.restore_points().last()
    }

    /// The artifacts a restore to `artifact` needs, FULL first: the restore points up to and
    /// including it. Empty when `artifact` is not a restore point of this chain.
    pub fn restore_prefix(&self, artifact: &str) -> Vec<&Artifact> {
        let points: Vec<&Artifact> = self.restore_points().collect();
        match points.iter().position(|a| a.metadata.artifact == artifact) {
            Some(end) => points[..=end].to_vec(),
            None => Vec::new(),
        }
    }

    /// The artifact a following DIFF would be taken on top of.
    pub fn tip(&self) -> Option<&Artifact> {
        self.artifacts.last()
    }

    pub fn started_at(&self) -> Option<Timestamp> {
        self.artifacts.first().map(|a| a.metadata.started_at)
    }
}

/// Everything stored for one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    /// Chains per database, oldest first (by their first artifact).
    pub chains: BTreeMap<String, Vec<Chain>>,
    pub leftovers: Vec<Leftover>,
}

impl Catalogue {
    /// Classifies a listing of `<prefix>/<cluster>/` and the parsed markers (keyed by marker key)
    /// and verification records (keyed by their key) into chains and leftovers.
    pub fn assemble(
        layout: &BlobLayout,
        cluster: &str,
        listing: &[ListedObject],
        markers: &BTreeMap<String, MarkerContent>,
        verifications: &BTreeMap<String, VerificationRecord>,
    ) -> Catalogue {
        struct Parts<'a> {
            blob: Option<&'a ListedObject>,
            marker: Option<&'a ListedObject>,
            verification: Option<&'a ListedObject>,
        }
        let mut by_artifact: BTreeMap<(String, String), Parts<'_>> = BTreeMap::new();
        let mut leftovers = Vec::new();
        for object in listing {
            let Some((database, artifact, role)) = layout.parse_key(cluster, &object.key) else {
                leftovers.push(Leftover {
                    key: object.key.clone(),
                    database: String::new(),
                    artifact: String::new(),
                    last_modified: object.last_modified,
                    problem: LeftoverProblem::Unknown,
                });
                continue;
            };
            let parts = by_artifact.entry((database, artifact)).or_insert(Parts {
                blob: None,
                marker: None,
                verification: None,
            });
            match role {
                ObjectRole::Artifact => parts.blob = Some(object),
                ObjectRole::Marker => parts.marker = Some(object),
                ObjectRole::Verification => parts.verification = Some(object),
            }
        }

        let mut complete: BTreeMap<String, Vec<Artifact>> = BTreeMap::new();
        for ((database, artifact), parts) in &by_artifact {
            let leftover = |object: &ListedObject, problem| Leftover {
                key: object.key.clone(),
                database: database.clone(),
                artifact: artifact.clone(),
                last_modified: object.last_modified,
                problem,
            };
            match (parts.blob, parts.marker) {
                (Some(blob), None) => {
                    leftovers.push(leftover(blob, LeftoverProblem::MissingMarker));
                    if let Some(v) = parts.verification {
                        leftovers.push(leftover(v, LeftoverProblem::StrayVerification));
                    }
                }
                (None, Some(marker)) => {
                    leftovers.push(leftover(marker, LeftoverProblem::MissingArtifact));
                    if let Some(v) = parts.verification {
                        leftovers.push(leftover(v, LeftoverProblem::StrayVerification));
                    }
                }
                (None, None) => {
                    if let Some(v) = parts.verification {
                        leftovers.push(leftover(v, LeftoverProblem::StrayVerification));
                    }
                }
                (Some(blob), Some(marker)) => {
                    let checked = match markers.get(&marker.key) {
                        None => Err("marker was not read".to_string()),
                        Some(Err(e)) => Err(e.clone()),
                        Some(Ok(meta)) => check_marker(meta, cluster, database, artifact, blob),
                    };
                    match checked {
                        Ok(meta) => complete
                            .entry(database.clone())
                            .or_default()
                            .push(Artifact {
                                metadata: meta,
                                artifact_key: blob.key.clone(),
                                marker_key: marker.key.clone(),
                                verification: parts
                                    .verification
                                    .and_then(|v| verifications.get(&v.key).cloned()),
                                verification_key: parts.verification.map(|v| v.key.clone()),
                                restorable: false,
                            }),
                        Err(problem) => {
                            // The blob is kept out of every chain; both objects are leftovers.
                            leftovers
                                .push(leftover(blob, LeftoverProblem::BadMarker(problem.clone())));
                            leftovers.push(leftover(marker, LeftoverProblem::BadMarker(problem)));
                            if let Some(v) = parts.verification {
                                leftovers.push(leftover(v, LeftoverProblem::StrayVerification));
                            }
                        }
                    }
                }
            }
        }

        let chains = complete
            .into_iter()
            .map(|(database, artifacts)| {
                let chains = link_chains(&database, artifacts);
                (database, chains)
            })
            .collect();
        leftovers.sort_by(|a, b| a.key.cmp(&b.key));
        Catalogue { chains, leftovers }
    }

    /// Every chain of every database.
    pub fn all_chains(&self) -> impl Iterator<Item = &Chain> {
        self.chains.values().flatten()
    }

    /// The newest restorable artifact of a database.
    pub fn newest_restore_point(&self, database: &str) -> Option<(&Chain, &Artifact)> {
        self.restore_point_at(database, None)
    }

    /// The newest restorable artifact of a database (of any chain) that finished at or before
    /// `not_after`, or the newest of all without a bound: the point a restore to that time uses.
    /// Equal times go to the later artifact name, so every caller picks the same point.
    pub fn restore_point_at(
        &self,
        database: &str,
        not_after: Option<Timestamp>,
    ) -> Option<(&Chain, &Artifact)> {
        self.chains
            .get(database)?
            .iter()
            .flat_map(|c| c.restore_points().map(move |a| (c, a)))
            .filter(|(_, a)| not_after.is_none_or(|bound| a.metadata.finished_at <= bound))
            .max_by(|(_, a), (_, b)| {
                (a.metadata.finished_at, &a.metadata.artifact)
                    .cmp(&(b.metadata.finished_at, &b.metadata.artifact))
            })
    }

    /// The newest complete artifact of a database: the parent of the next DIFF.
    pub fn tip(&self, database: &str) -> Option<&Artifact> {
        self.chains
            .get(database)?
            .iter()
            .filter_map(Chain::tip)
            .max_by_key(|a| (a.metadata.finished_at, a.metadata.artifact.clone()))
    }

    /// Whether an artifact of this name is stored complete.
    pub fn contains(&self, database: &str, artifact: &str) -> bool {
        self.chains.get(database).is_some_and(|cs| {
            cs.iter()
                .flat_map(|c| &c.artifacts)
                .any(|a| a.metadata.artifact == artifact)
        })
    }
}

fn check_marker(
    meta: &ArtifactMetadata,
    cluster: &str,
    database: &str,
    artifact: &str,
    blob: &ListedObject,
) -> Result<ArtifactMetadata, String> {
    if meta.format != MARKER_FORMAT {
        return Err(format!(
            "marker format {} (expected {MARKER_FORMAT})",
            meta.format
        ));
    }
    if meta.artifact != artifact || meta.database != database || meta.cluster != cluster {
        return Err(format!(
            "marker names {}/{}/{} but sits at {cluster}/{database}/{artifact}",
            meta.cluster, meta.database, meta.artifact
        ));
    }
    if meta.size_bytes != blob.size {
        return Err(format!(
            "marker records {} bytes, blob has {}",
            meta.size_bytes, blob.size
        ));
    }
    let chain_ok = match meta.kind {
        BackupKind::Full => meta.parent.is_none() && meta.chain_id == meta.artifact,
        BackupKind::Diff => meta.parent.is_some() && meta.chain_id != meta.artifact,
    };
    if !chain_ok {
        return Err(format!(
            "{} marker with inconsistent chain fields",
            meta.kind
        ));
    }
    Ok(meta.clone())
}

/// Groups one database's complete artifacts by chain id and marks the restorable prefix: a DIFF
/// is restorable only when its parent is the restorable artifact just before it in the chain.
fn link_chains(database: &str, artifacts: Vec<Artifact>) -> Vec<Chain> {
    let mut by_chain: BTreeMap<String, Vec<Artifact>> = BTreeMap::new();
    for a in artifacts {
        by_chain
            .entry(a.metadata.chain_id.clone())
            .or_default()
            .push(a);
    }
    let mut chains: Vec<Chain> = by_chain
        .into_iter()
        .map(|(chain_id, mut artifacts)| {
            artifacts.sort_by(|a, b| {
                (
                    a.metadata.kind,
                    a.metadata.finished_at,
                    &a.metadata.artifact,
                )
                    .cmp(&(
                        b.metadata.kind,
                        b.metadata.finished_at,
                        &b.metadata.artifact,
                    ))
            });
            let mut previous: Option<String> = None;
            for a in &mut artifacts {
                let linked = match a.metadata.kind {
                    BackupKind::Full => a.metadata.artifact == chain_id,
                    BackupKind::Diff => {
                        previous.is_some() && a.metadata.parent.as_deref() == previous.as_deref()
                    }
                };
                if !linked {
                    break;
                }
                a.restorable = true;
                previous = Some(a.metadata.artifact.clone());
            }
            Chain {
                database: database.to_string(),
                chain_id,
                artifacts,
            }
        })
        .collect();
    chains.sort_by(|a, b| (a.started_at(), &a.chain_id).cmp(&(b.started_at(), &b.chain_id)));
    chains
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn restored_counts_must_lie_between_the_two_readings() {
        let range = CountRange::between(
            GraphCounts {
                nodes: 120,
                relationships: 300,
            },
            GraphCounts {
                nodes: 100,
                relationships: 310,
            },
        );
        assert_eq!(
            (
                range.nodes_min,
                range.nodes_max,
                range.relationships_min,
                range.relationships_max
            ),
            (100, 120, 300, 310)
        );
        for inside in [(100, 300), (120, 310), (110, 305)] {
            let counts = GraphCounts {
                nodes: inside.0,
                relationships: inside.1,
            };
            assert_eq!(range.mismatch(counts), None, "{inside:?}");
        }
        let why = range
            .mismatch(GraphCounts {
                nodes: 99,
                relationships: 311,
            })
            .expect("outside");
        assert_eq!(
            why,
            "99 nodes restored, the source had 100..=120; 311 relationships restored, the source had 300..=310"
        );
        // Markers written before counts existed still parse.
        let old = r#"{"format":1,"artifact":"neo4j-2026-01-01T00-00-00.backup","cluster":"g","database":"neo4j","kind":"FULL","chain_id":"neo4j-2026-01-01T00-00-00.backup","parent":null,"started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:01:00Z","neo4j_version":"5.26.0","members":[],"size_bytes":1,"sha256":""}"#;
        let parsed: ArtifactMetadata = serde_json::from_str(old).expect("old marker");
        assert_eq!(parsed.counts, None);
    }

    pub(crate) const C: &str = "graph";

    pub(crate) fn meta(
        artifact: &str,
        kind: BackupKind,
        chain: &str,
        parent: Option<&str>,
        at: &str,
    ) -> ArtifactMetadata {
        let finished_at: Timestamp = at.parse().unwrap();
        ArtifactMetadata {
            format: MARKER_FORMAT,
            artifact: artifact.into(),
            cluster: C.into(),
            database: "neo4j".into(),
            kind,
            chain_id: chain.into(),
            parent: parent.map(Into::into),
            started_at: finished_at,
            finished_at,
            neo4j_version: "5.26.0".into(),
            members: vec![],
            size_bytes: 1,
            sha256: String::new(),
            counts: None,
        }
    }

    /// The listing and markers of `metas` (all of cluster [`C`]), every artifact with its marker
    /// unless named in `without_marker`.
    pub(crate) fn assemble(metas: &[ArtifactMetadata], without_marker: &[&str]) -> Catalogue {
        let layout = BlobLayout::new("").unwrap();
        let mut listing = Vec::new();
        let mut markers = BTreeMap::new();
        for m in metas {
            let at = m.finished_at;
            listing.push(ListedObject {
                key: layout.artifact_key(C, &m.database, &m.artifact).unwrap(),
                size: 1,
                last_modified: at,
            });
            if !without_marker.contains(&m.artifact.as_str()) {
                let key = layout.marker_key(C, &m.database, &m.artifact).unwrap();
                listing.push(ListedObject {
                    key: key.clone(),
                    size: 1,
                    last_modified: at,
                });
                markers.insert(key, Ok(m.clone()));
            }
        }
        Catalogue::assemble(&layout, C, &listing, &markers, &BTreeMap::new())
    }

    const F: &str = "neo4j-2026-01-01T00-00-00.backup";
    const D1: &str = "neo4j-2026-01-02T00-00-00.backup";
    const D2: &str = "neo4j-2026-01-03T00-00-00.backup";

    fn history() -> Vec<ArtifactMetadata> {
        vec![
            meta(F, BackupKind::Full, F, None, "2026-01-01T00:05:00Z"),
            meta(D1, BackupKind::Diff, F, Some(F), "2026-01-02T00:05:00Z"),
            meta(D2, BackupKind::Diff, F, Some(D1), "2026-01-03T00:05:00Z"),
        ]
    }

    #[test]
    fn a_full_and_its_diffs_form_one_restorable_chain() {
        let c = assemble(&history(), &[]);
        let chains = &c.chains["neo4j"];
        assert_eq!(chains.len(), 1);
        assert!(chains[0].artifacts.iter().all(|a| a.restorable));
        assert_eq!(chains[0].end().unwrap().metadata.artifact, D2);
        assert_eq!(c.tip("neo4j").unwrap().metadata.artifact, D2);
        assert!(c.leftovers.is_empty());
    }

    #[test]
    fn a_missing_link_ends_the_restorable_prefix() {
        let c = assemble(&history(), &[D1]);
        let chain = &c.chains["neo4j"][0];
        let states: Vec<_> = chain
            .artifacts
            .iter()
            .map(|a| (a.metadata.artifact.as_str(), a.restorable))
            .collect();
        assert_eq!(states, vec![(F, true), (D2, false)]);
        assert_eq!(
            c.newest_restore_point("neo4j").unwrap().1.metadata.artifact,
            F
        );
        assert_eq!(c.leftovers[0].problem, LeftoverProblem::MissingMarker);
        assert_eq!(c.leftovers[0].artifact, D1);
    }

    #[test]
    fn a_chain_without_its_full_restores_nothing() {
        let c = assemble(&history(), &[F]);
        let chain = &c.chains["neo4j"][0];
        assert!(chain.full().is_none());
        assert!(chain.restore_points().next().is_none());
        assert!(c.newest_restore_point("neo4j").is_none());
    }

    #[test]
    fn markers_with_inconsistent_chain_fields_are_rejected() {
        let mut bad = history();
        bad[0].parent = Some(D1.into());
        let c = assemble(&bad, &[]);
        assert!(c.leftovers.iter().any(
            |l| matches!(&l.problem, LeftoverProblem::BadMarker(w) if w.contains("inconsistent"))
        ));
        assert!(!c.contains("neo4j", F));
    }

    #[test]
    fn a_bound_picks_the_newest_restore_point_before_it_across_chains() {
        const F2: &str = "neo4j-2026-01-10T00-00-00.backup";
        const F2D: &str = "neo4j-2026-01-11T00-00-00.backup";
        let mut metas = history();
        metas.push(meta(F2, BackupKind::Full, F2, None, "2026-01-10T00:05:00Z"));
        metas.push(meta(
            F2D,
            BackupKind::Diff,
            F2,
            Some(F2),
            "2026-01-11T00:05:00Z",
        ));
        let c = assemble(&metas, &[]);
        let at = |bound: &str| {
            c.restore_point_at("neo4j", Some(bound.parse().unwrap()))
                .map(|(chain, a)| (chain.chain_id.as_str(), a.metadata.artifact.as_str()))
        };
        assert_eq!(at("2026-01-02T12:00:00Z"), Some((F, D1)));
        // Inclusive bound.
        assert_eq!(at("2026-01-03T00:05:00Z"), Some((F, D2)));
        assert_eq!(at("2026-01-10T00:04:59Z"), Some((F, D2)));
        assert_eq!(at("2026-01-10T00:05:00Z"), Some((F2, F2)));
        assert_eq!(at("2027-01-01T00:00:00Z"), Some((F2, F2D)));
        assert_eq!(at("2025-12-31T00:00:00Z"), None);
        assert_eq!(
            c.restore_point_at("neo4j", None),
            c.newest_restore_point("neo4j")
        );
        assert_eq!(
            c.newest_restore_point("neo4j").unwrap().1.metadata.artifact,
            F2D
        );
        assert!(c.restore_point_at("sales", None).is_none());

        let chain = &c.chains["neo4j"][0];
        let prefix: Vec<&str> = chain
            .restore_prefix(D1)
            .iter()
            .map(|a| a.metadata.artifact.as_str())
            .collect();
        assert_eq!(prefix, vec![F, D1]);
        assert!(chain.restore_prefix(F2D).is_empty());
    }

    /// Chains of one database: per chain a FULL and up to four DIFFs, each at a distinct minute,
    /// some markers missing; and a bound (or none).
    fn stored_chains()
    -> impl Strategy<Value = (Vec<ArtifactMetadata>, Vec<String>, Option<Timestamp>)> {
        let chain_lengths = prop::collection::vec(1usize..=5, 0..=4);
        chain_lengths
            .prop_flat_map(|lengths| {
                let total: usize = lengths.iter().sum();
                (
                    Just(lengths),
                    prop::collection::btree_set(0i64..20_000, total)
                        .prop_map(|minutes| minutes.into_iter().collect::<Vec<_>>())
                        .prop_shuffle(),
                    prop::collection::vec(prop::bool::weighted(0.2), total),
                    prop::option::of(0i64..20_000),
                )
            })
            .prop_map(|(lengths, minutes, missing, bound)| {
                let base: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
                let at = |m: i64| base + jiff::SignedDuration::from_mins(m);
                let mut metas: Vec<ArtifactMetadata> = Vec::new();
                let mut without_marker = Vec::new();
                let mut next = 0;
                for length in lengths {
                    let mut times = minutes[next..next + length].to_vec();
                    times.sort_unstable();
                    let mut chain_id = String::new();
                    let mut parent: Option<String> = None;
                    for (i, m) in times.into_iter().enumerate() {
                        let name = format!("neo4j-{}.backup", at(m).strftime("%Y-%m-%dT%H-%M-%S"));
                        let kind = if i == 0 {
                            chain_id = name.clone();
                            BackupKind::Full
                        } else {
                            BackupKind::Diff
                        };
                        metas.push(meta(
                            &name,
                            kind,
                            &chain_id,
                            parent.as_deref(),
                            &at(m).to_string(),
                        ));
                        if missing[next + i] {
                            without_marker.push(name.clone());
                        }
                        parent = Some(name);
                    }
                    next += length;
                }
                (metas, without_marker, bound.map(at))
            })
    }

    proptest! {
        #[test]
        fn the_restore_point_at_a_bound_is_the_newest_restorable_one_within_it(
            (metas, without_marker, bound) in stored_chains()
        ) {
            let without: Vec<&str> = without_marker.iter().map(String::as_str).collect();
            let c = assemble(&metas, &without);
            let within = |a: &Artifact| bound.is_none_or(|b| a.metadata.finished_at <= b);
            let candidates: Vec<&Artifact> = c
                .all_chains()
                .flat_map(|ch| &ch.artifacts)
                .filter(|a| a.restorable && within(a))
                .collect();
            match c.restore_point_at("neo4j", bound) {
                None => prop_assert!(candidates.is_empty(), "{candidates:?}"),
                Some((chain, point)) => {
                    prop_assert!(point.restorable);
                    prop_assert!(within(point));
                    prop_assert!(chain.artifacts.contains(point));
                    for a in &candidates {
                        prop_assert!(a.metadata.finished_at <= point.metadata.finished_at);
                    }
                    // The prefix to fetch: the chain's FULL first, linked DIFFs, the point last.
                    let prefix = chain.restore_prefix(&point.metadata.artifact);
                    prop_assert_eq!(prefix.first().copied(), chain.full());
                    prop_assert_eq!(prefix.last().copied(), Some(point));
                    for pair in prefix.windows(2) {
                        prop_assert_eq!(
                            pair[1].metadata.parent.as_deref(),
                            Some(pair[0].metadata.artifact.as_str())
                        );
                    }
                }
            }
            prop_assert_eq!(c.restore_point_at("neo4j", None), c.newest_restore_point("neo4j"));
        }
    }
}
