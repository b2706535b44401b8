//! Scale up and settle: add pods, wait for their servers, enable free servers (when
//! auto-enable is off), then align the default database's topology to the spec.

use crate::observed::ObservedTopology;
use crate::records::ServerState;

use super::{Action, Desired, Progress, Step};

/// `None` when membership and the default database's topology already match.
pub fn plan(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Option<Step> {
    if desired.members > observed.replicas {
        return Some(Step::new(
            Action::ScaleStatefulSet {
                replicas: desired.members,
                kept_pvc_ordinal: None,
            },
            format!(
                "scale up from {} to {} members",
                observed.replicas, desired.members
            ),
            progress,
        ));
    }
    for ordinal in 0..desired.members {
        let Some(member) = observed.member(ordinal) else {
            return Some(wait(progress, ordinal, "pod not created yet"));
        };
        if !member.pod.as_ref().is_some_and(|p| p.ready) {
            return Some(wait(progress, ordinal, "pod not Ready yet"));
        }
        let Some(server) = &member.server else {
            return Some(wait(
                progress,
                ordinal,
                "server not listed by SHOW SERVERS yet",
            ));
        };
        if server.state == ServerState::Dropped {
            // A dropped server can never rejoin with the same identity (clustering/servers.adoc);
            // a member recreated on the PVC kept from a scale-down carries that identity.
            return Some(
                Step::new(
                    Action::Refuse,
                    format!(
                        "member {ordinal} runs the dropped server {}: its PVC was kept from an earlier scale-down; delete the PVC (or run `neo4j-admin server unbind`) so it joins with a new server ID",
                        server.name
                    ),
                    progress,
                )
                .on(ordinal),
            );
        }
        if server.state == ServerState::Free {
            if desired.auto_enable_servers {
                return Some(wait(
                    progress,
                    ordinal,
                    "server Free; Neo4j enables it automatically",
                ));
            }
            return Some(
                Step::new(
                    Action::EnableServer {
                        server: server.server_id.clone(),
                    },
                    format!("server {} of member {ordinal} is Free", server.name),
                    progress,
                )
                .on(ordinal),
            );
        }
    }
    let q = observed.databases.get(&desired.default_database)?;
    if (q.requested_primaries, q.requested_secondaries) != (desired.primaries, desired.secondaries)
    {
        if desired.primaries + desired.secondaries > desired.members {
            return Some(Step::new(
                Action::Refuse,
                format!(
                    "spec asks {} primaries + {} secondaries for {} but has only {} members",
                    desired.primaries,
                    desired.secondaries,
                    desired.default_database,
                    desired.members
                ),
                progress,
            ));
        }
        return Some(Step::new(
            Action::AlignTopology {
                database: desired.default_database.clone(),
                primaries: desired.primaries,
                secondaries: desired.secondaries,
            },
            format!(
                "{} runs {} primaries / {} secondaries; spec wants {} / {}",
                desired.default_database,
                q.requested_primaries,
                q.requested_secondaries,
                desired.primaries,
                desired.secondaries
            ),
            progress,
        ));
    }
    None
}

fn wait(progress: &Progress, ordinal: u32, why: &str) -> Step {
    Step::new(Action::Wait, format!("member {ordinal}: {why}"), progress).on(ordinal)
}
