//! `neo4j-aks restart`: ask the operator for a rolling restart, or follow the one in flight.

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use neo4j_aks_model::Neo4jCluster;
use neo4j_aks_model::operation::OperationKind;
use serde_json::json;

use super::RESTART_REQUESTED_ANNOTATION;

#[derive(Debug, PartialEq)]
pub enum RestartRequest {
    /// A restart is already rolling: follow it instead of asking for another one.
    Resume { requested_at: Option<Timestamp> },
    /// Ask for a new one, stamped `at`.
    New { at: Timestamp },
}

pub fn decide(cluster: &Neo4jCluster, now: Timestamp) -> RestartRequest {
    let rolling = cluster
        .status
        .as_ref()
        .and_then(|s| s.operation.as_ref())
        .is_some_and(|op| op.kind == OperationKind::Restart);
    if rolling {
        let requested_at = cluster
            .annotations()
            .get(RESTART_REQUESTED_ANNOTATION)
            .and_then(|v| v.parse().ok());
        return RestartRequest::Resume { requested_at };
    }
    RestartRequest::New { at: now }
}

/// The merge patch that requests a restart at `at` (RFC 3339, seconds precision).
pub fn patch(at: Timestamp) -> serde_json::Value {
    json!({"metadata": {"annotations": {RESTART_REQUESTED_ANNOTATION: stamp(at)}}})
}

/// RFC 3339 in UTC with whole seconds, as Kubernetes writes times.
pub fn stamp(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day2::fixtures::{healthy, operation, status};

    #[test]
    fn a_new_restart_is_stamped_in_rfc3339() {
        let now: Timestamp = "2026-11-26T13:00:05Z".parse().expect("time");
        assert_eq!(decide(&healthy(3), now), RestartRequest::New { at: now });
        assert_eq!(
            patch(now),
            json!({"metadata": {"annotations": {RESTART_REQUESTED_ANNOTATION: "2026-11-26T13:00:05Z"}}})
        );
    }

    #[test]
    fn a_rolling_restart_is_followed_not_requested_again() {
        let mut c = healthy(3);
        c.annotations_mut().insert(
            RESTART_REQUESTED_ANNOTATION.into(),
            "2026-11-26T12:58:00Z".into(),
        );
        status(&mut c).operation = Some(operation("Restart", 1));
        assert_eq!(
            decide(&c, Timestamp::now()),
            RestartRequest::Resume {
                requested_at: Some("2026-11-26T12:58:00Z".parse().expect("time"))
            }
        );
        // Another operation in flight: the planner runs the restart after it.
        status(&mut c).operation = Some(operation("ScaleDown", 4));
        assert!(matches!(
            decide(&c, Timestamp::now()),
            RestartRequest::New { .. }
        ));
    }
}
