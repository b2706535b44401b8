//! Rolling restart to a new revision (config digest or image): one member at a time,
//! secondaries first, then followers, the member leading the most databases last; each only
//! when every gate passes; abort when a member does not come back in time.

use crate::observed::{Member, ObservedTopology, PodObservation};

use super::gates::safe_to_take_down;
use super::{Action, Desired, Operation, Progress, Step};

/// The recorded restart: `None` when it is over (the member is back) or never happened (the
/// recorded pod instance still runs, not deleted), so the planner moves on; otherwise wait or
/// abort. Never a second delete: the member's pod is deleted only by [`start`], and only the
/// instance it observes on an old revision.
pub fn resume(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Option<Step> {
    let Some(Operation::Restart {
        member,
        started_at_secs,
        revision,
        pod_uid,
    }) = &progress.operation
    else {
        return None;
    };
    if observed.replicas <= *member {
        return None;
    }
    let current = observed.member(*member);
    let pod = current.and_then(|m| m.pod.as_ref());
    let back = match pod_uid {
        // The restart is recorded before the delete. The recorded instance is listed only while
        // it was not deleted (a pod being deleted is not observed): not started, and `start`
        // decides again, with every gate.
        Some(uid) if pod.is_some_and(|p| &p.uid == uid) => return None,
        // Another instance is the restarted pod, whatever revision the StatefulSet gave it.
        Some(_) => pod.is_some(),
        // Recorded by an operator that did not record the instance: the revision tells.
        None => pod.is_some_and(|p| &p.revision == revision),
    } && current.is_some_and(|m| m.is_up() && m.databases.iter().all(|d| d.is_online()));
    if back {
        return None;
    }
    let elapsed = observed.now_secs.saturating_sub(*started_at_secs);
    if elapsed > desired.step_timeout_secs {
        return Some(
            Step::new(
                Action::Abort,
                format!(
                    "member {member} did not come back within {}s of its restart ({elapsed}s); rolling restart stopped",
                    desired.step_timeout_secs
                ),
                progress,
            )
            .on(*member),
        );
    }
    Some(
        Step::new(
            Action::Wait,
            format!("member {member} restarting ({elapsed}s)"),
            progress,
        )
        .on(*member),
    )
}

/// Rank: secondaries-only members first, then by databases led (followers before leaders),
/// then highest ordinal first.
fn rank(member: &Member) -> (u8, usize, std::cmp::Reverse<u32>) {
    (
        u8::from(!member.is_secondary_only()),
        member.leads(),
        std::cmp::Reverse(member.ordinal),
    )
}

/// The next member to restart, if any runs an old revision.
pub fn start(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Option<Step> {
    let mut stale: Vec<(&Member, &PodObservation)> = observed
        .members
        .values()
        .filter(|m| m.ordinal < observed.replicas)
        .filter_map(|m| {
            m.pod
                .as_ref()
                .filter(|p| p.revision != desired.revision)
                .map(|p| (m, p))
        })
        .collect();
    stale.sort_by_key(|(m, _)| rank(m));
    let (next, pod) = stale.first()?;
    let ordinal = next.ordinal;
    if let Err(blocker) = safe_to_take_down(observed, desired, ordinal) {
        return Some(
            Step::new(
                Action::Wait,
                format!(
                    "{} member(s) need the new revision; member {ordinal} next, but {blocker}",
                    stale.len()
                ),
                progress,
            )
            .on(ordinal),
        );
    }
    Some(
        Step::new(
            Action::RestartMember {
                ordinal,
                pod_uid: pod.uid.clone(),
            },
            format!(
                "member {ordinal} runs an old revision ({} member(s) left)",
                stale.len()
            ),
            progress,
        )
        .on(ordinal)
        .recording(Progress {
            operation: Some(Operation::Restart {
                revision: desired.revision.clone(),
                member: ordinal,
                started_at_secs: observed.now_secs,
                pod_uid: Some(pod.uid.clone()),
            }),
        }),
    )
}
