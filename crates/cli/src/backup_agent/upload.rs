//! `upload`: the artifacts neo4j-admin wrote go to the Blob container with their run record, then retention.
use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use neo4j_aks_backup::agent::RunMetadata;
use neo4j_aks_backup::catalogue::{BackupKind, CountRange};
use neo4j_aks_backup::retention::RetentionPolicy;

use super::*;

/// When neo4j-admin finished: the time the backup step wrote, else the upload's start.
fn finished_at(run_dir: &Path) -> Timestamp {
    std::fs::read_to_string(run_dir.join("finished-at"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(Timestamp::now)
}

pub(super) async fn upload(
    args: &AgentArgs,
    from_dir: &Path,
    backup_type: TypeArg,
    policy: &RetentionPolicy,
) -> Result<StepResult, String> {
    let state: RunState = serde_json::from_str(&read_file(
        &args.run_dir.join("run.json"),
        "backup-agent select-source",
    )?)
    .map_err(|e| format!("run.json: {e}"))?;
    let finished_at = finished_at(&args.run_dir);
    let mut run = RunMetadata {
        cluster: args.cluster.clone(),
        neo4j_version: state.neo4j_version.clone(),
        members: state.members.clone(),
        started_at: state.started_at,
        finished_at,
        kinds: BTreeMap::new(),
        default_kind: match backup_type {
            TypeArg::Full => Some(BackupKind::Full),
            TypeArg::Diff => Some(BackupKind::Diff),
            TypeArg::Auto => None,
        },
        counts: BTreeMap::new(),
    };
    if backup_type == TypeArg::Auto {
        let inspect = read_file(
            &args.run_dir.join("inspect.txt"),
            "neo4j-admin backup inspect in the backup step",
        )?;
        run = run
            .with_inspect_output(&inspect)
            .map_err(|e| e.to_string())?;
    }
    // Counts after the run, on the same member as before: the range the restored copy must
    // fall in (docs/backup.md, "Verification").
    if let Some(credentials) = args
        .auth_file
        .as_ref()
        .map(|_| credentials(args))
        .transpose()?
    {
        for s in &state.sources {
            let Some(before) = s.counts_before else {
                continue;
            };
            match counts_on(args, &s.counting_member, &s.database, &credentials).await {
                Ok(after) => {
                    run.counts
                        .insert(s.database.clone(), CountRange::between(before, after));
                }
                Err(e) => eprintln!(
                    "warning: {e}; no counts recorded for {}, its verification will only run the consistency check",
                    s.database
                ),
            }
        }
    }
    let agent = agent(args)?;
    let report = agent
        .upload_run(from_dir, &run, policy, Timestamp::now())
        .await
        .map_err(|e| e.to_string())?;
    let size: u64 = report.uploaded.iter().map(|m| m.size_bytes).sum();
    let duration = finished_at.duration_since(state.started_at).as_secs_f64();
    Ok(StepResult {
        result: "Succeeded".into(),
        message: format!(
            "uploaded {} artifact(s) ({size} bytes), {} already stored; pruned {} object(s)",
            report.uploaded.len(),
            report.already_stored.len(),
            report.prune.deleted.len()
        ),
        size_bytes: Some(size),
        duration_seconds: Some(duration),
        artifacts: report
            .uploaded
            .iter()
            .map(|m| format!("{} ({})", m.artifact, m.kind))
            .collect(),
        ..StepResult::default()
    })
}
