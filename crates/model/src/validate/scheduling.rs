//! Placement: anti-affinity, node selectors, tolerations, priority.

use super::dns::is_dns_subdomain;
use super::dns::is_label_value;
use super::dns::is_qualified_name;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::{AntiAffinity, Scheduling};

pub(super) fn check_anti_affinity(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    members: Option<i32>,
) -> Option<AntiAffinity> {
    let anti = spec.pod_anti_affinity.clone().unwrap_or_default();
    let hard = match anti.mode.as_deref() {
        None | Some("Soft") => false,
        Some("Hard") => true,
        Some(other) => {
            f.problem(
                "spec.podAntiAffinity.mode",
                format!("{other:?} is not allowed; use Soft (default) or Hard"),
            );
            false
        }
    };
    let node_weight = anti.node_weight.unwrap_or(100);
    let zone_weight = anti.zone_weight.unwrap_or(50);
    for (path, weight) in [
        ("spec.podAntiAffinity.nodeWeight", node_weight),
        ("spec.podAntiAffinity.zoneWeight", zone_weight),
    ] {
        if !(1..=100).contains(&weight) {
            f.problem(path, format!("{weight} must be between 1 and 100"));
        }
    }
    let enabled = anti.enabled.unwrap_or(members.is_some_and(|m| m > 1));
    enabled.then_some(AntiAffinity {
        hard,
        node_weight,
        zone_weight,
    })
}

pub(super) fn check_scheduling(f: &mut Findings, spec: &Neo4jClusterSpec) -> Scheduling {
    let scheduling = spec.scheduling.clone().unwrap_or_default();
    let node_selector = scheduling.node_selector.unwrap_or_default();
    for (key, value) in &node_selector {
        if !is_qualified_name(key) || !is_label_value(value) {
            f.problem(
                format!("spec.scheduling.nodeSelector[{key:?}]"),
                "is not a valid label key/value pair",
            );
        }
    }
    if let Some(name) = &scheduling.priority_class_name
        && !is_dns_subdomain(name)
    {
        f.problem(
            "spec.scheduling.priorityClassName",
            format!("{name:?} is not a PriorityClass name"),
        );
    }
    let tolerations = scheduling.tolerations.unwrap_or_default();
    for (i, toleration) in tolerations.iter().enumerate() {
        match toleration.operator.as_deref() {
            None | Some("Equal") | Some("Exists") => {}
            Some(other) => f.problem(
                format!("spec.scheduling.tolerations[{i}].operator"),
                format!("{other:?} is not Equal or Exists"),
            ),
        }
        if let Some(effect) = toleration.effect.as_deref()
            && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect)
        {
            f.problem(
                format!("spec.scheduling.tolerations[{i}].effect"),
                format!("{effect:?} is not NoSchedule, PreferNoSchedule or NoExecute"),
            );
        }
    }
    Scheduling {
        node_selector,
        tolerations,
        priority_class_name: scheduling.priority_class_name,
    }
}
