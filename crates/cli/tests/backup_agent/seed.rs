//! seed: the seed-fetch init container of a cluster bootstrapped from a backup
use super::*;

const NF1: &str = "neo4j-2026-11-18T02-00-00.backup";
const ND1: &str = "neo4j-2026-11-19T02-00-00.backup";
const ND2: &str = "neo4j-2026-11-22T02-00-00.backup";
const SF1: &str = "sales-2026-11-18T02-00-00.backup";
const SF2: &str = "sales-2026-11-21T02-00-00.backup";

fn counts_of(database: &str) -> CountRange {
    let n = if database == "neo4j" { 1_000 } else { 20 };
    CountRange {
        nodes_min: n,
        nodes_max: n + 5,
        relationships_min: 3 * n,
        relationships_max: 3 * n + 9,
    }
}

impl Target {
    /// The agent library on the test's container, with the account key.
    fn library_agent(&self) -> Agent<ObjectBlobStore> {
        let mut target = AzureTarget::new(
            &self.az.account,
            &self.container,
            Credential::AccountKey(Secret::new(&self.az.key)),
        );
        target.endpoint = Some(self.az.endpoint.clone());
        let store = target.connect().expect("client builds");
        Agent::new(store, BlobLayout::new("prod").expect("prefix"), "graph").expect("agent")
    }

    /// Every blob name in the container.
    async fn blob_names(&self) -> Vec<String> {
        let listing = self
            .library_agent()
            .store()
            .list("")
            .await
            .expect("list the container");
        listing.into_iter().map(|o| o.key).collect()
    }

    /// The source cluster's backups, stored as its backup runs stored them (through the agent
    /// library: a run records counts only against Neo4j, and these runs need fixed times):
    /// neo4j FULL 11-18 + DIFF 11-19 + DIFF 11-22 (one chain); sales FULL 11-18 and FULL 11-21
    /// (two chains). Returns the bytes of each artifact.
    async fn store_source_backups(&self) -> BTreeMap<String, Vec<u8>> {
        let agent = self.library_agent();
        let runs: [(&str, &[(&str, BackupKind)]); 4] = [
            (
                "2026-11-18T02:03:00Z",
                &[(NF1, BackupKind::Full), (SF1, BackupKind::Full)],
            ),
            ("2026-11-19T02:02:00Z", &[(ND1, BackupKind::Diff)]),
            ("2026-11-21T02:05:00Z", &[(SF2, BackupKind::Full)]),
            ("2026-11-22T02:02:00Z", &[(ND2, BackupKind::Diff)]),
        ];
        let mut bytes = BTreeMap::new();
        for (i, (finished, artifacts)) in runs.iter().enumerate() {
            let dir = self
                .run_dir
                .parent()
                .expect("parent")
                .join(format!("run-{i}"));
            std::fs::create_dir_all(&dir).expect("run dir");
            let finished_at: Timestamp = finished.parse().expect("time");
            let mut run = RunMetadata {
                cluster: "graph".into(),
                neo4j_version: "5.26.16".into(),
                members: vec!["graph-0".into()],
                started_at: finished_at - jiff::SignedDuration::from_mins(3),
                finished_at,
                kinds: BTreeMap::new(),
                default_kind: None,
                counts: BTreeMap::new(),
            };
            for (j, (artifact, kind)) in artifacts.iter().enumerate() {
                write_artifact(&dir, artifact, 3000 + 1000 * i + j, (10 * i + j) as u8);
                bytes.insert(
                    artifact.to_string(),
                    std::fs::read(dir.join(artifact)).expect("artifact"),
                );
                run.kinds.insert(artifact.to_string(), *kind);
                let database = &artifact[..5];
                run.counts.insert(database.into(), counts_of(database));
            }
            let report = agent
                .upload_run(&dir, &run, &RetentionPolicy::default(), finished_at)
                .await
                .expect("upload");
            assert_eq!(report.uploaded.len(), artifacts.len());
            assert!(report.prune.deleted.is_empty());
        }
        bytes
    }

    fn seed_dir(&self) -> PathBuf {
        self.run_dir.parent().expect("parent").join("seed")
    }

    /// `backup-agent seed --to <seed dir> ARGS` (split at white space), with its result line
    /// read back the way the operator reads the termination message.
    fn seed(&self, extra_env: &[(&str, &str)], args: &str) -> (Output, SeedResultLine) {
        let dir = self.seed_dir().display().to_string();
        let mut full = vec!["seed", "--to", dir.as_str()];
        full.extend(args.split_whitespace());
        let out = self.run(extra_env, &full);
        let text = stdout(&out);
        let line = text.lines().last().unwrap_or_default();
        assert_eq!(
            std::fs::read_to_string(&self.termination_log).expect("termination log"),
            line,
            "the termination message is the printed line"
        );
        let parsed = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a seed result line ({e}): {text}\n{}", stderr(&out)));
        (out, parsed)
    }
}

/// A fresh container holding the source backups, the bytes of each artifact and the
/// container's blob names.
async fn with_source_backups(
    test: &str,
) -> Option<(Target, BTreeMap<String, Vec<u8>>, Vec<String>)> {
    let az = Azurite::from_env(test)?;
    let t = Target::new(az, test).await;
    let stored = t.store_source_backups().await;
    let names = t.blob_names().await;
    Some((t, stored, names))
}

fn seeded(database: &str, artifact: &str, chain: &str, at: &str, n: u32) -> SeededDatabase {
    SeededDatabase {
        database: database.into(),
        artifact: artifact.into(),
        chain_id: chain.into(),
        finished_at: at.parse().expect("time"),
        artifacts: n,
        counts: Some(counts_of(database)),
    }
}

/// Names of the files under `dir` (recursively, relative), sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path.strip_prefix(base).expect("under base");
                out.push(relative.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn seed_fetches_each_chain_read_only_with_a_reader_sas() {
    let Some((t, stored, before)) = with_source_backups("seed_fetches_each_chain_read_only").await
    else {
        return;
    };
    // What an earlier attempt left behind is replaced; what is not an artifact stays.
    let to = t.seed_dir();
    std::fs::create_dir_all(to.join("neo4j")).expect("seed dir");
    std::fs::write(to.join("neo4j").join(NF1.replace("18", "01")), "stale").expect("stale");
    std::fs::write(to.join("neo4j").join(format!("{ND1}.partial")), "stale").expect("stale");
    std::fs::write(to.join("neo4j").join("notes.txt"), "kept").expect("notes");
    std::fs::write(to.join("seed.list"), "neo4j 9\n").expect("stale list");

    // Storage Blob Data Reader's rights: read and list only.
    let sas = t.run_dir.parent().expect("parent").join("reader-sas");
    std::fs::write(&sas, t.az.account_sas("rl")).expect("sas file");
    let sas = sas.display().to_string();
    let (out, r) = t.seed(
        &[
            ("NEO4J_AKS_BACKUP_CREDENTIAL", "sas"),
            ("NEO4J_AKS_BACKUP_KEY_FILE", sas.as_str()),
        ],
        "--database neo4j --database sales",
    );
    assert_eq!(out.status.code(), Some(0), "{r:?}\n{}", stderr(&out));
    assert_eq!((r.step.as_str(), r.result.as_str()), ("seed", "Succeeded"));
    assert_eq!(
        r.seeds,
        vec![
            seeded("neo4j", ND2, NF1, "2026-11-22T02:02:00Z", 3),
            seeded("sales", SF2, SF2, "2026-11-21T02:05:00Z", 1),
        ]
    );
    assert!(
        r.message.contains("nothing written to Blob"),
        "{}",
        r.message
    );
    assert_eq!(
        files_under(&to),
        vec![
            format!("neo4j/{NF1}"),
            format!("neo4j/{ND1}"),
            format!("neo4j/{ND2}"),
            "neo4j/notes.txt".to_string(),
            format!("sales/{SF2}"),
            "seed.list".to_string(),
        ]
    );
    for (db, artifact) in [
        ("neo4j", NF1),
        ("neo4j", ND1),
        ("neo4j", ND2),
        ("sales", SF2),
    ] {
        assert!(
            std::fs::read(to.join(db).join(artifact)).expect("fetched") == stored[artifact],
            "{artifact} is byte-identical"
        );
    }
    assert_eq!(
        std::fs::read_to_string(to.join("seed.list")).expect("seed.list"),
        "neo4j 3\nsales 1\n"
    );
    assert_eq!(t.blob_names().await, before, "seed wrote nothing to Blob");
    assert!(!stdout(&out).contains("sig=") && !stderr(&out).contains("sig="));
    t.cleanup().await;
}

#[tokio::test]
async fn seed_not_after_picks_an_older_restore_point() {
    let Some((t, _, before)) =
        with_source_backups("seed_not_after_picks_an_older_restore_point").await
    else {
        return;
    };
    // With the account key (write rights), seed still writes nothing.
    let (out, r) = t.seed(
        &[],
        "--database sales --database neo4j --not-after 2026-11-20T00:00:00Z",
    );
    assert_eq!(out.status.code(), Some(0), "{r:?}\n{}", stderr(&out));
    // sales: the older chain; neo4j: its chain cut before the 11-22 DIFF.
    assert_eq!(
        r.seeds,
        vec![
            seeded("sales", SF1, SF1, "2026-11-18T02:03:00Z", 1),
            seeded("neo4j", ND1, NF1, "2026-11-19T02:02:00Z", 2),
        ]
    );
    let to = t.seed_dir();
    assert_eq!(
        files_under(&to),
        vec![
            format!("neo4j/{NF1}"),
            format!("neo4j/{ND1}"),
            format!("sales/{SF1}"),
            "seed.list".to_string(),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(to.join("seed.list")).expect("seed.list"),
        "sales 1\nneo4j 2\n"
    );
    assert_eq!(t.blob_names().await, before, "seed wrote nothing to Blob");
    t.cleanup().await;
}

#[tokio::test]
async fn seed_reports_every_database_it_cannot_seed_and_downloads_nothing() {
    let Some((t, _, before)) =
        with_source_backups("seed_reports_every_database_it_cannot_seed").await
    else {
        return;
    };
    let (out, r) = t.seed(
        &[],
        "--database neo4j --database sales --database orders --database system --not-after 2026-11-18T12:00:00Z",
    );
    assert_eq!(out.status.code(), Some(1), "{r:?}");
    assert_eq!(r.result, "Failed");
    assert!(r.seeds.is_empty());
    let m = &r.message;
    assert!(m.starts_with("nothing downloaded; 2 problem(s)"), "{m}");
    assert!(
        m.contains("--database \"system\" cannot be seeded")
            && m.contains("orders: no backup of this database is stored (stored: neo4j, sales)"),
        "{m}"
    );
    // neo4j and sales both have a FULL of 11-18 within the bound: no problem there.
    assert!(!m.contains("neo4j:") && !m.contains("sales:"), "{m}");
    let (out, r) = t.seed(
        &[],
        "--database sales --database neo4j --not-after 2026-11-01T00:00:00Z",
    );
    assert_eq!(out.status.code(), Some(1), "{r:?}");
    assert!(
        r.message.contains(&format!(
            "sales: no restorable backup finished at or before 2026-11-01T00:00:00Z; the oldest restore point is {SF1} at 2026-11-18T02:03:00Z, the newest {SF2} at 2026-11-21T02:05:00Z"
        )) && r.message.contains(&format!(
            "neo4j: no restorable backup finished at or before 2026-11-01T00:00:00Z; the oldest restore point is {NF1}"
        )),
        "{}",
        r.message
    );
    let to = t.seed_dir();
    assert!(files_under(&to).is_empty(), "{:?}", files_under(&to));
    assert_eq!(t.blob_names().await, before);

    let help = agent(&[], &["backup-agent", "seed", "--help"]);
    assert!(
        stdout(&help).contains("seed-fetch init container")
            && stdout(&help).contains("nothing is written to Blob"),
        "{}",
        stdout(&help)
    );
    t.cleanup().await;
}

#[tokio::test]
async fn seed_of_a_corrupt_artifact_fails_and_leaves_no_files() {
    let Some((t, stored, _)) = with_source_backups("seed_of_a_corrupt_artifact_fails").await else {
        return;
    };
    // One byte of sales' newest FULL flipped in place, same size: only the sha256 tells.
    let key = BlobLayout::new("prod")
        .expect("prefix")
        .artifact_key("graph", "sales", SF2)
        .expect("key");
    let mut corrupt = stored[SF2].clone();
    corrupt[100] ^= 0xff;
    t.library_agent()
        .store()
        .put_bytes(&key, corrupt, &BlobMetadata::new())
        .await
        .expect("overwrite");
    let before = t.blob_names().await;

    // neo4j comes first and is fetched completely before sales fails.
    let (out, r) = t.seed(&[], "--database neo4j --database sales");
    assert_eq!(out.status.code(), Some(1), "{r:?}");
    assert_eq!(r.result, "Failed");
    assert!(r.seeds.is_empty());
    assert!(
        r.message.contains("checksum mismatch") && r.message.contains(&key),
        "{}",
        r.message
    );
    let to = t.seed_dir();
    assert!(files_under(&to).is_empty(), "{:?}", files_under(&to));
    // Unlike `fetch`, no checksum-failed record is written.
    assert_eq!(t.blob_names().await, before);
    t.cleanup().await;
}
