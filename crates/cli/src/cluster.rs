//! The commands that talk to a cluster: apply, diff, operator.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use kube::{Client, Config};
use neo4j_aks_model::validated::PasswordSource;
use neo4j_aks_ops::controller::{self, Context, Settings};
use neo4j_aks_ops::leader::{LeaseSettings, run_as_leader};
use neo4j_aks_ops::metrics::Metrics;
use neo4j_aks_ops::server::{self, Health};
use tracing::{error, info};

use crate::Failure;
use crate::input::SpecArgs;

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::Runtime)
}

pub(crate) async fn client() -> Result<Client, Failure> {
    neo4j_aks_ops::install_crypto_provider();
    Client::try_default().await.map_err(Failure::NoClient)
}

/// `neo4j-aks apply -f SPEC`: prints one line per change.
pub fn apply(spec: &SpecArgs) -> Result<(), Failure> {
    let cluster = spec.load()?;
    runtime()?.block_on(async {
        let client = client().await?;
        let (changes, prepared) = neo4j_aks_ops::apply::apply_spec(&client, &cluster).await??;
        for warning in &prepared.rendered.warnings {
            eprintln!("warning: {warning}");
        }
        let c = &prepared.rendered.cluster;
        if changes.is_empty() {
            println!("{}/{}: no changes; every object matches the spec", c.namespace, c.name);
        }
        for change in &changes {
            println!("{change}");
        }
        let findings = &prepared.findings;
        if let Some((spec, live)) = findings.scale_down_pending {
            eprintln!(
                "note: spec.nodeCount is {spec} but {live} members run; nothing was removed: the operator removes members one at a time (DEALLOCATE, DROP SERVER, then the pod) once the Neo4jCluster carries the annotation neo4j-aks.io/confirm-scale-down: \"{spec}\""
            );
        }
        if c.is_cluster() {
            let stale = neo4j_aks_ops::observe::pods_on_older_revision(&client, c).await?;
            if !stale.is_empty() {
                eprintln!(
                    "note: {} run(s) an older revision of the StatefulSet. Cluster members are restarted by the operator, one at a time and only while every database keeps its quorum (updateStrategy OnDelete); `apply` does not restart them. Without the operator, delete one pod at a time and wait until SHOW SERVERS reports it Available before the next",
                    stale.join(", ")
                );
            }
        }
        if findings.bootstrap_ignored {
            eprintln!(
                "note: not applied: spec.bootstrap: {}",
                neo4j_aks_ops::bootstrap::ADDED_TO_A_RUNNING_CLUSTER
            );
        }
        for message in &findings.immutable {
            eprintln!("note: not applied: {message}");
        }
        if let PasswordSource::Generated { secret, key } = &c.password {
            eprintln!(
                "the admin password is in Secret {}/{secret}, key {key} (never printed)",
                c.namespace
            );
        }
        Ok(())
    })
}

/// `neo4j-aks diff -f SPEC`: exit 0 without differences, 1 with differences.
pub fn diff(spec: &SpecArgs) -> Result<bool, Failure> {
    let cluster = spec.load()?;
    runtime()?.block_on(async {
        let client = client().await?;
        let diffs = neo4j_aks_ops::diff::diff_spec(&client, &cluster).await??;
        for d in &diffs {
            print!("{}", d.text);
        }
        Ok(!diffs.is_empty())
    })
}

#[derive(Args, Clone, Debug)]
pub struct OperatorArgs {
    /// Watch only this namespace (default: every namespace).
    #[arg(long, env = "WATCH_NAMESPACE")]
    pub namespace: Option<String>,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(long, env = "METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,
    /// Seconds between resyncs of a converged cluster.
    #[arg(long, default_value_t = 300)]
    pub resync_seconds: u64,
    /// Reconciles at the same time.
    #[arg(long, default_value_t = 8)]
    pub concurrency: u16,
    /// Milliseconds a cluster's watches must be quiet before its reconcile starts (one reconcile
    /// per burst of events instead of one per event; 0 turns it off).
    #[arg(long, default_value_t = neo4j_aks_ops::context::DEFAULT_DEBOUNCE_MS)]
    pub debounce_ms: u64,
    /// Reconcile only while holding the Lease (required with more than one replica).
    #[arg(long)]
    pub leader_election: bool,
    /// Name of the leader-election Lease.
    #[arg(long, default_value = "neo4j-aks-operator")]
    pub lease_name: String,
    /// Namespace of the Lease (the operator's own).
    #[arg(long, env = "POD_NAMESPACE", default_value = "neo4j-aks-system")]
    pub lease_namespace: String,
    /// This replica's identity (the pod name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
}

/// `neo4j-aks operator`: runs until SIGTERM or Ctrl-C.
pub fn operator(args: OperatorArgs) -> Result<(), Failure> {
    neo4j_aks_ops::telemetry::init();
    runtime()?.block_on(run_operator(args))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run_operator(args: OperatorArgs) -> Result<(), Failure> {
    neo4j_aks_ops::install_crypto_provider();
    let metrics = Arc::new(Metrics::new());
    let config = Config::infer().await.map_err(Failure::NoConfig)?;
    let client =
        neo4j_aks_ops::counting::client(config, metrics.clone()).map_err(Failure::NoClient)?;
    let identity = args
        .identity
        .clone()
        .unwrap_or_else(|| format!("neo4j-aks-operator-{}", std::process::id()));
    let settings = Settings {
        namespace: args.namespace.clone(),
        resync: Duration::from_secs(args.resync_seconds),
        concurrency: args.concurrency,
        debounce: Duration::from_millis(args.debounce_ms),
        instance: identity.clone(),
        ..Settings::default()
    };
    let ready = Arc::new(AtomicBool::new(false));
    let health = Health {
        metrics: metrics.clone(),
        ready: ready.clone(),
    };
    let addr = args.metrics_addr;
    let server = tokio::spawn(async move {
        if let Err(e) = server::serve(addr, health).await {
            error!(error = %e, %addr, "metrics server stopped");
        }
    });
    let ctx = Context::new(client.clone(), metrics.clone(), settings);
    // Ready once the API server answers and the CRD is installed.
    loop {
        match controller::check_crd(&ctx).await {
            Ok(()) => break,
            Err(e) => {
                error!(error = %e, "cannot list Neo4jClusters; is the CRD installed (kubectl apply -f deploy/operator/crd.yaml)?");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
    ready.store(true, Ordering::Relaxed);
    info!(namespace = ?args.namespace, leader_election = args.leader_election, %identity, "operator started");
    let work = async {
        if args.leader_election {
            let lease = LeaseSettings {
                name: args.lease_name.clone(),
                namespace: args.lease_namespace.clone(),
                identity: identity.clone(),
                duration: 15,
                grace: 5,
            };
            run_as_leader(client.clone(), lease, metrics.clone(), || {
                controller::run(ctx.clone())
            })
            .await
            .map_err(|e| Failure::LeaderElection(e.to_string()))
        } else {
            metrics.leader.set(1);
            controller::run(ctx.clone()).await;
            Ok(())
        }
    };
    let result = tokio::select! {
        r = work => r,
        () = shutdown_signal() => {
            info!("shutting down");
            Ok(())
        }
    };
    server.abort();
    result
}
