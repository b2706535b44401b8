//! Retention over random backup histories: the kept set is exactly what the policy says (checked
//! against a separate, simpler reference), no kept DIFF loses its parent, the newest FULL chain and
//! the chain a next DIFF would extend always stay, and pruning twice deletes nothing more.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use neo4j_aks_backup::catalogue::{
    ArtifactMetadata, BackupKind, Catalogue, ListedObject, MARKER_FORMAT, MarkerContent,
};
use neo4j_aks_backup::layout::BlobLayout;
use neo4j_aks_backup::retention::{self, RetentionPolicy};
use proptest::prelude::*;

const CLUSTER: &str = "graph";

/// One artifact of the generated history, with the truth about it.
#[derive(Clone, Debug)]
struct Truth {
    database: String,
    artifact: String,
    kind: BackupKind,
    chain_id: String,
    parent: Option<String>,
    finished_at: Timestamp,
    has_marker: bool,
}

#[derive(Clone, Debug)]
enum Step {
    Full,
    Diff,
    /// The agent died between the artifact and its marker.
    Interrupted,
    /// Some earlier artifact's marker is lost (manual deletion, damage).
    LoseMarker(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Full),
        6 => Just(Step::Diff),
        1 => Just(Step::Interrupted),
        1 => any::<usize>().prop_map(Step::LoseMarker),
    ]
}

fn history() -> impl Strategy<Value = Vec<(u8, u32, Step)>> {
    // (database index, gap in minutes since the previous run, what happened)
    prop::collection::vec((0u8..2, 30u32..(60 * 24 * 45), step()), 0..60)
}

fn policy() -> impl Strategy<Value = RetentionPolicy> {
    (0u32..9, 0u32..6, 0u32..14, 0i64..72).prop_map(|(daily, weekly, monthly, grace_h)| {
        RetentionPolicy {
            daily,
            weekly,
            monthly,
            grace: SignedDuration::from_hours(grace_h),
        }
    })
}

/// Plays the history the way the agent would: a DIFF extends the newest complete artifact of its
/// database when that one is restorable, otherwise neo4j-admin takes a FULL.
fn play(steps: &[(u8, u32, Step)]) -> Vec<Truth> {
    let mut at: Timestamp = "2026-01-01T00:00:00Z".parse().expect("start");
    let mut out: Vec<Truth> = Vec::new();
    for (db, gap, step) in steps {
        at += SignedDuration::from_mins(i64::from(*gap));
        let database = ["neo4j", "sales"][usize::from(*db)].to_string();
        let artifact = format!(
            "{database}-{}.backup",
            at.to_zoned(TimeZone::UTC).strftime("%Y-%m-%dT%H-%M-%S")
        );
        let restorable = restorable_set(&out);
        let tip = out
            .iter()
            .filter(|t| t.database == database && t.has_marker)
            .max_by_key(|t| t.finished_at)
            .cloned();
        match step {
            Step::LoseMarker(i) => {
                if !out.is_empty() {
                    let n = out.len();
                    out[i % n].has_marker = false;
                }
            }
            Step::Full | Step::Diff | Step::Interrupted => {
                let diff_parent = tip.filter(|t| {
                    matches!(step, Step::Diff | Step::Interrupted)
                        && restorable.contains(&(t.database.clone(), t.artifact.clone()))
                });
                let (kind, chain_id, parent) = match diff_parent {
                    Some(p) => (
                        BackupKind::Diff,
                        p.chain_id.clone(),
                        Some(p.artifact.clone()),
                    ),
                    None => (BackupKind::Full, artifact.clone(), None),
                };
                out.push(Truth {
                    database,
                    artifact,
                    kind,
                    chain_id,
                    parent,
                    finished_at: at,
                    has_marker: !matches!(step, Step::Interrupted),
                });
            }
        }
    }
    out
}

/// (database, artifact) of every restorable artifact: FULL with marker, or DIFF with marker
/// whose parent is restorable.
fn restorable_set(truth: &[Truth]) -> BTreeSet<(String, String)> {
    let mut ok = BTreeSet::new();
    let mut sorted: Vec<&Truth> = truth.iter().collect();
    sorted.sort_by_key(|t| t.finished_at);
    for t in sorted {
        let good = t.has_marker
            && match &t.parent {
                None => true,
                Some(p) => ok.contains(&(t.database.clone(), p.clone())),
            };
        if good {
            ok.insert((t.database.clone(), t.artifact.clone()));
        }
    }
    ok
}

fn keys(t: &Truth) -> (String, String) {
    let layout = BlobLayout::new("backups").expect("prefix");
    (
        layout
            .artifact_key(CLUSTER, &t.database, &t.artifact)
            .expect("key"),
        layout
            .marker_key(CLUSTER, &t.database, &t.artifact)
            .expect("key"),
    )
}

/// The store as listed: blobs (size 100, modified at the run's end) and markers.
fn store_of(truth: &[Truth]) -> (Vec<ListedObject>, BTreeMap<String, MarkerContent>) {
    let mut listing = Vec::new();
    let mut markers = BTreeMap::new();
    for t in truth {
        let (artifact_key, marker_key) = keys(t);
        listing.push(ListedObject {
            key: artifact_key,
            size: 100,
            last_modified: t.finished_at,
        });
        if t.has_marker {
            listing.push(ListedObject {
                key: marker_key.clone(),
                size: 10,
                last_modified: t.finished_at,
            });
            markers.insert(
                marker_key,
                Ok(ArtifactMetadata {
                    format: MARKER_FORMAT,
                    artifact: t.artifact.clone(),
                    cluster: CLUSTER.into(),
                    database: t.database.clone(),
                    kind: t.kind,
                    chain_id: t.chain_id.clone(),
                    parent: t.parent.clone(),
                    started_at: t.finished_at - SignedDuration::from_mins(5),
                    finished_at: t.finished_at,
                    neo4j_version: "5.26.12".into(),
                    members: vec!["graph-0".into()],
                    size_bytes: 100,
                    sha256: "00".repeat(32),
                    counts: None,
                }),
            );
        }
    }
    (listing, markers)
}

fn catalogue_of(listing: &[ListedObject], markers: &BTreeMap<String, MarkerContent>) -> Catalogue {
    Catalogue::assemble(
        &BlobLayout::new("backups").expect("prefix"),
        CLUSTER,
        listing,
        markers,
        &BTreeMap::new(),
    )
}

/// The reference: which chains (database, chain id) the policy keeps, computed from the truth with
/// strftime bucket names rather than the crate's bucket type.
fn reference_kept(truth: &[Truth], policy: &RetentionPolicy) -> BTreeSet<(String, String)> {
    let restorable = restorable_set(truth);
    let mut kept = BTreeSet::new();
    let databases: BTreeSet<&str> = truth.iter().map(|t| t.database.as_str()).collect();
    for db in databases {
        let mine: Vec<&Truth> = truth.iter().filter(|t| t.database == db).collect();
        // Newest FULL with a marker, and the newest artifact with a marker.
        if let Some(f) = mine
            .iter()
            .filter(|t| t.kind == BackupKind::Full && t.has_marker)
            .max_by_key(|t| t.finished_at)
        {
            kept.insert((db.to_string(), f.chain_id.clone()));
        }
        if let Some(t) = mine
            .iter()
            .filter(|t| t.has_marker)
            .max_by_key(|t| t.finished_at)
        {
            kept.insert((db.to_string(), t.chain_id.clone()));
        }
        let points: Vec<&&Truth> = mine
            .iter()
            .filter(|t| restorable.contains(&(t.database.clone(), t.artifact.clone())))
            .collect();
        for (format, n) in [
            ("%Y-%m-%d", policy.daily),
            ("%G-W%V", policy.weekly),
            ("%Y-%m", policy.monthly),
        ] {
            let mut newest: BTreeMap<String, &Truth> = BTreeMap::new();
            for p in &points {
                let bucket = p
                    .finished_at
                    .to_zoned(TimeZone::UTC)
                    .strftime(format)
                    .to_string();
                let e = newest.entry(bucket).or_insert(p);
                if p.finished_at > e.finished_at {
                    *e = p;
                }
            }
            for (_, p) in newest.iter().rev().take(n as usize) {
                kept.insert((db.to_string(), p.chain_id.clone()));
            }
        }
    }
    kept
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn prune_keeps_exactly_the_policy_and_never_breaks_a_chain(
        steps in history(),
        policy in policy(),
        after_h in 0i64..96,
    ) {
        let truth = play(&steps);
        let (listing, markers) = store_of(&truth);
        let catalogue = catalogue_of(&listing, &markers);
        let now = truth.iter().map(|t| t.finished_at).max()
            .unwrap_or_else(|| "2026-01-01T00:00:00Z".parse().expect("ts"))
            + SignedDuration::from_hours(after_h);
        let plan = retention::plan(&catalogue, &policy, now);
        let deleted: BTreeSet<String> = plan.deletions.iter().map(|d| d.key.clone()).collect();
        prop_assert_eq!(deleted.len(), plan.deletions.len(), "no key twice");

        // 1. Exactly the policy: an artifact with a marker is deleted iff its chain is not kept.
        let kept = reference_kept(&truth, &policy);
        for t in truth.iter().filter(|t| t.has_marker) {
            let (artifact_key, marker_key) = keys(t);
            let chain_kept = kept.contains(&(t.database.clone(), t.chain_id.clone()));
            prop_assert_eq!(!deleted.contains(&artifact_key), chain_kept, "{} ({:?})", &t.artifact, &plan);
            prop_assert_eq!(!deleted.contains(&marker_key), chain_kept, "{}", &t.artifact);
        }
        let kept_by_plan: BTreeSet<(String, String)> =
            plan.kept.iter().map(|k| (k.database.clone(), k.chain_id.clone())).collect();
        let kept_with_markers: BTreeSet<(String, String)> = kept.iter()
            .filter(|(db, c)| truth.iter().any(|t| &t.database == db && &t.chain_id == c && t.has_marker))
            .cloned().collect();
        prop_assert_eq!(kept_by_plan, kept_with_markers);

        // 2. Leftovers (no marker) go only after the grace period, and never when they lie in a
        //    kept chain's span (FULL name ..= newest artifact name): they may be its links.
        for t in truth.iter().filter(|t| !t.has_marker) {
            let (artifact_key, _) = keys(t);
            let old = now.duration_since(t.finished_at) >= policy.grace;
            let in_kept_span = kept.iter().any(|(db, chain)| {
                let last = truth.iter()
                    .filter(|c| &c.database == db && &c.chain_id == chain && c.has_marker)
                    .map(|c| c.artifact.clone())
                    .max();
                db == &t.database
                    && last.is_some_and(|last| chain <= &t.artifact && t.artifact <= last)
            });
            prop_assert_eq!(deleted.contains(&artifact_key), old && !in_kept_span, "{}", &t.artifact);
        }

        // 3. No kept artifact loses its parent. (Kept: complete and not deleted. A young blob
        //    without a marker is merely not deleted yet; its parent is only protected through
        //    the chain it extends, which the tip rule keeps unless the parent's own marker was
        //    lost meanwhile: then that blob is garbage after the grace period, and so is the
        //    upload that depended on it.)
        for t in truth.iter().filter(|t| t.has_marker) {
            if let Some(parent) = &t.parent
                && !deleted.contains(&keys(t).0)
            {
                let p = truth.iter().find(|p| &p.artifact == parent && p.database == t.database)
                    .expect("parent exists in the history");
                prop_assert!(!deleted.contains(&keys(p).0), "{} kept, parent {} deleted", &t.artifact, parent);
            }
        }

        // 4. The newest complete FULL's chain stays whole, per database.
        for db in ["neo4j", "sales"] {
            if let Some(f) = truth.iter()
                .filter(|t| t.database == db && t.kind == BackupKind::Full && t.has_marker)
                .max_by_key(|t| t.finished_at)
            {
                for t in truth.iter().filter(|t| t.database == db && t.chain_id == f.chain_id && t.has_marker) {
                    prop_assert!(!deleted.contains(&keys(t).0), "newest FULL chain lost {}", &t.artifact);
                }
            }
        }

        // 5. Idempotent: prune the pruned store again and nothing more goes.
        let listing2: Vec<ListedObject> =
            listing.iter().filter(|o| !deleted.contains(&o.key)).cloned().collect();
        let markers2: BTreeMap<String, MarkerContent> =
            markers.iter().filter(|(k, _)| !deleted.contains(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        let again = retention::plan(&catalogue_of(&listing2, &markers2), &policy, now);
        prop_assert!(again.deletions.is_empty(), "second prune deletes {:?}", again.deletions);
    }
}

#[test]
fn default_policy_is_7_daily_4_weekly_12_monthly() {
    let p = RetentionPolicy::default();
    assert_eq!((p.daily, p.weekly, p.monthly), (7, 4, 12));
    assert_eq!(p.grace, SignedDuration::from_hours(24));
}

#[test]
fn a_year_of_nightly_fulls_keeps_the_gfs_set() {
    // One FULL per night at 03:00 for 400 days: 7 dailies, then the newest of each of the last 4
    // ISO weeks and 12 months, overlapping where they coincide.
    let steps: Vec<(u8, u32, Step)> = (0..400).map(|_| (0u8, 24 * 60, Step::Full)).collect();
    let truth = play(&steps);
    let (listing, markers) = store_of(&truth);
    let policy = RetentionPolicy::default();
    let plan = retention::plan(
        &catalogue_of(&listing, &markers),
        &policy,
        truth[399].finished_at,
    );
    let kept: Vec<String> = plan.kept.iter().map(|k| k.chain_id.clone()).collect();
    let reference: Vec<String> = reference_kept(&truth, &policy)
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(kept.len(), reference.len());
    // 7 dailies + older week-ends (up to 3 beyond the dailies) + month-ends (11 beyond the current).
    assert!((19..=22).contains(&kept.len()), "{kept:?}");
    assert_eq!(plan.deletions.len(), 2 * (400 - kept.len()));
}
