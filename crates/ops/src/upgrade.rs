//! The live side of a version change: what the members run now (each pod's
//! `app.kubernetes.io/version` label, which comes from the pod-template revision it was created
//! from) and whether the running configuration uses discovery v2 only, handed to the pure rules
//! in `neo4j_aks_model::upgrade`. A refused change is rejected before anything is applied.

use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use neo4j_aks_model::api::labels::VERSION;
use neo4j_aks_model::upgrade::{self, Running, Upgrade};
use neo4j_aks_model::version::Neo4jVersion;
use neo4j_aks_model::{Invalid, Problem, ValidatedCluster};
use neo4j_aks_render::config::CONF_FILE;
use neo4j_aks_render::labels;

use crate::observe::selector_string;
use crate::stores::Stores;

/// What the cluster runs now; pods being deleted are left out (their successors count).
pub async fn running(client: &Client, cluster: &ValidatedCluster) -> Result<Running, kube::Error> {
    let ns = cluster.namespace.as_str();
    let pods = Api::<Pod>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels(&selector_string(cluster)))
        .await?
        .items;
    let discovery_v2_only = match &cluster.clustering {
        None => None,
        Some(_) => Api::<ConfigMap>::namespaced(client.clone(), ns)
            .get_opt(&cluster.config_map_name())
            .await?
            .and_then(|c| c.data?.get(CONF_FILE).cloned())
            .map(|conf| upgrade::discovery_v2_only(&conf)),
    };
    Ok(Running {
        members: members(&pods),
        discovery_v2_only,
    })
}

/// The members and their versions, by pod name.
fn members(pods: &[Pod]) -> Vec<(String, Neo4jVersion)> {
    let mut members: Vec<(String, Neo4jVersion)> = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| {
            let version = Neo4jVersion::parse(p.labels().get(VERSION)?).ok()?;
            Some((p.name_any(), version))
        })
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members
}

/// Whether the cached pods show nothing to roll: every member already runs the spec's version.
/// Only then is the cache enough (the steady state); a version change is decided on what the
/// API server holds now, never on a copy that may miss a member that just rolled.
fn unchanged(stores: Option<&Stores>, cluster: &ValidatedCluster) -> bool {
    let ns = cluster.namespace.as_str();
    stores
        .and_then(|s| s.pods(ns, &labels::selector(cluster)))
        .is_some_and(|pods| {
            let members = members(&pods);
            !members.is_empty()
                && members
                    .iter()
                    .all(|(_, v)| v.triple() == cluster.version.triple())
        })
}

/// `Ok(Ok(upgrade))` when the spec's version may be rolled out (`None`: nothing to roll),
/// `Ok(Err(invalid))` naming `spec.neo4jVersion` with every reason when it may not.
pub async fn preflight(
    client: &Client,
    stores: Option<&Stores>,
    cluster: &ValidatedCluster,
) -> Result<Result<Option<Upgrade>, Invalid>, kube::Error> {
    if unchanged(stores, cluster) {
        return Ok(Ok(None));
    }
    let running = running(client, cluster).await?;
    Ok(
        upgrade::check(&running, &cluster.version).map_err(|messages| Invalid {
            problems: messages
                .into_iter()
                .map(|message| Problem {
                    path: upgrade::FIELD.to_string(),
                    message,
                })
                .collect(),
        }),
    )
}

/// While members move from 5.26 to a calendar version, the shared neo4j.conf keeps to names both
/// lines accept: a 5.26 member that restarts mid-roll (a crash, an eviction) must still start.
/// Once every member runs the calendar version, the next render switches to its own names, a new
/// revision that rolls once more.
pub fn mark(cluster: &mut ValidatedCluster, upgrade: Option<&Upgrade>) {
    cluster.rolling_from_5_26 =
        upgrade.is_some_and(|u| u.crosses_lines) && !cluster.version.is_lts_5_26();
}

/// [`preflight`] and [`mark`] for `neo4j-aks apply` and `diff`: the same refusal and the same
/// shared configuration as the operator's.
pub async fn check_for_cli(
    client: &Client,
    cluster: &mut ValidatedCluster,
) -> Result<Result<(), Invalid>, crate::error::ApplyError> {
    let checked = preflight(client, None, cluster).await.map_err(|source| {
        crate::error::ApplyError::ReadFailed {
            what: "the members' versions".to_string(),
            source,
        }
    })?;
    Ok(checked.map(|upgrade| mark(cluster, upgrade.as_ref())))
}

/// The status record of a roll in progress.
pub fn status(upgrade: &Upgrade) -> neo4j_aks_model::UpgradeStatus {
    neo4j_aks_model::UpgradeStatus {
        from: upgrade.from.clone(),
        to: upgrade.to.clone(),
        upgraded: upgrade.upgraded.clone(),
        remaining: upgrade.remaining.clone(),
        crosses_lines: upgrade.crosses_lines,
    }
}

/// The roll's progress from the members as observed after apply; `None` when every member runs
/// the spec's version (or a change the rules refuse, which `preflight` stopped already).
pub fn progress(
    observed: &crate::observe::Observed,
    cluster: &ValidatedCluster,
) -> Option<neo4j_aks_model::UpgradeStatus> {
    let running = Running {
        members: observed
            .members
            .iter()
            .filter_map(|m| {
                let version = Neo4jVersion::parse(m.version.as_deref()?).ok()?;
                Some((m.pod.clone(), version))
            })
            .collect(),
        // Only the rules' verdict on versions matters here: preflight checked discovery.
        discovery_v2_only: None,
    };
    upgrade::check(&running, &cluster.version)
        .ok()
        .flatten()
        .map(|u| status(&u))
}
