//! `fetch`: the chain to extend (or, with --for-verification, the newest artifacts to restore and check).
use std::path::Path;

use jiff::Timestamp;

use super::*;

pub(super) async fn fetch(
    args: &AgentArgs,
    to: &Path,
    patterns: &[String],
    for_verification: bool,
    new_chain_after_days: Option<u32>,
) -> Result<StepResult, String> {
    let agent = agent(args)?;
    agent.check().await.map_err(|e| e.to_string())?;
    let catalogue = agent.catalogue().await.map_err(|e| e.to_string())?;
    let now = Timestamp::now();
    let mut fetched = Vec::new();
    let mut items = Vec::new();
    let mut restore_list = String::new();
    let mut notes = Vec::new();
    let mut size = 0;
    let mut names: Vec<&String> = catalogue
        .chains
        .keys()
        .filter(|d| patterns.iter().any(|p| source::glob_matches(p, d)))
        .collect();
    // Named databases that have nothing stored are worth a note (a first run takes a FULL).
    for p in patterns.iter().filter(|p| !p.contains('*')) {
        if !catalogue.chains.contains_key(p.as_str()) {
            notes.push(format!("nothing stored for {p}"));
        }
    }
    if for_verification {
        names.retain(|d| countable(d));
    }
    for database in names {
        let Some((chain, end)) = catalogue.newest_restore_point(database) else {
            notes.push(format!("no restorable backup of {database}"));
            continue;
        };
        if let (Some(days), Some(full)) = (new_chain_after_days, chain.full()) {
            let age = now.duration_since(full.metadata.finished_at);
            if age > jiff::SignedDuration::from_hours(24 * i64::from(days)) {
                notes.push(format!(
                    "{database}: chain {} is older than {days} day(s); this run starts a new chain with a FULL",
                    chain.chain_id
                ));
                continue;
            }
        }
        let dir = if for_verification {
            to.join(database)
        } else {
            to.to_path_buf()
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let paths = agent
            .fetch_newest_chain(database, &dir, now)
            .await
            .map_err(|e| e.to_string())?;
        for p in &paths {
            size += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            fetched.push(
                p.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            );
        }
        let last = dir.join(&end.metadata.artifact);
        restore_list.push_str(&format!("{database} {}\n", last.display()));
        items.push(VerificationItem {
            database: database.clone(),
            artifact: end.metadata.artifact.clone(),
        });
    }
    if for_verification {
        if items.is_empty() {
            return Err(format!(
                "nothing to verify: no restorable backup of {} ({})",
                patterns.join(", "),
                notes.join("; ")
            ));
        }
        std::fs::create_dir_all(&args.run_dir)
            .map_err(|e| format!("cannot create {}: {e}", args.run_dir.display()))?;
        write_file(&args.run_dir.join("restore.list"), &restore_list)?;
        write_file(
            &args.run_dir.join("verification.json"),
            &serde_json::to_string_pretty(&items).map_err(|e| e.to_string())?,
        )?;
    }
    let mut message = format!(
        "fetched {} artifact(s) of {} database(s), {size} bytes, sha256 verified",
        fetched.len(),
        items.len()
    );
    if !notes.is_empty() {
        message.push_str(&format!(" ({})", notes.join("; ")));
    }
    Ok(StepResult {
        result: "Succeeded".into(),
        message,
        size_bytes: Some(size),
        artifacts: fetched,
        ..StepResult::default()
    })
}
