//! The safety gates every disruptive step passes: a member may go down only when every other
//! member is up, every database is online with a quorum, lag is under the bound, and losing
//! this member keeps every database at or above its primaries' quorum. A server leaves the
//! `system` database's primaries only while the others keep a quorum.

use crate::observed::{Member, ObservedTopology, SYSTEM_DATABASE, majority};
use crate::records::{DatabaseRole, Health};

use super::Desired;

/// Why a member may not be taken down now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    MemberNotUp(u32),
    DatabaseNotOnline(String),
    NoQuorum(String),
    Lag { database: String, lag: u64 },
    WouldLoseQuorum(String),
    UnknownMember(u32),
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocker::MemberNotUp(o) => {
                write!(f, "member {o} is not up (pod Ready, server Available)")
            }
            Blocker::DatabaseNotOnline(d) => write!(f, "database {d} is not online everywhere"),
            Blocker::NoQuorum(d) => write!(f, "database {d} has no quorum of primaries"),
            Blocker::Lag { database, lag } => {
                write!(f, "database {database} lags {lag} transactions")
            }
            Blocker::WouldLoseQuorum(d) => {
                write!(
                    f,
                    "taking it down would leave database {d} below its primaries' quorum"
                )
            }
            Blocker::UnknownMember(o) => write!(f, "member {o} is not observed"),
        }
    }
}

fn is_available(member: &Member) -> bool {
    member
        .server
        .as_ref()
        .is_some_and(|s| s.health == Health::Available)
}

/// `Ok` when `ordinal` may go down (restart or deallocation) now.
pub fn safe_to_take_down(
    observed: &ObservedTopology,
    desired: &Desired,
    ordinal: u32,
) -> Result<(), Blocker> {
    let target = observed
        .member(ordinal)
        .ok_or(Blocker::UnknownMember(ordinal))?;
    for member in observed.members.values() {
        if member.ordinal != ordinal && member.ordinal < observed.replicas && !member.is_up() {
            return Err(Blocker::MemberNotUp(member.ordinal));
        }
    }
    for (name, q) in &observed.databases {
        if !q.all_online {
            return Err(Blocker::DatabaseNotOnline(name.clone()));
        }
        if !q.has_quorum() {
            return Err(Blocker::NoQuorum(name.clone()));
        }
        if q.max_lag > desired.max_lag {
            return Err(Blocker::Lag {
                database: name.clone(),
                lag: q.max_lag,
            });
        }
        if target.online_primary_of(name) && q.primaries_available.saturating_sub(1) < q.required {
            return Err(Blocker::WouldLoseQuorum(name.clone()));
        }
    }
    Ok(())
}

/// `Ok` when dropping `member`'s server keeps `system` writable: DROP SERVER removes the server
/// from the cluster (clustering/servers.adoc, "Dropped state"), so its `system` primary leaves
/// the primaries whose majority `system` needs (at DROP or, at the latest, when the dropped
/// process stops and the member's pod goes; the manual does not say which).
pub fn system_keeps_quorum_without(
    observed: &ObservedTopology,
    member: &Member,
) -> Result<(), Blocker> {
    let Some(q) = observed.system() else {
        return Ok(());
    };
    let row = member
        .databases
        .iter()
        .find(|r| r.name == SYSTEM_DATABASE && r.role != DatabaseRole::Secondary);
    let Some(row) = row else {
        return Ok(());
    };
    let counted = u32::from(row.is_online() && is_available(member));
    let primaries = q.requested_primaries.saturating_sub(1);
    let available = q.primaries_available.saturating_sub(counted);
    if available < majority(primaries) {
        return Err(Blocker::WouldLoseQuorum(SYSTEM_DATABASE.to_owned()));
    }
    Ok(())
}
