//! A SIMULATION of what the official Neo4j image does to the configuration before Neo4j reads
//! it, for tests: Neo4j Enterprise cannot run here, and a rendered neo4j.conf means nothing until
//! the image's entrypoint has rewritten it.
//!
//! Modelled on `docker-entrypoint.sh` of neo4j/docker-neo4j-publish at a9a15fb ("Publishing
//! 2026.06.0"): `5.26.28/trixie/enterprise/local-package/docker-entrypoint.sh` for the 5.x line
//! and `2025.10.1/bullseye/enterprise/local-package/docker-entrypoint.sh` /
//! `2026.06.0/trixie/enterprise/local-package/docker-entrypoint.sh` for calendar releases (the
//! parts modelled here are identical in those files except where [`image_defaulted_addresses`]
//! says). Each step below names the part of the script it follows; what the script does and this
//! model leaves out is listed at the end of this comment.
//!
//! 1. `NEO4J_*_FILE` variables are replaced by a variable without `_FILE` holding the file's
//!    content ("EXTRACT SECRETS FROM FILES"); the content is not read here.
//! 2. A mounted `/conf` replaces the image's conf directory (`rm -rf "${NEO4J_HOME}"/conf/*`, then
//!    every file of `/conf` is copied in), so nothing of the distribution's neo4j.conf survives.
//! 3. Mounted directories set `NEO4J_server_directories_*` defaults (`: ${VAR:=/dir}`); `/logs` and
//!    `/data` always exist in the image (its Dockerfile moves them there).
//! 4. "docker defaults" are appended only where neo4j.conf has no line starting with `KEY=`
//!    (`add_docker_default_to_conf`): the page cache, the listen address, and for Enterprise the
//!    advertised addresses at `$(hostname):PORT`.
//! 5. Every variable `NEO4J_*` (from `set`, reverse-sorted), except the script's own control
//!    variables and `*_FILE`, is turned into a setting (`NEO4J_` removed, `_` to `.`, `..` to `_`)
//!    and written over any line for that key (`add_env_setting_to_conf`); `server.jvm.additional`
//!    lines are appended, never replaced. Empty values and settings starting with a digit are
//!    skipped.
//!
//! Left out: plugin installation (`NEO4J_PLUGINS`), the password (`set_initial_password` runs
//! `neo4j-admin dbms set-initial-password`, which touches `/data`, not the configuration),
//! `apoc.*` settings going to apoc.conf, file permission checks, and the legacy renames of 4.x
//! names (the renderer never writes those names).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodSpec, Service};

/// Which image line: the 5.x entrypoint also defaults the discovery v1 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageLine {
    V5,
    Calver,
}

impl ImageLine {
    /// From a Neo4j version text such as `5.26.16` or `2025.10.1`.
    pub fn of_version(version: &str) -> ImageLine {
        if version.starts_with("5.") {
            ImageLine::V5
        } else {
            ImageLine::Calver
        }
    }
}

/// The advertised addresses the Enterprise image appends as `$(hostname):PORT` when neo4j.conf
/// lacks them, with their port: docker-entrypoint.sh, "set enterprise only docker defaults"
/// (5.26.28: lines 582-585; 2025.10.1 and 2026.06.0: lines 581-583, without the discovery line).
pub fn image_defaulted_addresses(line: ImageLine) -> &'static [(&'static str, u16)] {
    match line {
        ImageLine::V5 => &[
            ("server.discovery.advertised_address", 5000),
            ("server.cluster.advertised_address", 6000),
            ("server.cluster.raft.advertised_address", 7000),
            ("server.routing.advertised_address", 7688),
        ],
        ImageLine::Calver => &[
            ("server.cluster.advertised_address", 6000),
            ("server.cluster.raft.advertised_address", 7000),
            ("server.routing.advertised_address", 7688),
        ],
    }
}

/// `NEO4J_*` variables the script reads itself and never writes as settings (`not_configs`).
const NOT_CONFIGS: &[&str] = &[
    "NEO4J_ACCEPT_LICENSE_AGREEMENT",
    "NEO4J_AUTH",
    "NEO4J_AUTH_PATH",
    "NEO4J_DEBUG",
    "NEO4J_EDITION",
    "NEO4J_HOME",
    "NEO4J_PLUGINS",
    "NEO4J_SHA256",
    "NEO4J_TARBALL",
    "NEO4J_DEPRECATION_WARNING",
];

/// The image's own environment (Dockerfile `ENV`), which `set` also lists.
fn image_env(enterprise: bool) -> Vec<(String, String)> {
    vec![
        (
            "NEO4J_EDITION".into(),
            if enterprise {
                "enterprise"
            } else {
                "community"
            }
            .into(),
        ),
        ("NEO4J_HOME".into(), "/var/lib/neo4j".into()),
    ]
}

/// What a container start sees.
#[derive(Clone, Debug)]
pub struct ImageStart {
    pub line: ImageLine,
    pub enterprise: bool,
    /// `$(hostname)`: in a pod, the pod's `spec.hostname`, else its name.
    pub hostname: String,
    /// The container's environment after Kubernetes expanded it, in definition order.
    pub env: Vec<(String, String)>,
    /// Files of the mounted `/conf` by name, or `None` when `/conf` is not mounted.
    pub conf_dir: Option<BTreeMap<String, String>>,
    /// Mount paths of the container's volumes.
    pub mounts: BTreeSet<String>,
}

/// neo4j.conf as Neo4j reads it after the entrypoint, and what the entrypoint did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartedConf {
    /// `key=value` lines in file order (comments and blank lines dropped).
    pub lines: Vec<(String, String)>,
    /// Settings the image appended because neo4j.conf lacked them (step 4).
    pub image_defaults: Vec<String>,
    /// Settings written from `NEO4J_*` variables (step 5), in the order written.
    pub from_env: Vec<String>,
    /// Settings the script skipped with a warning (a name starting with a digit).
    pub skipped: Vec<String>,
}

impl StartedConf {
    /// The value Neo4j uses: the last line for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Keys with more than one line (other than `server.jvm.additional`, which takes several).
    pub fn duplicates(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut twice = BTreeSet::new();
        for (key, _) in &self.lines {
            if key != "server.jvm.additional" && !seen.insert(key.clone()) {
                twice.insert(key.clone());
            }
        }
        twice.into_iter().collect()
    }
}

fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .collect()
}

/// The setting a `NEO4J_*` variable names, as the script's three `sed`s derive it.
pub fn setting_of_env(name: &str) -> Option<String> {
    let rest = name.strip_prefix("NEO4J_")?;
    Some(rest.replace('_', ".").replace("..", "_"))
}

/// Runs the modelled steps.
pub fn start(start: &ImageStart) -> StartedConf {
    // Step 1: `*_FILE` variables become their base variable (content not modelled).
    let mut env: Vec<(String, String)> = image_env(start.enterprise);
    for (name, value) in &start.env {
        env.retain(|(n, _)| n != name);
        env.push((name.clone(), value.clone()));
    }
    let files: Vec<(String, String)> = env
        .iter()
        .filter(|(n, _)| n.starts_with("NEO4J_") && n.ends_with("_FILE"))
        .map(|(n, v)| {
            (
                n.trim_end_matches("_FILE").to_string(),
                format!("<file {v}>"),
            )
        })
        .collect();
    for (name, value) in files {
        env.retain(|(n, _)| *n != name);
        env.push((name, value));
    }
    // Step 2.
    let mut conf: Vec<(String, String)> = match &start.conf_dir {
        Some(files) => files
            .get("neo4j.conf")
            .map(|t| parse(t))
            .unwrap_or_default(),
        None => Vec::new(),
    };
    // Step 3: `: ${VAR:=/dir}` only when the variable is unset.
    let mut dirs = vec![("/logs", "NEO4J_server_directories_logs")];
    for (dir, var) in [
        ("/plugins", "NEO4J_server_directories_plugins"),
        ("/import", "NEO4J_server_directories_import"),
        ("/licenses", "NEO4J_server_directories_licenses"),
    ] {
        if start.mounts.contains(dir) {
            dirs.push((dir, var));
        }
    }
    if start.enterprise && start.mounts.contains("/metrics") {
        dirs.push(("/metrics", "NEO4J_server_directories_metrics"));
    }
    for (dir, var) in dirs {
        if !env.iter().any(|(n, _)| n == var) {
            env.push((var.to_string(), dir.to_string()));
        }
    }
    // Step 4.
    let mut image_defaults = Vec::new();
    let mut defaults: Vec<(String, String)> = vec![
        ("server.memory.pagecache.size".into(), "512M".into()),
        ("server.default_listen_address".into(), "0.0.0.0".into()),
    ];
    if start.enterprise {
        defaults.extend(
            image_defaulted_addresses(start.line)
                .iter()
                .map(|(k, port)| (k.to_string(), format!("{}:{port}", start.hostname))),
        );
    }
    for (key, value) in defaults {
        if !conf.iter().any(|(k, _)| *k == key) {
            image_defaults.push(key.clone());
            conf.push((key, value));
        }
    }
    // Step 5: `set | grep ^NEO4J_ | … | sort -rn`.
    let mut names: Vec<&(String, String)> = env
        .iter()
        .filter(|(n, _)| n.starts_with("NEO4J_"))
        .filter(|(n, _)| !NOT_CONFIGS.contains(&n.as_str()) && !n.ends_with("_FILE"))
        .collect();
    names.sort_by(|a, b| b.0.cmp(&a.0));
    let mut from_env = Vec::new();
    let mut skipped = Vec::new();
    for (name, value) in names {
        let Some(setting) = setting_of_env(name) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        if setting.starts_with(|c: char| c.is_ascii_digit()) {
            skipped.push(setting);
            continue;
        }
        if setting != "server.jvm.additional" {
            conf.retain(|(k, _)| *k != setting);
        }
        conf.push((setting.clone(), value.clone()));
        from_env.push(setting);
    }
    StartedConf {
        lines: conf,
        image_defaults,
        from_env,
        skipped,
    }
}

/// Why a container's environment cannot be computed here.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("variable {0}: only literal values and fieldRef metadata.name/namespace are modelled")]
    Unsupported(String),
}

/// The environment Kubernetes gives `container` of a pod named `pod` in `namespace`: service
/// links first (unless `enableServiceLinks: false`), then the container's `env` with `$(VAR)`
/// references to earlier variables expanded, as the kubelet does ("Define dependent environment
/// variables", kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/).
pub fn container_env(
    spec: &PodSpec,
    container: &Container,
    pod: &str,
    namespace: &str,
    services: &[Service],
) -> Result<Vec<(String, String)>, EnvError> {
    let mut env: Vec<(String, String)> = Vec::new();
    if spec.enable_service_links != Some(false) {
        env.extend(service_links(services));
    }
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(value), None) => expand(value, &env),
            (None, None) => String::new(),
            (None, Some(from)) => match from.field_ref.as_ref().map(|f| f.field_path.as_str()) {
                Some("metadata.name") => pod.to_string(),
                Some("metadata.namespace") => namespace.to_string(),
                _ => return Err(EnvError::Unsupported(var.name.clone())),
            },
            (Some(_), Some(_)) => return Err(EnvError::Unsupported(var.name.clone())),
        };
        env.retain(|(n, _)| *n != var.name);
        env.push((var.name.clone(), value));
    }
    Ok(env)
}

/// `$(NAME)` of a variable defined earlier expands to its value; `$$` is a literal `$`; a
/// reference to an undefined variable stays as written.
fn expand(value: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some(inner) = tail.strip_prefix("$(")
            && let Some(end) = inner.find(')')
        {
            let name = &inner[..end];
            match env.iter().rev().find(|(n, _)| n == name) {
                Some((_, v)) => out.push_str(v),
                None => out.push_str(&tail[..end + 3]),
            }
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The Docker-link-style variables the kubelet adds for every Service with a cluster IP in the
/// pod's namespace (Kubernetes docs, "Service" concept, "Environment variables"): `{SVC}_SERVICE_HOST`,
/// `{SVC}_SERVICE_PORT`, `{SVC}_SERVICE_PORT_{NAME}`, `{SVC}_PORT`, and per port
/// `{SVC}_PORT_{P}_{PROTO}` with `_PROTO`, `_PORT`, `_ADDR`; the name upper-cased, `-` to `_`.
pub fn service_links(services: &[Service]) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for service in services {
        let Some(spec) = &service.spec else { continue };
        // Headless Services (and ones not yet given an IP) get no variables.
        let ip = match spec.cluster_ip.as_deref() {
            None | Some("None") | Some("") => continue,
            Some(ip) => ip,
        };
        let name = service
            .metadata
            .name
            .clone()
            .unwrap_or_default()
            .to_ascii_uppercase()
            .replace('-', "_");
        let ports = spec.ports.clone().unwrap_or_default();
        let Some(first) = ports.first() else { continue };
        env.push((format!("{name}_SERVICE_HOST"), ip.to_string()));
        env.push((format!("{name}_SERVICE_PORT"), first.port.to_string()));
        let proto = |p: &k8s_openapi::api::core::v1::ServicePort| {
            p.protocol.clone().unwrap_or_else(|| "TCP".into())
        };
        env.push((
            format!("{name}_PORT"),
            format!(
                "{}://{ip}:{}",
                proto(first).to_ascii_lowercase(),
                first.port
            ),
        ));
        for port in &ports {
            if let Some(port_name) = &port.name {
                env.push((
                    format!(
                        "{name}_SERVICE_PORT_{}",
                        port_name.to_ascii_uppercase().replace('-', "_")
                    ),
                    port.port.to_string(),
                ));
            }
            let p = format!("{name}_PORT_{}_{}", port.port, proto(port));
            env.push((
                p.clone(),
                format!("{}://{ip}:{}", proto(port).to_ascii_lowercase(), port.port),
            ));
            env.push((format!("{p}_PROTO"), proto(port).to_ascii_lowercase()));
            env.push((format!("{p}_PORT"), port.port.to_string()));
            env.push((format!("{p}_ADDR"), ip.to_string()));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enterprise(line: ImageLine, conf: &str, env: &[(&str, &str)]) -> StartedConf {
        start(&ImageStart {
            line,
            enterprise: true,
            hostname: "db-1".into(),
            env: env
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            conf_dir: Some(BTreeMap::from([("neo4j.conf".into(), conf.into())])),
            mounts: BTreeSet::from(["/conf".to_string(), "/data".to_string()]),
        })
    }

    /// The list the entrypoint defaults, pinned: a change in the image is a change here, with
    /// its source (docker-entrypoint.sh, "set enterprise only docker defaults").
    #[test]
    fn the_image_defaults_four_addresses_on_5x_and_three_on_calendar_releases() {
        let names = |line| {
            image_defaulted_addresses(line)
                .iter()
                .map(|(k, p)| format!("{k}:{p}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(ImageLine::V5),
            [
                "server.discovery.advertised_address:5000",
                "server.cluster.advertised_address:6000",
                "server.cluster.raft.advertised_address:7000",
                "server.routing.advertised_address:7688",
            ]
        );
        assert_eq!(
            names(ImageLine::Calver),
            [
                "server.cluster.advertised_address:6000",
                "server.cluster.raft.advertised_address:7000",
                "server.routing.advertised_address:7688",
            ]
        );
    }

    #[test]
    fn missing_addresses_default_to_the_short_hostname_and_variables_win() {
        let started = enterprise(
            ImageLine::V5,
            "server.default_advertised_address=db-1.db-headless.ns.svc.cluster.local\n",
            &[(
                "NEO4J_server_cluster_raft_advertised__address",
                "db-1.db-headless.ns.svc.cluster.local:7000",
            )],
        );
        assert_eq!(
            started.get("server.routing.advertised_address"),
            Some("db-1:7688")
        );
        assert_eq!(
            started.get("server.cluster.raft.advertised_address"),
            Some("db-1.db-headless.ns.svc.cluster.local:7000")
        );
        assert!(
            started
                .image_defaults
                .contains(&"server.cluster.raft.advertised_address".to_string())
        );
        assert!(started.duplicates().is_empty(), "{started:?}");
        assert_eq!(started.get("server.directories.logs"), Some("/logs"));
    }

    #[test]
    fn a_key_in_the_file_is_kept_and_jvm_lines_accumulate() {
        let started = enterprise(
            ImageLine::Calver,
            "server.memory.pagecache.size=2g\nserver.jvm.additional=-XX:+UseG1GC\n",
            &[("NEO4J_server_jvm_additional", "-XX:+AlwaysPreTouch")],
        );
        assert_eq!(started.get("server.memory.pagecache.size"), Some("2g"));
        let jvm: Vec<&str> = started
            .lines
            .iter()
            .filter(|(k, _)| k == "server.jvm.additional")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(jvm, ["-XX:+UseG1GC", "-XX:+AlwaysPreTouch"]);
        assert!(started.get("server.discovery.advertised_address").is_none());
    }

    #[test]
    fn service_links_become_settings_unless_turned_off() {
        let service: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "neo4j-lb"},
            "spec": {"clusterIP": "10.96.3.4", "ports": [{"name": "bolt", "port": 7687}]}
        }))
        .expect("service");
        let container: Container =
            serde_json::from_value(serde_json::json!({"name": "neo4j"})).expect("container");
        let mut spec = PodSpec::default();
        let env = container_env(
            &spec,
            &container,
            "neo4j-0",
            "ns",
            std::slice::from_ref(&service),
        )
        .expect("env");
        let started = enterprise(
            ImageLine::V5,
            "",
            &env.iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        );
        assert_eq!(started.get("LB.SERVICE.HOST"), Some("10.96.3.4"));
        assert_eq!(started.get("LB.PORT"), Some("tcp://10.96.3.4:7687"));
        spec.enable_service_links = Some(false);
        let env = container_env(&spec, &container, "neo4j-0", "ns", &[service]).expect("env");
        assert!(env.is_empty(), "{env:?}");
    }

    #[test]
    fn kubernetes_expands_earlier_variables() {
        let env = vec![("POD_NAME".to_string(), "db-2".to_string())];
        assert_eq!(expand("$(POD_NAME).h.ns:7000", &env), "db-2.h.ns:7000");
        assert_eq!(expand("$(OTHER).x", &env), "$(OTHER).x");
        assert_eq!(expand("$$(POD_NAME)", &env), "$(POD_NAME)");
        assert_eq!(
            setting_of_env("NEO4J_server_cluster_raft_advertised__address").as_deref(),
            Some("server.cluster.raft.advertised_address")
        );
    }
}
