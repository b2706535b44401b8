//! `backup-agent seed`: the seed-fetch init container of a cluster bootstrapped from a backup
//! (`spec.bootstrap.fromBackup`). Chooses each database's restore point (pure, in
//! `neo4j_aks_backup::seed`), downloads its chain read-only into `<to>/<db>/` and writes
//! `<to>/seed.list` last, for the seed-aggregate init container.

use std::path::Path;

use jiff::Timestamp;
use neo4j_aks_backup::agent::{Agent, PARTIAL_SUFFIX};
use neo4j_aks_backup::layout::ARTIFACT_SUFFIX;
use neo4j_aks_backup::seed::{SeedChoice, SeededDatabase, check_databases, choose};
use neo4j_aks_backup::store::ObjectBlobStore;

use super::{AgentArgs, StepResult, agent, fitted, write_file};

/// `<db> <number of artifacts>` per database; its presence means the seed finished.
pub const SEED_LIST: &str = "seed.list";

pub async fn seed(
    args: &AgentArgs,
    to: &Path,
    names: &[String],
    not_after: Option<Timestamp>,
) -> Result<StepResult, String> {
    let (databases, bad_names) = check_databases(names);
    let agent = agent(args)?;
    agent.check().await.map_err(|e| e.to_string())?;
    let catalogue = agent.catalogue().await.map_err(|e| e.to_string())?;
    let mut problems: Vec<String> = bad_names
        .into_iter()
        .map(|p| format!("--database {p}"))
        .collect();
    let choices = match choose(&catalogue, &databases, not_after) {
        Ok(choices) => choices,
        Err(missing) => {
            problems.extend(missing);
            Vec::new()
        }
    };
    if !problems.is_empty() {
        return Err(format!(
            "nothing downloaded; {} problem(s) seeding from the backups of {}: {}",
            problems.len(),
            args.cluster,
            problems.join("; ")
        ));
    }
    let seeds: Vec<SeededDatabase> = choices.iter().map(SeedChoice::seeded).collect();
    // The operator reads the seeds from the termination message: refuse before downloading
    // when they cannot reach it.
    let probe = fitted(&StepResult {
        step: "seed".into(),
        result: "Succeeded".into(),
        cluster: args.cluster.clone(),
        seeds: seeds.clone(),
        ..StepResult::default()
    });
    if probe.seeds.is_empty() {
        return Err(format!("nothing downloaded: {}", probe.message));
    }

    // seed.list marks a finished seed: gone until this one has finished.
    remove_if_present(&to.join(SEED_LIST))?;
    let fetched = match fetch_all(&agent, to, &choices).await {
        Ok(f) => f,
        Err(e) => return Err(format!("{e}{}", clear_all(to, &choices))),
    };
    let list: String = seeds
        .iter()
        .map(|s| format!("{} {}\n", s.database, s.artifacts))
        .collect();
    let partial = to.join(format!("{SEED_LIST}{PARTIAL_SUFFIX}"));
    write_file(&partial, &list)?;
    std::fs::rename(&partial, to.join(SEED_LIST))
        .map_err(|e| format!("cannot write {}: {e}", to.join(SEED_LIST).display()))?;

    let size: u64 = fetched.iter().map(|(_, bytes)| bytes).sum();
    let points: Vec<String> = seeds
        .iter()
        .map(|s| {
            format!(
                "{} at {} ({} artifact(s))",
                s.database, s.artifact, s.artifacts
            )
        })
        .collect();
    let bound = not_after.map_or_else(String::new, |t| format!(" not after {t}"));
    Ok(StepResult {
        result: "Succeeded".into(),
        message: format!(
            "seeded {} database(s) from the backups of {}{bound}: {}; {size} bytes, sha256 verified, nothing written to Blob",
            seeds.len(),
            args.cluster,
            points.join(", ")
        ),
        size_bytes: Some(size),
        artifacts: fetched.into_iter().map(|(name, _)| name).collect(),
        seeds,
        ..StepResult::default()
    })
}

/// Downloads every chosen chain into `<to>/<db>/`, emptied first of what an earlier attempt
/// left. Returns `<db>/<artifact>` and the size of each file.
async fn fetch_all(
    agent: &Agent<ObjectBlobStore>,
    to: &Path,
    choices: &[SeedChoice<'_>],
) -> Result<Vec<(String, u64)>, String> {
    let mut fetched = Vec::new();
    for choice in choices {
        let dir = to.join(choice.database());
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        clear_artifacts(&dir)?;
        let paths = agent
            .fetch_chain_read_only(
                choice.chain,
                &choice.restore_point().metadata.artifact,
                &dir,
            )
            .await
            .map_err(|e| e.to_string())?;
        for path in paths {
            let bytes = std::fs::metadata(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .len();
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            fetched.push((format!("{}/{name}", choice.database()), bytes));
        }
    }
    Ok(fetched)
}

/// After a failure: no artifact of this run stays behind (a partial chain is no restore
/// point). Returns what could not be removed, as a suffix for the error message.
fn clear_all(to: &Path, choices: &[SeedChoice<'_>]) -> String {
    let mut problems = Vec::new();
    for choice in choices {
        let dir = to.join(choice.database());
        if !dir.exists() {
            continue;
        }
        match clear_artifacts(&dir) {
            // Only an empty directory is removed: anything else in it is not ours.
            Ok(()) => {
                let _ = std::fs::remove_dir(&dir);
            }
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        String::new()
    } else {
        format!("; could not clean up: {}", problems.join("; "))
    }
}

/// Removes the artifacts and partial downloads directly in `dir`, and nothing else.
fn clear_artifacts(dir: &Path) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with(ARTIFACT_SUFFIX)
            || name.ends_with(&format!("{ARTIFACT_SUFFIX}{PARTIAL_SUFFIX}"));
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            remove_if_present(&entry.path())?;
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}
