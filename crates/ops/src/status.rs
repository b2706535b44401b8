//! The Neo4jCluster status: computed from the outcome of a reconcile, written only when it
//! differs from what the object already says (so a quiet resync writes nothing).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use neo4j_aks_model::{
    DatabaseStatus, Invalid, MemberDatabaseStatus, Neo4jClusterStatus, NextStepStatus,
    ValidatedCluster,
};
use neo4j_aks_topology::observed::ObservedTopology;
use neo4j_aks_topology::planner::Action as StepAction;
use neo4j_aks_topology::records::{DatabaseRole, Health, ServerState};

use crate::day2::Day2;

use crate::apply::{Action, Change};
use crate::member_waits::{ClassLookup, why_not_ready};
use crate::observe::Observed;
use crate::prepare::Findings;

pub const SPEC_VALID: &str = "SpecValid";
pub const READY: &str = "Ready";
pub const PROGRESSING: &str = "Progressing";
pub const DEGRADED: &str = "Degraded";
pub const SCALE_DOWN_PENDING: &str = "ScaleDownPending";
pub const VOLUME_EXPANSION: &str = "VolumeExpansion";
pub const CLUSTER_FORMED: &str = "ClusterFormed";

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
        /// The day-2 executor's findings (clustered specs), with the spec as written.
        day2: Option<(&'a Day2, &'a ValidatedCluster)>,
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
        self.set_to(
            type_,
            if status { "True" } else { "False" },
            reason,
            message,
        );
    }

    fn set_to(&mut self, type_: &str, status: &str, reason: &str, message: String) {
        let status = status.to_string();
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

    /// Like `set_to`, except that a condition whose status and reason stay the same keeps its
    /// message when the two differ only in `detail`, the passing part of an error's text
    /// ([`crate::error::Day2Error::passing_detail`]): otherwise each new wording of the same trouble would be a
    /// status write on every resync. The operator's log has every attempt's error.
    fn set_with_passing_detail(
        &mut self,
        type_: &str,
        status: &str,
        reason: &str,
        message: String,
        detail: Option<&str>,
    ) {
        let same_but_detail = |previous: &str| {
            let Some((before, after)) = detail.and_then(|d| {
                message
                    .find(d)
                    .map(|at| (&message[..at], &message[at + d.len()..]))
            }) else {
                return false;
            };
            previous.len() >= before.len() + after.len()
                && previous.starts_with(before)
                && previous.ends_with(after)
        };
        let kept = self
            .previous
            .and_then(|p| p.conditions.iter().find(|c| c.type_ == type_))
            .filter(|c| c.status == status && c.reason == reason && same_but_detail(&c.message))
            .map(|c| c.message.clone());
        self.set_to(type_, status, reason, kept.unwrap_or(message));
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
                CLUSTER_FORMED,
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
            b.keep(CLUSTER_FORMED);
            status.phase = Some("Degraded".into());
        }
        Outcome::Applied {
            findings,
            changes,
            observed,
            error,
            day2,
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
            // With `OnDelete` the StatefulSet never moves `currentRevision` forward, so the
            // pods at the update revision (`updatedReplicas`) are what tells a rollout.
            let rolling = sts_status.is_some_and(|s| {
                s.updated_replicas.unwrap_or(0) < want
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
                (
                    true,
                    "RollingOut",
                    format!(
                        "the members are being updated{}",
                        member_waits(observed, want)
                    ),
                )
            } else if !all_ready {
                (
                    true,
                    "WaitingForMembers",
                    format!(
                        "{ready} of {want} members ready{}",
                        member_waits(observed, want)
                    ),
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
            // A failure a later reconcile may not see again (a timeout, a leader change) is
            // retried soon and does not degrade the cluster; any other one does.
            let day2_failed = day2
                .and_then(|(d, _)| d.failed.as_ref())
                .filter(|(_, e)| !e.is_transient())
                .map(|(action, e)| format!("{action} failed: {e}"));
            let aborted = day2
                .and_then(|(d, _)| d.step.as_ref())
                .filter(|s| s.action == StepAction::Abort)
                .map(|s| s.reason.clone());
            let degraded = if let Some((kind, message)) = error {
                Some((kind, message))
            } else if let Some(message) = aborted {
                Some(("Day2StepAborted", message))
            } else if let Some(message) = day2_failed {
                Some(("Day2StepFailed", message))
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
            let (pending_reason, pending_message) =
                scale_down_condition(findings, day2.map(|(d, _)| d));
            let passing = day2.and_then(|(d, _)| d.unreachable.as_deref()?.passing_detail());
            b.set_with_passing_detail(
                SCALE_DOWN_PENDING,
                if findings.scale_down_pending.is_some() {
                    "True"
                } else {
                    "False"
                },
                pending_reason,
                pending_message,
                passing,
            );
            if let Some((d, _)) = day2 {
                let (formed, reason, message) = cluster_formed(d);
                b.set_with_passing_detail(CLUSTER_FORMED, formed, reason, message, passing);
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
            match day2 {
                Some((d, spec)) => apply_day2(&mut status, d, spec, previous),
                None => {
                    status.databases = Vec::new();
                    status.next_step = None;
                }
            }
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

/// `ScaleDownPending`'s reason and message: what the planner says about the smaller nodeCount.
fn scale_down_condition(findings: &Findings, day2: Option<&Day2>) -> (&'static str, String) {
    let Some((spec, live)) = findings.scale_down_pending else {
        if findings.retained_claims.is_empty() {
            return ("None", "no scale-down is pending".into());
        }
        return (
            "None",
            format!(
                "no scale-down is pending; the claims of removed members are kept: {} (delete them to release the disks; a member added again must not reuse them, its server was dropped)",
                findings.retained_claims.join(", ")
            ),
        );
    };
    let head = format!("spec.nodeCount is {spec} but {live} members run");
    let Some(d) = day2 else {
        return (
            "Waiting",
            format!("{head}: members are removed one at a time once the cluster is healthy"),
        );
    };
    if let Some(step) = d.step.as_ref() {
        let reason = match step.action {
            StepAction::Refuse => "Refused",
            StepAction::Abort => "Aborted",
            StepAction::DeallocateServer { .. }
            | StepAction::DropServer { .. }
            | StepAction::ScaleStatefulSet { .. } => "Removing",
            _ => "Waiting",
        };
        return (reason, format!("{head}: {}", step.reason));
    }
    if let Some(refused) = &d.scale_down_refused {
        return ("Refused", format!("{head}: {refused}"));
    }
    let why = d
        .unreachable
        .as_ref()
        .map_or_else(|| "no decision yet".to_owned(), ToString::to_string);
    (
        "WaitingForNeo4j",
        format!(
            "{head}: the servers are removed only with Neo4j's view ({why}); nothing was removed"
        ),
    )
}

/// `ClusterFormed`: Unknown while Neo4j cannot be asked; True once every member's server is
/// enabled and available and the system database has a quorum.
fn cluster_formed(d: &Day2) -> (&'static str, &'static str, String) {
    let Some(t) = &d.topology else {
        let why = d
            .unreachable
            .as_ref()
            .map_or_else(|| "not asked".to_owned(), ToString::to_string);
        return (
            "Unknown",
            "Neo4jUnreachable",
            format!("cannot ask Neo4j: {why}"),
        );
    };
    let mut missing = Vec::new();
    for m in t.members.values().filter(|m| m.ordinal < t.replicas) {
        match &m.server {
            None => missing.push(format!(
                "member {} has no server in SHOW SERVERS",
                m.ordinal
            )),
            Some(s) if s.state != ServerState::Enabled => {
                missing.push(format!("member {}'s server is {:?}", m.ordinal, s.state))
            }
            Some(s) if s.health != Health::Available => {
                missing.push(format!("member {}'s server is not available", m.ordinal))
            }
            Some(_) => {}
        }
    }
    if let Some(system) = t.system()
        && !system.has_quorum()
    {
        missing.push("the system database has no quorum".to_owned());
    }
    if missing.is_empty() {
        (
            "True",
            "Formed",
            format!(
                "{} servers enabled and available; the system database has a quorum",
                t.replicas
            ),
        )
    } else {
        ("False", "Forming", missing.join("; "))
    }
}

fn role(role: &DatabaseRole) -> &'static str {
    match role {
        DatabaseRole::Primary => "primary",
        DatabaseRole::Secondary => "secondary",
        DatabaseRole::Unknown => "unknown",
    }
}

fn state_name(state: &ServerState) -> String {
    match state {
        ServerState::Other(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// Neo4j's view into the members and databases, the operation and the planner's decision.
fn apply_day2(
    status: &mut Neo4jClusterStatus,
    d: &Day2,
    spec: &ValidatedCluster,
    previous: Option<&Neo4jClusterStatus>,
) {
    if let Some(operation) = &d.operation {
        status.operation = operation.as_ref().map(|o| o.to_status());
    }
    let pod = |ordinal: u32| spec.pod_name(i32::try_from(ordinal).unwrap_or(i32::MAX));
    match &d.topology {
        Some(t) => {
            for member in &mut status.members {
                let Some(m) = member.ordinal.and_then(|o| t.member(o)) else {
                    continue;
                };
                if let Some(server) = &m.server {
                    member.server_id = Some(server.server_id.clone());
                    member.server_state = Some(state_name(&server.state));
                    member.health = Some(match &server.health {
                        Health::Available => "Available".to_owned(),
                        Health::Unavailable => "Unavailable".to_owned(),
                        Health::Other(_) => "Unknown".to_owned(),
                    });
                }
                member.databases = m
                    .databases
                    .iter()
                    .map(|row| MemberDatabaseStatus {
                        name: row.name.clone(),
                        role: role(&row.role).to_owned(),
                        writer: row.writer,
                        status: row.current_status.clone(),
                        lag: row.replication_lag.map(|_| row.lag()),
                    })
                    .collect();
            }
            status.databases = databases(t, &pod);
        }
        None => status.databases = Vec::new(),
    }
    status.next_step = d.step.as_ref().map(|step| {
        let action = step.action.name().to_owned();
        let at = previous
            .and_then(|p| p.next_step.as_ref())
            .filter(|n| n.action == action && n.reason == step.reason && n.member == step.member)
            .map(|n| n.at.clone())
            .unwrap_or_else(|| Time(Timestamp::now()));
        NextStepStatus {
            action,
            member: step.member,
            reason: step.reason.clone(),
            at,
        }
    });
}

fn databases(t: &ObservedTopology, pod: &dyn Fn(u32) -> String) -> Vec<DatabaseStatus> {
    t.databases
        .values()
        .map(|q| {
            let worst = t
                .members
                .values()
                .flat_map(|m| &m.databases)
                .filter(|row| row.name == q.name)
                .map(|row| row.current_status.as_str())
                .find(|s| *s != "online")
                .unwrap_or("online");
            DatabaseStatus {
                name: q.name.clone(),
                status: worst.to_owned(),
                primaries: q.requested_primaries,
                primaries_available: q.primaries_available,
                quorum: q.has_quorum(),
                leader: q.leader.map(pod),
            }
        })
        .collect()
}

/// Whether the phase counts as converged (the controller then waits for the resync).
/// `; db-0: why; db-2: why` for each wanted member that is not Ready (empty when all are).
fn member_waits(observed: &Observed, want: i32) -> String {
    let sts = observed
        .statefulset
        .as_ref()
        .and_then(|s| s.metadata.name.as_deref());
    let waits: Vec<String> = (0..u32::try_from(want).unwrap_or(0))
        .filter_map(|o| {
            let listed = observed.members.iter().any(|m| m.ordinal == Some(o));
            let why = match observed.waits.get(&o) {
                Some(why) => why.clone(),
                None if listed => return None,
                None => why_not_ready(None, None, ClassLookup::NotNeeded)?,
            };
            Some(match sts {
                Some(sts) => format!("{sts}-{o}: {why}"),
                None => format!("member {o}: {why}"),
            })
        })
        .collect();
    waits.iter().map(|w| format!("; {w}")).collect()
}

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
            pods: Vec::new(),
            expanding: Vec::new(),
            seed_messages: std::collections::BTreeMap::new(),
            waits: std::collections::BTreeMap::new(),
        }
    }

    /// Applied with nothing changed, no error and no day-2 findings.
    fn applied<'a>(findings: &'a Findings, observed: &'a Observed) -> Outcome<'a> {
        Outcome::Applied {
            findings,
            changes: &[],
            observed,
            error: None,
            day2: None,
        }
    }

    fn get<'a>(s: &'a Neo4jClusterStatus, t: &str) -> &'a Condition {
        s.conditions.iter().find(|c| c.type_ == t).expect(t)
    }

    /// Each member that is not Ready is named with why, in ordinal order, and one the
    /// StatefulSet has not created yet too.
    #[test]
    fn waiting_for_members_says_why_each_one_is_not_ready() {
        let f = Findings::default();
        let mut o = observed(3, 1);
        o.statefulset.as_mut().expect("a StatefulSet").metadata.name = Some("db".into());
        o.members.truncate(2);
        for (i, m) in o.members.iter_mut().enumerate() {
            m.ordinal = Some(i as u32);
        }
        o.waits
            .insert(1, "unschedulable: 0/9 nodes are available".into());
        let s = compute(Some(1), None, None, applied(&f, &o));
        assert_eq!(
            get(&s, PROGRESSING).message,
            "1 of 3 members ready; db-1: unschedulable: 0/9 nodes are available; \
             db-2: no pod yet (the StatefulSet creates it)"
        );
        assert_eq!(get(&s, READY).message, "1 of 3 members ready");
    }

    #[test]
    fn creating_then_ready_then_unchanged_keeps_transition_times() {
        let f = Findings::default();
        let o = observed(3, 1);
        let first = compute(Some(1), None, Some("sel".into()), applied(&f, &o));
        assert_eq!(first.phase.as_deref(), Some("Creating"));
        assert_eq!(get(&first, READY).status, "False");
        let o = observed(3, 3);
        let ready = compute(Some(1), Some(&first), Some("sel".into()), applied(&f, &o));
        assert_eq!(ready.phase.as_deref(), Some("Ready"));
        assert_eq!(ready.ready_members, Some(3));
        // Same inputs again: identical status, so nothing is written.
        let again = compute(Some(1), Some(&ready), Some("sel".into()), applied(&f, &o));
        assert_eq!(again, ready);
    }

    #[test]
    fn invalid_lists_every_problem_and_keeps_the_rest() {
        let f = Findings::default();
        let o = observed(3, 3);
        let ready = compute(Some(1), None, None, applied(&f, &o));
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
        let s = compute(Some(4), None, None, applied(&f, &o));
        assert_eq!(get(&s, SCALE_DOWN_PENDING).status, "True");
        let d = get(&s, DEGRADED);
        assert_eq!(
            (d.status.as_str(), d.reason.as_str()),
            ("True", "ImmutableFieldChanged")
        );
        assert_eq!(s.phase.as_deref(), Some("Degraded"));
    }

    fn spec() -> neo4j_aks_model::ValidatedCluster {
        let yaml = include_str!("../../../examples/cluster-3-k8s.yaml");
        let cluster = neo4j_aks_model::Neo4jCluster::from_yaml(yaml).expect("parses");
        neo4j_aks_model::validate(&cluster).expect("validates")
    }

    fn with_day2(
        previous: Option<&Neo4jClusterStatus>,
        findings: &Findings,
        d: &Day2,
    ) -> Neo4jClusterStatus {
        let o = observed(3, 3);
        let spec = spec();
        compute(
            Some(1),
            previous,
            None,
            Outcome::Applied {
                findings,
                changes: &[],
                observed: &o,
                error: None,
                day2: Some((d, &spec)),
            },
        )
    }

    #[test]
    fn unreachable_neo4j_is_cluster_formed_unknown_and_keeps_the_operation() {
        let recorded = neo4j_aks_model::Operation::ScaleDown {
            target: 3,
            member: 4,
            server: "s-4".into(),
            phase: neo4j_aks_model::operation::ScaleDownPhase::Deallocating,
            started_at_secs: 1_790_000_000,
        };
        let previous = Neo4jClusterStatus {
            operation: Some(recorded.to_status()),
            ..Neo4jClusterStatus::default()
        };
        let mut d = Day2::new();
        d.unreachable = Some(std::sync::Arc::new(crate::error::Day2Error::NoMemberReady));
        let findings = Findings {
            scale_down_pending: Some((3, 5)),
            ..Findings::default()
        };
        let s = with_day2(Some(&previous), &findings, &d);
        let c = get(&s, CLUSTER_FORMED);
        assert_eq!(
            (c.status.as_str(), c.reason.as_str()),
            ("Unknown", "Neo4jUnreachable")
        );
        assert!(
            c.message.contains("no member pod is Ready"),
            "{}",
            c.message
        );
        assert_eq!(
            s.operation, previous.operation,
            "the recorded operation is kept"
        );
        assert!(s.databases.is_empty() && s.next_step.is_none());
        let p = get(&s, SCALE_DOWN_PENDING);
        assert_eq!(
            (p.status.as_str(), p.reason.as_str()),
            ("True", "WaitingForNeo4j")
        );
    }

    #[test]
    fn an_unconfirmed_scale_down_says_which_annotation_to_set() {
        let mut d = Day2::new();
        d.unreachable = Some(std::sync::Arc::new(crate::error::Day2Error::Neo4j(
            neo4j_aks_topology::ClientError::Unavailable {
                detail: "dns".into(),
            },
        )));
        d.scale_down = Some((3, 5));
        d.scale_down_refused =
            Some("confirm with the annotation neo4j-aks.io/confirm-scale-down: \"3\"".into());
        let findings = Findings {
            scale_down_pending: Some((3, 5)),
            ..Findings::default()
        };
        let s = with_day2(None, &findings, &d);
        let p = get(&s, SCALE_DOWN_PENDING);
        assert_eq!(p.reason, "Refused");
        assert!(
            p.message
                .starts_with("spec.nodeCount is 3 but 5 members run: ")
                && p.message.contains("neo4j-aks.io/confirm-scale-down: \"3\""),
            "{}",
            p.message
        );
    }

    /// Under load the same unreachable member fails now with a lookup error and now with a
    /// timeout: the status stays as it was (no write); another trouble (no member Ready, wrong
    /// credentials) replaces the message.
    #[test]
    fn a_bolt_error_that_only_changes_its_wording_changes_no_condition() {
        let unreachable = |detail: &str| {
            let mut d = Day2::new();
            d.unreachable = Some(std::sync::Arc::new(crate::error::Day2Error::Neo4j(
                neo4j_aks_topology::ClientError::Unavailable {
                    detail: detail.into(),
                },
            )));
            d.scale_down = Some((3, 5));
            d
        };
        let findings = Findings {
            scale_down_pending: Some((3, 5)),
            ..Findings::default()
        };
        let first = with_day2(None, &findings, &unreachable("failed to lookup address"));
        assert!(
            get(&first, CLUSTER_FORMED)
                .message
                .contains("failed to lookup address")
        );
        let again = with_day2(
            Some(&first),
            &findings,
            &unreachable("connection timed out"),
        );
        assert_eq!(again, first);

        let mut not_ready = Day2::new();
        not_ready.unreachable = Some(std::sync::Arc::new(crate::error::Day2Error::NoMemberReady));
        let other = with_day2(Some(&first), &findings, &not_ready);
        assert!(
            get(&other, CLUSTER_FORMED)
                .message
                .contains("no member pod is Ready"),
            "another trouble is told"
        );

        let mut refused = Day2::new();
        refused.unreachable = Some(std::sync::Arc::new(crate::error::Day2Error::Neo4j(
            neo4j_aks_topology::ClientError::Auth {
                code: "Neo.ClientError.Security.Unauthorized".into(),
                message: "bad password".into(),
            },
        )));
        let after = with_day2(Some(&first), &findings, &refused);
        let c = get(&after, CLUSTER_FORMED);
        assert_eq!(c.reason, "Neo4jUnreachable");
        assert!(c.message.contains("bad password"), "{}", c.message);
    }

    #[test]
    fn a_repeated_decision_keeps_its_time_so_a_resync_writes_nothing() {
        let mut d = Day2::new();
        d.step = Some(neo4j_aks_topology::planner::Step {
            action: StepAction::Wait,
            member: Some(2),
            reason: "member 2: pod not Ready yet".into(),
            destructive: false,
            progress: neo4j_aks_topology::planner::Progress::default(),
        });
        d.operation = Some(None);
        let f = Findings::default();
        let first = with_day2(None, &f, &d);
        let at = first.next_step.as_ref().expect("next step").at.clone();
        let again = with_day2(Some(&first), &f, &d);
        assert_eq!(again.next_step.as_ref().map(|n| &n.at), Some(&at));
        assert_eq!(again, first);
    }
}
