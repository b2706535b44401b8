//! The safety gates every disruptive step passes: a member may go down only when every other
//! member is up, every database is online with a quorum, lag is under the bound, and losing
//! this member keeps every database at or above its primaries' quorum. A member being replaced
//! passes a gate that ignores its own copies (they are why it is replaced); a server leaves the
//! `system` database's primaries only while the others keep a quorum; a lost server is dropped
//! only once its databases are placed elsewhere.

use crate::observed::{Member, ObservedTopology, SYSTEM_DATABASE, majority};
use crate::records::{DatabaseRole, Health, ServerState};

use super::Desired;

/// Why a member may not be taken down (or its server dropped) now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    MemberNotUp(u32),
    DatabaseNotOnline(String),
    NoQuorum(String),
    Lag {
        database: String,
        lag: u64,
    },
    WouldLoseQuorum(String),
    UnknownMember(u32),
    /// The other members do not hold a quorum of the database's primaries.
    NoQuorumOnOthers {
        database: String,
        available: u32,
        required: u32,
    },
    /// The server's `requestedHosting` still names this user database.
    StillRequested(String),
    /// The other members do not run the database's requested copies yet.
    CopiesNotPlaced {
        database: String,
        primaries: u32,
        copies: u32,
        wanted_primaries: u32,
        wanted_copies: u32,
    },
    /// The server is neither `Deallocated` nor a `Deallocating` server that is unavailable.
    NotDroppable(String),
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
            Blocker::NoQuorumOnOthers {
                database,
                available,
                required,
            } => write!(
                f,
                "database {database} has {available} primaries online on the other members, below its quorum of {required}"
            ),
            Blocker::StillRequested(d) => {
                write!(f, "SHOW SERVERS still lists {d} in its requestedHosting")
            }
            Blocker::CopiesNotPlaced {
                database,
                primaries,
                copies,
                wanted_primaries,
                wanted_copies,
            } => write!(
                f,
                "database {database} runs {primaries} primaries / {copies} copies online on the other members, {wanted_primaries} / {wanted_copies} requested"
            ),
            Blocker::NotDroppable(state) => write!(
                f,
                "the server is {state}; DROP SERVER needs Deallocated, or Deallocating and unavailable"
            ),
        }
    }
}

fn is_available(member: &Member) -> bool {
    member
        .server
        .as_ref()
        .is_some_and(|s| s.health == Health::Available)
}

/// Every member of the StatefulSet other than `ordinal` is up.
fn others_up(observed: &ObservedTopology, ordinal: u32) -> Result<(), Blocker> {
    for member in observed.members.values() {
        if member.ordinal != ordinal && member.ordinal < observed.replicas && !member.is_up() {
            return Err(Blocker::MemberNotUp(member.ordinal));
        }
    }
    Ok(())
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
    others_up(observed, ordinal)?;
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

/// `Ok` when `ordinal` may be replaced (cordoned, then deallocated) now. Its own copies do not
/// count: a member is replaced because its disk is lost, its pod cannot start, or its copies are
/// dirty or quarantined. Every other member must be up, every database must hold a quorum of
/// its primaries on the other members, and their copies must be online and within the lag
/// bound; these copies are what Neo4j re-seeds from.
pub fn safe_to_replace(
    observed: &ObservedTopology,
    desired: &Desired,
    ordinal: u32,
) -> Result<(), Blocker> {
    observed
        .member(ordinal)
        .ok_or(Blocker::UnknownMember(ordinal))?;
    others_up(observed, ordinal)?;
    for (name, q) in &observed.databases {
        let mut available = 0u32;
        for member in observed.members.values().filter(|m| m.ordinal != ordinal) {
            for row in member.databases.iter().filter(|r| &r.name == name) {
                if !row.is_online() || row.requested_status != "online" {
                    return Err(Blocker::DatabaseNotOnline(name.clone()));
                }
                if row.lag() > desired.max_lag {
                    return Err(Blocker::Lag {
                        database: name.clone(),
                        lag: row.lag(),
                    });
                }
                if row.role == DatabaseRole::Primary && is_available(member) {
                    available += 1;
                }
            }
        }
        if available < q.required {
            return Err(Blocker::NoQuorumOnOthers {
                database: name.clone(),
                available,
                required: q.required,
            });
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

/// `Ok` when `member`'s server may be dropped: `Deallocated` and hosting no user database
/// (clustering/servers.adoc, "Dropped state"), or, for a server that is gone, `Deallocating`
/// and `Unavailable` with no user database left in its `requestedHosting` while the other
/// members run every user database's requested copies online. A server that cannot be reached
/// never reports the move finished, and the manual's lost-server procedure drops "each
/// deallocating or deallocated server" (clustering/multi-region-deployment/disaster-recovery.adoc,
/// "Make servers available").
pub fn droppable(observed: &ObservedTopology, member: &Member) -> Result<(), Blocker> {
    let Some(server) = &member.server else {
        return Err(Blocker::UnknownMember(member.ordinal));
    };
    match (&server.state, &server.health) {
        (ServerState::Deallocated, _) => {
            if let Some(d) = user_databases_of(member).next() {
                return Err(Blocker::StillRequested(d.to_owned()));
            }
        }
        (ServerState::Deallocating, Health::Unavailable) => {
            if let Some(d) = server
                .requested_hosting
                .iter()
                .find(|d| *d != SYSTEM_DATABASE)
            {
                return Err(Blocker::StillRequested(d.clone()));
            }
            for (name, q) in &observed.databases {
                if name == SYSTEM_DATABASE {
                    continue;
                }
                let mut primaries = 0u32;
                let mut copies = 0u32;
                for other in observed
                    .members
                    .values()
                    .filter(|m| m.ordinal != member.ordinal && is_available(m))
                {
                    for row in other
                        .databases
                        .iter()
                        .filter(|r| &r.name == name && r.is_online())
                    {
                        copies += 1;
                        primaries += u32::from(row.role == DatabaseRole::Primary);
                    }
                }
                let wanted_copies = q.requested_primaries + q.requested_secondaries;
                if primaries < q.requested_primaries || copies < wanted_copies {
                    return Err(Blocker::CopiesNotPlaced {
                        database: name.clone(),
                        primaries,
                        copies,
                        wanted_primaries: q.requested_primaries,
                        wanted_copies,
                    });
                }
            }
        }
        (state, health) => return Err(Blocker::NotDroppable(format!("{state:?} and {health:?}"))),
    }
    system_keeps_quorum_without(observed, member)
}

/// User databases the member hosts or is asked to host (`hosting`, `requestedHosting`, rows).
fn user_databases_of(member: &Member) -> impl Iterator<Item = &str> {
    let server = member.server.iter().flat_map(|s| {
        s.hosting
            .iter()
            .chain(s.requested_hosting.iter())
            .map(String::as_str)
    });
    member
        .databases
        .iter()
        .map(|d| d.name.as_str())
        .chain(server)
        .filter(|d| *d != SYSTEM_DATABASE)
}
