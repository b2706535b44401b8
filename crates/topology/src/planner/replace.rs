//! Member replacement (`neo4j-aks.io/replace-member: "<ordinal>"`): give one member an empty
//! disk and a new server identity, while the others keep serving. It exists for the members
//! that cannot heal themselves: a lost disk, a pod that cannot start, dirty or quarantined
//! copies. So the member's own copies never gate it; the other members must all be up and hold
//! every database's quorum.
//!
//! The steps follow the Operations Manual's procedure for lost servers
//! (clustering/multi-region-deployment/disaster-recovery.adoc, "Make servers available"):
//! `CALL dbms.cluster.cordonServer` (no new allocations; undone with `ENABLE SERVER` if the
//! request is withdrawn) → `DEALLOCATE DATABASES FROM SERVER` (its databases move to the other
//! servers) → `DROP SERVER` once the server is `Deallocated`, or, for a server that is gone,
//! still `Deallocating` but unavailable with its databases running elsewhere → delete the
//! member's pod and claim (the StatefulSet recreates both, empty) → the new server joins
//! (enabled here when auto-enable is off) → Neo4j places copies on it again. Only with the
//! annotation, never while another member is down, never when a database would lose its quorum,
//! and never when the remaining servers cannot hold every database's topology (Neo4j refuses
//! such a DEALLOCATE; clustering/servers.adoc, "Deallocating databases from a server").

use crate::observed::{ObservedTopology, SYSTEM_DATABASE};
use crate::records::ServerState;

use super::gates::{droppable, safe_to_replace};
use super::{Action, Desired, MIN_CLUSTER_MEMBERS, Operation, Progress, ReplacePhase, Step};

fn record(member: u32, server: &str, phase: ReplacePhase, started: i64) -> Progress {
    recreating_instance(member, server, phase, started, None)
}

fn recreating_instance(
    member: u32,
    server: &str,
    phase: ReplacePhase,
    started: i64,
    pod_uid: Option<String>,
) -> Progress {
    Progress {
        operation: Some(Operation::ReplaceMember {
            member,
            server: server.to_owned(),
            phase,
            started_at_secs: started,
            pod_uid,
        }),
    }
}

/// Why the other servers cannot take `ordinal`'s databases, with the two ways out.
fn needs_spare(observed: &ObservedTopology, desired: &Desired, ordinal: u32) -> Option<String> {
    let remaining = observed.replicas.saturating_sub(1);
    for q in observed.databases.values() {
        let copies = q.requested_primaries + q.requested_secondaries;
        if q.name == SYSTEM_DATABASE || copies <= remaining {
            continue;
        }
        let lower = if q.name == desired.default_database {
            format!(
                "lower spec.topology of {} to at most {remaining} primaries + secondaries (the operator then runs ALTER DATABASE … SET TOPOLOGY)",
                q.name
            )
        } else {
            format!(
                "lower its topology to at most {remaining} copies with ALTER DATABASE {} SET TOPOLOGY …",
                q.name
            )
        };
        return Some(format!(
            "replacing member {ordinal} needs a spare server: database {} wants {copies} copies ({} primaries, {} secondaries) and only {remaining} servers would remain, so Neo4j would refuse the DEALLOCATE; add a member first (spec.nodeCount {}), or {lower}, then replace",
            q.name,
            q.requested_primaries,
            q.requested_secondaries,
            observed.replicas + 1
        ));
    }
    None
}

/// Starts the replacement the annotation asks for, if any.
pub fn start(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Option<Step> {
    let ordinal = desired.replace_member?;
    let refuse = |reason: String| Some(Step::new(Action::Refuse, reason, progress).on(ordinal));
    if ordinal >= observed.replicas {
        return refuse(format!(
            "replace-member names member {ordinal}, but the cluster has members 0..{}",
            observed.replicas
        ));
    }
    if observed.replicas < MIN_CLUSTER_MEMBERS {
        return refuse(format!(
            "replacing a member needs at least {MIN_CLUSTER_MEMBERS} members; the cluster has {}",
            observed.replicas
        ));
    }
    if let Some(reason) = needs_spare(observed, desired, ordinal) {
        return refuse(reason);
    }
    let member = observed.member(ordinal)?;
    let Some(server) = &member.server else {
        return Some(
            Step::new(
                Action::Wait,
                format!("member {ordinal}: its server is not listed by SHOW SERVERS yet"),
                progress,
            )
            .on(ordinal),
        );
    };
    let id = &server.server_id;
    match &server.state {
        ServerState::Enabled => {
            let step = Step::new(
                Action::CordonServer { server: id.clone() },
                format!(
                    "replace member {ordinal}: cordon server {} so nothing new is placed on it",
                    server.name
                ),
                progress,
            )
            .on(ordinal)
            .recording(record(
                ordinal,
                id,
                ReplacePhase::Cordoned,
                observed.now_secs,
            ));
            Some(gated(observed, desired, ordinal, progress, step))
        }
        // Cordoned by someone else (this operator records its own cordon before sending it):
        // not ours to undo, so the replacement starts at the DEALLOCATE.
        ServerState::Cordoned => Some(deallocate(observed, desired, ordinal, id, progress)),
        // A DEALLOCATE or DROP sent by an operator that stopped before recording it: continue
        // from what Neo4j reports (the annotation consents to replacing this member).
        ServerState::Deallocating | ServerState::Deallocated => {
            let recorded = record(ordinal, id, ReplacePhase::Deallocating, observed.now_secs);
            Some(resume(observed, desired, &recorded))
        }
        ServerState::Dropped => {
            let recorded = record(ordinal, id, ReplacePhase::Dropped, observed.now_secs);
            Some(resume(observed, desired, &recorded))
        }
        ServerState::Free | ServerState::Other(_) => refuse(format!(
            "member {ordinal}: server {} is {:?}; a replacement starts from an Enabled or Cordoned server",
            server.name, server.state
        )),
    }
}

/// `step` if `ordinal` may be replaced now, else a wait that says why (progress unchanged).
fn gated(
    observed: &ObservedTopology,
    desired: &Desired,
    ordinal: u32,
    progress: &Progress,
    step: Step,
) -> Step {
    match safe_to_replace(observed, desired, ordinal) {
        Ok(()) => step,
        Err(blocker) => Step::new(
            Action::Wait,
            format!("member {ordinal} cannot be replaced yet: {blocker}"),
            progress,
        )
        .on(ordinal),
    }
}

/// `DEALLOCATE DATABASES FROM SERVER` for the (cordoned) server, when the others can take its
/// databases and the gate passes. Its timeout counts from here.
fn deallocate(
    observed: &ObservedTopology,
    desired: &Desired,
    ordinal: u32,
    server: &str,
    progress: &Progress,
) -> Step {
    if let Some(reason) = needs_spare(observed, desired, ordinal) {
        return Step::new(Action::Refuse, reason, progress).on(ordinal);
    }
    let step = Step::new(
        Action::DeallocateServer {
            server: server.to_owned(),
        },
        format!("replace member {ordinal}: move databases off server {server}"),
        progress,
    )
    .on(ordinal)
    .destructive()
    .recording(record(
        ordinal,
        server,
        ReplacePhase::Deallocating,
        observed.now_secs,
    ));
    gated(observed, desired, ordinal, progress, step)
}

/// Continues the recorded replacement.
pub fn resume(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Step {
    let Some(Operation::ReplaceMember {
        member: ordinal,
        server: old,
        phase,
        started_at_secs,
        pod_uid: deleted_instance,
    }) = &progress.operation
    else {
        return super::plan(observed, desired, &Progress::default());
    };
    let ordinal = *ordinal;
    let started = *started_at_secs;
    let wait =
        |reason: String, recorded: &Progress| Step::new(Action::Wait, reason, recorded).on(ordinal);
    let member = observed.member(ordinal);
    let current = member.and_then(|m| m.server.as_ref());
    let is_old = current.is_some_and(|s| &s.server_id == old);
    let old_state = current.filter(|_| is_old).map(|s| &s.state);
    let withdrawn = desired.replace_member != Some(ordinal);
    // DEALLOCATE reached Neo4j although the record still says Cordoned (sent, not recorded).
    let phase = match (phase, old_state) {
        (
            ReplacePhase::Cordoned,
            Some(ServerState::Deallocating | ServerState::Deallocated | ServerState::Dropped),
        ) => ReplacePhase::Deallocating,
        (phase, _) => *phase,
    };
    if phase == ReplacePhase::Cordoned {
        return cordoned(observed, desired, progress, ordinal, old, withdrawn);
    }
    if withdrawn && phase == ReplacePhase::Deallocating {
        // Withdrawn after the DEALLOCATE, which cannot be undone: say so; the server stays
        // deallocating and a person decides (re-annotate to continue).
        return Step::new(
            Action::Refuse,
            format!(
                "replacement of member {ordinal} was withdrawn after DEALLOCATE, which cannot be undone; set {}: \"{ordinal}\" again to finish it",
                super::REPLACE_MEMBER_ANNOTATION
            ),
            progress,
        )
        .on(ordinal);
    }
    let Some(member) = member else {
        return wait(format!("member {ordinal} is not observed"), progress);
    };
    let elapsed = observed.now_secs.saturating_sub(started);
    let too_long = |what: &str| {
        Step::new(
            Action::Abort,
            format!(
                "member {ordinal} has not {what} {elapsed}s after DEALLOCATE (bound {}s); check SHOW SERVERS / SHOW DATABASES",
                desired.step_timeout_secs
            ),
            progress,
        )
        .on(ordinal)
    };
    match (phase, current) {
        (ReplacePhase::Deallocating | ReplacePhase::Dropped, Some(server)) if is_old => {
            match &server.state {
                ServerState::Enabled | ServerState::Cordoned => {
                    if elapsed > desired.step_timeout_secs {
                        return too_long("reached Deallocating");
                    }
                    wait(
                        format!("member {ordinal}: waiting for Neo4j to show the DEALLOCATE ({elapsed}s)"),
                        progress,
                    )
                }
                ServerState::Deallocating | ServerState::Deallocated => {
                    match droppable(observed, member) {
                        Ok(()) => Step::new(
                            Action::DropServer {
                                server: old.clone(),
                            },
                            format!(
                                "replace member {ordinal}: drop server {} ({:?}, {:?}), whose databases run on the other members",
                                server.name, server.state, server.health
                            ),
                            progress,
                        )
                        .on(ordinal)
                        .destructive()
                        .recording(record(
                            ordinal,
                            old,
                            ReplacePhase::Dropped,
                            started,
                        )),
                        Err(_) if elapsed > desired.step_timeout_secs => {
                            too_long("finished moving its databases")
                        }
                        Err(blocker) => wait(
                            format!(
                                "member {ordinal}: databases moving away from server {} ({elapsed}s): {blocker}",
                                server.name
                            ),
                            progress,
                        ),
                    }
                }
                ServerState::Dropped => recreate(observed, ordinal, old, started),
                other => Step::new(
                    Action::Abort,
                    format!(
                        "member {ordinal}: server {} is {other:?} after DEALLOCATE, which Neo4j's server lifecycle does not allow; check the cluster",
                        server.name
                    ),
                    progress,
                )
                .on(ordinal),
            }
        }
        // Recorded as dropped and the old server left the list: recreate the member.
        (ReplacePhase::Dropped, None) => recreate(observed, ordinal, old, started),
        (ReplacePhase::Recreating, Some(server)) if is_old => {
            if server.state == ServerState::Dropped {
                let instance = member.pod.as_ref().map(|p| &p.uid);
                if deleted_instance.is_some() && instance.is_some() && instance != deleted_instance.as_ref() {
                    // Another pod instance runs: the member was recreated, and the dropped
                    // server stays listed until its process is gone. Deleting again would
                    // wipe the new member.
                    return wait(
                        format!("member {ordinal} was recreated; waiting for the dropped server {old} to leave SHOW SERVERS"),
                        progress,
                    );
                }
                // The member still runs the dropped identity: its pod and claim were not
                // deleted yet (or not both). A dropped server holds nothing, so deleting again
                // loses nothing.
                return recreate(observed, ordinal, old, started);
            }
            Step::new(
                Action::Abort,
                format!(
                    "member {ordinal}: the recorded replacement expected server {old} to be dropped, but SHOW SERVERS reports it {:?}; check the cluster",
                    server.state
                ),
                progress,
            )
            .on(ordinal)
        }
        _ => match current {
            None => wait(
                format!("member {ordinal}: waiting for the new server to register"),
                &recreating_instance(
                    ordinal,
                    old,
                    ReplacePhase::Recreating,
                    started,
                    deleted_instance.clone(),
                ),
            ),
            Some(new) => {
                let recorded = recreating_instance(
                    ordinal,
                    old,
                    ReplacePhase::Recreating,
                    started,
                    deleted_instance.clone(),
                );
                match &new.state {
                    ServerState::Free if !desired.auto_enable_servers => Step::new(
                        Action::EnableServer {
                            server: new.server_id.clone(),
                        },
                        format!(
                            "replace member {ordinal}: enable its new server {}",
                            new.name
                        ),
                        &recorded,
                    )
                    .on(ordinal),
                    ServerState::Enabled if member.is_up() => Step::new(
                        Action::FinishReplacement { ordinal },
                        format!(
                            "member {ordinal} runs the new server {}; Neo4j places database copies on it",
                            new.name
                        ),
                        &Progress::default(),
                    )
                    .on(ordinal),
                    other => wait(
                        format!("member {ordinal}: new server {} is {other:?}", new.name),
                        &recorded,
                    ),
                }
            }
        },
    }
}

/// The recorded phase is `Cordoned` and Neo4j has not seen a DEALLOCATE: cordon (again, if it
/// did not arrive), deallocate, or, when the request was withdrawn, un-cordon.
fn cordoned(
    observed: &ObservedTopology,
    desired: &Desired,
    progress: &Progress,
    ordinal: u32,
    old: &str,
    withdrawn: bool,
) -> Step {
    let server = observed
        .member(ordinal)
        .and_then(|m| m.server.as_ref())
        .filter(|s| s.server_id == old);
    let Some(server) = server else {
        if withdrawn {
            return super::plan(observed, desired, &Progress::default());
        }
        return Step::new(
            Action::Abort,
            format!(
                "member {ordinal}: the recorded replacement cordoned server {old}, which SHOW SERVERS no longer reports for this member; check the cluster"
            ),
            progress,
        )
        .on(ordinal);
    };
    match (&server.state, withdrawn) {
        // The cordon is ours (recorded before it was sent): undo it. `ENABLE SERVER` returns a
        // Cordoned server to Enabled (clustering/servers.adoc, "Cordoned state";
        // `dbms.cluster.uncordonServer` is deprecated for it since 5.23).
        (ServerState::Cordoned, true) => Step::new(
            Action::EnableServer {
                server: old.to_owned(),
            },
            format!(
                "replacement of member {ordinal} was withdrawn before DEALLOCATE: un-cordon server {} (ENABLE SERVER)",
                server.name
            ),
            progress,
        )
        .on(ordinal)
        .recording(Progress::default()),
        // Never cordoned (or already un-cordoned): nothing of the replacement is left.
        (ServerState::Enabled, true) => super::plan(observed, desired, &Progress::default()),
        // Recorded before it was sent: the cordon may not have arrived.
        (ServerState::Enabled, false) => gated(
            observed,
            desired,
            ordinal,
            progress,
            Step::new(
                Action::CordonServer {
                    server: old.to_owned(),
                },
                format!(
                    "replace member {ordinal}: cordon server {} so nothing new is placed on it",
                    server.name
                ),
                progress,
            )
            .on(ordinal),
        ),
        (ServerState::Cordoned, false) => deallocate(observed, desired, ordinal, old, progress),
        (state, _) => Step::new(
            Action::Abort,
            format!(
                "member {ordinal}: server {} is {state:?} after the recorded cordon; check the cluster",
                server.name
            ),
            progress,
        )
        .on(ordinal),
    }
}

/// Deletes the member's pod and claim: the pod instance observed now (the one running the
/// dropped server) is named in the step and recorded, so no later decision deletes its
/// successor.
fn recreate(observed: &ObservedTopology, ordinal: u32, old: &str, started: i64) -> Step {
    let pod_uid = observed
        .member(ordinal)
        .and_then(|m| m.pod.as_ref())
        .map(|p| p.uid.clone());
    Step::new(
        Action::ReplaceMember {
            ordinal,
            pod_uid: pod_uid.clone(),
        },
        format!(
            "replace member {ordinal}: its server {old} is dropped; delete its pod and claim so it starts empty"
        ),
        &recreating_instance(ordinal, old, ReplacePhase::Recreating, started, pod_uid),
    )
    .on(ordinal)
    .destructive()
}
