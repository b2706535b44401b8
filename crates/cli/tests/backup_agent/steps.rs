//! The backup CronJob pod's steps: upload, fetch, list and prune through the binary, clear
//! failures, and the whole sequence against Neo4j and Azurite.
use super::*;

#[tokio::test]
async fn upload_fetch_list_and_prune_through_the_binary() {
    let test = "upload_fetch_list_and_prune_through_the_binary";
    let Some(az) = Azurite::from_env(test) else {
        return;
    };
    let t = Target::new(az, test).await;
    let backups = t.run_dir.parent().expect("parent").join("backups");
    std::fs::create_dir_all(&backups).expect("backups dir");

    // Run 1 (AUTO → FULL), as select-source and the neo4j-admin step leave it; select-source
    // itself needs Neo4j and is tested below.
    std::fs::write(t.run_dir.join("run.json"), run_state(None)).expect("run.json");
    std::fs::write(t.run_dir.join("finished-at"), "2026-11-20T02:03:30Z\n").expect("finished");
    let full = "neo4j-2026-11-20T02-00-00.backup";
    write_artifact(&backups, full, 9 * 1024 * 1024 + 17, 1);
    std::fs::write(
        t.run_dir.join("inspect.txt"),
        inspect_output(&[(full, true)]),
    )
    .expect("inspect");
    let dir = backups.display().to_string();
    let up = t.run(&[], &["upload", "--from-dir", &dir, "--type", "AUTO"]);
    let r = result(&up);
    assert_eq!(up.status.code(), Some(0), "{r}\n{}", stderr(&up));
    assert_eq!(r["result"], "Succeeded");
    assert_eq!(r["step"], "upload");
    assert_eq!(r["sizeBytes"], 9 * 1024 * 1024 + 17);
    assert_eq!(r["durationSeconds"], 210.0);
    assert_eq!(r["artifacts"][0], format!("{full} (FULL)"));
    // The operator reads the same line from the termination message.
    let logged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&t.termination_log).expect("log"))
            .expect("JSON in the termination log");
    assert_eq!(logged, r);

    // A chain older than --new-chain-after-days is not fetched: AUTO then takes a FULL.
    std::fs::remove_dir_all(&backups).expect("fresh pod volume");
    std::fs::create_dir_all(&backups).expect("backups dir");
    let old = t.run(&[], &["fetch", "--to", &dir, "--new-chain-after-days", "0"]);
    let r = result(&old);
    assert_eq!(old.status.code(), Some(0), "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("this run starts a new chain with a FULL"),
        "{r}"
    );
    assert_eq!(std::fs::read_dir(&backups).expect("dir").count(), 0);

    // Run 2: fetch seeds an empty --to-path with the chain (sha256-verified), so AUTO can take
    // a DIFF; the DIFF then chains onto the FULL.
    let fetched = t.run(
        &[],
        &[
            "fetch",
            "--to",
            &dir,
            "--database",
            "*",
            "--new-chain-after-days",
            "3650",
        ],
    );
    let r = result(&fetched);
    assert_eq!(fetched.status.code(), Some(0), "{r}");
    assert_eq!(r["artifacts"][0], full);
    assert_eq!(
        std::fs::metadata(backups.join(full))
            .expect("fetched")
            .len(),
        9 * 1024 * 1024 + 17
    );
    let diff = "neo4j-2026-11-21T02-00-00.backup";
    write_artifact(&backups, diff, 4096, 2);
    std::fs::write(
        t.run_dir.join("inspect.txt"),
        inspect_output(&[(full, true), (diff, false)]),
    )
    .expect("inspect");
    std::fs::write(t.run_dir.join("finished-at"), "2026-11-21T02:01:00Z\n").expect("finished");
    let up = t.run(&[], &["upload", "--from-dir", &dir]);
    let r = result(&up);
    assert_eq!(up.status.code(), Some(0), "{r}");
    assert_eq!(r["artifacts"][0], format!("{diff} (DIFF)"));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1 already stored"),
        "{r}"
    );

    // People: list (text and JSON) and prune --dry-run, from flags alone.
    let list = t.people(&["backup", "list", "graph", "-o", "json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).expect("JSON");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1]["artifact"], diff);
    assert_eq!(rows[1]["chain_id"], full);
    assert_eq!(rows[1]["kind"], "DIFF");
    assert_eq!(rows[1]["restorable"], true);
    // The fetch verified the FULL's checksum and recorded it.
    assert_eq!(rows[0]["verification"], "checksum-ok");
    let text = t.people(&["backup", "list", "graph"]);
    assert!(stdout(&text).contains(diff) && stdout(&text).contains("DIFF"));

    // Freshness check straight from Blob: the DIFF of 2026-11-21 is the newest restore point.
    let fresh = t.people(&[
        "backup",
        "check",
        "graph",
        "--databases",
        "neo4j",
        "--max-age-hours",
        "876000",
    ]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    let line = stdout(&fresh);
    assert!(
        line.starts_with(&format!(
            "neo4j\tok\tnewest DIFF {diff} at 2026-11-21T02:01:00Z\t"
        )) && line.contains(&format!("checksum ok on {full}"))
            && line.contains("2 artifacts"),
        "{line}"
    );
    // A day's limit (the artifacts are from 2026-11-21) and a database never backed up: exit 1,
    // each named.
    let late = t.people(&[
        "backup",
        "check",
        "graph",
        "--databases",
        "neo4j,sales",
        "-o",
        "json",
    ]);
    assert_eq!(late.status.code(), Some(1), "{}", stderr(&late));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&late)).expect("json");
    assert_eq!(doc["overdue"], serde_json::json!(["neo4j", "sales"]));
    assert_eq!(doc["databases"]["neo4j"]["artifacts"], 2);
    assert!(
        stderr(&late).contains("no restorable backup younger than 24h of graph (neo4j, sales)")
    );

    let dry = t.people(&["backup", "prune", "graph", "--dry-run", "--daily", "1"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("keep neo4j chain") && text.contains("nothing to delete"),
        "{text}"
    );

    // A key in the environment is never printed, in success or failure.
    for output in [&up, &fetched, &list, &fresh, &late, &dry] {
        assert!(!stdout(output).contains(&t.az.key) && !stderr(output).contains(&t.az.key));
    }
    t.cleanup().await;
}

#[tokio::test]
async fn wrong_key_and_missing_container_fail_with_a_clear_result_line() {
    let test = "wrong_key_and_missing_container_fail";
    let Some(az) = Azurite::from_env(test) else {
        return;
    };
    let t = Target::new(az, test).await;
    let backups = t.run_dir.parent().expect("parent").join("backups");
    std::fs::create_dir_all(&backups).expect("backups dir");
    let dir = backups.display().to_string();

    let wrong = t.run_dir.parent().expect("parent").join("wrong-key");
    std::fs::write(&wrong, "d3Jvbmcga2V5IHdyb25nIGtleSB3cm9uZyBrZXk=").expect("wrong key");
    let wrong = wrong.display().to_string();
    let out = t.run(
        &[("NEO4J_AKS_BACKUP_KEY_FILE", wrong.as_str())],
        &["fetch", "--to", &dir],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r["result"], "Failed");
    let message = r["message"].as_str().unwrap_or_default();
    assert!(message.contains("rejected the credentials"), "{message}");
    assert!(!stdout(&out).contains("d3Jvbmcga2V5"));

    let out = t.run(
        &[("NEO4J_AKS_BACKUP_CONTAINER", "no-such-container")],
        &["fetch", "--to", &dir],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not exist"),
        "{r}"
    );

    // Upload without select-source's run.json: says which step should have written it.
    let out = t.run(&[], &["upload", "--from-dir", &dir]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("written by backup-agent select-source"),
        "{r}"
    );

    let list = agent(
        &[],
        &[
            "backup",
            "list",
            "graph",
            "--account",
            &t.az.account,
            "--endpoint",
            &t.az.endpoint,
        ],
    );
    assert_eq!(list.status.code(), Some(1));
    assert!(
        stderr(&list).contains("AZURE_STORAGE_KEY"),
        "{}",
        stderr(&list)
    );
    t.cleanup().await;
}

/// The whole pod sequence with both real peers: select-source and verify talk to Neo4j over
/// Bolt, fetch/upload/verify to Azurite. The neo4j-admin steps between them (backup, inspect,
/// restore, check) are Enterprise-only; their output files are written here instead.
#[tokio::test]
async fn select_source_upload_and_verify_against_neo4j_and_azurite() {
    let test = "select_source_upload_and_verify";
    let Some(neo) = neo4j(test) else { return };
    let Some(az) = Azurite::from_env(test) else {
        return;
    };
    let t = Target::new(az, test).await;
    let auth_file = t.run_dir.parent().expect("parent").join("auth");
    std::fs::write(&auth_file, &neo.auth).expect("auth file");
    let auth = auth_file.display().to_string();
    let with_auth = [("NEO4J_AKS_NEO4J_AUTH_FILE", auth.as_str())];

    // An unreachable member first: select-source moves on to the next.
    let out = t.run(
        &with_auth,
        &[
            "select-source",
            "--member",
            "bolt://127.0.0.1:1",
            "--member",
            &neo.uri,
            "--database",
            "neo4j",
        ],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}\n{}", stderr(&out));
    // A standalone server is the writer of everything: the fallback is taken and said.
    let message = r["message"].as_str().unwrap_or_default();
    assert!(message.contains("neo4j from "), "{message}");
    assert!(message.contains("from the writer"), "{message}");
    let list = std::fs::read_to_string(t.run_dir.join("sources.list")).expect("sources.list");
    assert!(
        list.starts_with("neo4j ") && list.trim_end().ends_with(":6362"),
        "{list}"
    );
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.run_dir.join("run.json")).expect("run"))
            .expect("run.json");
    let before = &state["sources"][0]["counts_before"];
    assert!(before["nodes"].is_u64(), "{state}");
    assert!(
        state["neo4j_version"]
            .as_str()
            .unwrap_or_default()
            .starts_with('5')
    );

    // With the cluster CA given (spec.tls with the bolt scope), the agent insists on TLS: the
    // harness speaks plain Bolt, so no member answers. (The TLS client it then uses is the one
    // crates/ops/tests/tls_handshake.rs connects to a TLS Neo4j with the cluster CA.)
    let ca_file = t.run_dir.parent().expect("parent").join("ca.crt");
    let ca =
        neo4j_aks_render::certificates::issue_ca("db", "ns", time::OffsetDateTime::now_utc(), 30)
            .expect("a CA");
    std::fs::write(&ca_file, &ca.certificate_pem).expect("CA file");
    let ca_path = ca_file.display().to_string();
    let out = t.run(
        &[
            ("NEO4J_AKS_NEO4J_AUTH_FILE", auth.as_str()),
            ("NEO4J_AKS_BOLT_CA_FILE", ca_path.as_str()),
        ],
        &["select-source", "--member", &neo.uri, "--database", "neo4j"],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1), "{r}\n{}", stderr(&out));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no member answered"),
        "{r}"
    );

    // neo4j-admin database backup --type=FULL (AKS only): one artifact.
    let backups = t.run_dir.parent().expect("parent").join("backups");
    std::fs::create_dir_all(&backups).expect("backups dir");
    let full = "neo4j-2026-11-20T02-00-00.backup";
    write_artifact(&backups, full, 2048, 3);
    let dir = backups.display().to_string();
    let out = t.run(
        &with_auth,
        &["upload", "--from-dir", &dir, "--type", "FULL"],
    );
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}\n{}", stderr(&out));

    // Verification pod: fetch for verification writes the restore list...
    let restore = t.run_dir.parent().expect("parent").join("restore");
    let restore_dir = restore.display().to_string();
    let out = t.run(&[], &["fetch", "--to", &restore_dir, "--for-verification"]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}");
    let list = std::fs::read_to_string(t.run_dir.join("restore.list")).expect("restore.list");
    assert_eq!(
        list,
        format!("neo4j {}\n", restore.join("neo4j").join(full).display())
    );
    // ...neo4j-admin database restore + check pass (AKS only)...
    std::fs::write(t.run_dir.join("check-neo4j.status"), "ok\n").expect("status");
    // ...and verify counts the "restored" database (the harness's own neo4j, unchanged since
    // select-source counted it) and records the verdict.
    let out = t.run(&with_auth, &["verify", "--bolt", &neo.uri]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(0), "{r}\n{}", stderr(&out));
    assert!(
        r["message"]
            .as_str()
            .unwrap_or_default()
            .contains("within the source's counts"),
        "{r}"
    );
    let rows = t.people(&["backup", "list", "graph", "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&rows.stdout).expect("JSON");
    assert_eq!(rows[0]["verification"], "restore-check-ok", "{rows}");

    // A failed consistency check is recorded as such and fails the step.
    std::fs::write(
        t.run_dir.join("check-neo4j.status"),
        "check-failed: neo4j-admin database check exited 1\n",
    )
    .expect("status");
    let out = t.run(&with_auth, &["verify", "--bolt", &neo.uri]);
    let r = result(&out);
    assert_eq!(out.status.code(), Some(1), "{r}");
    assert_eq!(r["result"], "Failed");
    let rows = t.people(&["backup", "list", "graph", "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&rows.stdout).expect("JSON");
    assert_eq!(rows[0]["verification"], "restore-check-failed", "{rows}");
    assert!(!stdout(&out).contains(&neo.auth));
    t.cleanup().await;
}
