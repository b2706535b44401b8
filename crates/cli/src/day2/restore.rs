//! `neo4j-aks restore --member I`: ask the operator to replace one member with an empty one that
//! Neo4j re-seeds from the others, after checking the request can be honoured.

use kube::ResourceExt;
use neo4j_aks_model::Neo4jCluster;
use serde_json::json;

use super::REPLACE_MEMBER_ANNOTATION;
use super::scale::MIN_CLUSTER_MEMBERS;
use super::view::OperationView;

#[derive(Debug, PartialEq)]
pub enum RestoreRequest {
    /// Write the annotation.
    New,
    /// This member's replacement was already requested: follow it.
    Resume,
}

/// Why the request is refused before anything changes.
#[derive(Debug, PartialEq)]
pub struct Refusal(pub String);

pub fn decide(cluster: &Neo4jCluster, ordinal: i32) -> Result<RestoreRequest, Refusal> {
    let name = cluster.name_any();
    let status = cluster.status.clone().unwrap_or_default();
    let members = cluster.spec.node_count.unwrap_or(0);
    if members < MIN_CLUSTER_MEMBERS {
        return Err(Refusal(format!(
            "{name} is not a cluster of 3 or more members (nodeCount {members}): a replaced member is re-seeded from the other members' copies, and here there are none. Restore from a backup instead"
        )));
    }
    if !(0..members).contains(&ordinal) {
        return Err(Refusal(format!(
            "--member {ordinal}: {name} has no such member; its members are {name}-0 to {name}-{} (ordinals 0 to {})",
            members - 1,
            members - 1
        )));
    }
    let requested = cluster.annotations().get(REPLACE_MEMBER_ANNOTATION);
    let ours = |op: &OperationView| {
        op.kind.as_deref() == Some("ReplaceMember") && op.member == u32::try_from(ordinal).ok()
    };
    if let Some(op) = status.operation.as_ref() {
        let view = OperationView::from(op);
        if ours(&view) {
            return Ok(RestoreRequest::Resume);
        }
        return Err(Refusal(format!(
            "another operation is in flight ({}); wait until `neo4j-aks status {name}` shows none",
            view.summary()
        )));
    }
    match requested.map(|v| v.trim()) {
        Some(v) if v == ordinal.to_string() => return Ok(RestoreRequest::Resume),
        Some(v) => {
            return Err(Refusal(format!(
                "the replacement of member {v} was requested and has not finished (annotation {REPLACE_MEMBER_ANNOTATION}); wait for it, one member at a time"
            )));
        }
        None => {}
    }
    if let Some(replicas) = status.replicas
        && replicas != members
    {
        return Err(Refusal(format!(
            "a scale from {replicas} to {members} members is in progress; wait until it finished"
        )));
    }
    Ok(RestoreRequest::New)
}

/// The merge patch that asks for the replacement, conditional on the version that was checked.
pub fn patch(ordinal: i32, resource_version: Option<&str>) -> serde_json::Value {
    json!({"metadata": {
        "resourceVersion": resource_version,
        "annotations": {REPLACE_MEMBER_ANNOTATION: ordinal.to_string()},
    }})
}

/// What the replacement does, for people deciding whether to pass `--yes`.
pub fn explain(name: &str, ordinal: i32) -> String {
    format!(
        "replacing member {ordinal} of {name} destroys its copy of every database:\n\
         \x20 1. its server is cordoned (dbms.cluster.cordonServer), deallocated (DEALLOCATE DATABASES FROM SERVER: its databases move to the other members) and dropped (DROP SERVER); a member whose pod cannot start works too\n\
         \x20 2. pod {name}-{ordinal} and its PVC data-{name}-{ordinal} are deleted (the data on that disk is gone)\n\
         \x20 3. the StatefulSet recreates the pod with an empty disk; the new server is enabled\n\
         \x20 4. Neo4j copies the databases to it from the other members\n\
         The operator waits while another member is down or a database lacks a quorum of primaries on the other members,\n\
         and refuses when the other members could not hold every database's copies (3 members with 3 primaries need a 4th member first).\n\
         See docs/runbooks/restore-member.md. Re-run with --yes to go ahead.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day2::fixtures::{healthy, operation, status};

    fn refused(result: Result<RestoreRequest, Refusal>) -> String {
        result.expect_err("refused").0
    }

    #[test]
    fn an_existing_member_of_a_quiet_cluster_can_be_replaced() {
        assert_eq!(decide(&healthy(3), 2), Ok(RestoreRequest::New));
        assert_eq!(
            patch(2, Some("7")),
            json!({"metadata": {"resourceVersion": "7", "annotations": {REPLACE_MEMBER_ANNOTATION: "2"}}})
        );
        let text = explain("db", 2);
        assert!(
            text.contains("pod db-2 and its PVC data-db-2 are deleted"),
            "{text}"
        );
    }

    #[test]
    fn members_that_do_not_exist_are_refused() {
        for ordinal in [3, 10] {
            let text = refused(decide(&healthy(3), ordinal));
            assert!(
                text.contains(&format!("--member {ordinal}: db has no such member")),
                "{text}"
            );
            assert!(text.contains("db-0 to db-2"), "{text}");
        }
    }

    #[test]
    fn a_standalone_server_is_refused() {
        let text = refused(decide(&healthy(1), 0));
        assert!(text.contains("Restore from a backup"), "{text}");
    }

    #[test]
    fn another_operation_in_flight_is_refused_the_same_one_is_followed() {
        let mut c = healthy(3);
        status(&mut c).operation = Some(operation("Restart", 0));
        let text = refused(decide(&c, 1));
        assert!(
            text.contains("another operation is in flight (Restart: member 0"),
            "{text}"
        );
        status(&mut c).operation = Some(operation("ReplaceMember", 0));
        assert!(refused(decide(&c, 1)).contains("ReplaceMember: member 0"));
        assert_eq!(decide(&c, 0), Ok(RestoreRequest::Resume));
    }

    #[test]
    fn a_requested_replacement_not_started_yet_counts_as_in_flight() {
        let mut c = healthy(3);
        c.annotations_mut()
            .insert(REPLACE_MEMBER_ANNOTATION.into(), "2".into());
        assert_eq!(decide(&c, 2), Ok(RestoreRequest::Resume));
        let text = refused(decide(&c, 1));
        assert!(
            text.contains("the replacement of member 2 was requested"),
            "{text}"
        );
    }

    #[test]
    fn a_scale_in_progress_is_refused() {
        let mut c = healthy(5);
        c.spec.node_count = Some(3);
        let text = refused(decide(&c, 1));
        assert!(
            text.contains("a scale from 5 to 3 members is in progress"),
            "{text}"
        );
    }
}
