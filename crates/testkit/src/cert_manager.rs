//! cert-manager's own controllers for tests: the binary that `testenv/cert-manager.sh build`
//! builds from the Go module github.com/cert-manager/cert-manager (testenv/gomod/cert-manager:
//! the Certificate, CertificateRequest, Issuer and ClusterIssuer controllers, with the CA and
//! self-signed issuers), run against the testenv API server whose CRDs `testenv.sh up` installed.
//!
//! [`binary_from_env`] returns `None` (printing "skipped: no cert-manager") when
//! `NEO4J_AKS_CERT_MANAGER` is unset, and panics instead when
//! `NEO4J_AKS_REQUIRE_CERT_MANAGER=1`. The process is killed when the [`CertManager`] is
//! dropped, also when the test panics. The controllers watch every namespace: a test binary
//! starts at most one at a time (tests that use it serialise on [`CertManager::start`]).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CERT_MANAGER_ENV: &str = "NEO4J_AKS_CERT_MANAGER";
pub const REQUIRE_CERT_MANAGER_ENV: &str = "NEO4J_AKS_REQUIRE_CERT_MANAGER";

/// What the program prints once every controller runs (testenv/gomod/cert-manager/main.go).
const RUNNING: &str = "cert-manager-controller: running";
const START_TIMEOUT: Duration = Duration::from_secs(60);

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The binary named by `NEO4J_AKS_CERT_MANAGER`, or `None` with a note on stdout; a panic
/// instead when `NEO4J_AKS_REQUIRE_CERT_MANAGER=1` (scripts/test-all.sh).
pub fn binary_from_env(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os(CERT_MANAGER_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    match path {
        Some(path) if path.is_file() => Some(path),
        other => {
            let why = match other {
                Some(path) => format!("{CERT_MANAGER_ENV}={} is not a file", path.display()),
                None => format!("{CERT_MANAGER_ENV} unset"),
            };
            assert!(
                std::env::var(REQUIRE_CERT_MANAGER_ENV).as_deref() != Ok("1"),
                "{test}: {REQUIRE_CERT_MANAGER_ENV}=1 but {why}; run testenv/cert-manager.sh build and eval \"$(testenv/cert-manager.sh env)\""
            );
            println!("{test}: skipped: no cert-manager ({why})");
            None
        }
    }
}

/// The running controllers; killed on drop.
pub struct CertManager {
    child: Child,
    log: PathBuf,
    _one: tokio::sync::MutexGuard<'static, ()>,
}

impl CertManager {
    /// Starts `binary` against the API server of `kubeconfig` and waits until its controllers
    /// run; `cluster_resource_namespace` is where ClusterIssuers find their CA Secrets. Panics
    /// with the log when it exits or does not start in time.
    pub async fn start(
        binary: &Path,
        kubeconfig: &Path,
        cluster_resource_namespace: &str,
    ) -> CertManager {
        let one = ONE_AT_A_TIME.lock().await;
        let log = std::env::temp_dir().join(format!("{}.log", crate::unique_name("cert-manager")));
        let out = File::create(&log).expect("create the cert-manager log");
        let err = out.try_clone().expect("clone the log handle");
        let child = Command::new(binary)
            .arg(format!("--kubeconfig={}", kubeconfig.display()))
            .arg(format!(
                "--cluster-resource-namespace={cluster_resource_namespace}"
            ))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut manager = CertManager {
            child,
            log,
            _one: one,
        };
        let started = Instant::now();
        loop {
            if manager.log_text().contains(RUNNING) {
                return manager;
            }
            if let Ok(Some(status)) = manager.child.try_wait() {
                panic!(
                    "cert-manager-controller exited ({status}):\n{}",
                    manager.log_text()
                );
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "cert-manager-controller did not start within {START_TIMEOUT:?}:\n{}",
                manager.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Everything the controllers logged so far (for a failing test's message).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for CertManager {
    fn drop(&mut self) {
        // Err: it has exited already; either way nothing of it is left running after wait().
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
