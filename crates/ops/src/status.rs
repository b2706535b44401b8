//! The Neo4jCluster status: computed from the outcome of a reconcile, written only when it
//! differs from what the object already says (so a quiet resync writes nothing).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use neo4j_aks_model::{Invalid, Neo4jClusterStatus};

use crate::apply::{Action, Change};
use crate::observe::Observed;
use crate::prepare::Findings;

pub const SPEC_VALID: &str = "SpecValid";
pub const READY: &str = "Ready";
pub const PROGRESSING: &str = "Progressing";
pub const DEGRADED: &str = "Degraded";
pub const SCALE_DOWN_PENDING: &str = "ScaleDownPending";
pub const VOLUME_EXPANSION: &str = "VolumeExpansion";

/// How the reconcile went.
pub enum Outcome<'a> {
    /// Validation (alone or against the live state) refused the spec; nothing was applied.
    Invalid(&'a Invalid),
    /// The objects were applied (or the apply failed with `error`) and the members observed.
    Applied {
        findings: &'a Findings,
        changes: &'a [Change],
        observed: &'a Observed,
        /// `(kind, message)` of a failure after which the members were still observed.
        error: Option<(&'static str, String)>,
    },
    /// The reconcile failed before anything could be observed.
    Failed { kind: &'static str, message: String },
}

struct Builder<'a> {
    generation: Option<i64>,
    previous: Option<&'a Neo4jClusterStatus>,
    conditions: Vec<Condition>,
}

impl Builder<'_> {
    fn set(&mut self, type_: &str, status: bool, reason: &str, message: String) {
        let status = if status { "True" } else { "False" }.to_string();
        let since = self
            .previous
            .and_then(|p| p.conditions.iter().find(|c| c.type_ == type_))
            .filter(|c| c.status == status)
            .map(|c| c.last_transition_time.clone())
            .unwrap_or_else(|| Time(Timestamp::now()));
        self.conditions.push(Condition {
            type_: type_.to_string(),
            status,
            reason: reason.to_string(),
            message,
            last_transition_time: since,
            observed_generation: self.generation,
        });
    }

    /// The previous condition of this type, unchanged (when this reconcile learned nothing new).
    fn keep(&mut self, type_: &str) {
        if let Some(c) = self
            .previous
            .and_then(|p| p.conditions.iter().find(|c| c.type_ == type_))
        {
            self.conditions.push(c.clone());
        }
    }
}

/// The new status; `selector` is the pod selector for the scale subresource.
pub fn compute(
    generation: Option<i64>,
    previous: Option<&Neo4jClusterStatus>,
    selector: Option<String>,
    outcome: Outcome<'_>,
) -> Neo4jClusterStatus {
    let mut b = Builder {
        generation,
        previous,
        conditions: Vec::new(),
    };
    let mut status = previous.cloned().unwrap_or_default();
    status.observed_generation = generation;
    if selector.is_some() {
        status.selector = selector;
    }
    let was_ready_once = previous
        .and_then(|p| p.phase.as_deref())
        .is_some_and(|p| !matches!(p, "Pending" | "Creating"));
    match outcome {
        Outcome::Invalid(invalid) => {
            let message = invalid
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            b.set(SPEC_VALID, false, "Invalid", message);
            for t in [
                READY,
                PROGRESSING,
                DEGRADED,
                SCALE_DOWN_PENDING,
                VOLUME_EXPANSION,
            ] {
                b.keep(t);
            }
            status.phase = Some("Invalid".into());
        }
        Outcome::Failed { kind, message } => {
            b.keep(SPEC_VALID);
            b.keep(READY);
            b.keep(PROGRESSING);
            b.set(DEGRADED, true, kind, message);
            b.keep(SCALE_DOWN_PENDING);
            b.keep(VOLUME_EXPANSION);
            status.phase = Some("Degraded".into());
        }
        Outcome::Applied {
            findings,
            changes,
            observed,
            error,
        } => {
            b.set(SPEC_VALID, true, "Valid", "the spec is valid".into());
            let sts_spec = observed.statefulset.as_ref().and_then(|s| s.spec.as_ref());
            let sts_status = observed
                .statefulset
                .as_ref()
                .and_then(|s| s.status.as_ref());
            let want = sts_spec.and_then(|s| s.replicas).unwrap_or(0);
            let ready = observed.ready_members();
            let count = observed.members.len() as i32;
            let all_ready = want > 0 && ready == want && count == want;
            b.set(
                READY,
                all_ready,
                if all_ready {
                    "AllMembersReady"
                } else {
                    "MembersNotReady"
                },
                format!("{ready} of {want} members ready"),
            );
            let rolling = sts_status.is_some_and(|s| {
                s.updated_replicas.unwrap_or(0) < want
                    || s.update_revision.is_some() && s.current_revision != s.update_revision
                    || s.observed_generation
                        < observed
                            .statefulset
                            .as_ref()
                            .and_then(|s| s.metadata.generation)
            });
            let expanding: Vec<String> = findings
                .expand
                .iter()
                .chain(&observed.expanding)
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let applied = changes
                .iter()
                .any(|c| !matches!(c.action, Action::Conflict(_)));
            let (progressing, reason, message) = if !expanding.is_empty() {
                (
                    true,
                    "ExpandingVolumes",
                    format!(
                        "expanding {} to {}",
                        expanding.join(", "),
                        findings.disk_size
                    ),
                )
            } else if rolling {
                (true, "RollingOut", "the members are being updated".into())
            } else if !all_ready {
                (
                    true,
                    "WaitingForMembers",
                    format!("{ready} of {want} members ready"),
                )
            } else if applied {
                (
                    true,
                    "Applied",
                    format!("{} change(s) applied", changes.len()),
                )
            } else {
                (false, "Converged", "every object matches the spec".into())
            };
            b.set(PROGRESSING, progressing, reason, message);

            let conflicts: Vec<String> = changes
                .iter()
                .filter_map(|c| match &c.action {
                    Action::Conflict(why) => Some(format!("{} {}: {why}", c.kind, c.name)),
                    _ => None,
                })
                .collect();
            let degraded = if let Some((kind, message)) = error {
                Some((kind, message))
            } else if !findings.immutable.is_empty() {
                Some(("ImmutableFieldChanged", findings.immutable.join("; ")))
            } else if !conflicts.is_empty() {
                Some(("StorageClassConflict", conflicts.join("; ")))
            } else {
                None
            };
            match &degraded {
                Some((reason, message)) => b.set(DEGRADED, true, reason, message.clone()),
                None => b.set(
                    DEGRADED,
                    false,
                    "AsExpected",
                    "nothing needs attention".into(),
                ),
            }
            match findings.scale_down_pending {
                Some((spec, live)) => b.set(
                    SCALE_DOWN_PENDING,
                    true,
                    "SafeDeallocationNotImplemented",
                    format!(
                        "spec.nodeCount is {spec} but {live} members run: removing members needs safe server deallocation, which is not implemented yet; nothing was removed"
                    ),
                ),
                None => b.set(SCALE_DOWN_PENDING, false, "None", "no scale-down is pending".into()),
            }
            if expanding.is_empty() {
                b.set(
                    VOLUME_EXPANSION,
                    false,
                    "None",
                    "no volume is being expanded".into(),
                );
            } else {
                b.set(
                    VOLUME_EXPANSION,
                    true,
                    "Expanding",
                    format!("{} requested {}", expanding.join(", "), findings.disk_size),
                );
            }
            status.members = observed.members.clone();
            status.ready_members = Some(ready);
            status.replicas = Some(sts_status.map(|s| s.replicas).unwrap_or(count));
            status.phase = Some(
                if degraded.is_some() {
                    "Degraded"
                } else if all_ready && !progressing {
                    "Ready"
                } else if all_ready {
                    // Ready members, but a rollout or expansion is still going on.
                    "Updating"
                } else if was_ready_once {
                    "Updating"
                } else {
                    "Creating"
                }
                .into(),
            );
        }
    }
    status.conditions = b.conditions;
    status
}

/// Whether the phase counts as converged (the controller then waits for the resync).
pub fn is_settled(status: &Neo4jClusterStatus) -> bool {
    matches!(
        status.phase.as_deref(),
        Some("Ready" | "Invalid" | "Degraded")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec, StatefulSetStatus};
    use neo4j_aks_model::MemberStatus;

    fn observed(want: i32, ready: i32) -> Observed {
        Observed {
            statefulset: Some(StatefulSet {
                spec: Some(StatefulSetSpec {
                    replicas: Some(want),
                    ..StatefulSetSpec::default()
                }),
                status: Some(StatefulSetStatus {
                    replicas: want,
                    updated_replicas: Some(want),
                    ..StatefulSetStatus::default()
                }),
                ..StatefulSet::default()
            }),
            members: (0..want)
                .map(|i| MemberStatus {
                    pod: format!("db-{i}"),
                    ready: i < ready,
                    ..MemberStatus::default()
                })
                .collect(),
            expanding: Vec::new(),
        }
    }

    fn get<'a>(s: &'a Neo4jClusterStatus, t: &str) -> &'a Condition {
        s.conditions.iter().find(|c| c.type_ == t).expect(t)
    }

    #[test]
    fn creating_then_ready_then_unchanged_keeps_transition_times() {
        let f = Findings::default();
        let o = observed(3, 1);
        let first = compute(
            Some(1),
            None,
            Some("sel".into()),
            Outcome::Applied {
                findings: &f,
                changes: &[],
                observed: &o,
                error: None,
            },
        );
        assert_eq!(first.phase.as_deref(), Some("Creating"));
        assert_eq!(get(&first, READY).status, "False");
        let o = observed(3, 3);
        let ready = compute(
            Some(1),
            Some(&first),
            Some("sel".into()),
            Outcome::Applied {
                findings: &f,
                changes: &[],
                observed: &o,
                error: None,
            },
        );
        assert_eq!(ready.phase.as_deref(), Some("Ready"));
        assert_eq!(ready.ready_members, Some(3));
        // Same inputs again: identical status, so nothing is written.
        let again = compute(
            Some(1),
            Some(&ready),
            Some("sel".into()),
            Outcome::Applied {
                findings: &f,
                changes: &[],
                observed: &o,
                error: None,
            },
        );
        assert_eq!(again, ready);
    }

    #[test]
    fn invalid_lists_every_problem_and_keeps_the_rest() {
        let f = Findings::default();
        let o = observed(3, 3);
        let ready = compute(
            Some(1),
            None,
            None,
            Outcome::Applied {
                findings: &f,
                changes: &[],
                observed: &o,
                error: None,
            },
        );
        let invalid = Invalid {
            problems: vec![
                neo4j_aks_model::Problem {
                    path: "spec.nodeCount".into(),
                    message: "2 is refused".into(),
                },
                neo4j_aks_model::Problem {
                    path: "spec.x".into(),
                    message: "unknown".into(),
                },
            ],
        };
        let s = compute(Some(2), Some(&ready), None, Outcome::Invalid(&invalid));
        assert_eq!(s.phase.as_deref(), Some("Invalid"));
        let c = get(&s, SPEC_VALID);
        assert_eq!(c.status, "False");
        assert_eq!(c.message, "spec.nodeCount: 2 is refused; spec.x: unknown");
        assert_eq!(get(&s, READY), get(&ready, READY));
        assert_eq!(s.members, ready.members);
    }

    #[test]
    fn pending_scale_down_and_immutable_changes_are_conditions() {
        let f = Findings {
            scale_down_pending: Some((3, 5)),
            immutable: vec!["spec.storage.className: way out".into()],
            ..Findings::default()
        };
        let o = observed(5, 5);
        let s = compute(
            Some(4),
            None,
            None,
            Outcome::Applied {
                findings: &f,
                changes: &[],
                observed: &o,
                error: None,
            },
        );
        assert_eq!(get(&s, SCALE_DOWN_PENDING).status, "True");
        let d = get(&s, DEGRADED);
        assert_eq!(
            (d.status.as_str(), d.reason.as_str()),
            ("True", "ImmutableFieldChanged")
        );
        assert_eq!(s.phase.as_deref(), Some("Degraded"));
    }
}
