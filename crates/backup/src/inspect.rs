//! Reads the table `neo4j-admin backup inspect <dir> --show-metadata --empty` prints (5.25+; from
//! 2025.07 the metadata is shown without `--show-metadata`). It is how the agent learns FULL or
//! DIFF per artifact of a `--type=AUTO` run. Pure. Columns are found by header name, so added
//! columns (2025.06 added RECOVERED) do not shift anything.
//!
//! ```text
//! |                                  FILE | DATABASE | DATABASE ID |          TIME (UTC) |  FULL | COMPRESSED | LOWEST TX | HIGHEST TX |
//! | file:///b/neo4j-2024-10-07T16-05-37.backup | neo4j | 7dcb…  | 2024-10-07T16:05:37 |  true |       true |         1 |          3 |
//! ```

use std::collections::BTreeMap;

use crate::catalogue::BackupKind;
use crate::error::BackupError;

/// One artifact as neo4j-admin describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InspectedArtifact {
    /// The file name (last segment of the FILE URI).
    pub artifact: String,
    pub database: String,
    pub database_id: String,
    pub kind: BackupKind,
    pub compressed: bool,
    pub lowest_tx: u64,
    pub highest_tx: u64,
}

fn cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(|c| c.trim().to_string()).collect())
}

fn bad(detail: String) -> BackupError {
    BackupError::RunMetadata(format!("neo4j-admin backup inspect output: {detail}"))
}

/// Parses the tabular output; lines outside the table (log lines) are ignored.
pub fn parse_inspect_table(text: &str) -> Result<Vec<InspectedArtifact>, BackupError> {
    let mut header: Option<BTreeMap<String, usize>> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(row) = cells(line) else { continue };
        let Some(columns) = &header else {
            if row.iter().any(|c| c == "FILE") {
                header = Some(
                    row.iter()
                        .enumerate()
                        .map(|(i, c)| (c.clone(), i))
                        .collect(),
                );
            }
            continue;
        };
        if row.len() != columns.len() {
            return Err(bad(format!(
                "row has {} cells, header {}: {line}",
                row.len(),
                columns.len()
            )));
        }
        let get = |name: &str| -> Result<&str, BackupError> {
            columns
                .get(name)
                .and_then(|&i| row.get(i))
                .map(String::as_str)
                .ok_or_else(|| bad(format!("no {name} column")))
        };
        let flag = |name: &str| -> Result<bool, BackupError> {
            match get(name)? {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(bad(format!("{name} is {other:?}, not true/false"))),
            }
        };
        let number = |name: &str| -> Result<u64, BackupError> {
            let v = get(name)?;
            v.parse()
                .map_err(|_| bad(format!("{name} is {v:?}, not a number")))
        };
        let file = get("FILE")?;
        let artifact = file
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad(format!("FILE {file:?} has no file name")))?
            .to_string();
        out.push(InspectedArtifact {
            artifact,
            database: get("DATABASE")?.to_string(),
            database_id: get("DATABASE ID")?.to_string(),
            kind: if flag("FULL")? {
                BackupKind::Full
            } else {
                BackupKind::Diff
            },
            compressed: flag("COMPRESSED")?,
            lowest_tx: number("LOWEST TX")?,
            highest_tx: number("HIGHEST TX")?,
        });
    }
    if header.is_none() && !text.trim().is_empty() {
        return Err(bad("no table header (FILE | DATABASE | …) found".into()));
    }
    Ok(out)
}

/// FULL/DIFF per artifact file name, for [`RunMetadata::kinds`](crate::agent::RunMetadata).
pub fn kinds(rows: &[InspectedArtifact]) -> BTreeMap<String, BackupKind> {
    rows.iter().map(|r| (r.artifact.clone(), r.kind)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Operations Manual's "Inspect the metadata of a backup file" page.
    const MANUAL: &str = "\
|                                              FILE | DATABASE |                          DATABASE ID |          TIME (UTC) |  FULL | COMPRESSED | LOWEST TX | HIGHEST TX |
|  file:///backups/neo4j-2024-10-07T16-05-37.backup |    neo4j | 7dcb1d0c-4374-4476-b8ae-d3c3f124683f | 2024-10-07T16:05:37 |  true |       true |         1 |          3 |
|  file:///backups/malmo-2024-10-07T16-00-50.backup |    malmo | 62d1820c-3ac6-4b15-a0b3-bf7e7becc8d0 | 2024-10-07T16:00:50 | false |       true |         0 |          0 |
| file:///backups/london-2024-10-07T16-04-05.backup |   london | d4dae73c-dfef-4d28-88cd-fe6cc88ddca1 | 2024-10-07T16:04:05 | false |       true |         6 |          6 |
";

    #[test]
    fn reads_the_manual_example() {
        let rows = parse_inspect_table(MANUAL).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].artifact, "neo4j-2024-10-07T16-05-37.backup");
        assert_eq!(rows[0].kind, BackupKind::Full);
        assert_eq!((rows[0].lowest_tx, rows[0].highest_tx), (1, 3));
        // An empty DIFF (no new transactions) still records history.
        assert_eq!(rows[1].kind, BackupKind::Diff);
        assert_eq!(rows[1].highest_tx, 0);
        assert_eq!(rows[2].database, "london");
        assert_eq!(
            kinds(&rows).get("london-2024-10-07T16-04-05.backup"),
            Some(&BackupKind::Diff)
        );
    }

    #[test]
    fn extra_columns_and_log_lines_are_tolerated() {
        let text = "\
2026-11-26 03:00:00.000+0000 INFO  reading backups
| FILE | DATABASE | DATABASE ID | TIME (UTC) | FULL | COMPRESSED | LOWEST TX | HIGHEST TX | RECOVERED |
| file:///b/neo4j-2026-11-26T03-00-00.backup | neo4j | id | 2026-11-26T03:00:00 | false | true | 10 | 12 | true |
";
        let rows = parse_inspect_table(text).unwrap();
        assert_eq!(rows[0].kind, BackupKind::Diff);
        assert_eq!(rows[0].lowest_tx, 10);
    }

    #[test]
    fn malformed_tables_are_errors() {
        assert!(parse_inspect_table("no table here").is_err());
        let short = "| FILE | DATABASE |\n| a |\n";
        assert!(parse_inspect_table(short).is_err());
        let bad_flag = "\
| FILE | DATABASE | DATABASE ID | TIME (UTC) | FULL | COMPRESSED | LOWEST TX | HIGHEST TX |
| file:///b/x-2026-11-26T03-00-00.backup | x | id | t | yes | true | 1 | 2 |
";
        assert!(
            parse_inspect_table(bad_flag)
                .unwrap_err()
                .to_string()
                .contains("FULL")
        );
        assert!(parse_inspect_table("").unwrap().is_empty());
    }
}
