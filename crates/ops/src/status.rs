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
