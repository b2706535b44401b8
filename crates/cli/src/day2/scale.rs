//! `neo4j-aks scale`: check a new member count against every rule before anything changes, and
//! say what a scale-down will remove.

use kube::ResourceExt;
use neo4j_aks_model::{Invalid, Neo4jCluster, ValidatedCluster, Warning};
use serde_json::json;

use super::CONFIRM_SCALE_DOWN_ANNOTATION;

/// The smallest clustered size; the operator's planner refuses to go below it, too.
pub const MIN_CLUSTER_MEMBERS: i32 = neo4j_aks_model::api::members::MIN_CLUSTER_MEMBERS as i32;

/// A scale that passed every check.
#[derive(Debug, PartialEq)]
pub struct ScaleRequest {
    /// The larger of `spec.nodeCount` and the members that run.
    pub current: i32,
    pub target: i32,
    /// Members a scale-down removes, highest ordinal first, with the claims that stay.
    pub removed: Vec<Removed>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, PartialEq)]
pub struct Removed {
    pub pod: String,
    pub pvc: String,
}

/// Checks `target` against the live object: the scale-down floor first, then the whole
/// Neo4jCluster re-validated with the new count, so every rule of `validate` applies.
pub fn decide(cluster: &Neo4jCluster, target: i32) -> Result<ScaleRequest, Invalid> {
    let spec_count = cluster.spec.node_count.unwrap_or(0);
    let running = cluster
        .status
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(0);
    let current = spec_count.max(running);
    if current >= MIN_CLUSTER_MEMBERS && target < MIN_CLUSTER_MEMBERS {
        return Err(Invalid::single(
            "spec.nodeCount",
            format!(
                "{target} would take a {current}-member cluster below {MIN_CLUSTER_MEMBERS} members: fewer than 3 primaries cannot keep a quorum when one fails, and a cluster cannot become a standalone server; use 3 to {current}"
            ),
        ));
    }
    let mut candidate = cluster.clone();
    candidate.spec.node_count = Some(target);
    let validated: ValidatedCluster = neo4j_aks_model::validate(&candidate)?;
    let removed = (target..current)
        .rev()
        .map(|ordinal| Removed {
            pod: validated.pod_name(ordinal),
            pvc: validated.pvc_name(ordinal),
        })
        .collect();
    Ok(ScaleRequest {
        current,
        target,
        removed,
        warnings: validated.warnings,
    })
}

impl ScaleRequest {
    pub fn is_scale_down(&self) -> bool {
        !self.removed.is_empty()
    }

    /// The consent annotation this request leaves behind: the target for a scale-down, none
    /// otherwise, so that an old consent cannot confirm a later, unrelated shrink.
    fn consent(&self) -> Option<String> {
        self.is_scale_down().then(|| self.target.to_string())
    }

    /// Whether the object already says what this request would write (running the command
    /// again then only follows).
    pub fn already_written(&self, cluster: &Neo4jCluster) -> bool {
        let consent = cluster
            .annotations()
            .get(CONFIRM_SCALE_DOWN_ANNOTATION)
            .map(|v| v.trim().to_string());
        let matches = match self.consent() {
            Some(wanted) => consent == Some(wanted),
            // A consent to the count the cluster already has confirms nothing smaller.
            None => consent.is_none_or(|c| c == self.target.to_string()),
        };
        cluster.spec.node_count == Some(self.target) && matches
    }

    /// The one merge patch: the new count and the consent (set or removed), conditional on the
    /// version that was checked.
    pub fn patch(&self, resource_version: Option<&str>) -> serde_json::Value {
        json!({
            "metadata": {
                "resourceVersion": resource_version,
                "annotations": {CONFIRM_SCALE_DOWN_ANNOTATION: self.consent()},
            },
            "spec": {"nodeCount": self.target},
        })
    }

    /// What a scale-down will do, for people deciding whether to pass `--yes`.
    pub fn explain(&self, name: &str) -> String {
        let mut text = format!(
            "scaling {name} down from {} to {} members removes {} member(s), highest ordinal first, one at a time:\n",
            self.current,
            self.target,
            self.removed.len()
        );
        for r in &self.removed {
            text.push_str(&format!(
                "  {}: its server is deallocated (Neo4j moves its database copies to the other members), then dropped; the pod goes away; PVC {} is kept\n",
                r.pod, r.pvc
            ));
        }
        text.push_str(
            "The operator takes each step only while every database keeps a quorum of its primaries, and refuses (status nextStep Refuse) otherwise.\n\
             The kept PVCs still hold data and still cost money; delete them yourself once you no longer need them.\n",
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day2::fixtures::{cluster, healthy, status};

    fn paths(invalid: &Invalid) -> Vec<&str> {
        invalid.problems.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn scale_up_is_checked_and_patched_without_confirmation() {
        let request = decide(&healthy(3), 5).expect("valid");
        assert_eq!((request.current, request.target), (3, 5));
        assert!(!request.is_scale_down());
        assert_eq!(
            request.patch(Some("100")),
            json!({
                "metadata": {"resourceVersion": "100", "annotations": {CONFIRM_SCALE_DOWN_ANNOTATION: null}},
                "spec": {"nodeCount": 5},
            })
        );
    }

    #[test]
    fn scale_down_removes_the_highest_ordinals_first_and_keeps_their_claims() {
        let request = decide(&healthy(5), 3).expect("valid");
        assert_eq!(
            request.removed,
            [
                Removed {
                    pod: "db-4".into(),
                    pvc: "data-db-4".into()
                },
                Removed {
                    pod: "db-3".into(),
                    pvc: "data-db-3".into()
                },
            ]
        );
        assert_eq!(
            request.patch(Some("100")),
            json!({
                "metadata": {"resourceVersion": "100", "annotations": {CONFIRM_SCALE_DOWN_ANNOTATION: "3"}},
                "spec": {"nodeCount": 3},
            })
        );
        let text = request.explain("db");
        assert!(
            text.starts_with("scaling db down from 5 to 3 members removes 2 member(s)"),
            "{text}"
        );
        let db4 = text.find("db-4: its server is deallocated").expect("db-4");
        let db3 = text.find("db-3: its server").expect("db-3");
        assert!(
            db4 < db3 && text.contains("PVC data-db-4 is kept"),
            "{text}"
        );
    }

    #[test]
    fn a_pending_scale_down_counts_the_members_that_still_run() {
        let mut c = healthy(5);
        c.spec.node_count = Some(4);
        let request = decide(&c, 3).expect("valid");
        assert_eq!(request.current, 5);
        assert_eq!(request.removed.len(), 2);
    }

    #[test]
    fn below_three_is_refused_before_validation() {
        for target in [0, 1, 2] {
            let invalid = decide(&healthy(3), target).expect_err("refused");
            assert_eq!(paths(&invalid), ["spec.nodeCount"]);
            assert!(
                invalid.problems[0].message.contains("below 3 members"),
                "{invalid}"
            );
        }
    }

    #[test]
    fn every_rule_of_the_spec_applies_with_its_field_path() {
        let invalid = decide(&healthy(3), 11).expect_err("too many");
        assert_eq!(paths(&invalid), ["spec.nodeCount"]);
        // A problem elsewhere in the live spec is reported too, all at once.
        let mut c = healthy(3);
        c.spec.accept_license_agreement = None;
        let invalid = decide(&c, 12).expect_err("two problems");
        assert_eq!(invalid.problems.len(), 2, "{invalid}");
        assert!(paths(&invalid).contains(&"spec.acceptLicenseAgreement"));
    }

    #[test]
    fn an_even_count_warns() {
        let request = decide(&cluster(3), 4).expect("valid");
        assert!(
            request.warnings.iter().any(|w| w.path == "spec.nodeCount"),
            "{:?}",
            request.warnings
        );
        let mut c = cluster(3);
        status(&mut c).replicas = None;
        assert!(decide(&c, 3).expect("valid").removed.is_empty());
    }

    #[test]
    fn running_again_writes_nothing_and_an_old_consent_is_removed() {
        let mut c = healthy(5);
        c.spec.node_count = Some(3);
        c.annotations_mut()
            .insert(CONFIRM_SCALE_DOWN_ANNOTATION.into(), "3".into());
        assert!(decide(&c, 3).expect("valid").already_written(&c));
        // Scaled down; later up again: the consent to 3 must not outlive the request.
        let mut c = healthy(3);
        c.annotations_mut()
            .insert(CONFIRM_SCALE_DOWN_ANNOTATION.into(), "3".into());
        let up = decide(&c, 5).expect("valid");
        assert!(!up.already_written(&c));
        assert_eq!(
            up.patch(None)["metadata"]["annotations"][CONFIRM_SCALE_DOWN_ANNOTATION],
            serde_json::Value::Null
        );
        // At 3 with the consent to 3 from the finished scale-down: nothing to write.
        assert!(decide(&c, 3).expect("valid").already_written(&c));
        c.annotations_mut()
            .insert(CONFIRM_SCALE_DOWN_ANNOTATION.into(), "4".into());
        assert!(!decide(&c, 3).expect("valid").already_written(&c));
    }
}
