//! Scale down, one member at a time, highest ordinal first:
//! `DEALLOCATE DATABASES FROM SERVER` → wait for `Deallocated` → `DROP SERVER` → shrink the
//! StatefulSet (the PVC stays and is reported). Refused below 3 members, below any database's
//! primaries, or without explicit confirmation. Each stage is derived from what Neo4j reports,
//! and the recorded progress keeps a restarted operator from re-issuing a step.

use crate::observed::{Member, ObservedTopology, SYSTEM_DATABASE};
use crate::records::ServerState;

use super::gates::{safe_to_take_down, system_keeps_quorum_without};
use super::{
    Action, CONFIRM_SCALE_DOWN_ANNOTATION, Desired, MIN_CLUSTER_MEMBERS, Operation, Progress,
    ScaleDownPhase, Step,
};

fn refuse(progress: &Progress, reason: String) -> Step {
    Step::new(Action::Refuse, reason, progress)
}

/// Reasons a scale-down to `target` is not allowed at all.
pub fn refusal(observed: &ObservedTopology, desired: &Desired, target: u32) -> Option<String> {
    if target < MIN_CLUSTER_MEMBERS {
        return Some(format!(
            "refusing to scale below {MIN_CLUSTER_MEMBERS} members (asked for {target}): a cluster needs 3 to tolerate a failure"
        ));
    }
    if desired.primaries > target {
        return Some(format!(
            "spec asks {} primaries for {} but only {target} members",
            desired.primaries, desired.default_database
        ));
    }
    for q in observed.databases.values() {
        // `system` has no Cypher topology: it is a primary on every server in PRIMARY mode, and
        // the server lifecycle removes it with the server. DEALLOCATE never moves it (it
        // "reallocates all user databases"), a Deallocated server "no longer hosts any
        // databases besides the system database", and DROP SERVER removes the server
        // (Operations Manual, clustering/servers.adoc, "Deallocating state", "Deallocated
        // state", "Dropped state"). Its quorum is checked when a server goes (the gates, and
        // `system_keeps_quorum_without` before DROP).
        if q.name != SYSTEM_DATABASE && q.requested_primaries > target {
            return Some(format!(
                "database {} has {} primaries; scaling to {target} members would leave it short",
                q.name, q.requested_primaries
            ));
        }
    }
    if !desired.confirmation.confirms(target) {
        return Some(format!(
            "scale-down to {target} members removes servers irreversibly; confirm with the annotation {CONFIRM_SCALE_DOWN_ANNOTATION}: \"{target}\" (or --yes in the CLI)"
        ));
    }
    None
}

/// Starts (or picks up, from observation alone) the removal of the highest member.
pub fn start(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Step {
    let target = desired.members;
    if let Some(reason) = refusal(observed, desired, target) {
        return refuse(progress, reason);
    }
    // Make room first: Neo4j refuses to deallocate when the remaining servers cannot hold a
    // database's topology.
    if let Some(q) = observed.databases.get(&desired.default_database)
        && q.requested_primaries + q.requested_secondaries > target
    {
        if desired.primaries + desired.secondaries > target {
            return refuse(
                progress,
                format!(
                    "spec asks {} primaries + {} secondaries for {}, more than {target} members",
                    desired.primaries, desired.secondaries, desired.default_database
                ),
            );
        }
        return Step::new(
            Action::AlignTopology {
                database: desired.default_database.clone(),
                primaries: desired.primaries,
                secondaries: desired.secondaries,
            },
            format!(
                "shrink {}'s topology to fit {target} members before removing servers",
                desired.default_database
            ),
            progress,
        );
    }
    for q in observed.databases.values() {
        if q.name != desired.default_database
            && q.name != SYSTEM_DATABASE
            && q.requested_primaries + q.requested_secondaries > target
        {
            return refuse(
                progress,
                format!(
                    "database {} wants {} copies, more than {target} members; alter its topology first",
                    q.name,
                    q.requested_primaries + q.requested_secondaries
                ),
            );
        }
    }
    let ordinal = observed.replicas.saturating_sub(1);
    let Some(member) = observed.member(ordinal) else {
        return shrink(desired, ordinal);
    };
    advance(observed, desired, member, None, progress)
}

/// Continues the recorded removal.
pub fn resume(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Step {
    let Some(Operation::ScaleDown {
        target,
        member,
        phase,
        started_at_secs,
        ..
    }) = &progress.operation
    else {
        return super::plan(observed, desired, &Progress::default());
    };
    if observed.replicas <= *member || *member + 1 != observed.replicas {
        // The StatefulSet no longer has this member (this removal is complete), or the record
        // does not describe the highest member (stale): plan from what is observed.
        return super::plan(observed, desired, &Progress::default());
    }
    if *target < MIN_CLUSTER_MEMBERS {
        return refuse(
            progress,
            format!(
                "recorded scale-down to {target} is below {MIN_CLUSTER_MEMBERS} members; refusing"
            ),
        );
    }
    if !desired.confirmation.confirms(*target) {
        return refuse(
            progress,
            format!(
                "scale-down to {target} is in progress (member {member}) but no longer confirmed; confirm again with {CONFIRM_SCALE_DOWN_ANNOTATION}: \"{target}\" or set nodeCount back"
            ),
        );
    }
    let Some(m) = observed.member(*member) else {
        return shrink(desired, *member);
    };
    if *phase == ScaleDownPhase::Dropped && m.server.is_none() {
        // DROP SERVER is recorded before it is sent; a server SHOW SERVERS no longer lists after
        // that is gone (a dropped server that shut down leaves the list).
        return shrink(desired, *member);
    }
    let elapsed = observed.now_secs.saturating_sub(*started_at_secs);
    if *phase == ScaleDownPhase::Deallocating
        && matches!(
            m.state(),
            Some(ServerState::Enabled | ServerState::Cordoned | ServerState::Deallocating)
        )
    {
        // DEALLOCATE was sent: never re-issue it; wait for Neo4j, within the bound.
        if elapsed > desired.step_timeout_secs {
            return Step::new(
                Action::Abort,
                format!(
                    "member {member} has not reached Deallocated {elapsed}s after DEALLOCATE (bound {}s); check SHOW SERVERS / SHOW DATABASES",
                    desired.step_timeout_secs
                ),
                progress,
            )
            .on(*member);
        }
        return Step::new(
            Action::Wait,
            format!("member {member}: databases moving away ({elapsed}s)"),
            progress,
        )
        .on(*member);
    }
    advance(observed, desired, m, Some(*started_at_secs), progress)
}

/// The next stage for `member`, from its server state.
fn advance(
    observed: &ObservedTopology,
    desired: &Desired,
    member: &Member,
    started: Option<i64>,
    progress: &Progress,
) -> Step {
    let ordinal = member.ordinal;
    let target = desired.members;
    let record = |server: &str, phase| Progress {
        operation: Some(Operation::ScaleDown {
            target,
            member: ordinal,
            server: server.to_owned(),
            phase,
            started_at_secs: started.unwrap_or(observed.now_secs),
        }),
    };
    let Some(server) = &member.server else {
        if member.pod.is_some() {
            return Step::new(
                Action::Wait,
                format!("member {ordinal}: pod exists but SHOW SERVERS does not list its server"),
                progress,
            )
            .on(ordinal);
        }
        return shrink(desired, ordinal);
    };
    let id = server.server_id.clone();
    match &server.state {
        ServerState::Enabled | ServerState::Cordoned => {
            if let Err(blocker) = safe_to_take_down(observed, desired, ordinal) {
                return Step::new(
                    Action::Wait,
                    format!("member {ordinal} cannot be deallocated yet: {blocker}"),
                    progress,
                )
                .on(ordinal);
            }
            Step::new(
                Action::DeallocateServer { server: id.clone() },
                format!(
                    "scale down to {target}: move databases off server {} (member {ordinal})",
                    server.name
                ),
                progress,
            )
            .on(ordinal)
            .destructive()
            .recording(record(&id, ScaleDownPhase::Deallocating))
        }
        ServerState::Deallocating => Step::new(
            Action::Wait,
            format!("member {ordinal}: server {} is Deallocating", server.name),
            progress,
        )
        .on(ordinal)
        .recording(record(&id, ScaleDownPhase::Deallocating)),
        ServerState::Deallocated | ServerState::Free => {
            if member.hosts_any_database() {
                return Step::new(
                    Action::Wait,
                    format!(
                        "member {ordinal}: server {} still hosts databases",
                        server.name
                    ),
                    progress,
                )
                .on(ordinal);
            }
            if let Err(blocker) = system_keeps_quorum_without(observed, member) {
                return Step::new(
                    Action::Wait,
                    format!(
                        "member {ordinal}: server {} cannot be dropped yet: {blocker}",
                        server.name
                    ),
                    progress,
                )
                .on(ordinal);
            }
            Step::new(
                Action::DropServer { server: id.clone() },
                format!(
                    "scale down to {target}: drop server {} (member {ordinal}), which hosts nothing",
                    server.name
                ),
                progress,
            )
            .on(ordinal)
            .destructive()
            .recording(record(&id, ScaleDownPhase::Dropped))
        }
        ServerState::Dropped => shrink(desired, ordinal),
        ServerState::Other(state) => refuse(
            progress,
            format!("member {ordinal}: server state {state:?} is unknown to neo4j-aks"),
        ),
    }
}

fn shrink(desired: &Desired, ordinal: u32) -> Step {
    Step::new(
        Action::ScaleStatefulSet {
            replicas: ordinal,
            kept_pvc_ordinal: Some(ordinal),
        },
        format!(
            "scale down to {}: remove pod {ordinal} (its server is gone); its PVC is kept",
            desired.members
        ),
        &Progress::default(),
    )
    .on(ordinal)
    .destructive()
}
