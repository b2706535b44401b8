//! Safety invariants of the planner over generated observed states, desired specs and
//! recorded progress:
//!
//! 1. never two members down at once by our action (a restart or deallocation only when every
//!    other member is up);
//! 2. never a database below its primaries' quorum by our action;
//! 3. never DROP SERVER on a server that still hosts a database;
//! 4. never a destructive step without confirmation (and never below 3 members);
//!
//! plus: a shrink removes only the highest ordinal and only once its server is gone.

mod support;

use neo4j_aks_topology::observed::ObservedTopology;
use neo4j_aks_topology::planner::{
    Action, Confirmation, Desired, Operation, Progress, ReplacePhase, ScaleDownPhase, Step, plan,
};
use neo4j_aks_topology::records::{Health, ServerState};
use proptest::prelude::*;
use support::{Sim, SimDb, SimMember, desired, server_id};

fn state() -> impl Strategy<Value = ServerState> {
    prop_oneof![
        6 => Just(ServerState::Enabled),
        1 => Just(ServerState::Free),
        1 => Just(ServerState::Cordoned),
        1 => Just(ServerState::Deallocating),
        1 => Just(ServerState::Deallocated),
        1 => Just(ServerState::Dropped),
    ]
}

fn member() -> impl Strategy<Value = SimMember> {
    (
        prop::option::weighted(0.9, (prop::bool::weighted(0.85), prop::bool::ANY)),
        prop::option::weighted(0.9, (state(), prop::bool::weighted(0.9))),
    )
        .prop_map(|(pod, server)| SimMember {
            pod: pod.map(|(ready, new)| (ready, if new { "r2" } else { "r1" }.to_owned())),
            server: server.map(|(s, available)| {
                (
                    s,
                    if available {
                        Health::Available
                    } else {
                        Health::Unavailable
                    },
                )
            }),
        })
}

fn database(name: &'static str, n: u32) -> impl Strategy<Value = SimDb> {
    (
        Just(n),
        prop::collection::vec(0u8..3, n as usize),
        any::<prop::sample::Index>(),
        prop::collection::vec(prop::bool::weighted(0.1), n as usize),
        prop_oneof![4 => Just(0u64), 1 => 0u64..40],
        0u32..=2,
    )
        .prop_map(move |(n, roles, leader, offline, lag, extra)| {
            let primaries: Vec<u32> = (0..n).filter(|o| roles[*o as usize] == 1).collect();
            let secondaries: Vec<u32> = (0..n).filter(|o| roles[*o as usize] == 2).collect();
            let leader = (!primaries.is_empty()).then(|| primaries[leader.index(primaries.len())]);
            let requested_p = (primaries.len() as u32 + extra % 2).max(1);
            SimDb {
                name: name.to_owned(),
                requested: (requested_p, secondaries.len() as u32),
                primaries,
                secondaries,
                leader,
                offline_on: (0..n).filter(|o| offline[*o as usize]).collect(),
                status_on: Vec::new(),
                lag,
            }
        })
}

fn sim() -> impl Strategy<Value = Sim> {
    (3u32..=7)
        .prop_flat_map(|n| {
            (
                prop::collection::vec(member(), n as usize),
                database("system", n),
                database("neo4j", n),
                prop_oneof![3 => Just(n), 1 => (n.saturating_sub(1)).max(1)..=n],
                900i64..3_000,
            )
        })
        .prop_map(|(members, system, neo4j, replicas, now)| Sim {
            members,
            dbs: vec![system, neo4j],
            replicas,
            now,
            new_identity: Vec::new(),
        })
}

/// A healthy cluster with a few perturbations: where the interesting steps happen.
fn nearly_healthy() -> impl Strategy<Value = Sim> {
    (3u32..=7)
        .prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec(prop::bool::ANY, n as usize),
                prop::option::weighted(0.5, (0..n, member())),
                prop_oneof![3 => Just(0u64), 1 => 0u64..20],
                prop::bool::ANY,
                prop::option::weighted(0.4, state()),
                900i64..3_000,
            )
        })
        .prop_map(|(n, new, perturb, lag, fit, last_state, now)| {
            let mut sim = Sim::healthy(n, "r1");
            for (o, new) in new.into_iter().enumerate() {
                if new {
                    sim.members[o].pod = Some((true, "r2".to_owned()));
                }
            }
            if fit {
                for db in &mut sim.dbs {
                    db.requested = (db.primaries.len() as u32, 0);
                }
            }
            sim.db("neo4j").lag = lag;
            if let Some(state) = last_state {
                let last = n - 1;
                if matches!(
                    state,
                    ServerState::Deallocated | ServerState::Dropped | ServerState::Free
                ) {
                    sim.evacuate(last);
                }
                sim.members[last as usize].server = Some((state, Health::Available));
            }
            if let Some((o, m)) = perturb {
                sim.members[o as usize] = m;
            }
            sim.now = now;
            sim
        })
}

fn any_sim() -> impl Strategy<Value = Sim> {
    prop_oneof![sim(), nearly_healthy()]
}

/// A spec near the observed size (same, one or two fewer, one more) or anything.
fn want_for(replicas: u32) -> impl Strategy<Value = Desired> {
    prop_oneof![
        3 => prop_oneof![
            Just(replicas),
            Just(replicas.saturating_sub(1)),
            Just(replicas.saturating_sub(2)),
            Just(replicas + 1),
        ],
        1 => 1u32..=8,
    ]
    .prop_flat_map(want_with)
}

fn want_with(members: u32) -> impl Strategy<Value = Desired> {
    (
        Just(members.max(1)),
        prop::bool::ANY,
        prop::bool::ANY,
        prop_oneof![
            Just(Confirmation::None),
            Just(Confirmation::Cli),
            Just(Confirmation::Annotation(members.to_string())),
            (1u32..=8).prop_map(|n| Confirmation::Annotation(n.to_string())),
        ],
        prop::option::weighted(0.3, 0u32..8),
    )
        .prop_map(|(members, auto, new, confirmation, replace)| {
            let mut d = desired(members, if new { "r2" } else { "r1" });
            d.auto_enable_servers = auto;
            d.confirmation = confirmation;
            d.replace_member = replace;
            d
        })
}

fn progress() -> impl Strategy<Value = Progress> {
    prop_oneof![
        2 => Just(Progress::default()),
        1 => (1u32..=8, 0u32..8, prop::bool::ANY, 0i64..2_000).prop_map(|(target, member, dropped, at)| Progress {
            operation: Some(Operation::ScaleDown {
                target,
                member,
                server: server_id(member),
                phase: if dropped { ScaleDownPhase::Dropped } else { ScaleDownPhase::Deallocating },
                started_at_secs: at,
            }),
        }),
        1 => (0u32..8, 0u8..3, 0i64..2_000).prop_map(|(member, phase, at)| Progress {
            operation: Some(Operation::ReplaceMember {
                member,
                server: server_id(member),
                phase: [ReplacePhase::Deallocating, ReplacePhase::Dropped, ReplacePhase::Recreating][phase as usize],
                started_at_secs: at,
            }),
        }),
        1 => (0u32..8, 0i64..2_000).prop_map(|(member, at)| Progress {
            operation: Some(Operation::Restart {
                revision: "r2".to_owned(),
                member,
                started_at_secs: at,
            }),
        }),
    ]
}

fn member_of(observed: &ObservedTopology, server: &str) -> Option<u32> {
    observed
        .members
        .values()
        .find(|m| m.server.as_ref().is_some_and(|s| s.server_id == server))
        .map(|m| m.ordinal)
}

/// The member an action takes down, if any.
fn taken_down(observed: &ObservedTopology, step: &Step) -> Option<u32> {
    match &step.action {
        Action::RestartMember { ordinal } => Some(*ordinal),
        Action::DeallocateServer { server } => member_of(observed, server),
        _ => None,
    }
}

/// Consent for a destructive step: the scale-down confirmation, or (for a step on the member a
/// replacement works on) the replace-member annotation or the replacement already recorded.
fn consented(desired: &Desired, progress: &Progress, step: &Step, shrinks: bool) -> bool {
    let replacing = match &progress.operation {
        Some(Operation::ReplaceMember { member, .. }) => Some(*member),
        _ => None,
    };
    let for_replacement = !shrinks
        && step.member.is_some()
        && (desired.replace_member == step.member || replacing == step.member);
    for_replacement || confirmed_target(desired, progress)
}

fn confirmed_target(desired: &Desired, progress: &Progress) -> bool {
    let recorded = match &progress.operation {
        Some(Operation::ScaleDown { target, .. }) => Some(*target),
        _ => None,
    };
    let ok = |t: u32| t >= 3 && desired.confirmation.confirms(t);
    ok(desired.members) || recorded.is_some_and(ok)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

    #[test]
    fn planner_never_breaks_the_safety_invariants(
        (sim, desired) in any_sim().prop_flat_map(|s| { let r = s.replicas; (Just(s), want_for(r)) }),
        progress in progress(),
    ) {
        let observed = sim.build();
        let step = plan(&observed, &desired, &progress);

        // 1 + 2: taking a member down only when all others are up and no quorum is lost.
        if let Some(down) = taken_down(&observed, &step) {
            for m in observed.members.values() {
                if m.ordinal != down && m.ordinal < observed.replicas {
                    prop_assert!(m.is_up(), "member {} is down while we take {down}: {step:#?}", m.ordinal);
                }
            }
            let target = observed.member(down).expect("member exists");
            for q in observed.databases.values() {
                prop_assert!(q.has_quorum(), "{} already without quorum: {step:#?}", q.name);
                let after = q.primaries_available - u32::from(target.online_primary_of(&q.name));
                prop_assert!(after >= q.required, "{} would drop to {after} < {}: {step:#?}", q.name, q.required);
                prop_assert!(q.max_lag <= desired.max_lag);
            }
        }

        // 3: DROP SERVER only on a server that hosts nothing.
        if let Action::DropServer { server } = &step.action {
            let ordinal = member_of(&observed, server).expect("dropped server is a member's");
            let m = observed.member(ordinal).expect("member");
            prop_assert!(!m.hosts_any_database(), "drop of a hosting server: {step:#?}");
            prop_assert!(matches!(m.state(), Some(ServerState::Deallocated | ServerState::Free)));
        }

        // 4: destructive ⇔ deallocate / drop / shrink, and only when confirmed (≥ 3 members).
        let shrinks = matches!(step.action, Action::ScaleStatefulSet { replicas, .. } if replicas < observed.replicas);
        let destroys = shrinks
            || matches!(
                step.action,
                Action::DeallocateServer { .. } | Action::DropServer { .. } | Action::ReplaceMember { .. }
            );
        prop_assert_eq!(step.destructive, destroys, "{:#?}", step);
        if step.destructive {
            prop_assert!(consented(&desired, &progress, &step, shrinks), "unconfirmed destructive step: {step:#?}");
        }

        // 5: a replacement starts (its DEALLOCATE) only with the annotation naming that member,
        // and deletes a member's pod and claim only once its recorded server is dropped or gone.
        if let Some(Operation::ReplaceMember { member, phase: ReplacePhase::Deallocating, .. }) = &step.progress.operation
            && matches!(step.action, Action::DeallocateServer { .. })
            && !matches!(progress.operation, Some(Operation::ReplaceMember { .. }))
        {
            prop_assert_eq!(desired.replace_member, Some(*member), "{:#?}", step);
        }
        if let Action::ReplaceMember { ordinal } = &step.action {
            let m = observed.member(*ordinal).expect("member");
            prop_assert!(
                m.server.as_ref().is_none_or(|s| s.state == ServerState::Dropped),
                "pod and claim deleted while the server is {:?}: {step:#?}", m.state()
            );
        }

        // A shrink removes the highest ordinal only, and only once its server is gone.
        if let Action::ScaleStatefulSet { replicas, kept_pvc_ordinal } = &step.action
            && *replicas < observed.replicas
        {
            prop_assert_eq!(*replicas, observed.replicas - 1);
            prop_assert_eq!(*kept_pvc_ordinal, Some(*replicas));
            let m = observed.member(*replicas);
            prop_assert!(
                m.is_none_or(|m| m.server.as_ref().is_none_or(|s| s.state == ServerState::Dropped)),
                "shrink before the server is dropped: {step:#?}"
            );
        }

        // Steps always name their member when they act on one.
        if taken_down(&observed, &step).is_some() {
            prop_assert!(step.member.is_some());
        }
    }
}

/// The generators reach every kind of step, so the invariants above are not vacuous.
#[test]
fn generated_states_reach_every_kind_of_step() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let mut runner = TestRunner::deterministic();
    let strategy = (
        any_sim().prop_flat_map(|s| {
            let r = s.replicas;
            (Just(s), want_for(r))
        }),
        progress(),
    );
    let mut seen: BTreeMap<&'static str, u32> = BTreeMap::new();
    for _ in 0..4_000 {
        let ((sim, desired), progress) =
            strategy.new_tree(&mut runner).expect("generate").current();
        let observed = sim.build();
        let kind = match plan(&observed, &desired, &progress).action {
            Action::Done => "done",
            Action::Wait => "wait",
            Action::Refuse => "refuse",
            Action::Abort => "abort",
            Action::ScaleStatefulSet { replicas, .. } if replicas < observed.replicas => "shrink",
            Action::ScaleStatefulSet { .. } => "grow",
            Action::EnableServer { .. } => "enable",
            Action::AlignTopology { .. } => "align",
            Action::DeallocateServer { .. } => "deallocate",
            Action::DropServer { .. } => "drop",
            Action::RestartMember { .. } => "restart",
            Action::ReplaceMember { .. } => "recreate",
            Action::FinishReplacement { .. } => "finish-replacement",
        };
        *seen.entry(kind).or_default() += 1;
    }
    println!("{seen:?}");
    for kind in [
        "wait",
        "refuse",
        "abort",
        "shrink",
        "grow",
        "enable",
        "align",
        "deallocate",
        "drop",
        "restart",
        "recreate",
    ] {
        assert!(
            seen.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never planned: {seen:?}"
        );
    }
}
