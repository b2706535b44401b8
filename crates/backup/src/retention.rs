//! GFS retention over backup chains. Pure: a catalogue in, the exact deletions (with reasons) out.
//!
//! Per database:
//! * A *restore point* is a restorable artifact (its chain is complete from the FULL up to it).
//! * Buckets are UTC calendar days, ISO weeks (ISO week-year + week number) and months, taken from
//!   the restore point's `finished_at`.
//! * `daily = N` keeps, for each of the N newest days that have a restore point, the newest restore
//!   point of that day; likewise `weekly` and `monthly`. Buckets are counted, not aged: days without
//!   a backup do not use up the allowance, so a stopped schedule never deletes its last good backups.
//! * A chain is kept when it contains a kept restore point, or when it is *protected*: the chain of
//!   the newest complete FULL, and the chain holding the newest complete artifact (the parent an
//!   in-progress or next DIFF depends on; normally the same chain). Everything else is deleted
//!   whole: its artifacts, markers and verification records.
//! * Leftovers (objects that are no complete artifact) are deleted once older than `grace`:
//!   younger ones may be an upload in progress. An artifact blob within a kept chain's span (from
//!   its FULL's name to its newest artifact's name) is never deleted, even when its marker is gone
//!   or damaged: it may be a link the chain needs.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::catalogue::{Artifact, Catalogue, Chain, LeftoverProblem};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
    /// Leftovers younger than this are left alone (an upload may be in progress).
    #[serde(with = "grace_secs")]
    pub grace: SignedDuration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            daily: 7,
            weekly: 4,
            monthly: 12,
            grace: SignedDuration::from_hours(24),
        }
    }
}

mod grace_secs {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.as_secs())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
        Ok(SignedDuration::from_secs(i64::deserialize(d)?))
    }
}

/// A calendar bucket a restore point falls into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "bucket")]
pub enum Bucket {
    Day { year: i16, month: i8, day: i8 },
    Week { year: i16, week: i8 },
    Month { year: i16, month: i8 },
}

impl std::fmt::Display for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bucket::Day { year, month, day } => write!(f, "daily {year:04}-{month:02}-{day:02}"),
            Bucket::Week { year, week } => write!(f, "weekly {year:04}-W{week:02}"),
            Bucket::Month { year, month } => write!(f, "monthly {year:04}-{month:02}"),
        }
    }
}

/// The three buckets of an instant, in UTC.
pub fn buckets_of(at: Timestamp) -> [Bucket; 3] {
    let date = at.to_zoned(TimeZone::UTC).date();
    let iso = date.iso_week_date();
    [
        Bucket::Day {
            year: date.year(),
            month: date.month(),
            day: date.day(),
        },
        Bucket::Week {
            year: iso.year(),
            week: iso.week(),
        },
        Bucket::Month {
            year: date.year(),
            month: date.month(),
        },
    ]
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deletion {
    pub key: String,
    pub database: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeptChain {
    pub database: String,
    pub chain_id: String,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PrunePlan {
    /// Keys to delete, sorted, each once, with the reason. A chain's keys are all here or none.
    pub deletions: Vec<Deletion>,
    pub kept: Vec<KeptChain>,
}

impl PrunePlan {
    pub fn keys(&self) -> BTreeSet<&str> {
        self.deletions.iter().map(|d| d.key.as_str()).collect()
    }
}

/// Which chains of one database the policy keeps, with the reasons, by chain id.
pub fn kept_chains(chains: &[Chain], policy: &RetentionPolicy) -> BTreeMap<String, Vec<String>> {
    let mut kept: BTreeMap<String, Vec<String>> = BTreeMap::new();

    // Protected: the chain of the newest complete FULL, and the chain holding the newest complete
    // artifact (the parent the next DIFF is taken on).
    let newest_full = chains
        .iter()
        .filter_map(|c| {
            c.full()
                .map(|f| ((f.metadata.finished_at, &f.metadata.artifact), c))
        })
        .max_by(|(a, _), (b, _)| a.cmp(b));
    if let Some((_, chain)) = newest_full {
        kept.entry(chain.chain_id.clone())
            .or_default()
            .push("newest complete FULL".to_string());
    }
    let tip = chains
        .iter()
        .filter_map(|c| {
            c.tip()
                .map(|t| ((t.metadata.finished_at, &t.metadata.artifact), c))
        })
        .max_by(|(a, _), (b, _)| a.cmp(b));
    if let Some((_, chain)) = tip {
        kept.entry(chain.chain_id.clone())
            .or_default()
            .push("holds the newest artifact (the next DIFF's parent)".to_string());
    }

    // GFS over restore points.
    let points: Vec<(&Chain, &Artifact)> = chains
        .iter()
        .flat_map(|c| c.restore_points().map(move |a| (c, a)))
        .collect();
    for (slot, allowance) in [
        (0usize, policy.daily),
        (1, policy.weekly),
        (2, policy.monthly),
    ] {
        // Newest restore point per bucket.
        let mut newest: BTreeMap<Bucket, (&Chain, &Artifact)> = BTreeMap::new();
        for &(chain, artifact) in &points {
            let bucket = buckets_of(artifact.metadata.finished_at)[slot];
            let replace = newest.get(&bucket).is_none_or(|(_, best)| {
                (best.metadata.finished_at, &best.metadata.artifact)
                    < (artifact.metadata.finished_at, &artifact.metadata.artifact)
            });
            if replace {
                newest.insert(bucket, (chain, artifact));
            }
        }
        for (bucket, (chain, artifact)) in newest.iter().rev().take(allowance as usize) {
            kept.entry(chain.chain_id.clone())
                .or_default()
                .push(format!("{bucket}: {}", artifact.metadata.artifact));
        }
    }
    kept
}

/// The prune plan for a whole catalogue at `now`.
pub fn plan(catalogue: &Catalogue, policy: &RetentionPolicy, now: Timestamp) -> PrunePlan {
    let mut out = PrunePlan::default();
    for (database, chains) in &catalogue.chains {
        let kept = kept_chains(chains, policy);
        for chain in chains {
            if let Some(reasons) = kept.get(&chain.chain_id) {
                out.kept.push(KeptChain {
                    database: database.clone(),
                    chain_id: chain.chain_id.clone(),
                    reasons: reasons.clone(),
                });
                continue;
            }
            let reason = if chain.full().is_none() {
                format!("chain {} has no complete FULL", chain.chain_id)
            } else {
                format!("chain {} is outside the retention policy", chain.chain_id)
            };
            for a in &chain.artifacts {
                let keys = [
                    Some(&a.artifact_key),
                    Some(&a.marker_key),
                    a.verification_key.as_ref(),
                ];
                for key in keys.into_iter().flatten() {
                    out.deletions.push(Deletion {
                        key: key.clone(),
                        database: database.clone(),
                        reason: reason.clone(),
                    });
                }
            }
        }
    }
    // A kept chain spans its artifact names from the FULL (the chain id) to its newest artifact;
    // neo4j-admin names sort by time within a database. An artifact blob in that span whose marker
    // is missing or damaged may be a link of the kept chain (a DIFF's parent): it stays, since a
    // marker can be rewritten but the bytes cannot.
    let kept_spans: Vec<(&str, &str, &str)> = catalogue
        .all_chains()
        .filter(|c| {
            out.kept
                .iter()
                .any(|k| k.database == c.database && k.chain_id == c.chain_id)
        })
        .filter_map(|c| {
            c.tip().map(|t| {
                (
                    c.database.as_str(),
                    c.chain_id.as_str(),
                    t.metadata.artifact.as_str(),
                )
            })
        })
        .collect();
    for leftover in &catalogue.leftovers {
        if now.duration_since(leftover.last_modified) < policy.grace {
            continue;
        }
        let in_kept_span = kept_spans.iter().any(|(db, first, last)| {
            *db == leftover.database
                && *first <= leftover.artifact.as_str()
                && leftover.artifact.as_str() <= *last
        });
        if in_kept_span
            && matches!(
                leftover.problem,
                LeftoverProblem::MissingMarker | LeftoverProblem::BadMarker(_)
            )
        {
            continue;
        }
        let reason = match &leftover.problem {
            LeftoverProblem::MissingMarker => "artifact without marker (interrupted upload)".into(),
            LeftoverProblem::MissingArtifact => "marker without artifact".into(),
            LeftoverProblem::BadMarker(why) => format!("marker does not match: {why}"),
            LeftoverProblem::StrayVerification => "verification record without artifact".into(),
            // Keys the layout does not name are not ours to delete.
            LeftoverProblem::Unknown => continue,
        };
        out.deletions.push(Deletion {
            key: leftover.key.clone(),
            database: leftover.database.clone(),
            reason,
        });
    }
    out.deletions.sort_by(|a, b| a.key.cmp(&b.key));
    out.deletions.dedup_by(|a, b| a.key == b.key);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn iso_week_crosses_the_year() {
        // 2026-12-31 is a Thursday of ISO week 2026-W53; 2027-01-01 is in the same week.
        assert_eq!(
            buckets_of(ts("2026-12-31T23:00:00Z"))[1],
            buckets_of(ts("2027-01-01T01:00:00Z"))[1]
        );
        assert_eq!(
            buckets_of(ts("2027-01-01T01:00:00Z"))[1],
            Bucket::Week {
                year: 2026,
                week: 53
            }
        );
        assert_ne!(
            buckets_of(ts("2026-12-31T23:00:00Z"))[2],
            buckets_of(ts("2027-01-01T01:00:00Z"))[2]
        );
    }

    #[test]
    fn bucket_display_is_readable() {
        let [d, w, m] = buckets_of(ts("2026-03-05T10:00:00Z"));
        assert_eq!(d.to_string(), "daily 2026-03-05");
        assert_eq!(w.to_string(), "weekly 2026-W10");
        assert_eq!(m.to_string(), "monthly 2026-03");
    }
}
