//! Following a day-2 operation the operator carries out: which status changes are worth a line,
//! and when the goal is reached or the operator gave up. Pure: fed one observed object at a time.

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use neo4j_aks_model::Neo4jCluster;

use super::REPLACE_MEMBER_ANNOTATION;
use super::view::{OperationView, StatusView};

/// What the command asked the operator for.
#[derive(Clone, Debug, PartialEq)]
pub enum Goal {
    /// `spec.nodeCount` is `members` as of `generation`.
    Scale { members: i32, generation: i64 },
    /// A rolling restart requested at `requested_at` (the annotation's value).
    Restart { requested_at: Option<Timestamp> },
    /// Replacement of one member; `requested_at` is when this CLI wrote the annotation (unknown
    /// when it resumes following a request made earlier).
    ReplaceMember {
        ordinal: i32,
        requested_at: Option<Timestamp>,
    },
}

/// How following ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Reached(String),
    /// The planner refuses until a person acts.
    Refused(String),
    /// A step did not finish in time; the operator stopped and kept its progress.
    Aborted(String),
}

/// What one observation produced: lines to print (each change once) and maybe the end.
#[derive(Debug, Default, PartialEq)]
pub struct Observation {
    pub lines: Vec<String>,
    pub outcome: Option<Outcome>,
}

/// The parts of the status whose changes are reported.
#[derive(Clone, Debug, Default, PartialEq)]
struct Snapshot {
    operation: Option<String>,
    next_step: Option<String>,
    ready: Option<i32>,
}

#[derive(Debug)]
pub struct Follower {
    goal: Goal,
    last: Option<Snapshot>,
    /// The operator started the operation this goal asked for (seen in status.operation).
    started: bool,
    /// The operator's status answers this request (said once).
    taken_up: bool,
}

impl Follower {
    pub fn new(goal: Goal) -> Self {
        Follower {
            goal,
            last: None,
            started: false,
            taken_up: false,
        }
    }

    pub fn observe(&mut self, cluster: &Neo4jCluster) -> Observation {
        let view = StatusView::of(cluster);
        let snapshot = Snapshot {
            operation: view.operation.as_ref().map(OperationView::summary),
            next_step: view.next_step.as_ref().map(|s| s.summary_without_time()),
            ready: view.ready_members,
        };
        let first = self.last.is_none();
        let mut lines = changes(self.last.as_ref(), &snapshot, view.node_count);
        self.last = Some(snapshot);
        if self.is_ours(view.operation.as_ref()) {
            self.started = true;
        }
        let decided = self.decided_since_request(&view);
        if decided && !self.taken_up {
            self.taken_up = true;
            lines.insert(0, "the operator took up the request".to_string());
        } else if !decided && first {
            lines.insert(
                0,
                "waiting for the operator to take up the request; until then the status below is from before it"
                    .to_string(),
            );
        }
        Observation {
            lines,
            outcome: self.outcome(cluster, &view),
        }
    }

    fn is_ours(&self, operation: Option<&OperationView>) -> bool {
        let Some(op) = operation else { return false };
        match &self.goal {
            Goal::Scale { .. } => false,
            Goal::Restart { .. } => op.kind.as_deref() == Some("Restart"),
            Goal::ReplaceMember { ordinal, .. } => {
                op.kind.as_deref() == Some("ReplaceMember")
                    && op.member == u32::try_from(*ordinal).ok()
            }
        }
    }

    /// Whether the planner's latest decision was taken after this goal was requested, so that
    /// a `Done` or `Refuse` from before the request is not mistaken for the answer to it.
    ///
    /// Both times have whole seconds, and the operator keeps a decision's time while the
    /// decision stands: a `Done` stamped in the very second of the request is most likely the
    /// one from before it (a restart or a replacement never finishes within that second), so
    /// only a later `Done` answers; any other decision in that second is taken as the answer.
    fn decided_since_request(&self, view: &StatusView) -> bool {
        match &self.goal {
            Goal::Scale { generation, .. } => view.observed_generation >= Some(*generation),
            Goal::Restart { requested_at } | Goal::ReplaceMember { requested_at, .. } => {
                if self.started {
                    return true;
                }
                let step = view.next_step.as_ref();
                let decided = step
                    .and_then(|s| s.at.as_deref())
                    .and_then(|at| at.parse::<Timestamp>().ok());
                let done = step.and_then(|s| s.action.as_deref()) == Some("Done");
                match (decided, requested_at) {
                    (Some(d), Some(r)) if done => d > *r,
                    (Some(d), Some(r)) => d >= *r,
                    _ => false,
                }
            }
        }
    }

    fn outcome(&self, cluster: &Neo4jCluster, view: &StatusView) -> Option<Outcome> {
        if !self.decided_since_request(view) {
            return None;
        }
        let action = view.next_step.as_ref().and_then(|s| s.action.as_deref());
        let reason = || {
            view.next_step
                .as_ref()
                .map_or_else(String::new, |s| s.summary_without_time())
        };
        match action {
            Some("Refuse") => return Some(Outcome::Refused(reason())),
            Some("Abort") => return Some(Outcome::Aborted(reason())),
            _ => {}
        }
        let settled = view.operation.is_none() && matches!(action, None | Some("Done"));
        if !settled {
            return None;
        }
        match &self.goal {
            Goal::Scale { members, .. } => {
                let ready = view.ready_members == Some(*members);
                // Members still listed beyond the target are pods not yet removed.
                let listed = view.members.is_empty()
                    || view.members.len() == usize::try_from(*members).unwrap_or(0);
                (ready && listed).then(|| Outcome::Reached(format!("{members} members ready")))
            }
            Goal::Restart { .. } => Some(Outcome::Reached(
                "every member restarted and ready".to_string(),
            )),
            Goal::ReplaceMember { ordinal, .. } => {
                let requested = cluster
                    .annotations()
                    .contains_key(REPLACE_MEMBER_ANNOTATION);
                let ready = view
                    .members
                    .iter()
                    .find(|m| m.ordinal == u32::try_from(*ordinal).ok())
                    .is_none_or(|m| m.ready);
                (!requested && ready).then(|| {
                    Outcome::Reached(format!(
                        "member {ordinal} replaced, ready, and re-seeded by Neo4j"
                    ))
                })
            }
        }
    }
}

/// The lines that describe how `next` differs from `previous` (everything, the first time).
fn changes(previous: Option<&Snapshot>, next: &Snapshot, node_count: Option<i32>) -> Vec<String> {
    let first = Snapshot::default();
    let before = previous.unwrap_or(&first);
    let mut lines = Vec::new();
    if previous.is_none() || before.operation != next.operation {
        lines.push(match &next.operation {
            Some(op) => format!("operation: {op}"),
            None if previous.is_none() => "operation: none in flight".to_string(),
            None => "operation: finished".to_string(),
        });
    }
    if (previous.is_none() || before.next_step != next.next_step)
        && let Some(step) = &next.next_step
    {
        lines.push(format!("next step: {step}"));
    }
    if previous.is_none() || before.ready != next.ready {
        let of = node_count.map_or_else(String::new, |n| format!(" (nodeCount {n})"));
        match next.ready {
            Some(ready) => lines.push(format!("members ready: {ready}{of}")),
            None => lines.push("members ready: -".to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day2::fixtures::{healthy, operation, status, step, time};

    fn at(text: &str) -> Option<Timestamp> {
        Some(text.parse().expect("timestamp"))
    }

    #[test]
    fn the_first_observation_describes_everything_then_only_changes_are_printed() {
        let mut f = Follower::new(Goal::Scale {
            members: 5,
            generation: 5,
        });
        let mut c = healthy(3);
        let first = f.observe(&c);
        assert_eq!(
            first.lines,
            [
                "waiting for the operator to take up the request; until then the status below is from before it",
                "operation: none in flight",
                "next step: Done: observed topology matches the spec",
                "members ready: 3 (nodeCount 3)",
            ]
        );
        assert_eq!(first.outcome, None);
        // Same status again (a resync, a new `at` only): nothing to print.
        status(&mut c).next_step.as_mut().expect("step").at = time("2026-11-26T12:30:00Z");
        assert_eq!(f.observe(&c), Observation::default());

        c.spec.node_count = Some(5);
        status(&mut c).observed_generation = Some(5);
        status(&mut c).next_step = Some(step(
            "ScaleStatefulSet",
            None,
            "5 replicas",
            "2026-11-26T13:00:00Z",
        ));
        assert_eq!(
            f.observe(&c).lines,
            [
                "the operator took up the request",
                "next step: ScaleStatefulSet: 5 replicas"
            ]
        );
        status(&mut c).ready_members = Some(4);
        assert_eq!(f.observe(&c).lines, ["members ready: 4 (nodeCount 5)"]);
    }

    #[test]
    fn a_scale_is_reached_only_at_the_new_generation_with_every_member_ready() {
        let mut f = Follower::new(Goal::Scale {
            members: 5,
            generation: 5,
        });
        let mut c = healthy(5);
        // Looks finished, but the operator has not seen generation 5 yet.
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).observed_generation = Some(5);
        status(&mut c).ready_members = Some(4);
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).ready_members = Some(5);
        status(&mut c).next_step = Some(step(
            "EnableServer",
            Some(4),
            "free server",
            "2026-11-26T13:00:00Z",
        ));
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).next_step = Some(step("Done", None, "matches", "2026-11-26T13:00:09Z"));
        assert_eq!(
            f.observe(&c).outcome,
            Some(Outcome::Reached("5 members ready".into()))
        );
    }

    #[test]
    fn a_scale_down_is_not_reached_while_removed_members_are_listed_or_an_operation_runs() {
        let mut f = Follower::new(Goal::Scale {
            members: 3,
            generation: 5,
        });
        let mut c = healthy(5);
        status(&mut c).observed_generation = Some(5);
        status(&mut c).ready_members = Some(3);
        let mut op = operation("ScaleDown", 4);
        op.target = Some(3);
        status(&mut c).operation = Some(op);
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).operation = None;
        assert_eq!(f.observe(&c).outcome, None, "db-3 and db-4 still listed");
        status(&mut c).members.truncate(3);
        assert_eq!(
            f.observe(&c).outcome,
            Some(Outcome::Reached("3 members ready".into()))
        );
    }

    #[test]
    fn refuse_and_abort_end_following_only_when_decided_for_this_request() {
        let mut f = Follower::new(Goal::Scale {
            members: 3,
            generation: 5,
        });
        let mut c = healthy(5);
        status(&mut c).next_step = Some(step(
            "Refuse",
            None,
            "not confirmed",
            "2026-11-26T13:00:00Z",
        ));
        assert_eq!(f.observe(&c).outcome, None, "a refusal of generation 4");
        status(&mut c).observed_generation = Some(5);
        status(&mut c).next_step = Some(step(
            "Refuse",
            None,
            "database neo4j has 5 primaries",
            "2026-11-26T13:00:01Z",
        ));
        assert_eq!(
            f.observe(&c).outcome,
            Some(Outcome::Refused(
                "Refuse: database neo4j has 5 primaries".into()
            ))
        );

        let mut f = Follower::new(Goal::Restart {
            requested_at: at("2026-11-26T13:00:00Z"),
        });
        let mut c = healthy(3);
        status(&mut c).next_step = Some(step(
            "Abort",
            Some(1),
            "db-1 not back",
            "2026-11-26T12:59:59Z",
        ));
        assert_eq!(f.observe(&c).outcome, None, "decided before the request");
        status(&mut c).next_step = Some(step(
            "Abort",
            Some(1),
            "db-1 not back",
            "2026-11-26T13:10:00Z",
        ));
        assert_eq!(
            f.observe(&c).outcome,
            Some(Outcome::Aborted("Abort on member 1: db-1 not back".into()))
        );
    }

    #[test]
    fn a_restart_is_reached_after_its_operation_finished() {
        let mut f = Follower::new(Goal::Restart { requested_at: None });
        let mut c = healthy(3);
        // Done from before: the restart has not started.
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).operation = Some(operation("Restart", 2));
        status(&mut c).next_step = Some(step("RestartMember", Some(2), "secondaries first", "x"));
        let o = f.observe(&c);
        assert_eq!(o.outcome, None);
        assert_eq!(
            o.lines,
            [
                "the operator took up the request",
                "operation: Restart: member 2, since 2026-11-26T13:00:00Z",
                "next step: RestartMember on member 2: secondaries first",
            ]
        );
        status(&mut c).operation = None;
        status(&mut c).next_step = Some(step("Done", None, "matches", "y"));
        let o = f.observe(&c);
        assert_eq!(o.lines, ["operation: finished", "next step: Done: matches"]);
        assert_eq!(
            o.outcome,
            Some(Outcome::Reached("every member restarted and ready".into()))
        );
    }

    #[test]
    fn a_restart_that_finished_between_two_looks_is_reached_by_the_decision_time() {
        let mut f = Follower::new(Goal::Restart {
            requested_at: at("2026-11-26T13:00:00Z"),
        });
        let mut c = healthy(3);
        status(&mut c).next_step = Some(step("Done", None, "matches", "2026-11-26T13:04:00Z"));
        assert!(matches!(f.observe(&c).outcome, Some(Outcome::Reached(_))));
    }

    #[test]
    fn a_done_stamped_in_the_second_of_the_request_is_the_one_from_before_it() {
        let mut f = Follower::new(Goal::Restart {
            requested_at: at("2026-11-26T13:00:00Z"),
        });
        let mut c = healthy(3);
        status(&mut c).next_step = Some(step("Done", None, "matches", "2026-11-26T13:00:00Z"));
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).next_step = Some(step("Refuse", None, "quorum", "2026-11-26T13:00:00Z"));
        assert!(matches!(f.observe(&c).outcome, Some(Outcome::Refused(_))));
    }

    #[test]
    fn a_replacement_is_reached_when_the_operator_removed_the_annotation_and_the_member_is_ready() {
        let mut f = Follower::new(Goal::ReplaceMember {
            ordinal: 1,
            requested_at: at("2026-11-26T13:00:00Z"),
        });
        let mut c = healthy(3);
        c.annotations_mut()
            .insert(REPLACE_MEMBER_ANNOTATION.into(), "1".into());
        assert_eq!(f.observe(&c).outcome, None);
        // Another member's operation is not ours.
        status(&mut c).operation = Some(operation("ReplaceMember", 2));
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).operation = Some(operation("ReplaceMember", 1));
        status(&mut c).members[1].ready = false;
        assert_eq!(f.observe(&c).outcome, None);
        status(&mut c).operation = None;
        c.annotations_mut().remove(REPLACE_MEMBER_ANNOTATION);
        assert_eq!(f.observe(&c).outcome, None, "member 1 not ready yet");
        status(&mut c).members[1].ready = true;
        assert_eq!(
            f.observe(&c).outcome,
            Some(Outcome::Reached(
                "member 1 replaced, ready, and re-seeded by Neo4j".into()
            ))
        );
    }

    #[test]
    fn a_replacement_refused_by_the_operator_ends_following() {
        let mut f = Follower::new(Goal::ReplaceMember {
            ordinal: 0,
            requested_at: at("2026-11-26T13:00:00Z"),
        });
        let mut c = healthy(3);
        c.annotations_mut()
            .insert(REPLACE_MEMBER_ANNOTATION.into(), "0".into());
        status(&mut c).next_step = Some(step(
            "Refuse",
            Some(0),
            "db-2 is unavailable: replacing db-0 would leave neo4j without a quorum",
            "2026-11-26T13:00:02Z",
        ));
        assert_eq!(
            f.observe(&c).outcome,
            Some(Outcome::Refused(
                "Refuse on member 0: db-2 is unavailable: replacing db-0 would leave neo4j without a quorum".into()
            ))
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::day2::fixtures::{healthy, operation, status, step};
    use crate::day2::view::StatusView;

    const ACTIONS: [&str; 6] = [
        "Done",
        "Wait",
        "Refuse",
        "Abort",
        "DropServer",
        "RestartMember",
    ];
    const KINDS: [&str; 3] = ["ScaleDown", "Restart", "ReplaceMember"];

    /// One status the operator could write for a cluster of 3 to 5 members.
    fn observed() -> impl Strategy<Value = Neo4jCluster> {
        (
            3..=5i32,
            3..=6i64,
            0..=5i32,
            proptest::option::of((0..3usize, 0..5u32)),
            proptest::option::of((0..6usize, proptest::option::of(0..5u32), 0..3u8)),
            any::<bool>(),
        )
            .prop_map(|(members, generation, ready, op, next, annotated)| {
                let mut c = healthy(members);
                let s = status(&mut c);
                s.observed_generation = Some(generation);
                s.ready_members = Some(ready.min(members));
                s.operation = op.map(|(kind, member)| operation(KINDS[kind], member));
                s.next_step = next.map(|(action, member, minute)| {
                    step(
                        ACTIONS[action],
                        member,
                        "reason",
                        &format!("2026-11-26T13:0{minute}:00Z"),
                    )
                });
                if annotated {
                    c.annotations_mut()
                        .insert(REPLACE_MEMBER_ANNOTATION.into(), "1".into());
                }
                c
            })
    }

    fn goal() -> impl Strategy<Value = Goal> {
        let at = proptest::option::of(
            (0..3u8).prop_map(|m| format!("2026-11-26T13:0{m}:30Z").parse().expect("time")),
        );
        prop_oneof![
            (3..=5i32, 3..=6i64).prop_map(|(members, generation)| Goal::Scale {
                members,
                generation
            }),
            at.clone()
                .prop_map(|requested_at| Goal::Restart { requested_at }),
            (0..5i32, at).prop_map(|(ordinal, requested_at)| Goal::ReplaceMember {
                ordinal,
                requested_at
            }),
        ]
    }

    proptest! {
        /// Each change is printed once: the same status seen again prints nothing and ends the
        /// same way.
        #[test]
        fn the_same_status_twice_prints_nothing_new(goal in goal(), seq in proptest::collection::vec(observed(), 1..6)) {
            let mut f = Follower::new(goal);
            for c in &seq {
                let first = f.observe(c);
                let again = f.observe(c);
                prop_assert!(again.lines.is_empty(), "{:?}", again.lines);
                prop_assert_eq!(first.outcome, again.outcome);
            }
        }

        /// Nothing ends a scale before the operator has seen the new count, and "reached" means
        /// exactly the target ready with no operation in flight.
        #[test]
        fn a_scale_ends_only_on_the_operators_answer(
            members in 3..=5i32,
            generation in 3..=6i64,
            seq in proptest::collection::vec(observed(), 1..6),
        ) {
            let mut f = Follower::new(Goal::Scale { members, generation });
            for c in &seq {
                let outcome = f.observe(c).outcome;
                let view = StatusView::of(c);
                if view.observed_generation < Some(generation) {
                    prop_assert_eq!(outcome, None);
                } else if let Some(Outcome::Reached(_)) = outcome {
                    prop_assert_eq!(view.ready_members, Some(members));
                    prop_assert!(view.operation.is_none());
                }
            }
        }

        /// A replacement is never reported done while its annotation is still set.
        #[test]
        fn a_replacement_is_not_done_while_requested(
            ordinal in 0..5i32,
            seq in proptest::collection::vec(observed(), 1..6),
        ) {
            let mut f = Follower::new(Goal::ReplaceMember { ordinal, requested_at: None });
            for c in &seq {
                let outcome = f.observe(c).outcome;
                if c.annotations().contains_key(REPLACE_MEMBER_ANNOTATION) {
                    prop_assert!(!matches!(outcome, Some(Outcome::Reached(_))));
                }
            }
        }

        /// The table lists every member once and never panics on any status.
        #[test]
        fn the_table_lists_every_member(c in observed()) {
            let text = StatusView::of(&c).to_table();
            for m in &c.status.as_ref().expect("status").members {
                let row = format!("\n{} ", m.pod);
                prop_assert_eq!(text.matches(&row).count(), 1, "{}", text);
            }
        }
    }
}
