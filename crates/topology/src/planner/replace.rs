//! Member replacement (`neo4j-aks.io/replace-member: "<ordinal>"`): give one member an empty
//! disk and a new server identity, while the others keep serving.
//!
//! `DEALLOCATE DATABASES FROM SERVER` (its databases move to the other servers) → wait for
//! `Deallocated` → `DROP SERVER` → delete the member's pod and claim (the StatefulSet recreates
//! both, empty) → the new server joins (enabled here when auto-enable is off) → Neo4j places
//! copies on it again. Only with the annotation, never while another member is down, never when
//! a database would lose its quorum, and never when the remaining servers cannot hold every
//! database's topology (Neo4j refuses such a DEALLOCATE).

use crate::observed::ObservedTopology;
use crate::records::ServerState;

use super::gates::safe_to_take_down;
use super::{Action, Desired, MIN_CLUSTER_MEMBERS, Operation, Progress, ReplacePhase, Step};

fn record(member: u32, server: &str, phase: ReplacePhase, started: i64) -> Progress {
    Progress {
        operation: Some(Operation::ReplaceMember {
            member,
            server: server.to_owned(),
            phase,
            started_at_secs: started,
        }),
    }
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
    let remaining = observed.replicas - 1;
    for q in observed.databases.values() {
        let copies = q.requested_primaries + q.requested_secondaries;
        if q.name != crate::observed::SYSTEM_DATABASE && copies > remaining {
            return refuse(format!(
                "replacing member {ordinal} needs a spare server: database {} wants {copies} copies and only {remaining} servers would remain; add a member first",
                q.name
            ));
        }
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
    match &server.state {
        ServerState::Enabled | ServerState::Cordoned => {}
        // A DEALLOCATE or DROP sent by an operator that stopped before recording it: continue
        // from what Neo4j reports (the annotation consents to replacing this member).
        ServerState::Deallocating | ServerState::Deallocated => {
            let recorded = record(
                ordinal,
                &server.server_id,
                ReplacePhase::Deallocating,
                observed.now_secs,
            );
            return Some(resume(observed, desired, &recorded));
        }
        ServerState::Dropped => {
            let recorded = record(
                ordinal,
                &server.server_id,
                ReplacePhase::Dropped,
                observed.now_secs,
            );
            return Some(resume(observed, desired, &recorded));
        }
        ServerState::Free | ServerState::Other(_) => {
            return refuse(format!(
                "member {ordinal}: server {} is {:?}; a replacement starts from an Enabled server",
                server.name, server.state
            ));
        }
    }
    if let Err(blocker) = safe_to_take_down(observed, desired, ordinal) {
        return Some(
            Step::new(
                Action::Wait,
                format!("member {ordinal} cannot be replaced yet: {blocker}"),
                progress,
            )
            .on(ordinal),
        );
    }
    Some(
        Step::new(
            Action::DeallocateServer {
                server: server.server_id.clone(),
            },
            format!(
                "replace member {ordinal}: move databases off server {}",
                server.name
            ),
            progress,
        )
        .on(ordinal)
        .destructive()
        .recording(record(
            ordinal,
            &server.server_id,
            ReplacePhase::Deallocating,
            observed.now_secs,
        )),
    )
}

/// Continues the recorded replacement.
pub fn resume(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Step {
    let Some(Operation::ReplaceMember {
        member: ordinal,
        server: old,
        phase,
        started_at_secs,
    }) = &progress.operation
    else {
        return super::plan(observed, desired, &Progress::default());
    };
    let ordinal = *ordinal;
    let started = *started_at_secs;
    let wait =
        |reason: String, recorded: &Progress| Step::new(Action::Wait, reason, recorded).on(ordinal);
    if desired.replace_member != Some(ordinal) && *phase == ReplacePhase::Deallocating {
        // Withdrawn before anything irreversible beyond the DEALLOCATE: say so; the server stays
        // deallocating and a person decides (re-annotate to continue).
        return Step::new(
            Action::Refuse,
            format!(
                "replacement of member {ordinal} was withdrawn after DEALLOCATE; set {}: \"{ordinal}\" again to finish it",
                super::REPLACE_MEMBER_ANNOTATION
            ),
            progress,
        )
        .on(ordinal);
    }
    let Some(member) = observed.member(ordinal) else {
        return wait(format!("member {ordinal} is not observed"), progress);
    };
    let current = member.server.as_ref();
    let is_old = current.is_some_and(|s| &s.server_id == old);
    let elapsed = observed.now_secs.saturating_sub(started);
    match phase {
        ReplacePhase::Deallocating | ReplacePhase::Dropped if is_old => {
            let server = current.expect("is_old implies a server");
            match &server.state {
                ServerState::Enabled | ServerState::Cordoned | ServerState::Deallocating => {
                    if elapsed > desired.step_timeout_secs {
                        return Step::new(
                            Action::Abort,
                            format!(
                                "member {ordinal} has not reached Deallocated {elapsed}s after DEALLOCATE (bound {}s); check SHOW SERVERS / SHOW DATABASES",
                                desired.step_timeout_secs
                            ),
                            progress,
                        )
                        .on(ordinal);
                    }
                    wait(
                        format!("member {ordinal}: databases moving away ({elapsed}s)"),
                        progress,
                    )
                }
                ServerState::Deallocated | ServerState::Free => {
                    if member.hosts_any_database() {
                        return wait(
                            format!(
                                "member {ordinal}: server {} still hosts databases",
                                server.name
                            ),
                            progress,
                        );
                    }
                    Step::new(
                        Action::DropServer {
                            server: old.clone(),
                        },
                        format!(
                            "replace member {ordinal}: drop server {}, which hosts nothing",
                            server.name
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
                    ))
                }
                ServerState::Dropped => recreate(ordinal, old, started, progress),
                ServerState::Other(state) => Step::new(
                    Action::Refuse,
                    format!("member {ordinal}: server state {state:?} is unknown to neo4j-aks"),
                    progress,
                )
                .on(ordinal),
            }
        }
        // Recorded as dropped and the old server left the list: recreate the member.
        ReplacePhase::Dropped if current.is_none() => recreate(ordinal, old, started, progress),
        ReplacePhase::Recreating if is_old => {
            if current.is_some_and(|s| s.state == ServerState::Dropped) {
                // The member still runs the dropped identity: its pod and claim were not
                // deleted yet (or not both). A dropped server holds nothing, so deleting again
                // loses nothing.
                return recreate(ordinal, old, started, progress);
            }
            Step::new(
                Action::Abort,
                format!(
                    "member {ordinal}: the recorded replacement expected server {old} to be dropped, but SHOW SERVERS reports it {:?}; check the cluster",
                    current.map(|s| &s.state)
                ),
                progress,
            )
            .on(ordinal)
        }
        _ => match current {
            None => wait(
                format!("member {ordinal}: waiting for the new server to register"),
                &record(ordinal, old, ReplacePhase::Recreating, started),
            ),
            Some(new) => {
                let recorded = record(ordinal, old, ReplacePhase::Recreating, started);
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

fn recreate(ordinal: u32, old: &str, started: i64, _progress: &Progress) -> Step {
    Step::new(
        Action::ReplaceMember { ordinal },
        format!(
            "replace member {ordinal}: its server {old} is dropped; delete its pod and claim so it starts empty"
        ),
        &record(ordinal, old, ReplacePhase::Recreating, started),
    )
    .on(ordinal)
    .destructive()
}
