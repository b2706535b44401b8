//! A real Prometheus server for tests: the `prometheus` binary that `testenv/prometheus.sh build`
//! builds from the Go module github.com/prometheus/prometheus, started on a free loopback port
//! with a temporary data directory and a generated configuration, and a typed client for the
//! parts of its HTTP API the tests read (`/api/v1/alerts`, `/api/v1/rules`, `/api/v1/targets`).
//!
//! [`binary_from_env`] returns `None` (printing "skipped: no Prometheus") when
//! `NEO4J_AKS_PROMETHEUS` is unset, and panics instead when `NEO4J_AKS_REQUIRE_PROMETHEUS=1`.
//! The process is killed when the [`Prometheus`] is dropped, also when the test panics.
//!
//! The field names below are those of Prometheus v0.316.0 (v3.16.0), read in the module source:
//! the configuration in `config/config.go` (`GlobalConfig`, `ScrapeConfig`) and
//! `discovery/targetgroup/targetgroup.go` (`targets`); the API's envelope (`Response`), `Alert`,
//! `AlertDiscovery`, `RuleDiscovery`, `RuleGroup`, `AlertingRule` and `Target` in
//! `web/api/v1/api.go`; the flags in `cmd/prometheus/main.go`; `/-/ready` in `web/web.go`.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub const PROMETHEUS_ENV: &str = "NEO4J_AKS_PROMETHEUS";
pub const REQUIRE_PROMETHEUS_ENV: &str = "NEO4J_AKS_REQUIRE_PROMETHEUS";

/// How long the server may take to answer `/-/ready` (it replays an empty WAL and loads the
/// rules; a second or two here, more on a loaded machine).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The `prometheus` binary named by `NEO4J_AKS_PROMETHEUS`, or `None` with a note on stdout; a
/// panic instead when `NEO4J_AKS_REQUIRE_PROMETHEUS=1` (scripts/test-all.sh).
pub fn binary_from_env(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os(PROMETHEUS_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    match path {
        Some(path) if path.is_file() => Some(path),
        other => {
            let why = match other {
                Some(path) => format!("{PROMETHEUS_ENV}={} is not a file", path.display()),
                None => format!("{PROMETHEUS_ENV} unset"),
            };
            assert!(
                std::env::var(REQUIRE_PROMETHEUS_ENV).as_deref() != Ok("1"),
                "{test}: {REQUIRE_PROMETHEUS_ENV}=1 but {why}; run testenv/prometheus.sh build and eval \"$(testenv/prometheus.sh env)\""
            );
            println!("{test}: skipped: no Prometheus ({why})");
            None
        }
    }
}

// ---- configuration (prometheus.yml), typed -------------------------------------------------

/// The subset of prometheus.yml the tests write.
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    pub global: GlobalConfig,
    /// Rule files, by absolute path (relative ones would be resolved against the config file's
    /// directory, a temporary one).
    pub rule_files: Vec<String>,
    pub scrape_configs: Vec<ScrapeConfig>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GlobalConfig {
    pub scrape_interval: String,
    /// At most `scrape_interval` (Prometheus refuses a longer timeout).
    pub scrape_timeout: String,
    pub evaluation_interval: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScrapeConfig {
    pub job_name: String,
    /// Keep the scraped series' own labels (`namespace` on the operator's series) instead of
    /// renaming them `exported_*`: what `honorLabels: true` of
    /// deploy/monitoring/operator-servicemonitor.yaml does.
    pub honor_labels: bool,
    pub metrics_path: String,
    pub scheme: String,
    pub static_configs: Vec<StaticConfig>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StaticConfig {
    pub targets: Vec<String>,
}

/// A Prometheus duration in whole seconds (`1s`); the API's durations are strings of this form.
pub fn duration(d: Duration) -> String {
    format!("{}s", d.as_secs().max(1))
}

impl Config {
    /// One static scrape job for `target` (`host:port`, plain HTTP, `path`), `rule_file`
    /// loaded, scraping and evaluating every `interval`.
    pub fn single_target(
        job: &str,
        target: SocketAddr,
        path: &str,
        rule_file: &Path,
        interval: Duration,
    ) -> Config {
        Config {
            global: GlobalConfig {
                scrape_interval: duration(interval),
                scrape_timeout: duration(interval),
                evaluation_interval: duration(interval),
            },
            rule_files: vec![rule_file.display().to_string()],
            scrape_configs: vec![ScrapeConfig {
                job_name: job.to_string(),
                honor_labels: true,
                metrics_path: path.to_string(),
                scheme: "http".to_string(),
                static_configs: vec![StaticConfig {
                    targets: vec![target.to_string()],
                }],
            }],
        }
    }
}

// ---- the HTTP API's answers, typed ----------------------------------------------------------

/// The envelope of every `/api/v1` answer.
#[derive(Debug, Deserialize)]
struct Response<T> {
    status: String,
    data: Option<T>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

/// One active (pending or firing) alert. A resolved alert is not listed: `/api/v1/alerts`
/// returns each rule's `ActiveAlerts()`, which leaves out alerts with a resolution time
/// (rules/alerting.go).
#[derive(Clone, Debug, Deserialize)]
pub struct Alert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub state: AlertState,
    #[serde(rename = "activeAt")]
    pub active_at: Option<String>,
    pub value: String,
}

impl Alert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }

    /// Whether every `(label, value)` of `labels` is on the alert.
    pub fn has(&self, labels: &[(&str, &str)]) -> bool {
        labels
            .iter()
            .all(|(k, v)| self.labels.get(*k).map(String::as_str) == Some(*v))
    }
}

#[derive(Debug, Deserialize)]
struct AlertDiscovery {
    alerts: Vec<Alert>,
}

#[derive(Debug, Deserialize)]
struct RuleDiscovery {
    groups: Vec<RuleGroup>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RuleGroup {
    pub name: String,
    pub file: String,
    pub rules: Vec<Rule>,
}

/// An alerting or recording rule as loaded (the fields both kinds have, and the alerting
/// ones as options).
#[derive(Clone, Debug, Deserialize)]
pub struct Rule {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `ok`, `err` or `unknown` (not evaluated yet).
    pub health: String,
    #[serde(rename = "lastError", default)]
    pub last_error: Option<String>,
    /// The alerting rule's `for`, in seconds.
    pub duration: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Sample>,
}

/// One element of an instant vector: the series' labels and `[unix time, "value"]`.
#[derive(Clone, Debug, Deserialize)]
pub struct Sample {
    pub metric: BTreeMap<String, String>,
    pub value: (f64, String),
}

impl Sample {
    /// The value as a number (`NaN` and `+Inf` included); `None` if Prometheus sent something
    /// else.
    pub fn number(&self) -> Option<f64> {
        self.value.1.parse().ok()
    }
}

#[derive(Debug, Deserialize)]
struct TargetDiscovery {
    #[serde(rename = "activeTargets")]
    active_targets: Vec<Target>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Target {
    #[serde(rename = "scrapeUrl")]
    pub scrape_url: String,
    /// `up`, `down` or `unknown`.
    pub health: String,
    #[serde(rename = "lastError")]
    pub last_error: String,
}

// ---- the server -----------------------------------------------------------------------------

/// A running Prometheus; killed on drop.
pub struct Prometheus {
    child: Child,
    dir: PathBuf,
    base: String,
    http: reqwest::Client,
}

impl Prometheus {
    /// Starts `binary` with `config` on a free loopback port and waits until `/-/ready` answers
    /// 200; panics with the server's log when it exits or does not become ready.
    pub async fn start(binary: &Path, config: &Config) -> Prometheus {
        crate::install_crypto_provider();
        let dir = std::env::temp_dir().join(crate::unique_name("prometheus"));
        std::fs::create_dir_all(dir.join("data")).expect("create the Prometheus temp dir");
        let config_file = dir.join("prometheus.yml");
        let yaml = serde_saphyr::to_string(config).expect("the Prometheus config serializes");
        std::fs::write(&config_file, yaml).expect("write prometheus.yml");
        // Bound and released at once: the port is free unless another process takes it in the
        // next moment, which would show as Prometheus failing to listen (and this panicking).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let log = File::create(dir.join("prometheus.log")).expect("create prometheus.log");
        let log_err = log.try_clone().expect("clone the log handle");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={listen}"))
            // The working directory holds no web/ui tree; the UI (not built in without the
            // `builtinassets` tag) is not used, only the API.
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client (plain HTTP, no TLS configuration to fail)");
        let mut prometheus = Prometheus {
            child,
            dir,
            base: format!("http://{listen}"),
            http,
        };
        prometheus.wait_ready().await;
        prometheus
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "prometheus exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            let last = match self.http.get(format!("{}/-/ready", self.base)).send().await {
                Ok(r) if r.status().is_success() => return,
                Ok(r) => format!("HTTP {}", r.status()),
                Err(e) => e.to_string(),
            };
            if started.elapsed() > READY_TIMEOUT {
                panic!(
                    "prometheus not ready after {READY_TIMEOUT:?} ({last}):\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The server's output so far (its log lines), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log"))
            .unwrap_or_else(|e| format!("<cannot read prometheus.log: {e}>"))
    }

    /// `GET <path>?<params>` of the API, its `data` on success.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, String> {
        let base = format!("{}{path}", self.base);
        let url = if params.is_empty() {
            reqwest::Url::parse(&base)
        } else {
            reqwest::Url::parse_with_params(&base, params)
        }
        .map_err(|e| format!("{base}: {e}"))?;
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let parsed: Response<T> = serde_json::from_slice(&body).map_err(|e| {
            format!(
                "GET {url}: HTTP {status}, not an API answer ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })?;
        match (parsed.status.as_str(), parsed.data) {
            ("success", Some(data)) => Ok(data),
            _ => Err(format!(
                "GET {url}: HTTP {status}, status {}, {}: {}",
                parsed.status,
                parsed.error_type.unwrap_or_default(),
                parsed.error.unwrap_or_default()
            )),
        }
    }

    /// `GET /api/v1/alerts`: every pending or firing alert.
    pub async fn alerts(&self) -> Result<Vec<Alert>, String> {
        self.get::<AlertDiscovery>("/api/v1/alerts", &[])
            .await
            .map(|d| d.alerts)
    }

    /// `GET /api/v1/rules`: the loaded rule groups, with each rule's health.
    pub async fn rules(&self) -> Result<Vec<RuleGroup>, String> {
        self.get::<RuleDiscovery>("/api/v1/rules", &[])
            .await
            .map(|d| d.groups)
    }

    /// `GET /api/v1/query?query=…` at the current time; the expression must give an instant
    /// vector.
    pub async fn query(&self, promql: &str) -> Result<Vec<Sample>, String> {
        let data: QueryData = self.get("/api/v1/query", &[("query", promql)]).await?;
        if data.result_type != "vector" {
            return Err(format!(
                "{promql}: a {} instead of a vector",
                data.result_type
            ));
        }
        Ok(data.result)
    }

    /// `GET /api/v1/targets`: the active scrape targets and their last scrape's health.
    pub async fn targets(&self) -> Result<Vec<Target>, String> {
        self.get::<TargetDiscovery>("/api/v1/targets", &[])
            .await
            .map(|d| d.active_targets)
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        // Err: it has exited already; either way nothing of it is left running after wait().
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
