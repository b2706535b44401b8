//! `select-source`: which member each database is backed up from, and the counts before the run.

use jiff::Timestamp;
use neo4j_aks_topology::AdminClient;

use super::*;

pub(super) async fn select_source(
    args: &AgentArgs,
    members: &[String],
    backup_port: u16,
    patterns: &[String],
) -> Result<StepResult, String> {
    let started_at = Timestamp::now();
    let credentials = credentials(args)?;
    let mut failures = Vec::new();
    let mut answer = None;
    for uri in members {
        let attempt = async {
            let client = connect_member(uri, &credentials, args.bolt_ca_file.as_deref())?;
            let records = client.show_databases().await.map_err(|e| e.to_string())?;
            let info = client.server_info().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((records, info.version))
        };
        match attempt.await {
            Ok(found) => {
                answer = Some(found);
                break;
            }
            Err(e) => failures.push(format!("{uri}: {e}")),
        }
    }
    let Some((records, version)) = answer else {
        return Err(format!(
            "no member answered SHOW DATABASES: {}",
            failures.join("; ")
        ));
    };
    let chosen = source::choose_sources(&records, patterns, backup_port)?;
    let mut members: Vec<String> = records.iter().filter_map(|r| r.address.clone()).collect();
    members.sort();
    members.dedup();
    let mut notes = Vec::new();
    let mut sources = Vec::new();
    let mut list = String::new();
    for s in chosen {
        if let Some(why) = &s.fallback {
            eprintln!("note: {why}");
            notes.push(why.clone());
        }
        let counts_before = if countable(&s.database) {
            match counts_on(args, &s.counting_member, &s.database, &credentials).await {
                Ok(c) => Some(c),
                Err(e) => {
                    eprintln!(
                        "warning: {e}; the verification of this backup will only run the consistency check"
                    );
                    None
                }
            }
        } else {
            None
        };
        list.push_str(&format!("{} {}\n", s.database, s.from.join(",")));
        sources.push(SourceState {
            database: s.database,
            from: s.from,
            counting_member: s.counting_member,
            counts_before,
        });
    }
    let state = RunState {
        cluster: args.cluster.clone(),
        started_at,
        neo4j_version: version,
        members,
        sources,
    };
    std::fs::create_dir_all(&args.run_dir)
        .map_err(|e| format!("cannot create {}: {e}", args.run_dir.display()))?;
    write_file(&args.run_dir.join("sources.list"), &list)?;
    write_file(
        &args.run_dir.join("run.json"),
        &serde_json::to_string_pretty(&state).map_err(|e| e.to_string())?,
    )?;
    let summary: Vec<String> = state
        .sources
        .iter()
        .map(|s| format!("{} from {}", s.database, s.from.join(",")))
        .collect();
    let mut message = summary.join("; ");
    if !notes.is_empty() {
        message.push_str(&format!(" (note: {})", notes.join("; ")));
    }
    Ok(StepResult {
        result: "Succeeded".into(),
        message,
        ..StepResult::default()
    })
}
