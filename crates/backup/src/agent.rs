//! The `backup-agent` as a library: upload what `neo4j-admin database backup --to-path=DIR` wrote,
//! marker last; list what is stored; prune by retention; download with checksum verification.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::catalogue::{
    ArtifactMetadata, BackupKind, Catalogue, Chain, CountRange, ListedObject, MARKER_FORMAT,
    MarkerContent, VerificationCheck, VerificationRecord,
};
use crate::error::BackupError;
use crate::layout::{self, ARTIFACT_SUFFIX, BlobLayout, MARKER_SUFFIX, VERIFICATION_SUFFIX};
use crate::retention::{self, PrunePlan, RetentionPolicy};
use crate::store::{BlobMetadata, BlobStore, Transfer};

/// What the CronJob knows about the run, handed to the agent with the artifact directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunMetadata {
    pub cluster: String,
    pub neo4j_version: String,
    pub members: Vec<String>,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// FULL or DIFF per artifact file name (from `neo4j-admin database backup --inspect-path`).
    #[serde(default)]
    pub kinds: BTreeMap<String, BackupKind>,
    /// Kind of artifacts not in `kinds`: the run's `--type` when it was FULL or DIFF.
    #[serde(default)]
    pub default_kind: Option<BackupKind>,
    /// Per database: the source's counts before and after the run (recorded in the marker).
    #[serde(default)]
    pub counts: BTreeMap<String, CountRange>,
}

impl RunMetadata {
    /// Takes FULL/DIFF per artifact from `neo4j-admin backup inspect <dir> --show-metadata
    /// --empty` output (see [`crate::inspect`]).
    pub fn with_inspect_output(mut self, text: &str) -> Result<RunMetadata, BackupError> {
        let rows = crate::inspect::parse_inspect_table(text)?;
        self.kinds.extend(crate::inspect::kinds(&rows));
        Ok(self)
    }

    fn kind_of(&self, artifact: &str) -> Result<BackupKind, BackupError> {
        self.kinds
            .get(artifact)
            .copied()
            .or(self.default_kind)
            .ok_or_else(|| {
                BackupError::RunMetadata(format!(
                    "no FULL/DIFF kind for {artifact} (run --type=AUTO needs per-artifact kinds)"
                ))
            })
    }
}

/// One stored artifact as `backup list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListingRow {
    pub database: String,
    pub chain_id: String,
    pub artifact: String,
    pub kind: BackupKind,
    pub finished_at: Timestamp,
    pub duration_ms: i64,
    pub size_bytes: u64,
    pub sha256: String,
    pub neo4j_version: String,
    /// The chain is complete from its FULL up to this artifact.
    pub restorable: bool,
    /// `unverified`, `checksum-ok`, `checksum-failed`, `restore-check-ok`, `restore-check-failed`.
    pub verification: String,
    pub verified_at: Option<Timestamp>,
}

/// What [`Agent::upload_run`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub uploaded: Vec<ArtifactMetadata>,
    /// Artifacts in the directory that were already stored complete (a seeded chain).
    pub already_stored: Vec<String>,
    pub prune: PruneReport,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PruneReport {
    pub plan: PrunePlan,
    /// Keys actually deleted (empty on a dry run).
    pub deleted: Vec<String>,
}

/// The agent for one cluster's backups in one container.
#[derive(Debug)]
pub struct Agent<S: BlobStore> {
    store: S,
    layout: BlobLayout,
    cluster: String,
}

impl<S: BlobStore> Agent<S> {
    pub fn new(store: S, layout: BlobLayout, cluster: &str) -> Result<Agent<S>, BackupError> {
        layout.cluster_prefix(cluster)?;
        Ok(Agent {
            store,
            layout,
            cluster: cluster.to_string(),
        })
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Credentials, container and endpoint work.
    pub async fn check(&self) -> Result<(), BackupError> {
        self.store.check().await
    }

    /// Lists the cluster's objects and reads every marker and verification record.
    pub async fn catalogue(&self) -> Result<Catalogue, BackupError> {
        let prefix = self.layout.cluster_prefix(&self.cluster)?;
        let listing: Vec<ListedObject> = self.store.list(&prefix).await?;
        // Markers and verification records are small; read them a few at a time.
        let reads = listing
            .iter()
            .filter(|o| o.key.ends_with(MARKER_SUFFIX) || o.key.ends_with(VERIFICATION_SUFFIX))
            .map(|o| async move {
                match self.store.get_bytes(&o.key).await {
                    Ok(bytes) => Ok((o.key.clone(), Some(bytes))),
                    // Deleted between list and get (a concurrent prune).
                    Err(BackupError::NotFound { .. }) => Ok((o.key.clone(), None)),
                    Err(e) => Err(e),
                }
            });
        let bodies: Vec<(String, Option<Vec<u8>>)> = futures::stream::iter(reads)
            .buffer_unordered(16)
            .try_collect()
            .await?;
        let mut markers: BTreeMap<String, MarkerContent> = BTreeMap::new();
        let mut verifications = BTreeMap::new();
        for (key, body) in bodies {
            if key.ends_with(MARKER_SUFFIX) {
                let content = match body {
                    Some(bytes) => serde_json::from_slice::<ArtifactMetadata>(&bytes)
                        .map_err(|e| format!("unreadable marker: {e}")),
                    None => Err("marker vanished".to_string()),
                };
                markers.insert(key, content);
            } else if let Some(record) = body
                .as_deref()
                .and_then(|b| serde_json::from_slice::<VerificationRecord>(b).ok())
            {
                verifications.insert(key, record);
            }
        }
        Ok(Catalogue::assemble(
            &self.layout,
            &self.cluster,
            &listing,
            &markers,
            &verifications,
        ))
    }

    /// Rows for `backup list`, oldest first per database.
    pub async fn list(&self) -> Result<Vec<ListingRow>, BackupError> {
        Ok(listing_rows(&self.catalogue().await?))
    }

    /// Uploads every `*.backup` in `dir` not yet stored (each artifact, then its marker), then
    /// prunes by `policy`.
    pub async fn upload_run(
        &self,
        dir: &Path,
        run: &RunMetadata,
        policy: &RetentionPolicy,
        now: Timestamp,
    ) -> Result<RunReport, BackupError> {
        if run.cluster != self.cluster {
            return Err(BackupError::RunMetadata(format!(
                "run is for cluster {}, agent for {}",
                run.cluster, self.cluster
            )));
        }
        self.check().await?;
        let files = artifact_files(dir).await?;
        let mut catalogue = self.catalogue().await?;
        let mut uploaded = Vec::new();
        let mut already_stored = Vec::new();
        for (artifact, path) in files {
            let database = layout::database_of_artifact(&artifact)?;
            if catalogue.contains(&database, &artifact) {
                already_stored.push(artifact);
                continue;
            }
            let kind = run.kind_of(&artifact)?;
            let (chain_id, parent) = match kind {
                BackupKind::Full => (artifact.clone(), None),
                BackupKind::Diff => {
                    let tip =
                        catalogue
                            .tip(&database)
                            .ok_or_else(|| BackupError::NoChainToExtend {
                                database: database.clone(),
                                artifact: artifact.clone(),
                                why: "nothing stored for this database".into(),
                            })?;
                    if !tip.restorable {
                        return Err(BackupError::NoChainToExtend {
                            database: database.clone(),
                            artifact: artifact.clone(),
                            why: format!(
                                "the newest stored artifact {} is not restorable",
                                tip.metadata.artifact
                            ),
                        });
                    }
                    (
                        tip.metadata.chain_id.clone(),
                        Some(tip.metadata.artifact.clone()),
                    )
                }
            };
            let meta = self
                .upload_artifact(&path, &database, &artifact, kind, chain_id, parent, run)
                .await?;
            tracing::info!(
                artifact = %meta.artifact,
                database = %meta.database,
                kind = %meta.kind,
                size = meta.size_bytes,
                sha256 = %meta.sha256,
                "uploaded"
            );
            uploaded.push(meta);
            // Re-read so the next DIFF of the same database chains onto this one.
            catalogue = self.catalogue().await?;
        }
        let prune = self.prune(policy, now, false).await?;
        Ok(RunReport {
            uploaded,
            already_stored,
            prune,
        })
    }

    /// Streams one artifact, then writes its marker. Until the marker exists the artifact is not
    /// listed as complete.
    #[allow(clippy::too_many_arguments)]
    async fn upload_artifact(
        &self,
        path: &Path,
        database: &str,
        artifact: &str,
        kind: BackupKind,
        chain_id: String,
        parent: Option<String>,
        run: &RunMetadata,
    ) -> Result<ArtifactMetadata, BackupError> {
        let key = self
            .layout
            .artifact_key(&self.cluster, database, artifact)?;
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| BackupError::io(path, e))?;
        let on_disk = file
            .metadata()
            .await
            .map_err(|e| BackupError::io(path, e))?
            .len();
        let mut blob_meta = BlobMetadata::new();
        blob_meta.insert("neo4jaks_cluster".into(), self.cluster.clone());
        blob_meta.insert("neo4jaks_database".into(), database.to_string());
        blob_meta.insert("neo4jaks_kind".into(), kind.to_string());
        let transfer = self
            .store
            .put_stream(&key, file, Some(on_disk), &blob_meta)
            .await?;
        // neo4j-admin's artifacts are immutable once written: a size change means the file was
        // still being written or was replaced.
        if on_disk != transfer.size {
            return Err(BackupError::SizeMismatch {
                key,
                expected: on_disk,
                actual: transfer.size,
            });
        }
        let meta = ArtifactMetadata {
            format: MARKER_FORMAT,
            artifact: artifact.to_string(),
            cluster: self.cluster.clone(),
            database: database.to_string(),
            kind,
            chain_id,
            parent,
            started_at: run.started_at,
            finished_at: run.finished_at,
            neo4j_version: run.neo4j_version.clone(),
            members: run.members.clone(),
            size_bytes: transfer.size,
            sha256: transfer.sha256,
            counts: run.counts.get(database).copied(),
        };
        self.write_marker(&meta).await?;
        Ok(meta)
    }

    /// Writes the marker that makes an uploaded artifact complete.
    pub async fn write_marker(&self, meta: &ArtifactMetadata) -> Result<(), BackupError> {
        let key = self
            .layout
            .marker_key(&self.cluster, &meta.database, &meta.artifact)?;
        let body = serde_json::to_vec_pretty(meta).map_err(|e| BackupError::BadMarker {
            key: key.clone(),
            detail: e.to_string(),
        })?;
        let mut blob_meta = BlobMetadata::new();
        blob_meta.insert("neo4jaks_sha256".into(), meta.sha256.clone());
        self.store.put_bytes(&key, body, &blob_meta).await
    }

    /// Computes the prune plan and, unless `dry_run`, deletes it: markers first (newest first), so
    /// an interrupted prune never leaves a complete-looking artifact whose chain is gone.
    pub async fn prune(
        &self,
        policy: &RetentionPolicy,
        now: Timestamp,
        dry_run: bool,
    ) -> Result<PruneReport, BackupError> {
        let catalogue = self.catalogue().await?;
        let plan = retention::plan(&catalogue, policy, now);
        let mut deleted = Vec::new();
        if !dry_run {
            let mut keys: Vec<&str> = plan.deletions.iter().map(|d| d.key.as_str()).collect();
            keys.sort_by(|a, b| {
                let rank = |k: &str| u8::from(!k.ends_with(MARKER_SUFFIX));
                (rank(a), std::cmp::Reverse(*a)).cmp(&(rank(b), std::cmp::Reverse(*b)))
            });
            for key in keys {
                self.store.delete(key).await?;
                tracing::info!(key, "pruned");
                deleted.push(key.to_string());
            }
        }
        Ok(PruneReport { plan, deleted })
    }

    /// Downloads one complete artifact into `dest_dir`, verifying size and sha256 against its
    /// marker, and records the result next to the marker. On mismatch nothing is left in
    /// `dest_dir` and the error says so.
    pub async fn download(
        &self,
        database: &str,
        artifact: &str,
        dest_dir: &Path,
        now: Timestamp,
    ) -> Result<PathBuf, BackupError> {
        self.download_into(database, artifact, dest_dir, Some(now))
            .await
    }

    /// Downloads (verified) the newest restorable chain of `database`, FULL first: the input for
    /// `neo4j-admin database restore --from-path=<last>` or for seeding `--to-path` so the next
    /// `--type=AUTO` run can take a DIFF.
    pub async fn fetch_newest_chain(
        &self,
        database: &str,
        dest_dir: &Path,
        now: Timestamp,
    ) -> Result<Vec<PathBuf>, BackupError> {
        let catalogue = self.catalogue().await?;
        let Some((chain, end)) = catalogue.newest_restore_point(database) else {
            return Err(BackupError::NotFound {
                key: format!("a restorable backup of database {database}"),
            });
        };
        self.fetch_chain(chain, &end.metadata.artifact, dest_dir, Some(now))
            .await
    }

    /// Downloads (verified) `chain` up to its restore point `up_to`, FULL first: what
    /// `neo4j-admin database aggregate-backup` or `restore` needs to reach that point. Reads Blob
    /// only (no verification record, unlike [`Agent::download`]), so Storage Blob Data Reader is
    /// enough: a cluster seeded from another cluster's backups.
    pub async fn fetch_chain_read_only(
        &self,
        chain: &Chain,
        up_to: &str,
        dest_dir: &Path,
    ) -> Result<Vec<PathBuf>, BackupError> {
        self.fetch_chain(chain, up_to, dest_dir, None).await
    }

    /// The chain's restore points up to `up_to`, each downloaded and checked (and the check
    /// recorded when `record_at` is given). On any failure the files already fetched are removed
    /// again: a chain with a gap is no restore point.
    async fn fetch_chain(
        &self,
        chain: &Chain,
        up_to: &str,
        dest_dir: &Path,
        record_at: Option<Timestamp>,
    ) -> Result<Vec<PathBuf>, BackupError> {
        let artifacts = chain.restore_prefix(up_to);
        if artifacts.is_empty() {
            return Err(BackupError::NotFound {
                key: format!(
                    "restore point {up_to} in chain {} of database {}",
                    chain.chain_id, chain.database
                ),
            });
        }
        let mut fetched = Vec::new();
        for a in artifacts {
            match self
                .download_into(&chain.database, &a.metadata.artifact, dest_dir, record_at)
                .await
            {
                Ok(path) => fetched.push(path),
                Err(e) => {
                    for path in &fetched {
                        remove_quietly(path).await;
                    }
                    return Err(e);
                }
            }
        }
        Ok(fetched)
    }

    /// Downloads and checks one artifact, records the check when `record_at` is given, and keeps
    /// the file only when it matched its marker.
    async fn download_into(
        &self,
        database: &str,
        artifact: &str,
        dest_dir: &Path,
        record_at: Option<Timestamp>,
    ) -> Result<PathBuf, BackupError> {
        let checked = self.download_checked(database, artifact, dest_dir).await?;
        if let Some(at) = record_at
            && let Err(e) = self
                .record_verification(database, artifact, &checked.record(at))
                .await
        {
            checked.discard().await;
            return Err(e);
        }
        checked.keep_if_matching().await
    }

    /// Streams one artifact to `<artifact>.partial` in `dest_dir` and compares its size and
    /// sha256 with the marker's.
    async fn download_checked(
        &self,
        database: &str,
        artifact: &str,
        dest_dir: &Path,
    ) -> Result<CheckedDownload, BackupError> {
        let marker_key = self.layout.marker_key(&self.cluster, database, artifact)?;
        let bytes = self.store.get_bytes(&marker_key).await?;
        let meta: ArtifactMetadata =
            serde_json::from_slice(&bytes).map_err(|e| BackupError::BadMarker {
                key: marker_key.clone(),
                detail: e.to_string(),
            })?;
        let key = self
            .layout
            .artifact_key(&self.cluster, database, artifact)?;
        let partial = dest_dir.join(format!("{artifact}{PARTIAL_SUFFIX}"));
        let file = tokio::fs::File::create(&partial)
            .await
            .map_err(|e| BackupError::io(&partial, e))?;
        let transfer = match self.store.get_to(&key, file).await {
            Ok(t) => t,
            Err(e) => {
                remove_quietly(&partial).await;
                return Err(e);
            }
        };
        let failure = if transfer.size != meta.size_bytes {
            Some(BackupError::SizeMismatch {
                key,
                expected: meta.size_bytes,
                actual: transfer.size,
            })
        } else if transfer.sha256 != meta.sha256 {
            Some(BackupError::ChecksumMismatch {
                key,
                expected: meta.sha256,
                actual: transfer.sha256.clone(),
                size: transfer.size,
            })
        } else {
            None
        };
        Ok(CheckedDownload {
            partial,
            final_path: dest_dir.join(artifact),
            transfer,
            failure,
        })
    }

    /// Stores the newest verification result for an artifact (the verification CronJob calls this
    /// after a restore check).
    pub async fn record_verification(
        &self,
        database: &str,
        artifact: &str,
        record: &VerificationRecord,
    ) -> Result<(), BackupError> {
        let key = self
            .layout
            .verification_key(&self.cluster, database, artifact)?;
        let body = serde_json::to_vec_pretty(record).map_err(|e| BackupError::Store {
            key: key.clone(),
            detail: e.to_string(),
        })?;
        self.store.put_bytes(&key, body, &BlobMetadata::new()).await
    }
}

/// Suffix of a download in progress; the file gets its artifact name only once checked.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// A downloaded artifact beside its final name, with the outcome of its size and sha256 check,
/// waiting to be kept or thrown away.
struct CheckedDownload {
    partial: PathBuf,
    final_path: PathBuf,
    transfer: Transfer,
    failure: Option<BackupError>,
}

impl CheckedDownload {
    /// The check as stored next to the marker.
    fn record(&self, at: Timestamp) -> VerificationRecord {
        VerificationRecord {
            at,
            check: VerificationCheck::Checksum,
            ok: self.failure.is_none(),
            detail: match &self.failure {
                None => format!(
                    "sha256 {} ({} bytes) matches the marker",
                    self.transfer.sha256, self.transfer.size
                ),
                Some(e) => e.to_string(),
            },
        }
    }

    /// Gives a matching download its artifact name; removes a mismatching one and says why.
    async fn keep_if_matching(self) -> Result<PathBuf, BackupError> {
        if let Some(e) = self.failure {
            remove_quietly(&self.partial).await;
            return Err(e);
        }
        if let Err(e) = tokio::fs::rename(&self.partial, &self.final_path).await {
            remove_quietly(&self.partial).await;
            return Err(BackupError::io(&self.final_path, e));
        }
        Ok(self.final_path)
    }

    async fn discard(self) {
        remove_quietly(&self.partial).await;
    }
}

async fn remove_quietly(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await {
        tracing::warn!(path = %path.display(), error = %e, "could not remove a downloaded file");
    }
}

/// `*.backup` files directly in `dir`, by name.
async fn artifact_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, BackupError> {
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| BackupError::io(dir, e))?;
    let mut out = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| BackupError::io(dir, e))?
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry
            .file_type()
            .await
            .map_err(|e| BackupError::io(entry.path(), e))?
            .is_file();
        if is_file && name.ends_with(ARTIFACT_SUFFIX) {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The listing rows of a catalogue (pure).
pub fn listing_rows(catalogue: &Catalogue) -> Vec<ListingRow> {
    let mut rows = Vec::new();
    for chain in catalogue.all_chains() {
        for a in &chain.artifacts {
            let m = &a.metadata;
            let verification = match &a.verification {
                None => "unverified".to_string(),
                Some(v) => format!(
                    "{}-{}",
                    match v.check {
                        VerificationCheck::Checksum => "checksum",
                        VerificationCheck::RestoreCheck => "restore-check",
                    },
                    if v.ok { "ok" } else { "failed" }
                ),
            };
            rows.push(ListingRow {
                database: m.database.clone(),
                chain_id: m.chain_id.clone(),
                artifact: m.artifact.clone(),
                kind: m.kind,
                finished_at: m.finished_at,
                duration_ms: m.duration_ms(),
                size_bytes: m.size_bytes,
                sha256: m.sha256.clone(),
                neo4j_version: m.neo4j_version.clone(),
                restorable: a.restorable,
                verification,
                verified_at: a.verification.as_ref().map(|v| v.at),
            });
        }
    }
    rows
}
