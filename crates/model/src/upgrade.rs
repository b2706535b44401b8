//! Which version changes a running cluster may take (`spec.neo4jVersion`), decided before
//! anything is applied. The roll itself is the day-2 executor's rolling restart: the new image
//! is a new pod-template revision, and members move to it one at a time, leader last, quorum
//! kept (docs/day2/restart.md).
//!
//! The rules (Neo4j Upgrade and Migration Guide, "Upgrade to any Neo4j 2025–2026 version" and
//! its in-place rolling upgrade page; Operations Manual 5.x, "Moving from discovery service v1
//! to v2"):
//! * 5.26 patch to a later 5.26 patch, and a calendar version to a later one: allowed.
//! * 5.26 to a calendar version: only from the newest 5.26 patch ([`NEWEST_5_26_PATCH`]) and
//!   only when the cluster runs discovery v2 only (2025.01 removed discovery v1).
//! * Any version older than one a member runs: refused. Neo4j has no downgrade path; an older
//!   version comes back only by restoring a backup into a new cluster.

use crate::version::Neo4jVersion;

/// The newest 5.26 patch this build knows: the Operations Manual's 5.x branch names 5.26.29 as
/// its exact version (shared reference, neo4j-on-kubernetes.md, source `DOC5`).
pub const NEWEST_5_26_PATCH: u32 = 29;

/// The field every refusal names.
pub const FIELD: &str = "spec.neo4jVersion";

/// What the members run now, as far as the operator can see it.
#[derive(Clone, Debug, Default)]
pub struct Running {
    /// `(pod, version)` of every member pod whose version is known.
    pub members: Vec<(String, Neo4jVersion)>,
    /// `Some(true)` when the live neo4j.conf runs discovery v2 only, `Some(false)` when it does
    /// not, `None` for a standalone server or when no configuration exists yet.
    pub discovery_v2_only: Option<bool>,
}

/// A version change in progress, for the status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upgrade {
    /// Versions still running that differ from the target, oldest first.
    pub from: Vec<String>,
    pub to: String,
    /// Pods already on the target.
    pub upgraded: Vec<String>,
    /// Pods still on another version.
    pub remaining: Vec<String>,
    /// A 5.26 → calendar-version upgrade (the configuration dialect changes).
    pub crosses_lines: bool,
}

/// Whether neo4j.conf text makes a 5.26 member run discovery v2 only
/// (`dbms.cluster.discovery.version=V2_ONLY`; 5.26 defaults to `V1_ONLY`).
pub fn discovery_v2_only(conf: &str) -> bool {
    conf.lines()
        .rev()
        .filter_map(|line| line.split_once('='))
        .find(|(key, _)| key.trim() == "dbms.cluster.discovery.version")
        .is_some_and(|(_, value)| value.trim() == "V2_ONLY")
}

/// `Ok(None)`: nothing to upgrade (every known member runs `target`, or none is known);
/// `Ok(Some(upgrade))`: an allowed change, still rolling; `Err(messages)`: refused, every reason,
/// each a sentence for [`FIELD`].
pub fn check(running: &Running, target: &Neo4jVersion) -> Result<Option<Upgrade>, Vec<String>> {
    let mut versions: Vec<&Neo4jVersion> = running.members.iter().map(|(_, v)| v).collect();
    versions.sort_by_key(|v| v.triple());
    versions.dedup_by_key(|v| v.triple());
    let pods_on = |version: &Neo4jVersion| {
        running
            .members
            .iter()
            .filter(|(_, v)| v.triple() == version.triple())
            .map(|(pod, _)| pod.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut problems = Vec::new();
    for from in versions
        .iter()
        .copied()
        .filter(|v| v.triple() != target.triple())
    {
        if from.triple() > target.triple() {
            let across = if from.is_lts_5_26() == target.is_lts_5_26() {
                ""
            } else {
                " (from a calendar version back to the 5.26 line)"
            };
            problems.push(format!(
                "{target} is older than {from}, which {} run{across}; Neo4j has no downgrade path (the stores may already be upgraded): set {from} again, or restore a backup of the older version into a new cluster (docs/runbooks/restore-cluster.md)",
                pods_on(from)
            ));
        } else if from.is_lts_5_26() && !target.is_lts_5_26() {
            let (_, _, patch) = from.triple();
            if patch < NEWEST_5_26_PATCH {
                problems.push(format!(
                    "{target} is a calendar version and {} run {from}; an upgrade from 5.26 to 2025.01 or later starts only from the newest 5.26 patch: set 5.26.{NEWEST_5_26_PATCH} first, let it roll, then {target}",
                    pods_on(from)
                ));
            }
            if running.discovery_v2_only == Some(false) {
                problems.push(format!(
                    "{target} is a calendar version, which has no discovery v1, and the running configuration does not set dbms.cluster.discovery.version=V2_ONLY; finish the move to discovery v2 on 5.26 first (Operations Manual, \"Moving from discovery service v1 to v2\")"
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let remaining: Vec<String> = running
        .members
        .iter()
        .filter(|(_, v)| v.triple() != target.triple())
        .map(|(pod, _)| pod.clone())
        .collect();
    if remaining.is_empty() {
        return Ok(None);
    }
    Ok(Some(Upgrade {
        from: versions
            .iter()
            .filter(|v| v.triple() != target.triple())
            .map(|v| v.to_string())
            .collect(),
        to: target.to_string(),
        upgraded: running
            .members
            .iter()
            .filter(|(_, v)| v.triple() == target.triple())
            .map(|(pod, _)| pod.clone())
            .collect(),
        crosses_lines: versions
            .iter()
            .any(|v| v.is_lts_5_26() != target.is_lts_5_26()),
        remaining,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Neo4jVersion {
        Neo4jVersion::parse(text).expect("a valid version")
    }

    fn running(members: &[(&str, &str)], v2: Option<bool>) -> Running {
        Running {
            members: members.iter().map(|(p, x)| (p.to_string(), v(x))).collect(),
            discovery_v2_only: v2,
        }
    }

    #[test]
    fn the_same_version_or_no_member_is_nothing_to_do() {
        let r = running(&[("db-0", "5.26.16"), ("db-1", "5.26.16")], Some(true));
        assert_eq!(check(&r, &v("5.26.16")), Ok(None));
        assert_eq!(check(&Running::default(), &v("2025.10.1")), Ok(None));
    }

    #[test]
    fn patches_and_calendar_versions_move_forward() {
        let r = running(&[("db-0", "5.26.16"), ("db-1", "5.26.17")], Some(true));
        let up = check(&r, &v("5.26.17")).expect("allowed").expect("rolling");
        assert_eq!(up.from, ["5.26.16"]);
        assert_eq!(up.upgraded, ["db-1"]);
        assert_eq!(up.remaining, ["db-0"]);
        assert!(!up.crosses_lines);
        let r = running(&[("db-0", "2025.07.1")], None);
        assert!(check(&r, &v("2025.10.1")).expect("allowed").is_some());
    }

    #[test]
    fn into_the_calendar_line_only_from_the_newest_patch_with_discovery_v2() {
        let newest = format!("5.26.{NEWEST_5_26_PATCH}");
        let r = running(&[("db-0", &newest), ("db-1", &newest)], Some(true));
        let up = check(&r, &v("2025.10.1"))
            .expect("allowed")
            .expect("rolling");
        assert!(up.crosses_lines);
        // Mid-roll, the same target stays allowed.
        let r = running(&[("db-0", &newest), ("db-1", "2025.10.1")], Some(true));
        assert!(check(&r, &v("2025.10.1")).is_ok());

        let r = running(&[("db-0", "5.26.16")], Some(true));
        let refused = check(&r, &v("2025.10.1")).expect_err("refused");
        assert_eq!(refused.len(), 1);
        assert!(refused[0].contains(&format!("set 5.26.{NEWEST_5_26_PATCH} first")));
        assert!(refused[0].contains("db-0"));

        // Every reason at once.
        let r = running(&[("db-0", "5.26.16")], Some(false));
        let refused = check(&r, &v("2025.10.1")).expect_err("refused");
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(refused[1].contains("V2_ONLY"));
    }

    #[test]
    fn downgrades_are_refused_within_and_across_lines() {
        let r = running(&[("db-0", "2025.10.1"), ("db-1", "2025.10.1")], None);
        let refused = check(&r, &v(&format!("5.26.{NEWEST_5_26_PATCH}"))).expect_err("refused");
        assert!(refused[0].contains("back to the 5.26 line"), "{refused:?}");
        assert!(refused[0].contains("db-0, db-1"));
        let r = running(&[("db-0", "2025.10.1")], None);
        assert!(check(&r, &v("2025.07.1")).is_err());
        let r = running(&[("db-0", "5.26.17")], Some(true));
        assert!(check(&r, &v("5.26.16")).is_err());
        // Mid-roll, going back below what some members already run is a downgrade for them.
        let r = running(&[("db-0", "5.26.16"), ("db-1", "5.26.17")], Some(true));
        assert!(check(&r, &v("5.26.16")).is_err());
    }

    #[test]
    fn discovery_v2_only_reads_the_last_setting() {
        assert!(discovery_v2_only(
            "a=b\ndbms.cluster.discovery.version=V2_ONLY\n"
        ));
        assert!(!discovery_v2_only(
            "dbms.cluster.discovery.version=V1_ONLY\n"
        ));
        assert!(!discovery_v2_only("server.x=1\n"));
        assert!(!discovery_v2_only(
            "dbms.cluster.discovery.version=V2_ONLY\ndbms.cluster.discovery.version=V2_OVER_V1\n"
        ));
    }
}
