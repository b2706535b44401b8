//! What the backup agent reports in its one-line results and what the operator reads back: the
//! types both processes share (the agent writes them into a termination message or a Blob
//! marker, the operator parses them), so neither depends on the other's crate for them.

use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Counts read from the backup source before and after the run. The backup is a consistent
/// snapshot of some transaction between the two reads, so on a database whose counts only grow
/// or only shrink during the run a restored copy lies within `[min, max]`; on an idle database
/// the range is a single value and the check is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountRange {
    pub nodes_min: u64,
    pub nodes_max: u64,
    pub relationships_min: u64,
    pub relationships_max: u64,
}

/// Node and relationship counts of one database at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphCounts {
    pub nodes: u64,
    pub relationships: u64,
}

impl CountRange {
    /// The range spanned by two readings.
    pub fn between(before: GraphCounts, after: GraphCounts) -> CountRange {
        CountRange {
            nodes_min: before.nodes.min(after.nodes),
            nodes_max: before.nodes.max(after.nodes),
            relationships_min: before.relationships.min(after.relationships),
            relationships_max: before.relationships.max(after.relationships),
        }
    }

    /// Why `restored` is outside the range, or `None` when it is inside.
    pub fn mismatch(&self, restored: GraphCounts) -> Option<String> {
        let mut problems = Vec::new();
        if !(self.nodes_min..=self.nodes_max).contains(&restored.nodes) {
            problems.push(format!(
                "{} nodes restored, the source had {}..={}",
                restored.nodes, self.nodes_min, self.nodes_max
            ));
        }
        if !(self.relationships_min..=self.relationships_max).contains(&restored.relationships) {
            problems.push(format!(
                "{} relationships restored, the source had {}..={}",
                restored.relationships, self.relationships_min, self.relationships_max
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}

/// One database as the seed step prepared it (the operator compares these across members).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeededDatabase {
    pub database: String,
    /// The restore point: the newest artifact of the chain that was fetched.
    pub artifact: String,
    pub chain_id: String,
    pub finished_at: Timestamp,
    /// How many artifacts the chain has (FULL + DIFFs up to `artifact`).
    pub artifacts: u32,
    /// What the source had around the backup (from the marker), when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<CountRange>,
}

/// The seed step's result line as the operator reads it from the termination message.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedResultLine {
    pub step: String,
    /// `Succeeded` or `Failed`.
    pub result: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub seeds: Vec<SeededDatabase>,
}
