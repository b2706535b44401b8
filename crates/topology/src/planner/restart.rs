//! Rolling restart to a new revision (config digest or image): one member at a time,
//! secondaries first, then followers, the member leading the most databases last; each only
//! when every gate passes; abort when a member does not come back in time.

use crate::observed::{Member, ObservedTopology};

use super::gates::safe_to_take_down;
use super::{Action, Desired, Operation, Progress, Step};

/// The recorded member is back: `None` so the planner moves on; otherwise wait or abort.
pub fn resume(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Option<Step> {
    let Some(Operation::Restart {
        member,
        started_at_secs,
        revision,
    }) = &progress.operation
    else {
        return None;
    };
    let back = observed.member(*member).is_some_and(|m| {
        m.is_up()
            && m.pod.as_ref().is_some_and(|p| &p.revision == revision)
            && m.databases.iter().all(|d| d.is_online())
    });
    if back || observed.replicas <= *member {
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
    let mut stale: Vec<&Member> = observed
        .members
        .values()
        .filter(|m| m.ordinal < observed.replicas)
        .filter(|m| {
            m.pod
                .as_ref()
                .is_some_and(|p| p.revision != desired.revision)
        })
        .collect();
    stale.sort_by_key(|m| rank(m));
    let next = stale.first()?;
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
            Action::RestartMember { ordinal },
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
            }),
        }),
    )
}
