//! Safety invariants of the planner over generated observed states, desired specs and
//! recorded progress:
//!
//! 1. never two members down at once by our action (a restart or deallocation only when every
//!    other member is up);
//! 2. never a database below its primaries' quorum by our action (for a replacement, counted on
//!    the other members: the replaced member's own copies are why it is replaced);
//! 3. never DROP SERVER on a server that still hosts, or is still requested to host, a user
//!    database, nor one whose loss would leave `system` below its quorum;
//! 4. never a destructive step without confirmation (and never below 3 members);
//!
//! plus: a shrink removes only the highest ordinal and only once its server is gone; a restart
//! names the pod instance it observed on an old revision and never repeats one for the same
//! revision once the member's pod was recreated.

mod support;

use neo4j_aks_topology::observed::ObservedTopology;
use neo4j_aks_topology::planner::{
    Action, Confirmation, Desired, Operation, Progress, ReplacePhase, ScaleDownPhase, Step, plan,
};
use neo4j_aks_topology::records::{DatabaseRole, Health, ServerState};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use support::{Sim, SimDb, SimMember, desired, pod_uid, server_id};

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
        0u32..2,
    )
        .prop_map(|(pod, server, instance)| SimMember {
            instance,
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
/// A member that is gone (pod not Ready or missing, server Unavailable) at some stage of its
/// removal: (ordinal, state, pod present, its user databases already moved elsewhere).
fn lost(n: u32) -> impl Strategy<Value = (u32, ServerState, bool, bool)> {
    (
        0..n,
        prop_oneof![
            Just(ServerState::Enabled),
            Just(ServerState::Cordoned),
            Just(ServerState::Deallocating),
        ],
        prop::bool::ANY,
        prop::bool::ANY,
    )
}

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
                prop::option::weighted(0.3, lost(n)),
            )
        })
        .prop_map(|(n, new, perturb, lag, fit, last_state, now, lost)| {
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
            if let Some((o, state, pod, moved)) = lost {
                if moved {
                    // Its copies now run on the other members (or some of them).
                    sim.evacuate_user_databases(o);
                    let neo4j = sim.db("neo4j");
                    if let Some(spare) = (0..n).find(|m| *m != o && !neo4j.primaries.contains(m)) {
                        neo4j.secondaries.retain(|m| *m != spare);
                        neo4j.primaries.push(spare);
                    }
                }
                sim.members[o as usize] = SimMember {
                    pod: pod.then(|| (false, "r1".to_owned())),
                    server: Some((state, Health::Unavailable)),
                    instance: 0,
                };
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
            if replace.is_some() {
                // As for the clusters replacements are for: every database fits on one server
                // fewer (nearly_healthy's `fit`), so the planner gets past the spare-server check.
                d.secondaries = 0;
            }
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
        1 => (0u32..8, 0u8..4, 0i64..2_000, prop::option::of(0u32..2)).prop_map(|(member, phase, at, instance)| Progress {
            operation: Some(Operation::ReplaceMember {
                member,
                server: server_id(member),
                phase: [ReplacePhase::Cordoned, ReplacePhase::Deallocating, ReplacePhase::Dropped, ReplacePhase::Recreating][phase as usize],
                started_at_secs: at,
                pod_uid: (phase == 3).then_some(instance).flatten().map(|i| pod_uid(member, i)),
            }),
        }),
        1 => (0u32..8, 0i64..2_000, prop::option::of(0u32..2)).prop_map(|(member, at, instance)| Progress {
            operation: Some(Operation::Restart {
                revision: "r2".to_owned(),
                member,
                started_at_secs: at,
                pod_uid: instance.map(|i| pod_uid(member, i)),
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
        Action::RestartMember { ordinal, .. } => Some(*ordinal),
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

/// Checks the invariants of the module documentation for one planned step.
fn check_invariants(
    sim: &Sim,
    desired: &Desired,
    progress: &Progress,
) -> Result<(), TestCaseError> {
    let observed = sim.build();
    let step = plan(&observed, desired, progress);

    // 1 + 2: taking a member down only when all others are up and no quorum is lost. A
    // replacement (cordon, then deallocate) ignores the member's own copies and counts the
    // quorum on the others.
    let replacing = matches!(
        step.progress.operation,
        Some(Operation::ReplaceMember { .. })
    );
    if let Some(down) = taken_down(&observed, &step) {
        for m in observed.members.values() {
            if m.ordinal != down && m.ordinal < observed.replicas {
                prop_assert!(
                    m.is_up(),
                    "member {} is down while we take {down}: {step:#?}",
                    m.ordinal
                );
            }
        }
        let target = observed.member(down).expect("member exists");
        for q in observed.databases.values() {
            if replacing {
                let others = || observed.members.values().filter(|m| m.ordinal != down);
                let rows =
                    || others().flat_map(|m| m.databases.iter().filter(|r| r.name == q.name));
                prop_assert!(
                    rows().all(|r| r.is_online() && r.lag() <= desired.max_lag),
                    "{}: {step:#?}",
                    q.name
                );
                let after = others()
                    .filter(|m| m.is_up() && m.online_primary_of(&q.name))
                    .count() as u32;
                prop_assert!(
                    after >= q.required,
                    "{} has {after} < {} on the others: {step:#?}",
                    q.name,
                    q.required
                );
            } else {
                prop_assert!(
                    q.has_quorum(),
                    "{} already without quorum: {step:#?}",
                    q.name
                );
                let after = q.primaries_available - u32::from(target.online_primary_of(&q.name));
                prop_assert!(
                    after >= q.required,
                    "{} would drop to {after} < {}: {step:#?}",
                    q.name,
                    q.required
                );
                prop_assert!(q.max_lag <= desired.max_lag);
            }
        }
    }

    // 3: DROP SERVER only on a server no user database is requested on (and that hosts none
    // unless it is gone), whose databases run elsewhere, and whose loss keeps `system`'s
    // quorum.
    if let Action::DropServer { server } = &step.action {
        let ordinal = member_of(&observed, server).expect("dropped server is a member's");
        let m = observed.member(ordinal).expect("member");
        let s = m.server.as_ref().expect("server");
        prop_assert!(
            s.requested_hosting.iter().all(|d| d == "system"),
            "drop of a server still requested to host: {step:#?}"
        );
        match (&s.state, &s.health) {
            (ServerState::Deallocated | ServerState::Free, _) => {
                prop_assert!(
                    !m.hosts_any_database(),
                    "drop of a hosting server: {step:#?}"
                );
            }
            (ServerState::Deallocating, Health::Unavailable) => {
                prop_assert!(
                    replacing,
                    "drop from Deallocating outside a replacement: {step:#?}"
                );
                for q in observed.databases.values().filter(|q| q.name != "system") {
                    let online = observed
                        .members
                        .values()
                        .filter(|o| {
                            o.ordinal != ordinal
                                && o.server
                                    .as_ref()
                                    .is_some_and(|s| s.health == Health::Available)
                        })
                        .filter(|o| o.online_primary_of(&q.name))
                        .count() as u32;
                    prop_assert!(
                        online >= q.requested_primaries,
                        "{} not placed elsewhere: {step:#?}",
                        q.name
                    );
                }
            }
            other => prop_assert!(false, "drop of a server in {other:?}: {step:#?}"),
        }
        let system_primary = m
            .databases
            .iter()
            .any(|r| r.name == "system" && r.role != DatabaseRole::Secondary);
        if let Some(system) = observed.system().filter(|_| system_primary) {
            let counted = u32::from(m.online_primary_of("system") && s.health == Health::Available);
            let left = system.primaries_available - counted;
            let primaries = system.requested_primaries.saturating_sub(1);
            prop_assert!(
                left > primaries / 2,
                "system would have {left} of {primaries}: {step:#?}"
            );
        }
    }

    // A cordon only for the member the annotation names, when the replacement gate holds.
    if let Action::CordonServer { server } = &step.action {
        let ordinal = member_of(&observed, server).expect("cordoned server is a member's");
        prop_assert_eq!(desired.replace_member, Some(ordinal), "{:#?}", step);
        prop_assert_eq!(step.member, Some(ordinal));
        for m in observed.members.values() {
            if m.ordinal != ordinal && m.ordinal < observed.replicas {
                prop_assert!(
                    m.is_up(),
                    "member {} is down while we cordon {ordinal}: {step:#?}",
                    m.ordinal
                );
            }
        }
    }

    // 4: destructive ⇔ deallocate / drop / shrink, and only when confirmed (≥ 3 members).
    let shrinks = matches!(step.action, Action::ScaleStatefulSet { replicas, .. } if replicas < observed.replicas);
    let destroys = shrinks
        || matches!(
            step.action,
            Action::DeallocateServer { .. }
                | Action::DropServer { .. }
                | Action::ReplaceMember { .. }
        );
    prop_assert_eq!(step.destructive, destroys, "{:#?}", step);
    if step.destructive {
        prop_assert!(
            consented(desired, progress, &step, shrinks),
            "unconfirmed destructive step: {step:#?}"
        );
    }

    // 5: a replacement starts (its cordon or DEALLOCATE) and deallocates only with the
    // annotation naming that member, and deletes a member's pod and claim only once its
    // recorded server is dropped or gone.
    if let Some(Operation::ReplaceMember { member, .. }) = &step.progress.operation
        && matches!(
            step.action,
            Action::CordonServer { .. } | Action::DeallocateServer { .. }
        )
    {
        prop_assert_eq!(desired.replace_member, Some(*member), "{:#?}", step);
    }
    if let Action::ReplaceMember { ordinal, pod_uid } = &step.action {
        let m = observed.member(*ordinal).expect("member");
        // It deletes the pod instance observed now, never one it did not see.
        prop_assert_eq!(
            pod_uid.as_ref(),
            m.pod.as_ref().map(|p| &p.uid),
            "{:#?}",
            step
        );
        // And never the successor of the instance it recorded as deleted.
        if let Some(Operation::ReplaceMember {
            phase: ReplacePhase::Recreating,
            pod_uid: Some(recorded),
            ..
        }) = &progress.operation
        {
            prop_assert!(
                pod_uid.as_ref().is_none_or(|now| now == recorded),
                "recreated member deleted again: {step:#?}"
            );
        }
        prop_assert!(
            m.server
                .as_ref()
                .is_none_or(|s| s.state == ServerState::Dropped),
            "pod and claim deleted while the server is {:?}: {step:#?}",
            m.state()
        );
    }

    // A shrink removes the highest ordinal only, and only once its server is gone.
    if let Action::ScaleStatefulSet {
        replicas,
        kept_pvc_ordinal,
    } = &step.action
        && *replicas < observed.replicas
    {
        prop_assert_eq!(*replicas, observed.replicas - 1);
        prop_assert_eq!(*kept_pvc_ordinal, Some(*replicas));
        let m = observed.member(*replicas);
        prop_assert!(
            m.is_none_or(|m| m
                .server
                .as_ref()
                .is_none_or(|s| s.state == ServerState::Dropped)),
            "shrink before the server is dropped: {step:#?}"
        );
    }

    // 6: a restart deletes exactly the pod instance observed on an old revision.
    if let Action::RestartMember { ordinal, pod_uid } = &step.action {
        let pod = observed.member(*ordinal).and_then(|m| m.pod.as_ref());
        prop_assert!(
            pod.is_some_and(|p| &p.uid == pod_uid && p.revision != desired.revision),
            "restart of an instance not observed on an old revision: {pod:?}, {step:#?}"
        );
    }

    // 7: once a recorded restart's pod was recreated (another uid), nothing is restarted
    // until that member is back, and it is never restarted again to the same revision.
    if let Some(Operation::Restart {
        member,
        pod_uid: Some(recorded),
        revision,
        ..
    }) = &progress.operation
        && *member < observed.replicas
    {
        let m = observed.member(*member);
        let pod = m.and_then(|m| m.pod.as_ref());
        if pod.is_none_or(|p| &p.uid != recorded) {
            let back = pod.is_some()
                && m.is_some_and(|m| m.is_up() && m.databases.iter().all(|d| d.is_online()));
            if !back {
                prop_assert!(
                    matches!(step.action, Action::Wait | Action::Abort)
                        && step.member == Some(*member),
                    "member {member} restarting, yet: {step:#?}"
                );
            }
            if pod.is_some_and(|p| &p.revision == revision) && desired.revision == *revision {
                prop_assert!(
                    !matches!(&step.action, Action::RestartMember { ordinal, .. } if ordinal == member),
                    "member {member} restarted again to the recorded revision: {step:#?}"
                );
            }
        }
    }

    // Steps always name their member when they act on one.
    if taken_down(&observed, &step).is_some() {
        prop_assert!(step.member.is_some());
    }
    Ok(())
}

/// A replacement in flight or asked for: four to seven members, every database fitting on one
/// server fewer, one member gone at some stage of its removal, the annotation naming it (or,
/// sometimes, withdrawn or naming another member), any recorded phase.
fn replacement_case() -> impl Strategy<Value = (Sim, Desired, Progress)> {
    (4u32..=7)
        .prop_flat_map(|n| {
            (
                Just(n),
                lost(n),
                prop::option::weighted(0.3, (0..n, member())),
                prop_oneof![4 => Just(0u64), 1 => 0u64..20],
                prop_oneof![6 => Just(None), 1 => Just(Some(None)), 1 => (0..n).prop_map(|o| Some(Some(o)))],
                prop::option::weighted(0.7, (0u8..4, 0i64..2_000)),
                900i64..3_000,
            )
        })
        .prop_map(|(n, (o, state, pod, moved), perturb, lag, annotation, recorded, now)| {
            let mut sim = Sim::healthy(n, "r1");
            for db in &mut sim.dbs {
                db.secondaries.clear();
                db.requested = (db.primaries.len() as u32, 0);
            }
            sim.db("neo4j").lag = lag;
            if moved {
                sim.evacuate_user_databases(o);
                let neo4j = sim.db("neo4j");
                if let Some(spare) = (0..n).find(|m| *m != o && !neo4j.primaries.contains(m)) {
                    neo4j.primaries.push(spare);
                }
            }
            sim.members[o as usize] = SimMember {
                pod: pod.then(|| (false, "r1".to_owned())),
                server: Some((state, Health::Unavailable)),
                instance: 0,
            };
            if let Some((p, m)) = perturb {
                sim.members[p as usize] = m;
            }
            sim.now = now;
            let mut d = desired(n, "r1");
            d.secondaries = 0;
            d.confirmation = Confirmation::None;
            d.replace_member = annotation.unwrap_or(Some(o));
            let progress = match recorded {
                None => Progress::default(),
                Some((phase, at)) => Progress {
                    operation: Some(Operation::ReplaceMember {
                        member: o,
                        server: server_id(o),
                        phase: [
                            ReplacePhase::Cordoned,
                            ReplacePhase::Deallocating,
                            ReplacePhase::Dropped,
                            ReplacePhase::Recreating,
                        ][phase as usize],
                        started_at_secs: at,
                        pod_uid: None,
                    }),
                },
            };
            (sim, d, progress)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

    #[test]
    fn planner_never_breaks_the_safety_invariants(
        (sim, desired) in any_sim().prop_flat_map(|s| { let r = s.replicas; (Just(s), want_for(r)) }),
        progress in progress(),
    ) {
        check_invariants(&sim, &desired, &progress)?;
    }

    #[test]
    fn replacements_never_break_the_safety_invariants(
        (sim, desired, progress) in replacement_case(),
    ) {
        check_invariants(&sim, &desired, &progress)?;
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
    for _ in 0..8_000 {
        let ((sim, desired), progress) =
            strategy.new_tree(&mut runner).expect("generate").current();
        let observed = sim.build();
        let step = plan(&observed, &desired, &progress);
        if let Action::DropServer { server } = &step.action
            && observed.members.values().any(|m| {
                m.server
                    .as_ref()
                    .is_some_and(|s| &s.server_id == server && s.state == ServerState::Deallocating)
            })
        {
            *seen.entry("drop-lost").or_default() += 1;
        }
        let kind = match step.action {
            Action::Done => "done",
            Action::Wait => "wait",
            Action::Refuse => "refuse",
            Action::Abort => "abort",
            Action::ScaleStatefulSet { replicas, .. } if replicas < observed.replicas => "shrink",
            Action::ScaleStatefulSet { .. } => "grow",
            Action::EnableServer { .. } => "enable",
            Action::AlignTopology { .. } => "align",
            Action::CordonServer { .. } => "cordon",
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
        "cordon",
        "deallocate",
        "drop-lost",
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

/// The replacement cases reach every step of a replacement, so its invariants are not vacuous.
#[test]
fn replacement_cases_reach_every_step_of_a_replacement() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let mut runner = TestRunner::deterministic();
    let mut seen: BTreeMap<&'static str, u32> = BTreeMap::new();
    for _ in 0..4_000 {
        let (sim, desired, progress) = replacement_case()
            .new_tree(&mut runner)
            .expect("generate")
            .current();
        let observed = sim.build();
        let step = plan(&observed, &desired, &progress);
        let state = step
            .member
            .and_then(|o| observed.member(o))
            .and_then(|m| m.state().cloned());
        let kind = match (&step.action, state) {
            (Action::CordonServer { .. }, _) => "cordon",
            (Action::EnableServer { .. }, Some(ServerState::Cordoned)) => "uncordon",
            (Action::DeallocateServer { .. }, _) => "deallocate",
            (Action::DropServer { .. }, Some(ServerState::Deallocating)) => "drop-lost",
            (Action::DropServer { .. }, _) => "drop",
            (Action::ReplaceMember { .. }, _) => "recreate",
            (Action::Wait, _) => "wait",
            (Action::Refuse, _) => "refuse",
            (Action::Abort, _) => "abort",
            _ => "other",
        };
        *seen.entry(kind).or_default() += 1;
    }
    println!("{seen:?}");
    for kind in [
        "cordon",
        "uncordon",
        "deallocate",
        "drop-lost",
        "recreate",
        "wait",
        "refuse",
    ] {
        assert!(
            seen.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never planned: {seen:?}"
        );
    }
}
