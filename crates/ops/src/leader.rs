//! Leader election through a coordination.k8s.io Lease (kube-lease-manager): only the holder
//! runs the controller; a replica that loses the lease stops reconciling at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tracing::{info, warn};

use crate::metrics::Metrics;

#[derive(Clone, Debug)]
pub struct LeaseSettings {
    pub name: String,
    pub namespace: String,
    /// This replica's identity (the pod name).
    pub identity: String,
    /// Seconds a lease is valid without renewal.
    pub duration: u64,
    /// Seconds of grace before a lease is taken over.
    pub grace: u64,
}

/// Runs `work()` whenever this replica holds the lease; stops it when the lease is lost, then
/// competes again. Returns only when the lease manager cannot be built.
pub async fn run_as_leader<F, Fut>(
    client: Client,
    lease: LeaseSettings,
    metrics: Arc<Metrics>,
    work: F,
) -> Result<(), kube_lease_manager::LeaseManagerError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let manager = LeaseManagerBuilder::new(client.clone(), &lease.name)
            .with_namespace(&lease.namespace)
            .with_identity(&lease.identity)
            .with_duration(lease.duration)
            .with_grace(lease.grace)
            .build()
            .await?;
        let (mut leading, task) = manager.watch().await;
        loop {
            while !*leading.borrow_and_update() {
                if leading.changed().await.is_err() {
                    break;
                }
            }
            if task.is_finished() {
                break;
            }
            info!(identity = %lease.identity, lease = %lease.name, "acquired the leader lease");
            metrics.leader.set(1);
            let lost = async {
                loop {
                    if leading.changed().await.is_err() || !*leading.borrow_and_update() {
                        return;
                    }
                }
            };
            tokio::select! {
                () = work() => {}
                () = lost => {}
            }
            metrics.leader.set(0);
            warn!(identity = %lease.identity, "lost the leader lease; reconciling stopped");
            if task.is_finished() {
                break;
            }
        }
        drop(leading);
        match task.await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => warn!(error = %e, "lease manager stopped"),
            Err(e) => warn!(error = %e, "lease manager task failed"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
