//! The one JSON line each step prints and leaves as the pod's termination message.
use std::io::Write;
use std::path::Path;

use neo4j_aks_backup::seed::SeededDatabase;
use serde::{Deserialize, Serialize};

/// The one-line result every step prints.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub step: String,
    /// `Succeeded` or `Failed`.
    pub result: String,
    pub cluster: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<String>,
    /// The seed step: each database's restore point, for the operator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<SeededDatabase>,
}

/// The kubelet keeps at most 4096 bytes of a termination message; a longer line would reach the
/// operator cut off and unreadable.
const TERMINATION_MESSAGE_LIMIT: usize = 4096;

/// The result line, shortened to fit the termination message (see [`fitted`]).
pub fn result_line(result: &StepResult) -> String {
    // StepResult holds only strings, numbers and timestamps: serializing cannot fail.
    serde_json::to_string(&fitted(result)).unwrap_or_default()
}

/// The result shortened to fit the termination message: first without the artifact list, then
/// with the message cut (at a character boundary, marked with `…`). The seeds are what the
/// operator acts on and are never cut: a result whose seeds alone do not fit becomes a failure
/// that says so.
pub fn fitted(result: &StepResult) -> StepResult {
    let length = |r: &StepResult| serde_json::to_string(r).map_or(usize::MAX, |l| l.len());
    if length(result) <= TERMINATION_MESSAGE_LIMIT {
        return result.clone();
    }
    let mut short = StepResult {
        artifacts: Vec::new(),
        ..result.clone()
    };
    loop {
        let len = length(&short);
        if len <= TERMINATION_MESSAGE_LIMIT {
            return short;
        }
        if short.message.is_empty() {
            return StepResult {
                result: "Failed".into(),
                message: format!(
                    "the result of {} database(s) takes {len} bytes, more than the {TERMINATION_MESSAGE_LIMIT} bytes of a termination message; seed fewer databases",
                    short.seeds.len()
                ),
                seeds: Vec::new(),
                ..short
            };
        }
        let over = len - TERMINATION_MESSAGE_LIMIT + "…".len();
        if over >= short.message.len() {
            // Even `…` alone would not fit.
            short.message.clear();
            continue;
        }
        let mut keep = short.message.len() - over;
        while !short.message.is_char_boundary(keep) {
            keep -= 1;
        }
        short.message.truncate(keep);
        short.message.push('…');
    }
}

pub(super) fn report(result: &StepResult, termination_log: &Path) {
    let line = result_line(result);
    println!("{line}");
    let _ = std::io::stdout().flush();
    if termination_log.exists()
        && let Err(e) = std::fs::write(termination_log, &line)
    {
        eprintln!("warning: cannot write {}: {e}", termination_log.display());
    }
}

#[cfg(test)]
mod tests {
    use neo4j_aks_backup::catalogue::CountRange;

    use super::*;

    #[test]
    fn the_result_line_always_fits_the_termination_message() {
        let small = StepResult {
            step: "verify".into(),
            result: "Failed".into(),
            cluster: "g".into(),
            message: "neo4j-x.backup FAILED: check-failed".into(),
            artifacts: vec!["neo4j-x.backup".into()],
            ..StepResult::default()
        };
        assert_eq!(result_line(&small), serde_json::to_string(&small).unwrap());
        let big = StepResult {
            message: "é".repeat(5000),
            artifacts: (0..300)
                .map(|i| format!("db{i}-2026-11-26T02-00-00.backup"))
                .collect(),
            ..small
        };
        let line = result_line(&big);
        assert!(line.len() <= TERMINATION_MESSAGE_LIMIT, "{}", line.len());
        let parsed: StepResult = serde_json::from_str(&line).expect("still JSON");
        assert_eq!(parsed.result, "Failed");
        assert!(parsed.artifacts.is_empty());
        assert!(parsed.message.ends_with('…'));
    }

    /// A seed as the step reports it, with a realistic name and counts.
    fn seeded(i: usize) -> SeededDatabase {
        SeededDatabase {
            database: format!("customers-{i:02}"),
            artifact: format!("customers-{i:02}-2026-11-22T02-00-00.backup"),
            chain_id: format!("customers-{i:02}-2026-11-18T02-00-00.backup"),
            finished_at: "2026-11-22T02:02:13Z".parse().unwrap(),
            artifacts: 4,
            counts: Some(CountRange {
                nodes_min: 12_345_678,
                nodes_max: 12_345_999,
                relationships_min: 98_765_432,
                relationships_max: 98_766_000,
            }),
        }
    }

    fn seed_result(seeds: Vec<SeededDatabase>) -> StepResult {
        StepResult {
            step: "seed".into(),
            result: "Succeeded".into(),
            cluster: "graph-old".into(),
            message: "é".repeat(5000),
            artifacts: (0..300)
                .map(|i| format!("db{i}/db{i}-2026-11-26T02-00-00.backup"))
                .collect(),
            seeds,
            ..StepResult::default()
        }
    }

    #[test]
    fn shortening_keeps_the_seeds_and_drops_the_artifacts_and_the_message_first() {
        let seeds: Vec<SeededDatabase> = (0..8).map(seeded).collect();
        let line = result_line(&seed_result(seeds.clone()));
        assert!(line.len() <= TERMINATION_MESSAGE_LIMIT, "{}", line.len());
        let parsed: neo4j_aks_backup::seed::SeedResultLine =
            serde_json::from_str(&line).expect("the operator's type reads it");
        assert_eq!(parsed.result, "Succeeded");
        assert_eq!(parsed.seeds, seeds);
        assert!(parsed.message.ends_with('…') && parsed.message.len() > 100);
        let parsed: StepResult = serde_json::from_str(&line).expect("still JSON");
        assert!(parsed.artifacts.is_empty());
    }

    #[test]
    fn seeds_that_cannot_fit_become_a_failure_that_says_so() {
        // How many seeds of this size fit next to an empty message.
        let fit = (1..100)
            .take_while(|n| {
                let r = StepResult {
                    message: String::new(),
                    artifacts: Vec::new(),
                    ..seed_result((0..*n).map(seeded).collect())
                };
                serde_json::to_string(&r).unwrap().len() <= TERMINATION_MESSAGE_LIMIT
            })
            .count();
        let one = serde_json::to_string(&seeded(0)).unwrap().len();
        println!("{fit} seeds of {one} bytes fit the termination message");
        assert!(fit >= 10, "{fit}");
        let too_many = seed_result((0..fit + 1).map(seeded).collect());
        let short = fitted(&too_many);
        assert_eq!(short.result, "Failed");
        assert!(short.seeds.is_empty());
        assert!(
            short
                .message
                .starts_with(&format!("the result of {} database(s) takes", fit + 1))
                && short.message.ends_with("seed fewer databases"),
            "{}",
            short.message
        );
        assert!(result_line(&too_many).len() <= TERMINATION_MESSAGE_LIMIT);
        let exactly = seed_result((0..fit).map(seeded).collect());
        assert_eq!(fitted(&exactly).seeds.len(), fit);
    }
}
