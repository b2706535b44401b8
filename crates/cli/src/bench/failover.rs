//! Failover time as the writers saw it: the leader's pod is deleted mid-run
//! (`--kill-leader-at`), and the time writes were unavailable is the gap between the last write
//! committed before the deletion and the first committed after it, over every writer. The
//! verdict is pure; deleting the pod is the edge ([`kill_leader`]).

use serde::Serialize;

/// What one deletion of the leader's pod cost the writers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failover {
    /// The member whose pod was deleted: the leader of the bench's database at that moment.
    pub pod: String,
    /// Seconds into the run.
    pub killed_at_seconds: f64,
    /// The last commit before the deletion, seconds into the run (`None`: none before it).
    pub last_write_before_seconds: Option<f64>,
    /// The first commit after it (`None`: writes never came back within the run).
    pub first_write_after_seconds: Option<f64>,
    /// From the deletion to the first commit after it.
    pub writes_resumed_after_seconds: Option<f64>,
    /// From the last commit before to the first after: how long no write succeeded.
    pub writes_unavailable_seconds: Option<f64>,
}

/// The writes around a deletion at `killed_at`, from every writer's commit times (seconds into
/// the run, in any order).
pub fn around(pod: &str, killed_at: f64, commits: &[f64]) -> Failover {
    let before = commits
        .iter()
        .copied()
        .filter(|t| *t <= killed_at)
        .max_by(f64::total_cmp);
    let after = commits
        .iter()
        .copied()
        .filter(|t| *t > killed_at)
        .min_by(f64::total_cmp);
    Failover {
        pod: pod.to_owned(),
        killed_at_seconds: killed_at,
        last_write_before_seconds: before,
        first_write_after_seconds: after,
        writes_resumed_after_seconds: after.map(|a| a - killed_at),
        writes_unavailable_seconds: before.zip(after).map(|(b, a)| a - b),
    }
}

/// The leader of `database` as the operator's status names it (a pod name).
pub fn leader_of(
    cluster: &neo4j_aks_model::Neo4jCluster,
    database: &str,
) -> Result<String, String> {
    let status = cluster
        .status
        .as_ref()
        .ok_or("the Neo4jCluster has no status yet: is the operator running?")?;
    let db = status
        .databases
        .iter()
        .find(|d| d.name == database)
        .ok_or_else(|| format!("the status lists no database {database}"))?;
    db.leader
        .clone()
        .ok_or_else(|| format!("database {database} has no leader in the status"))
}

/// Deletes the pod of the leader of `database` (a graceful delete, as a node drain or a rolling
/// restart does: Neo4j is stopped, not crashed) and returns its name.
pub async fn kill_leader(
    target: &crate::day2::Target,
    database: &str,
) -> Result<String, crate::failure::Failure> {
    use crate::failure::Failure;
    use k8s_openapi::api::core::v1::Pod;
    let (client, namespace, api) = crate::day2::client_and_api(target).await?;
    let cluster = crate::day2::fetch(&api, target).await?;
    let pod = leader_of(&cluster, database)
        .map_err(|e| Failure::Bench(format!("Neo4jCluster {}: {e}", target.name)))?;
    kube::Api::<Pod>::namespaced(client, &namespace)
        .delete(&pod, &kube::api::DeleteParams::default())
        .await
        .map_err(Failure::kubernetes(format!("cannot delete pod {pod}")))?;
    Ok(pod)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_gap_around_the_deletion_is_the_unavailability() {
        let f = around("db-0", 10.0, &[9.2, 12.5, 9.9, 3.0, 13.0]);
        assert_eq!(f.last_write_before_seconds, Some(9.9));
        assert_eq!(f.first_write_after_seconds, Some(12.5));
        assert!((f.writes_resumed_after_seconds.unwrap_or_default() - 2.5).abs() < 1e-9);
        assert!((f.writes_unavailable_seconds.unwrap_or_default() - 2.6).abs() < 1e-9);
    }

    #[test]
    fn writes_that_never_came_back_have_no_resume_time() {
        let f = around("db-0", 10.0, &[1.0, 2.0]);
        assert_eq!(f.first_write_after_seconds, None);
        assert_eq!(f.writes_resumed_after_seconds, None);
        assert_eq!(f.writes_unavailable_seconds, None);
        assert_eq!(f.last_write_before_seconds, Some(2.0));
    }

    #[test]
    fn the_leader_comes_from_the_status() {
        let mut c = crate::day2::fixtures::healthy(3);
        assert_eq!(leader_of(&c, "neo4j").as_deref(), Ok("db-0"));
        assert_eq!(
            leader_of(&c, "orders"),
            Err("the status lists no database orders".to_owned())
        );
        c.status = None;
        assert!(leader_of(&c, "neo4j").is_err());
    }

    proptest! {
        /// No commit falls inside the reported gap, and the gap spans the deletion.
        #[test]
        fn no_commit_falls_inside_the_gap(
            commits in proptest::collection::vec(0.0f64..60.0, 0..200),
            killed_at in 0.0f64..60.0,
        ) {
            let f = around("db-0", killed_at, &commits);
            if let (Some(b), Some(a)) = (f.last_write_before_seconds, f.first_write_after_seconds) {
                prop_assert!(b <= killed_at && killed_at < a);
                prop_assert!(commits.iter().all(|t| *t <= b || *t >= a));
            }
            prop_assert_eq!(f.first_write_after_seconds.is_none(), commits.iter().all(|t| *t <= killed_at));
        }
    }
}
