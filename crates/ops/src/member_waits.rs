//! Why a member is not Ready, told from what Kubernetes itself reports about its pod and claim:
//! the scheduler's verdict, a claim no disk was provisioned for, an init container still
//! running or failing, a container waiting or restarting. It lands in the `Progressing`
//! condition, so `neo4j-aks status` answers "why does my cluster not form" without `kubectl
//! describe` on every pod (docs/runbooks/troubleshooting.md).

use k8s_openapi::api::core::v1::{ContainerStatus, PersistentVolumeClaim, Pod};

/// The longest text kept from one Kubernetes message (scheduler verdicts list every node
/// group; a condition message is for people, and several members share it).
const MESSAGE_LIMIT: usize = 300;

/// What a claim's StorageClass is, as far as the operator looked it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassLookup {
    /// Not looked up (the claim is bound, or names no class).
    NotNeeded,
    Exists,
    Missing,
}

/// Why the member with this pod (`None`: the StatefulSet has not created it) and claim is not
/// Ready; `None` when it is.
pub fn why_not_ready(
    pod: Option<&Pod>,
    claim: Option<&PersistentVolumeClaim>,
    class: ClassLookup,
) -> Option<String> {
    let Some(pod) = pod else {
        return Some("no pod yet (the StatefulSet creates it)".into());
    };
    if pod.metadata.deletion_timestamp.is_some() {
        return Some("pod terminating".into());
    }
    let status = pod.status.as_ref();
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    if conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
    {
        return None;
    }
    let mut why = Vec::new();
    if let Some(claim) = claim.filter(|c| phase_of(c) == Some("Pending")) {
        let name = claim.metadata.name.as_deref().unwrap_or("its claim");
        let class_name = claim
            .spec
            .as_ref()
            .and_then(|s| s.storage_class_name.as_deref());
        why.push(match (class, class_name) {
            (ClassLookup::Missing, Some(class)) => {
                format!("claim {name} Pending: StorageClass {class} does not exist")
            }
            _ => format!("claim {name} Pending (no disk bound yet)"),
        });
    }
    if let Some(unscheduled) = conditions
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
    {
        why.push(format!(
            "unschedulable: {}",
            bounded(unscheduled.message.as_deref().unwrap_or("no reason given"))
        ));
        return Some(why.join("; "));
    }
    let init = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or(&[]);
    if let Some(stuck) = init.iter().find_map(init_container_wait) {
        why.push(stuck);
        return Some(why.join("; "));
    }
    let main = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    if let Some(waiting) = main.iter().find_map(container_wait) {
        why.push(waiting);
    } else if why.is_empty() {
        why.push(match status.and_then(|s| s.phase.as_deref()) {
            Some("Running") => "running, readiness probe not passing yet".into(),
            Some(phase) => format!("pod {phase}"),
            None => "pod has no status yet".into(),
        });
    }
    Some(why.join("; "))
}

fn phase_of(claim: &PersistentVolumeClaim) -> Option<&str> {
    claim.status.as_ref()?.phase.as_deref()
}

/// An init container that has not finished successfully: Neo4j does not start before all have.
fn init_container_wait(c: &ContainerStatus) -> Option<String> {
    let state = c.state.as_ref()?;
    if let Some(w) = &state.waiting {
        return Some(waiting_text(&format!("init container {}", c.name), w, c));
    }
    if let Some(t) = &state.terminated
        && t.exit_code != 0
    {
        return Some(format!(
            "init container {} failed (exit {}){}",
            c.name,
            t.exit_code,
            t.message
                .as_deref()
                .map(|m| format!(": {}", bounded(m.trim())))
                .unwrap_or_default()
        ));
    }
    state
        .running
        .as_ref()
        .map(|_| format!("init container {} still running", c.name))
}

/// A container that is waiting (image pull, crash loop, bad config) or not Ready.
fn container_wait(c: &ContainerStatus) -> Option<String> {
    let state = c.state.as_ref()?;
    if let Some(w) = &state.waiting {
        return Some(waiting_text(&format!("container {}", c.name), w, c));
    }
    if state.running.is_some() && !c.ready {
        return Some(format!(
            "container {} running, not Ready{}",
            c.name,
            restarts(c)
        ));
    }
    None
}

fn waiting_text(
    who: &str,
    w: &k8s_openapi::api::core::v1::ContainerStateWaiting,
    c: &ContainerStatus,
) -> String {
    let reason = w.reason.as_deref().unwrap_or("waiting");
    let message = w
        .message
        .as_deref()
        .map(|m| format!(": {}", bounded(m.trim())))
        .unwrap_or_default();
    format!("{who} {reason}{message}{}", restarts(c))
}

/// The restart count and how the last run ended, when it has restarted.
fn restarts(c: &ContainerStatus) -> String {
    if c.restart_count == 0 {
        return String::new();
    }
    let last = c
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .map(|t| {
            format!(
                ", last exit {}{}",
                t.exit_code,
                t.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    format!(" ({} restarts{last})", c.restart_count)
}

/// One line of at most `MESSAGE_LIMIT` characters (the status table prints it as one).
fn bounded(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MESSAGE_LIMIT) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
        PersistentVolumeClaimSpec, PersistentVolumeClaimStatus, PodCondition, PodStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
    use proptest::prelude::*;

    fn pod(status: PodStatus) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("db-0".into()),
                ..ObjectMeta::default()
            },
            status: Some(status),
            ..Pod::default()
        }
    }

    fn condition(type_: &str, status: &str, message: Option<&str>) -> PodCondition {
        PodCondition {
            type_: type_.into(),
            status: status.into(),
            message: message.map(String::from),
            ..PodCondition::default()
        }
    }

    fn claim(phase: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some("data-db-0".into()),
                ..ObjectMeta::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                storage_class_name: Some("neo4j-premium".into()),
                ..PersistentVolumeClaimSpec::default()
            }),
            status: Some(PersistentVolumeClaimStatus {
                phase: Some(phase.into()),
                ..PersistentVolumeClaimStatus::default()
            }),
        }
    }

    fn container(name: &str, state: ContainerState, ready: bool, restarts: i32) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            state: Some(state),
            ready,
            restart_count: restarts,
            ..ContainerStatus::default()
        }
    }

    fn waiting(reason: &str, message: &str) -> ContainerState {
        ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.into()),
                message: Some(message.into()),
            }),
            ..ContainerState::default()
        }
    }

    fn running() -> ContainerState {
        ContainerState {
            running: Some(ContainerStateRunning::default()),
            ..ContainerState::default()
        }
    }

    #[test]
    fn a_ready_member_has_no_reason() {
        let p = pod(PodStatus {
            phase: Some("Running".into()),
            conditions: Some(vec![condition("Ready", "True", None)]),
            ..PodStatus::default()
        });
        assert_eq!(
            why_not_ready(Some(&p), Some(&claim("Bound")), ClassLookup::NotNeeded),
            None
        );
    }

    #[test]
    fn a_missing_pod_and_a_terminating_one_say_so() {
        assert_eq!(
            why_not_ready(None, None, ClassLookup::NotNeeded).as_deref(),
            Some("no pod yet (the StatefulSet creates it)")
        );
        let mut p = pod(PodStatus::default());
        p.metadata.deletion_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::now()));
        assert_eq!(
            why_not_ready(Some(&p), None, ClassLookup::NotNeeded).as_deref(),
            Some("pod terminating")
        );
    }

    /// The scheduler's own words (as the testenv's kube-scheduler wrote them for a claim
    /// whose StorageClass does not exist), with the class named by the operator's lookup.
    #[test]
    fn a_pending_claim_and_the_schedulers_verdict_are_both_named() {
        let p = pod(PodStatus {
            phase: Some("Pending".into()),
            conditions: Some(vec![condition(
                "PodScheduled",
                "False",
                Some(
                    "0/9 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found",
                ),
            )]),
            ..PodStatus::default()
        });
        assert_eq!(
            why_not_ready(Some(&p), Some(&claim("Pending")), ClassLookup::Missing).as_deref(),
            Some(
                "claim data-db-0 Pending: StorageClass neo4j-premium does not exist; unschedulable: \
                 0/9 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"
            )
        );
        assert_eq!(
            why_not_ready(Some(&p), Some(&claim("Pending")), ClassLookup::Exists).as_deref(),
            Some(
                "claim data-db-0 Pending (no disk bound yet); unschedulable: \
                 0/9 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"
            )
        );
    }

    #[test]
    fn an_init_container_still_running_or_failed_is_named_before_the_main_container() {
        let still = pod(PodStatus {
            phase: Some("Pending".into()),
            conditions: Some(vec![condition("PodScheduled", "True", None)]),
            init_container_statuses: Some(vec![container(
                "wait-for-discovery",
                running(),
                false,
                0,
            )]),
            container_statuses: Some(vec![container(
                "neo4j",
                waiting("PodInitializing", ""),
                false,
                0,
            )]),
            ..PodStatus::default()
        });
        assert_eq!(
            why_not_ready(Some(&still), None, ClassLookup::NotNeeded).as_deref(),
            Some("init container wait-for-discovery still running")
        );
        let failed = pod(PodStatus {
            init_container_statuses: Some(vec![container(
                "seed-fetch",
                ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code: 1,
                        message: Some("{\"error\":\"no backup\"}\n".into()),
                        ..ContainerStateTerminated::default()
                    }),
                    ..ContainerState::default()
                },
                false,
                0,
            )]),
            ..PodStatus::default()
        });
        assert_eq!(
            why_not_ready(Some(&failed), None, ClassLookup::NotNeeded).as_deref(),
            Some("init container seed-fetch failed (exit 1): {\"error\":\"no backup\"}")
        );
    }

    #[test]
    fn a_crash_loop_names_the_restarts_and_the_last_exit() {
        let mut c = container(
            "neo4j",
            waiting(
                "CrashLoopBackOff",
                "back-off 5m0s restarting failed container",
            ),
            false,
            7,
        );
        c.last_state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 137,
                reason: Some("OOMKilled".into()),
                ..ContainerStateTerminated::default()
            }),
            ..ContainerState::default()
        });
        let p = pod(PodStatus {
            phase: Some("Running".into()),
            container_statuses: Some(vec![c]),
            ..PodStatus::default()
        });
        assert_eq!(
            why_not_ready(Some(&p), None, ClassLookup::NotNeeded).as_deref(),
            Some(
                "container neo4j CrashLoopBackOff: back-off 5m0s restarting failed container \
                 (7 restarts, last exit 137 (OOMKilled))"
            )
        );
    }

    #[test]
    fn a_running_member_that_is_not_ready_says_so() {
        let p = pod(PodStatus {
            phase: Some("Running".into()),
            conditions: Some(vec![condition("Ready", "False", None)]),
            container_statuses: Some(vec![container("neo4j", running(), false, 0)]),
            ..PodStatus::default()
        });
        assert_eq!(
            why_not_ready(Some(&p), None, ClassLookup::NotNeeded).as_deref(),
            Some("container neo4j running, not Ready")
        );
        let bare = pod(PodStatus {
            phase: Some("Running".into()),
            ..PodStatus::default()
        });
        assert_eq!(
            why_not_ready(Some(&bare), None, ClassLookup::NotNeeded).as_deref(),
            Some("running, readiness probe not passing yet")
        );
    }

    proptest! {
        /// Whatever Kubernetes writes, a member that is not Ready gets one bounded line and a
        /// Ready one none.
        #[test]
        fn every_not_ready_member_gets_one_bounded_line(
            message in ".{0,2000}",
            reason in "[A-Za-z]{0,40}",
            ready in any::<bool>(),
            scheduled in any::<bool>(),
            restarts in 0i32..1000,
        ) {
            let p = pod(PodStatus {
                phase: Some("Pending".into()),
                conditions: Some(vec![
                    condition("Ready", if ready { "True" } else { "False" }, None),
                    condition("PodScheduled", if scheduled { "True" } else { "False" }, Some(&message)),
                ]),
                init_container_statuses: Some(vec![container("init", waiting(&reason, &message), false, restarts)]),
                container_statuses: Some(vec![container("neo4j", waiting(&reason, &message), false, restarts)]),
                ..PodStatus::default()
            });
            let why = why_not_ready(Some(&p), Some(&claim("Pending")), ClassLookup::Missing);
            prop_assert_eq!(why.is_none(), ready);
            if let Some(why) = why {
                prop_assert!(why.chars().count() <= 3 * MESSAGE_LIMIT, "{}", why);
                prop_assert!(why.starts_with("claim data-db-0 Pending"));
            }
        }
    }
}
