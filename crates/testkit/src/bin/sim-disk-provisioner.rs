//! SIMULATED Azure Disk provisioner for the local testenv. Dev-only: never deploy it.
//!
//! The testenv has no Azure Disk CSI driver (`disk.csi.azure.com`), so PersistentVolumeClaims of a
//! StorageClass with that provisioner would stay Pending forever. This binary stands in for the
//! driver's external-provisioner and external-resizer sidecars, with no disk behind it:
//!
//! * provisioning: once the scheduler has picked a node for a WaitForFirstConsumer claim
//!   (annotation `volume.kubernetes.io/selected-node`), it creates a PersistentVolume with a
//!   `hostPath` source (nothing is ever written there: kwok runs no containers), node affinity to
//!   that node's zone as the driver writes it for a zonal disk (`topology.disk.csi.azure.com/zone
//!   In [<zone>]`, kubernetes-sigs/azuredisk-csi-driver pull requests 801 and 802), or to the
//!   node's `kubernetes.io/hostname` when the node has no zone label, the claim's size, access modes and volume mode, the
//!   class's reclaim policy and mount options, a `claimRef` to the claim and the annotation
//!   `pv.kubernetes.io/provisioned-by: disk.csi.azure.com`. kube-controller-manager's
//!   PersistentVolume binder then binds the pair, exactly as with the real driver.
//! * expansion: when a bound claim's request grows and its class has `allowVolumeExpansion: true`,
//!   it grows the PersistentVolume's capacity, then the claim's `status.capacity`.
//! * deletion: a Released volume it provisioned with reclaim policy `Delete` is deleted.
//!
//! It marks everything it creates with the label `neo4j-aks.io/simulated-disk=true`.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    ObjectReference, PersistentVolume, PersistentVolumeClaim, PersistentVolumeSpec,
    VolumeNodeAffinity,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, Config, ResourceExt};
use neo4j_aks_testkit::quantity::to_bytes;
use serde_json::json;

const PROVISIONER: &str = "disk.csi.azure.com";
const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
const SIMULATED_LABEL: &str = neo4j_aks_testkit::SIMULATED_DISK_LABEL;
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
/// The Azure Disk CSI driver's topology key: a zonal disk attaches only to VMs of its zone.
const DISK_ZONE_LABEL: &str = "topology.disk.csi.azure.com/zone";
const FIELD_MANAGER: &str = "sim-disk-provisioner";

/// SIMULATED disk.csi.azure.com provisioner/resizer for the neo4j-aks testenv (no real disks).
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Kubeconfig of the testenv (admin).
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: std::path::PathBuf,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("kube: {0}")]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Invalid(String),
}

struct Ctx {
    client: Client,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    neo4j_aks_testkit::install_crypto_provider();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,kube_runtime=warn".into()),
        )
        .init();
    let args = Args::parse();
    let kc = Kubeconfig::read_from(&args.kubeconfig)?;
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    let client = Client::try_from(config)?;
    // Fail early and clearly when the apiserver is not reachable.
    Api::<StorageClass>::all(client.clone())
        .list(&ListParams::default().limit(1))
        .await?;
    let ctx = Arc::new(Ctx {
        client: client.clone(),
    });

    let pvcs: Api<PersistentVolumeClaim> = Api::all(client.clone());
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    let claims = Controller::new(pvcs, watcher::Config::default())
        // A volume changing (bound, resized) re-checks its claim.
        .watches(
            pvs.clone(),
            watcher::Config::default(),
            |pv: PersistentVolume| {
                let c = pv.spec.as_ref()?.claim_ref.as_ref()?;
                Some(ObjectRef::new(c.name.as_deref()?).within(c.namespace.as_deref()?))
            },
        )
        .run(reconcile_claim, error_policy, ctx.clone())
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!("claim reconcile: {e}");
            }
        });
    let volumes = Controller::new(
        pvs,
        watcher::Config::default().labels(&format!("{SIMULATED_LABEL}=true")),
    )
    .run(reconcile_volume, error_policy_pv, ctx)
    .for_each(|r| async move {
        if let Err(e) = r {
            tracing::debug!("volume reconcile: {e}");
        }
    });
    tracing::info!(
        "SIMULATED {PROVISIONER} provisioner watching PersistentVolumeClaims and PersistentVolumes"
    );
    tokio::select! {
        _ = claims => {},
        _ = volumes => {},
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted"),
    }
    Ok(())
}

fn error_policy(_: Arc<PersistentVolumeClaim>, e: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!("{e}");
    Action::requeue(Duration::from_secs(2))
}

fn error_policy_pv(_: Arc<PersistentVolume>, e: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!("{e}");
    Action::requeue(Duration::from_secs(2))
}

async fn reconcile_claim(pvc: Arc<PersistentVolumeClaim>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    if pvc.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let Some(spec) = pvc.spec.as_ref() else {
        return Ok(Action::await_change());
    };
    let Some(class_name) = spec.storage_class_name.as_deref() else {
        return Ok(Action::await_change());
    };
    let classes: Api<StorageClass> = Api::all(ctx.client.clone());
    let Some(class) = classes.get_opt(class_name).await? else {
        return Ok(Action::requeue(Duration::from_secs(5)));
    };
    if class.provisioner != PROVISIONER {
        return Ok(Action::await_change());
    }
    match spec.volume_name.as_deref().filter(|v| !v.is_empty()) {
        None => provision(&pvc, &class, &ctx).await,
        Some(volume) => expand(&pvc, &class, volume, &ctx).await,
    }
}

fn requested_storage(pvc: &PersistentVolumeClaim) -> Result<Quantity, Error> {
    pvc.spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .cloned()
        .ok_or_else(|| {
            Error::Invalid(format!(
                "claim {}/{} has no storage request",
                pvc.namespace().unwrap_or_default(),
                pvc.name_any()
            ))
        })
}

async fn provision(
    pvc: &PersistentVolumeClaim,
    class: &StorageClass,
    ctx: &Ctx,
) -> Result<Action, Error> {
    let ns = pvc.namespace().unwrap_or_default();
    let name = pvc.name_any();
    let immediate = class.volume_binding_mode.as_deref() == Some("Immediate");
    let selected = pvc.annotations().get(SELECTED_NODE).cloned();
    if selected.is_none() && !immediate {
        // WaitForFirstConsumer: the scheduler has not chosen a node yet.
        return Ok(Action::await_change());
    }
    // (label, value) the volume is pinned to: the selected node's zone, else the node itself.
    let pinned = match &selected {
        Some(node) => {
            let nodes: Api<Node> = Api::all(ctx.client.clone());
            let n = nodes.get(node).await?;
            Some(
                match n.labels().get(DISK_ZONE_LABEL).filter(|z| !z.is_empty()) {
                    Some(zone) => (DISK_ZONE_LABEL, zone.clone()),
                    None => (
                        HOSTNAME_LABEL,
                        n.labels()
                            .get(HOSTNAME_LABEL)
                            .cloned()
                            .unwrap_or(node.clone()),
                    ),
                },
            )
        }
        None => None,
    };
    let uid = pvc
        .uid()
        .ok_or_else(|| Error::Invalid(format!("claim {ns}/{name} has no uid")))?;
    let pv_name = format!("pvc-{uid}");
    let spec = pvc.spec.clone().unwrap_or_default();
    let pv = PersistentVolume {
        metadata: ObjectMeta {
            name: Some(pv_name.clone()),
            labels: Some([(SIMULATED_LABEL.to_string(), "true".to_string())].into()),
            annotations: Some(
                [
                    (PROVISIONED_BY.to_string(), PROVISIONER.to_string()),
                    (
                        "neo4j-aks.io/simulation".to_string(),
                        "sim-disk-provisioner: no real disk backs this volume".to_string(),
                    ),
                ]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeSpec {
            access_modes: spec.access_modes.clone(),
            capacity: Some([("storage".to_string(), requested_storage(pvc)?)].into()),
            claim_ref: Some(ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("PersistentVolumeClaim".into()),
                namespace: Some(ns.clone()),
                name: Some(name.clone()),
                uid: Some(uid.clone()),
                resource_version: pvc.resource_version(),
                ..ObjectReference::default()
            }),
            host_path: Some(HostPathVolumeSource {
                path: format!("/var/lib/sim-disk/{pv_name}"),
                type_: Some("DirectoryOrCreate".into()),
            }),
            mount_options: class.mount_options.clone(),
            node_affinity: pinned.as_ref().map(|(key, value)| VolumeNodeAffinity {
                required: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![NodeSelectorRequirement {
                            key: key.to_string(),
                            operator: "In".into(),
                            values: Some(vec![value.clone()]),
                        }]),
                        ..NodeSelectorTerm::default()
                    }],
                }),
            }),
            persistent_volume_reclaim_policy: Some(
                class
                    .reclaim_policy
                    .clone()
                    .unwrap_or_else(|| "Delete".into()),
            ),
            storage_class_name: Some(class.metadata.name.clone().unwrap_or_default()),
            volume_mode: spec.volume_mode.clone(),
            ..PersistentVolumeSpec::default()
        }),
        ..PersistentVolume::default()
    };
    let pvs: Api<PersistentVolume> = Api::all(ctx.client.clone());
    match pvs.create(&PostParams::default(), &pv).await {
        Ok(_) => tracing::info!(
            "provisioned {pv_name} for {ns}/{name} on {}",
            pinned
                .as_ref()
                .map_or("any node".to_string(), |(k, v)| format!("{k}={v}"))
        ),
        Err(kube::Error::Api(s)) if s.is_already_exists() => {}
        Err(e) => return Err(e.into()),
    }
    // The binder normally binds within a second; look again in case an event is missed.
    Ok(Action::requeue(Duration::from_secs(10)))
}

async fn expand(
    pvc: &PersistentVolumeClaim,
    class: &StorageClass,
    volume: &str,
    ctx: &Ctx,
) -> Result<Action, Error> {
    let status = pvc.status.as_ref();
    if status.and_then(|s| s.phase.as_deref()) != Some("Bound") {
        return Ok(Action::await_change());
    }
    if class.allow_volume_expansion != Some(true) {
        return Ok(Action::await_change());
    }
    let ns = pvc.namespace().unwrap_or_default();
    let name = pvc.name_any();
    let requested = requested_storage(pvc)?;
    let bytes = |q: &Quantity| {
        to_bytes(&q.0).ok_or_else(|| Error::Invalid(format!("unparsable quantity {:?}", q.0)))
    };
    let want = bytes(&requested)?;
    let current = status
        .and_then(|s| s.capacity.as_ref())
        .and_then(|c| c.get("storage"))
        .map(bytes)
        .transpose()?
        .unwrap_or(0);
    if want <= current {
        return Ok(Action::await_change());
    }
    // Step 1: the "disk" (PersistentVolume) grows.
    let pvs: Api<PersistentVolume> = Api::all(ctx.client.clone());
    let pv = pvs.get(volume).await?;
    let pv_size = pv
        .spec
        .as_ref()
        .and_then(|s| s.capacity.as_ref())
        .and_then(|c| c.get("storage"))
        .map(bytes)
        .transpose()?
        .unwrap_or(0);
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    if pv_size < want {
        let patch = json!({
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": volume},
            "spec": {"capacity": {"storage": requested.0}},
        });
        pvs.patch(volume, &pp, &Patch::Apply(&patch)).await?;
        tracing::info!("expanded {volume} to {}", requested.0);
    }
    // Step 2: the claim reports the new size (what the resizer does after file-system expansion).
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), &ns);
    let patch = json!({
        "status": {
            "capacity": {"storage": requested.0},
            "allocatedResources": {"storage": requested.0},
            "allocatedResourceStatuses": null,
            "conditions": null,
        }
    });
    claims
        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    tracing::info!("claim {ns}/{name} now reports {}", requested.0);
    Ok(Action::await_change())
}

async fn reconcile_volume(pv: Arc<PersistentVolume>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let released = pv.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Released");
    let delete = pv
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_reclaim_policy.as_deref())
        == Some("Delete");
    let ours = pv.annotations().get(PROVISIONED_BY).map(String::as_str) == Some(PROVISIONER);
    if released && delete && ours && pv.metadata.deletion_timestamp.is_none() {
        let pvs: Api<PersistentVolume> = Api::all(ctx.client.clone());
        match pvs.delete(&pv.name_any(), &DeleteParams::default()).await {
            Ok(_) => tracing::info!("deleted released volume {}", pv.name_any()),
            Err(kube::Error::Api(s)) if s.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Action::await_change())
}
