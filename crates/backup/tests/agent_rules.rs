//! The agent's rules that need no real blob service, on object_store's in-memory backend (the
//! same `ObjectBlobStore` code path as Azure, minus HTTP). Azure behaviour is in tests/azurite.rs.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use neo4j_aks_backup::BackupError;
use neo4j_aks_backup::agent::{Agent, RunMetadata};
use neo4j_aks_backup::catalogue::{ArtifactMetadata, BackupKind, LeftoverProblem};
use neo4j_aks_backup::layout::BlobLayout;
use neo4j_aks_backup::retention::RetentionPolicy;
use neo4j_aks_backup::store::{BlobMetadata, BlobStore, ObjectBlobStore};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn agent() -> Agent<ObjectBlobStore> {
    Agent::new(
        ObjectBlobStore::in_memory(),
        BlobLayout::new("b").expect("prefix"),
        "graph",
    )
    .expect("agent")
}

fn run(kind: Option<BackupKind>) -> RunMetadata {
    RunMetadata {
        cluster: "graph".into(),
        neo4j_version: "2025.10.1".into(),
        members: vec!["graph-0".into()],
        started_at: ts("2026-11-20T03:00:00Z"),
        finished_at: ts("2026-11-20T03:02:30Z"),
        kinds: BTreeMap::new(),
        counts: BTreeMap::new(),
        default_kind: kind,
    }
}

fn dir_with(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, n) in names.iter().enumerate() {
        std::fs::write(dir.path().join(n), vec![i as u8; 64 + i]).expect("write");
    }
    dir
}

#[tokio::test]
async fn a_diff_with_nothing_stored_is_refused() {
    let agent = agent();
    let dir = dir_with(&["neo4j-2026-11-20T03-00-00.backup"]);
    let err = agent
        .upload_run(
            dir.path(),
            &run(Some(BackupKind::Diff)),
            &RetentionPolicy::default(),
            ts("2026-11-20T04:00:00Z"),
        )
        .await
        .expect_err("no chain");
    assert!(matches!(err, BackupError::NoChainToExtend { .. }), "{err}");
    assert!(agent.list().await.expect("list").is_empty());
}

#[tokio::test]
async fn auto_runs_need_a_kind_per_artifact() {
    let agent = agent();
    let dir = dir_with(&["neo4j-2026-11-20T03-00-00.backup"]);
    let err = agent
        .upload_run(
            dir.path(),
            &run(None),
            &RetentionPolicy::default(),
            ts("2026-11-20T04:00:00Z"),
        )
        .await
        .expect_err("kind unknown");
    assert!(err.to_string().contains("--type=AUTO"), "{err}");

    // The kinds come from `neo4j-admin backup inspect` of the run's directory.
    let with_kinds = run(None)
        .with_inspect_output(
            "| FILE | DATABASE | DATABASE ID | TIME (UTC) | FULL | COMPRESSED | LOWEST TX | HIGHEST TX |\n\
             | file:///tmp/neo4j-2026-11-20T03-00-00.backup | neo4j | id | 2026-11-20T03:00:00 | true | true | 1 | 9 |\n",
        )
        .expect("inspect table");
    let report = agent
        .upload_run(
            dir.path(),
            &with_kinds,
            &RetentionPolicy::default(),
            ts("2026-11-20T04:00:00Z"),
        )
        .await
        .expect("upload");
    assert_eq!(report.uploaded[0].kind, BackupKind::Full);
}

#[tokio::test]
async fn a_run_for_another_cluster_is_refused() {
    let agent = agent();
    let dir = dir_with(&[]);
    let mut other = run(Some(BackupKind::Full));
    other.cluster = "other".into();
    let err = agent
        .upload_run(
            dir.path(),
            &other,
            &RetentionPolicy::default(),
            ts("2026-11-20T04:00:00Z"),
        )
        .await
        .expect_err("wrong cluster");
    assert!(matches!(err, BackupError::RunMetadata(_)), "{err}");
}

#[tokio::test]
async fn a_marker_that_does_not_match_its_blob_makes_nothing_complete() {
    let agent = agent();
    let dir = dir_with(&["neo4j-2026-11-20T03-00-00.backup"]);
    let report = agent
        .upload_run(
            dir.path(),
            &run(Some(BackupKind::Full)),
            &RetentionPolicy::default(),
            ts("2026-11-20T04:00:00Z"),
        )
        .await
        .expect("upload");
    // Someone replaced the artifact with different bytes of another size.
    let key = "b/graph/neo4j/neo4j-2026-11-20T03-00-00.backup";
    agent
        .store()
        .put_bytes(key, vec![1, 2, 3], &BlobMetadata::new())
        .await
        .expect("overwrite");
    let catalogue = agent.catalogue().await.expect("catalogue");
    assert_eq!(catalogue.all_chains().count(), 0);
    assert!(
        catalogue
            .leftovers
            .iter()
            .all(|l| matches!(&l.problem, LeftoverProblem::BadMarker(why) if why.contains("64 bytes, blob has 3")))
    );
    // Rewriting a correct marker (as an operator could) makes it complete again, with the old
    // checksum still guarding the download.
    let meta: ArtifactMetadata = report.uploaded[0].clone();
    agent.write_marker(&meta).await.expect("marker");
    let out = tempfile::tempdir().expect("tempdir");
    let err = agent
        .download(
            "neo4j",
            "neo4j-2026-11-20T03-00-00.backup",
            out.path(),
            ts("2026-11-21T00:00:00Z"),
        )
        .await
        .expect_err("size differs");
    assert!(matches!(err, BackupError::SizeMismatch { .. }), "{err}");
}

#[tokio::test]
async fn unknown_keys_under_the_cluster_are_never_pruned() {
    let agent = agent();
    agent
        .store()
        .put_bytes(
            "b/graph/README.txt",
            b"notes".to_vec(),
            &BlobMetadata::new(),
        )
        .await
        .expect("put");
    let report = agent
        .prune(
            &RetentionPolicy {
                grace: SignedDuration::ZERO,
                ..RetentionPolicy::default()
            },
            ts("2030-01-01T00:00:00Z"),
            false,
        )
        .await
        .expect("prune");
    assert!(report.deleted.is_empty());
    assert_eq!(
        agent.catalogue().await.expect("catalogue").leftovers[0].problem,
        LeftoverProblem::Unknown
    );
}

/// Every key in the store.
async fn keys(agent: &Agent<ObjectBlobStore>) -> Vec<String> {
    let listing = agent.store().list("").await.expect("list");
    listing.into_iter().map(|o| o.key).collect()
}

#[tokio::test]
async fn a_chain_fetch_that_fails_midway_leaves_no_file_and_the_read_only_one_writes_nothing() {
    let agent = agent();
    let full = "neo4j-2026-11-20T03-00-00.backup";
    let diff = "neo4j-2026-11-21T03-00-00.backup";
    for (name, kind, day) in [(full, BackupKind::Full, 20), (diff, BackupKind::Diff, 21)] {
        let dir = dir_with(&[name]);
        let mut run = run(Some(kind));
        run.finished_at = ts(&format!("2026-11-{day}T03:02:30Z"));
        agent
            .upload_run(
                dir.path(),
                &run,
                &RetentionPolicy::default(),
                run.finished_at,
            )
            .await
            .expect("upload");
    }
    let before = keys(&agent).await;
    let catalogue = agent.catalogue().await.expect("catalogue");
    let (chain, end) = catalogue.newest_restore_point("neo4j").expect("restorable");
    assert_eq!(end.metadata.artifact, diff);

    let out = tempfile::tempdir().expect("tempdir");
    let fetched = agent
        .fetch_chain_read_only(chain, diff, out.path())
        .await
        .expect("fetch");
    assert_eq!(fetched, vec![out.path().join(full), out.path().join(diff)]);
    assert_eq!(
        keys(&agent).await,
        before,
        "read-only: no verification record"
    );
    // Up to the FULL only.
    let out = tempfile::tempdir().expect("tempdir");
    let fetched = agent
        .fetch_chain_read_only(chain, full, out.path())
        .await
        .expect("fetch");
    assert_eq!(fetched, vec![out.path().join(full)]);
    // Not a restore point of this chain.
    let err = agent
        .fetch_chain_read_only(chain, "neo4j-2026-11-22T03-00-00.backup", out.path())
        .await
        .expect_err("unknown point");
    assert!(matches!(err, BackupError::NotFound { .. }), "{err}");

    // The DIFF's bytes change (same size): the FULL fetched before it is removed again.
    let key = format!("b/graph/neo4j/{diff}");
    let same_size = vec![0xAB; end.metadata.size_bytes as usize];
    agent
        .store()
        .put_bytes(&key, same_size, &BlobMetadata::new())
        .await
        .expect("overwrite");
    let out = tempfile::tempdir().expect("tempdir");
    let err = agent
        .fetch_chain_read_only(chain, diff, out.path())
        .await
        .expect_err("checksum");
    assert!(matches!(err, BackupError::ChecksumMismatch { .. }), "{err}");
    assert_eq!(std::fs::read_dir(out.path()).expect("dir").count(), 0);
    assert_eq!(keys(&agent).await, before);
    // The recording fetch cleans up the same way, and records the failure.
    let err = agent
        .fetch_newest_chain("neo4j", out.path(), ts("2026-11-22T00:00:00Z"))
        .await
        .expect_err("checksum");
    assert!(matches!(err, BackupError::ChecksumMismatch { .. }), "{err}");
    assert_eq!(std::fs::read_dir(out.path()).expect("dir").count(), 0);
    let rows = agent.list().await.expect("list");
    let states: Vec<&str> = rows.iter().map(|r| r.verification.as_str()).collect();
    assert_eq!(states, vec!["checksum-ok", "checksum-failed"]);
}
