//! `verify`: each restored copy is online and holds the counts taken at backup time.
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use neo4j_aks_backup::agent::Agent;
use neo4j_aks_backup::catalogue::{VerificationCheck, VerificationRecord};
use neo4j_aks_backup::store::ObjectBlobStore;
use neo4j_aks_topology::AdminClient;
use neo4j_aks_topology::bolt::BoltAdminClient;
use neo4j_aks_topology::statements::{ParamValue, Statement};

use super::*;

async fn wait_online(
    client: &BoltAdminClient,
    database: &str,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut created = false;
    loop {
        let records = client.show_databases().await.map_err(|e| e.to_string())?;
        let copy = records.iter().find(|r| r.name == database);
        match copy {
            Some(r) if r.is_online() => return Ok(()),
            None if !created => {
                // A restored store other than the default database is registered with
                // CREATE DATABASE (Operations Manual, "Restore a database backup").
                client
                    .run(&Statement {
                        text: "CREATE DATABASE $database IF NOT EXISTS".into(),
                        params: vec![("database", ParamValue::Text(database.into()))],
                    })
                    .await
                    .map_err(|e| format!("CREATE DATABASE {database}: {e}"))?;
                created = true;
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{database} did not come online within {}s (status {})",
                timeout.as_secs(),
                copy.map_or("missing", |r| r.current_status.as_str())
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn verify_one(
    agent: &Agent<ObjectBlobStore>,
    client: &BoltAdminClient,
    run_dir: &Path,
    item: &VerificationItem,
    online_timeout: Duration,
) -> Result<String, String> {
    let status = std::fs::read_to_string(run_dir.join(format!("check-{}.status", item.database)))
        .map_err(
        |_| "no restore/check result (the restore step did not reach this database)",
    )?;
    let status = status.trim();
    if status != "ok" {
        return Err(status.to_string());
    }
    wait_online(client, &item.database, online_timeout).await?;
    let restored = count(client, &item.database).await?;
    let catalogue = agent.catalogue().await.map_err(|e| e.to_string())?;
    let recorded = catalogue
        .all_chains()
        .flat_map(|c| &c.artifacts)
        .find(|a| a.metadata.database == item.database && a.metadata.artifact == item.artifact)
        .ok_or_else(|| format!("{} is no longer stored", item.artifact))?
        .metadata
        .counts;
    match recorded {
        None => Ok(format!(
            "consistency check passed; {} nodes, {} relationships restored (no counts recorded at backup time)",
            restored.nodes, restored.relationships
        )),
        Some(range) => match range.mismatch(restored) {
            None => Ok(format!(
                "consistency check passed; {} nodes, {} relationships restored, within the source's counts",
                restored.nodes, restored.relationships
            )),
            Some(why) => Err(format!("consistency check passed but {why}")),
        },
    }
}

pub(super) async fn verify(
    args: &AgentArgs,
    bolt: &str,
    online_timeout: Duration,
) -> Result<StepResult, String> {
    let items: Vec<VerificationItem> = serde_json::from_str(&read_file(
        &args.run_dir.join("verification.json"),
        "backup-agent fetch --for-verification",
    )?)
    .map_err(|e| format!("verification.json: {e}"))?;
    let agent = agent(args)?;
    let client = connect(bolt, &credentials(args)?)?;
    let mut lines = Vec::new();
    let mut failed = false;
    for item in &items {
        let outcome = verify_one(&agent, &client, &args.run_dir, item, online_timeout).await;
        let record = VerificationRecord {
            at: Timestamp::now(),
            check: VerificationCheck::RestoreCheck,
            ok: outcome.is_ok(),
            detail: match &outcome {
                Ok(d) | Err(d) => d.clone(),
            },
        };
        agent
            .record_verification(&item.database, &item.artifact, &record)
            .await
            .map_err(|e| e.to_string())?;
        failed |= outcome.is_err();
        lines.push(format!(
            "{} {}: {}",
            item.artifact,
            if record.ok { "ok" } else { "FAILED" },
            record.detail
        ));
    }
    Ok(StepResult {
        result: if failed { "Failed" } else { "Succeeded" }.into(),
        message: lines.join("; "),
        artifacts: items.iter().map(|i| i.artifact.clone()).collect(),
        ..StepResult::default()
    })
}
