//! The backup agent against Azurite, the official Azure Storage emulator, on loopback
//! (`testenv/azurite/azurite.sh up`). Skipped when `NEO4J_AKS_TEST_AZURITE` is unset, unless
//! `NEO4J_AKS_REQUIRE_AZURITE=1`, where that fails.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use neo4j_aks_backup::BackupError;
use neo4j_aks_backup::agent::{Agent, RunMetadata};
use neo4j_aks_backup::azure::{AzureTarget, Credential};
use neo4j_aks_backup::catalogue::{BackupKind, LeftoverProblem};
use neo4j_aks_backup::layout::BlobLayout;
use neo4j_aks_backup::retention::RetentionPolicy;
use neo4j_aks_backup::secret::Secret;
use neo4j_aks_backup::store::{BLOCK_SIZE, BlobMetadata, BlobStore, ObjectBlobStore};
use neo4j_aks_testkit::azurite::Azurite;

fn azurite(test: &str) -> Option<Azurite> {
    Azurite::from_env(test)
}

fn azure_target(az: &Azurite, container: &str) -> AzureTarget {
    let mut t = AzureTarget::new(
        &az.account,
        container,
        Credential::AccountKey(Secret::new(&az.key)),
    );
    t.endpoint = Some(az.endpoint.clone());
    t.request_timeout = Duration::from_secs(20);
    t.max_retries = 2;
    t
}

/// A fresh container (and an agent on it) per test, so tests can run in parallel.
async fn agent(az: &Azurite, test: &str) -> (String, Agent<ObjectBlobStore>) {
    let container = az.fresh_container(test).await;
    let store = azure_target(az, &container)
        .connect()
        .expect("client builds");
    let agent =
        Agent::new(store, BlobLayout::new("backups").expect("prefix"), "graph").expect("agent");
    (container, agent)
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn run(kind: BackupKind, finished: &str) -> RunMetadata {
    let finished_at = ts(finished);
    RunMetadata {
        cluster: "graph".into(),
        neo4j_version: "5.26.12".into(),
        members: vec!["graph-0".into(), "graph-1".into(), "graph-2".into()],
        started_at: finished_at - SignedDuration::from_mins(3),
        finished_at,
        kinds: BTreeMap::new(),
        counts: BTreeMap::new(),
        default_kind: Some(kind),
    }
}

/// Writes an artifact file of `len` pseudo-random bytes.
fn write_artifact(dir: &Path, name: &str, len: usize, seed: u8) {
    let bytes: Vec<u8> = (0..len)
        .map(|i| {
            (i as u64)
                .wrapping_mul(2654435761)
                .wrapping_add(u64::from(seed)) as u8
        })
        .collect();
    std::fs::write(dir.join(name), bytes).expect("write artifact");
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

#[tokio::test]
async fn upload_list_download_verifies_and_chains_diffs() {
    let Some(az) = azurite("upload_list_download_verifies_and_chains_diffs") else {
        return;
    };
    let (container, agent) = agent(&az, "upload_list_download").await;
    let policy = RetentionPolicy::default();

    // Run 1: FULL of two databases; neo4j's artifact is bigger than one block, so it goes up as
    // staged blocks plus a block list.
    let dir1 = tempfile::tempdir().expect("tempdir");
    write_artifact(
        dir1.path(),
        "neo4j-2026-11-20T03-00-00.backup",
        BLOCK_SIZE + 12_345,
        1,
    );
    write_artifact(dir1.path(), "system-2026-11-20T03-00-01.backup", 4_096, 2);
    std::fs::write(dir1.path().join("neo4j-admin.log"), "not an artifact").expect("write");
    let report = agent
        .upload_run(
            dir1.path(),
            &run(BackupKind::Full, "2026-11-20T03:03:00Z"),
            &policy,
            ts("2026-11-20T03:04:00Z"),
        )
        .await
        .expect("first run uploads");
    assert_eq!(report.uploaded.len(), 2);
    assert!(report.prune.deleted.is_empty(), "{:?}", report.prune.plan);

    // Run 2: a DIFF of neo4j, taken on a --to-path seeded with the chain (already stored: skipped).
    let dir2 = tempfile::tempdir().expect("tempdir");
    let seeded = agent
        .fetch_newest_chain("neo4j", dir2.path(), ts("2026-11-21T02:59:00Z"))
        .await
        .expect("chain downloads");
    assert_eq!(seeded.len(), 1);
    write_artifact(dir2.path(), "neo4j-2026-11-21T03-00-00.backup", 777, 3);
    let report = agent
        .upload_run(
            dir2.path(),
            &run(BackupKind::Diff, "2026-11-21T03:01:00Z"),
            &policy,
            ts("2026-11-21T03:02:00Z"),
        )
        .await
        .expect("second run uploads");
    assert_eq!(
        report.already_stored,
        vec!["neo4j-2026-11-20T03-00-00.backup".to_string()]
    );
    let diff = &report.uploaded[0];
    assert_eq!(diff.kind, BackupKind::Diff);
    assert_eq!(diff.chain_id, "neo4j-2026-11-20T03-00-00.backup");
    assert_eq!(
        diff.parent.as_deref(),
        Some("neo4j-2026-11-20T03-00-00.backup")
    );
    assert_eq!(
        diff.sha256,
        sha256_of(&dir2.path().join("neo4j-2026-11-21T03-00-00.backup"))
    );
    assert_eq!(diff.members.len(), 3);

    let rows = agent.list().await.expect("list");
    let names: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.database.as_str(),
                r.artifact.as_str(),
                r.kind,
                r.restorable,
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "neo4j",
                "neo4j-2026-11-20T03-00-00.backup",
                BackupKind::Full,
                true
            ),
            (
                "neo4j",
                "neo4j-2026-11-21T03-00-00.backup",
                BackupKind::Diff,
                true
            ),
            (
                "system",
                "system-2026-11-20T03-00-01.backup",
                BackupKind::Full,
                true
            ),
        ]
    );
    // The FULL was downloaded (verified) for seeding; the others were not.
    assert_eq!(rows[0].verification, "checksum-ok");
    assert_eq!(rows[1].verification, "unverified");
    assert_eq!(rows[0].size_bytes, (BLOCK_SIZE + 12_345) as u64);
    assert_eq!(rows[0].duration_ms, 180_000);

    // Download the whole chain for a restore: byte-identical to what was uploaded.
    let out = tempfile::tempdir().expect("tempdir");
    let files = agent
        .fetch_newest_chain("neo4j", out.path(), ts("2026-11-21T04:00:00Z"))
        .await
        .expect("chain downloads");
    assert_eq!(files.len(), 2);
    assert_eq!(
        std::fs::read(&files[0]).expect("read"),
        std::fs::read(dir1.path().join("neo4j-2026-11-20T03-00-00.backup")).expect("read")
    );
    assert_eq!(sha256_of(&files[1]), diff.sha256);

    az.container(reqwest::Method::DELETE, &container).await;
}

#[tokio::test]
async fn corrupted_blob_fails_download_with_checksum_mismatch() {
    let Some(az) = azurite("corrupted_blob_fails_download_with_checksum_mismatch") else {
        return;
    };
    let (container, agent) = agent(&az, "corrupted_blob").await;
    let dir = tempfile::tempdir().expect("tempdir");
    write_artifact(dir.path(), "neo4j-2026-11-20T03-00-00.backup", 10_000, 7);
    agent
        .upload_run(
            dir.path(),
            &run(BackupKind::Full, "2026-11-20T03:03:00Z"),
            &RetentionPolicy::default(),
            ts("2026-11-20T03:04:00Z"),
        )
        .await
        .expect("upload");
    // Same size, one byte flipped: only the checksum can tell.
    let key = "backups/graph/neo4j/neo4j-2026-11-20T03-00-00.backup";
    let mut bytes = agent.store().get_bytes(key).await.expect("get");
    bytes[5_000] ^= 0xff;
    agent
        .store()
        .put_bytes(key, bytes, &BlobMetadata::new())
        .await
        .expect("overwrite");

    let out = tempfile::tempdir().expect("tempdir");
    let err = agent
        .download(
            "neo4j",
            "neo4j-2026-11-20T03-00-00.backup",
            out.path(),
            ts("2026-11-21T00:00:00Z"),
        )
        .await
        .expect_err("corrupt artifact must not download");
    assert!(matches!(err, BackupError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains("must not be restored"), "{err}");
    assert_eq!(
        std::fs::read_dir(out.path()).expect("dir").count(),
        0,
        "nothing left behind"
    );
    let rows = agent.list().await.expect("list");
    assert_eq!(rows[0].verification, "checksum-failed");

    az.container(reqwest::Method::DELETE, &container).await;
}

#[tokio::test]
async fn interrupted_upload_is_not_complete_and_is_cleaned_after_grace() {
    let Some(az) = azurite("interrupted_upload_is_not_complete_and_is_cleaned_after_grace") else {
        return;
    };
    let (container, agent) = agent(&az, "interrupted_upload").await;
    let dir = tempfile::tempdir().expect("tempdir");
    write_artifact(dir.path(), "neo4j-2026-11-20T03-00-00.backup", 2_000, 1);
    agent
        .upload_run(
            dir.path(),
            &run(BackupKind::Full, "2026-11-20T03:03:00Z"),
            &RetentionPolicy::default(),
            ts("2026-11-20T03:04:00Z"),
        )
        .await
        .expect("upload");

    // The agent died after the artifact blob and before its marker.
    let file = tokio::fs::File::open(dir.path().join("neo4j-2026-11-20T03-00-00.backup"))
        .await
        .expect("open");
    agent
        .store()
        .put_stream(
            "backups/graph/neo4j/neo4j-2026-11-21T03-00-00.backup",
            file,
            None,
            &BlobMetadata::new(),
        )
        .await
        .expect("artifact blob");
    let catalogue = agent.catalogue().await.expect("catalogue");
    assert_eq!(
        catalogue.all_chains().count(),
        1,
        "the partial artifact is in no chain"
    );
    assert_eq!(catalogue.leftovers.len(), 1);
    assert_eq!(
        catalogue.leftovers[0].problem,
        LeftoverProblem::MissingMarker
    );
    assert_eq!(agent.list().await.expect("list").len(), 1);

    // A fresh leftover may be an upload in progress: prune leaves it alone.
    let policy = RetentionPolicy::default();
    let now = Timestamp::now();
    let report = agent.prune(&policy, now, false).await.expect("prune");
    assert!(report.deleted.is_empty(), "{:?}", report.plan);
    // Past the grace period, a dry run names it and deletes nothing; the real prune deletes it.
    let later = now + SignedDuration::from_hours(25);
    let dry = agent.prune(&policy, later, true).await.expect("dry run");
    assert_eq!(dry.plan.deletions.len(), 1);
    assert!(
        dry.plan.deletions[0].reason.contains("interrupted upload"),
        "{:?}",
        dry.plan
    );
    assert!(dry.deleted.is_empty());
    let report = agent.prune(&policy, later, false).await.expect("prune");
    assert_eq!(
        report.deleted,
        vec!["backups/graph/neo4j/neo4j-2026-11-21T03-00-00.backup".to_string()]
    );
    assert!(
        agent
            .catalogue()
            .await
            .expect("catalogue")
            .leftovers
            .is_empty()
    );

    az.container(reqwest::Method::DELETE, &container).await;
}

#[tokio::test]
async fn prune_deletes_whole_old_chains_only() {
    let Some(az) = azurite("prune_deletes_whole_old_chains_only") else {
        return;
    };
    let (container, agent) = agent(&az, "prune_whole_chains").await;
    // Keep one daily, nothing weekly/monthly: only the newest chain survives.
    let policy = RetentionPolicy {
        daily: 1,
        weekly: 0,
        monthly: 0,
        grace: SignedDuration::from_hours(24),
    };
    let keep_all = RetentionPolicy {
        daily: 100,
        ..RetentionPolicy::default()
    };
    for (i, (name, kind, at)) in [
        (
            "neo4j-2026-11-01T03-00-00.backup",
            BackupKind::Full,
            "2026-11-01T03:01:00Z",
        ),
        (
            "neo4j-2026-11-02T03-00-00.backup",
            BackupKind::Diff,
            "2026-11-02T03:01:00Z",
        ),
        (
            "neo4j-2026-11-08T03-00-00.backup",
            BackupKind::Full,
            "2026-11-08T03:01:00Z",
        ),
        (
            "neo4j-2026-11-09T03-00-00.backup",
            BackupKind::Diff,
            "2026-11-09T03:01:00Z",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = tempfile::tempdir().expect("tempdir");
        write_artifact(dir.path(), name, 100 + i, i as u8);
        agent
            .upload_run(dir.path(), &run(kind, at), &keep_all, ts(at))
            .await
            .expect("upload");
    }
    let dry = agent
        .prune(&policy, ts("2026-11-10T00:00:00Z"), true)
        .await
        .expect("dry run");
    let keys: Vec<&str> = dry.plan.deletions.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "backups/graph/neo4j/neo4j-2026-11-01T03-00-00.backup",
            "backups/graph/neo4j/neo4j-2026-11-01T03-00-00.backup.meta.json",
            "backups/graph/neo4j/neo4j-2026-11-02T03-00-00.backup",
            "backups/graph/neo4j/neo4j-2026-11-02T03-00-00.backup.meta.json",
        ]
    );
    assert_eq!(
        agent.list().await.expect("list").len(),
        4,
        "dry run deletes nothing"
    );
    let report = agent
        .prune(&policy, ts("2026-11-10T00:00:00Z"), false)
        .await
        .expect("prune");
    assert_eq!(report.deleted.len(), 4);
    let rows = agent.list().await.expect("list");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.chain_id == "neo4j-2026-11-08T03-00-00.backup" && r.restorable)
    );
    // Idempotent: a second prune finds nothing.
    let again = agent
        .prune(&policy, ts("2026-11-10T00:00:00Z"), false)
        .await
        .expect("prune");
    assert!(again.deleted.is_empty());

    az.container(reqwest::Method::DELETE, &container).await;
}

#[tokio::test]
async fn wrong_key_is_a_clear_credentials_error() {
    let Some(az) = azurite("wrong_key_is_a_clear_credentials_error") else {
        return;
    };
    let (container, _agent) = agent(&az, "wrong_key").await;
    // A well-formed key (base64 of "definitely-not-the-azurite-key!!") that is not Azurite's.
    let wrong = "ZGVmaW5pdGVseS1ub3QtdGhlLWF6dXJpdGUta2V5ISE=".to_string();
    let mut target = azure_target(&az, &container);
    target.credential = Credential::AccountKey(Secret::new(wrong.clone()));
    let store = target.connect().expect("client builds");
    let err = store.check().await.expect_err("wrong key must fail");
    assert!(matches!(err, BackupError::Unauthorized { .. }), "{err:?}");
    println!("wrong key: {err}");
    let message = err.to_string();
    assert!(message.contains("rejected the credentials"), "{message}");
    assert!(!message.contains(&wrong), "the key never appears in errors");

    az.container(reqwest::Method::DELETE, &container).await;
}

#[tokio::test]
async fn missing_container_is_a_clear_error() {
    let Some(az) = azurite("missing_container_is_a_clear_error") else {
        return;
    };
    let store = azure_target(&az, "no-such-container")
        .connect()
        .expect("client builds");
    let err = store
        .check()
        .await
        .expect_err("missing container must fail");
    assert!(
        matches!(err, BackupError::ContainerNotFound { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("\"no-such-container\" does not exist"),
        "{err}"
    );

    // The agent's upload fails the same way before touching anything.
    let agent =
        Agent::new(store, BlobLayout::new("backups").expect("prefix"), "graph").expect("agent");
    let dir = tempfile::tempdir().expect("tempdir");
    write_artifact(dir.path(), "neo4j-2026-11-20T03-00-00.backup", 10, 1);
    let err = agent
        .upload_run(
            dir.path(),
            &run(BackupKind::Full, "2026-11-20T03:03:00Z"),
            &RetentionPolicy::default(),
            ts("2026-11-20T03:04:00Z"),
        )
        .await
        .expect_err("upload into a missing container must fail");
    assert!(
        matches!(err, BackupError::ContainerNotFound { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_a_clear_network_error() {
    // Needs no Azurite: a loopback port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut target = AzureTarget::new(
        "devstoreaccount1",
        "c",
        Credential::AccountKey(Secret::new("a2V5")),
    );
    target.endpoint = Some(format!("http://127.0.0.1:{port}/devstoreaccount1"));
    target.max_retries = 0;
    target.request_timeout = Duration::from_secs(5);
    let err = target
        .connect()
        .expect("client builds")
        .check()
        .await
        .expect_err("nobody listens");
    assert!(matches!(err, BackupError::Network { .. }), "{err:?}");
    println!("unreachable: {err}");
    assert!(
        err.to_string().contains("cannot reach blob storage"),
        "{err}"
    );
}

#[tokio::test]
async fn sas_token_uploads_and_a_read_only_sas_is_refused() {
    let Some(az) = azurite("sas_token_uploads_and_a_read_only_sas_is_refused") else {
        return;
    };
    let (container, _) = agent(&az, "sas_token").await;
    let sas = az.account_sas("rwdlac");
    let mut target = azure_target(&az, &container);
    target.credential = Credential::Sas(Secret::new(format!("?{sas}")));
    assert!(!format!("{target:?}").contains(&sas), "SAS never in Debug");
    let agent = Agent::new(
        target.connect().expect("client builds"),
        BlobLayout::new("").expect("prefix"),
        "graph",
    )
    .expect("agent");
    let dir = tempfile::tempdir().expect("tempdir");
    write_artifact(dir.path(), "neo4j-2026-11-20T03-00-00.backup", 3_000, 9);
    let report = agent
        .upload_run(
            dir.path(),
            &run(BackupKind::Full, "2026-11-20T03:03:00Z"),
            &RetentionPolicy::default(),
            ts("2026-11-20T03:04:00Z"),
        )
        .await
        .expect("upload with SAS");
    assert_eq!(report.uploaded.len(), 1);
    assert_eq!(agent.list().await.expect("list").len(), 1);

    // Read and list only: listing works, the upload is refused with a credentials error.
    let mut read_only = azure_target(&az, &container);
    read_only.credential = Credential::Sas(Secret::new(az.account_sas("rl")));
    let agent = Agent::new(
        read_only.connect().expect("client builds"),
        BlobLayout::new("").expect("prefix"),
        "graph",
    )
    .expect("agent");
    assert_eq!(agent.list().await.expect("list").len(), 1);
    write_artifact(dir.path(), "neo4j-2026-11-21T03-00-00.backup", 3_000, 10);
    let err = agent
        .upload_run(
            dir.path(),
            &run(BackupKind::Full, "2026-11-21T03:03:00Z"),
            &RetentionPolicy::default(),
            ts("2026-11-21T03:04:00Z"),
        )
        .await
        .expect_err("read-only SAS cannot upload");
    assert!(matches!(err, BackupError::Unauthorized { .. }), "{err:?}");
    println!("read-only SAS: {err}");

    az.container(reqwest::Method::DELETE, &container).await;
}
