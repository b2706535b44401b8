//! `neo4j-aks bench`: write TPS and latency, reads spread over the reader servers, replication
//! lag, and the client's own CPU beside them (docs/bench.md).
//!
//! Every node the run writes has the label [`workload::LABEL`] and the run's id in `run`; they
//! are deleted at the end (unless `--keep`), and the key index is dropped once no bench node is
//! left.

mod cpu;
mod report;
mod workload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use neo4j_aks_topology::Credentials;
use neo4j_aks_topology::bolt::{BoltAdminClient, BoltOptions, Tls, classify};
use neo4rs::{ConfigBuilder, Graph, Query};

use crate::Failure;
use cpu::{ClientCpu, CpuSample};
use report::{Cleanup, Lag, Latency, Parameters, ReadEndpoint, ReaderLag, Reads, Report, Writes};
use workload::{LABEL, Reader};

const INDEX: &str = "neo_aks_bench_key";

#[derive(Args, Clone, Debug)]
pub struct BenchArgs {
    /// Name of the Neo4jCluster: the password is read from its admin password Secret (through
    /// the kube context) unless --auth-file or the password variable is given. Its address is
    /// not found from the name yet: give --bolt as well (docs/bench.md).
    pub name: Option<String>,
    /// Namespace of the Neo4jCluster (default: the kube context's namespace).
    #[arg(short = 'n', long, requires = "name")]
    pub namespace: Option<String>,
    /// Bolt URI of the server or cluster member to write to: bolt://, bolt+s://, neo4j://,
    /// neo4j+s:// (writes use server-side routing, so any member reaches the leader).
    #[arg(long, value_name = "URI")]
    pub bolt: Option<String>,
    /// CA certificate (PEM) to verify the server with, for +s URIs; default: the system roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// File holding `neo4j/<password>` (the cluster's NEO4J_AUTH value). Never printed.
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    pub auth_file: Option<PathBuf>,
    /// Read the password from this environment variable (user from --user); without it and
    /// --auth-file, the password comes from the cluster's Secret (needs NAME).
    #[arg(long, value_name = "VAR", default_value = "NEO4J_AKS_BENCH_PASSWORD")]
    pub password_env: String,
    #[arg(long, default_value = "neo4j")]
    pub user: String,
    #[arg(long, default_value = "neo4j")]
    pub database: String,
    /// How long the workload runs (after seeding): 10s, 2m.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Concurrent writer tasks, each one write transaction at a time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub writers: u16,
    /// Concurrent reader tasks (0: no read workload).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub readers: u16,
    /// Servers to read from (host:port, repeatable), instead of the READ entries of the
    /// routing table (for when the advertised addresses do not resolve where the bench runs).
    #[arg(long = "read-from", value_name = "HOST:PORT")]
    pub read_from: Vec<String>,
    /// Time between two replication-lag probes.
    #[arg(long, default_value = "200ms", value_parser = parse_duration)]
    pub lag_interval: Duration,
    /// Seed nodes the reads look up.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub seed_nodes: u32,
    /// Bound for one transaction, one read, and one lag probe to become visible.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Also write the latency histograms here as HdrHistogram percentile distributions
    /// (writes.hgrm, reads.hgrm, lag.hgrm; values in ms), for plotting.
    #[arg(long, value_name = "DIR")]
    pub histograms: Option<PathBuf>,
    /// Leave this run's nodes in the database (the report names the run id).
    #[arg(long)]
    pub keep: bool,
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let signed: jiff::SignedDuration = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 500ms, 10s or 2m: {e}"))?;
    let duration = Duration::try_from(signed).map_err(|_| format!("{text:?} is negative"))?;
    if duration.is_zero() {
        return Err(format!("{text:?}: must be longer than zero"));
    }
    Ok(duration)
}

fn bench_error<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> Failure + '_ {
    move |detail| Failure::Bench(format!("{what}: {detail}"))
}

pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    let Some(uri) = args.bolt.as_deref() else {
        return Err(Failure::Refused(match &args.name {
            Some(name) => format!(
                "bench {name}: finding the cluster's Bolt address from its name is not implemented yet; \
                 pass --bolt (for example after `kubectl port-forward svc/{name}-lb 7687`, see docs/bench.md)"
            ),
            None => "bench: give --bolt URI (and the cluster's NAME, for the report)".to_owned(),
        }));
    };
    let mut options = BoltOptions::from_uri(uri)
        .map_err(|e| Failure::Refused(e.to_string()))?
        .with_timeout(args.timeout);
    if let (Tls::On { .. }, Some(ca)) = (&options.tls, &args.ca_file) {
        options.tls = Tls::On {
            ca_file: Some(ca.clone()),
        };
    } else if args.ca_file.is_some() {
        return Err(Failure::Refused(
            "--ca-file needs a TLS URI (bolt+s:// or neo4j+s://)".to_owned(),
        ));
    }
    let report = crate::day2::runtime()?.block_on(async {
        let credentials = match given_credentials(args)? {
            Some(credentials) => credentials,
            None => cluster_credentials(args).await?,
        };
        bench(args, &options, &credentials).await
    })?;
    let text = match args.output {
        Output::Table => report.to_table(),
        Output::Json => report.to_json(),
    };
    crate::print(&text)
}

/// From --auth-file or the password variable; `None` when neither is given.
fn given_credentials(args: &BenchArgs) -> Result<Option<Credentials>, Failure> {
    if let Some(path) = &args.auth_file {
        let text = std::fs::read_to_string(path).map_err(|source| Failure::ReadInput {
            path: path.display().to_string(),
            source,
        })?;
        return Credentials::from_neo4j_auth(text.trim_end())
            .map(Some)
            .map_err(|e| Failure::Refused(format!("{}: {e}", path.display())));
    }
    match std::env::var(&args.password_env) {
        Ok(password) if !password.is_empty() => Ok(Some(Credentials::new(&args.user, password))),
        _ if args.name.is_some() => Ok(None),
        _ => Err(Failure::Refused(format!(
            "no Neo4j password: pass --auth-file FILE (neo4j/<password>), set {}, or name the \
             Neo4jCluster to read its password Secret",
            args.password_env
        ))),
    }
}

/// The admin credentials from the Secret the cluster's spec names (generated, existing, or
/// synced from Key Vault), as the operator reads them.
async fn cluster_credentials(args: &BenchArgs) -> Result<Credentials, Failure> {
    let Some(name) = &args.name else {
        return Err(Failure::Refused("no Neo4j password and no NAME".to_owned()));
    };
    let target = crate::day2::Target {
        name: name.clone(),
        namespace: args.namespace.clone(),
    };
    let (client, namespace, api) = crate::day2::client_and_api(&target).await?;
    let cluster = crate::day2::fetch(&api, &target).await?;
    let validated = neo4j_aks_model::validate(&cluster).map_err(|invalid| {
        Failure::Refused(format!(
            "Neo4jCluster {name}: its spec is invalid, so where its password lives is unknown:\n{invalid}"
        ))
    })?;
    let secret_name = validated.password.secret_name();
    let key = validated.password.key();
    let secret = kube::Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client, &namespace)
        .get_opt(secret_name)
        .await
        .map_err(Failure::kubernetes(format!("cannot read Secret {secret_name}")))?
        .ok_or_else(|| {
            Failure::NotFound(format!(
                "Neo4jCluster {name}: its password Secret {secret_name} does not exist (yet) in namespace {namespace}"
            ))
        })?;
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .ok_or_else(|| Failure::NotFound(format!("Secret {secret_name} has no key {key}")))?;
    Credentials::from_secret_bytes(&bytes.0)
        .map_err(|e| Failure::Refused(format!("Secret {secret_name}, key {key}: {e}")))
}

/// A driver pool on `uri` with the bench's database as default.
fn graph(
    uri: &str,
    options: &BoltOptions,
    credentials: &Credentials,
    database: &str,
    connections: usize,
) -> Result<Graph, Failure> {
    let mut config = ConfigBuilder::default()
        .uri(uri)
        .user(credentials.user())
        .password(credentials.expose_password())
        .db(database)
        .max_connections(connections)
        .connection_timeout(options.timeout);
    if let Tls::On {
        ca_file: Some(path),
    } = &options.tls
    {
        config = config.with_client_certificate(path);
    }
    let config = config
        .build()
        .map_err(|e| Failure::Bench(classify(e).to_string()))?;
    Graph::connect(config).map_err(|e| Failure::Bench(format!("{uri}: {}", classify(e))))
}

async fn bounded<T>(
    what: &str,
    timeout: Duration,
    work: impl Future<Output = Result<T, neo4rs::Error>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result.map_err(|e| Failure::Bench(format!("{what}: {}", classify(e)))),
        Err(_) => Err(Failure::Bench(format!(
            "{what}: no answer within {timeout:?}"
        ))),
    }
}

async fn bench(
    args: &BenchArgs,
    options: &BoltOptions,
    credentials: &Credentials,
) -> Result<Report, Failure> {
    let admin = BoltAdminClient::connect(options.clone(), credentials)
        .map_err(|e| Failure::Bench(e.to_string()))?;
    let info = admin
        .server_info()
        .await
        .map_err(|e| Failure::Bench(format!("connecting to {}: {e}", options.uri())))?;
    let run: Arc<str> = Arc::from(run_id());
    let writers = usize::from(args.writers);
    let timeout = args.timeout;
    let writer_graph = graph(
        &options.uri(),
        options,
        credentials,
        &args.database,
        writers + 2,
    )?;

    bounded("creating the bench index", timeout, async {
        match writer_graph
            .run(Query::new(format!(
                "CREATE INDEX {INDEX} IF NOT EXISTS FOR (n:{LABEL}) ON (n.key)"
            )))
            .await
        {
            // IF NOT EXISTS is not atomic: a bench starting at the same moment may have created
            // the same index in between, which is what this statement wants anyway.
            Err(neo4rs::Error::Neo4j(e))
                if e.code() == "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists" =>
            {
                Ok(())
            }
            other => other,
        }
    })
    .await?;
    bounded(
        "waiting for the bench index",
        timeout,
        writer_graph.run(Query::new("CALL db.awaitIndexes(60)".to_owned())),
    )
    .await?;
    let seeds = usize::try_from(args.seed_nodes).unwrap_or(usize::MAX);
    let seeding = Query::new(format!(
        "UNWIND range(0, $n - 1) AS i CREATE (:{LABEL} {{run: $run, kind: 'seed', key: $run + ':seed:' + toString(i)}})"
    ))
    .param("n", i64::from(args.seed_nodes))
    .param("run", &*run);
    let result = measure(
        args,
        options,
        credentials,
        &writer_graph,
        &run,
        seeds,
        seeding,
    )
    .await;
    // Clean-up runs whatever the workload did, so a failed run leaves nothing behind.
    let cleanup = clean_up(&writer_graph, &run, args.keep, timeout).await;
    let (writes, reads, lag, client_cpu, mut not_measured) = result?;
    let cleanup = cleanup?;
    not_measured.push(
        "failover time (leader killed, time until writes succeed again): not implemented yet; \
         it needs an Enterprise cluster (docs/bench.md)"
            .to_owned(),
    );
    Ok(Report {
        parameters: Parameters {
            target: options.uri(),
            database: args.database.clone(),
            duration_seconds: args.duration.as_secs_f64(),
            writers,
            readers: usize::from(args.readers),
            lag_probe_interval_ms: u64::try_from(args.lag_interval.as_millis()).unwrap_or(u64::MAX),
            seed_nodes: seeds,
            timeout_seconds: timeout.as_secs_f64(),
            run_id: run.to_string(),
            kept_nodes: args.keep,
        },
        server: report::Server {
            version: info.version,
            edition: info.edition,
        },
        writes,
        reads,
        replication_lag: lag,
        client_cpu,
        cleanup,
        not_measured,
    })
}

type Measured = (Writes, Reads, Lag, ClientCpu, Vec<String>);

async fn measure(
    args: &BenchArgs,
    options: &BoltOptions,
    credentials: &Credentials,
    writer_graph: &Graph,
    run: &Arc<str>,
    seeds: usize,
    seeding: Query,
) -> Result<Measured, Failure> {
    let timeout = args.timeout;
    bounded("writing the seed nodes", timeout, writer_graph.run(seeding)).await?;
    let readers = Arc::new(read_servers(args, options, writer_graph).await?);
    let per_reader_pool = usize::from(args.readers) / readers.len().max(1) + 2;
    let readers = Arc::new(
        readers
            .iter()
            .map(|address| {
                let scheme = if matches!(options.tls, Tls::Off) {
                    "bolt"
                } else {
                    "bolt+s"
                };
                Ok(Reader {
                    address: address.clone(),
                    graph: graph(
                        &format!("{scheme}://{address}"),
                        options,
                        credentials,
                        &args.database,
                        per_reader_pool,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?,
    );

    let cpu_start = CpuSample::now().map_err(|e| Failure::Bench(format!("getrusage: {e}")))?;
    let started = Instant::now();
    let until = started + args.duration;
    let writer_tasks: Vec<_> = (0..usize::from(args.writers))
        .map(|id| {
            tokio::spawn(workload::writer(
                writer_graph.clone(),
                run.clone(),
                id,
                until,
                timeout,
            ))
        })
        .collect();
    let reader_tasks: Vec<_> = (0..usize::from(args.readers))
        .map(|id| {
            tokio::spawn(workload::reader(
                readers.clone(),
                run.clone(),
                id,
                seeds,
                until,
                timeout,
            ))
        })
        .collect();
    let prober = tokio::spawn(workload::lag_prober(
        writer_graph.clone(),
        readers.clone(),
        run.clone(),
        args.lag_interval,
        until,
        timeout,
    ));
    let mut writes = Vec::new();
    for task in writer_tasks {
        writes.push(
            task.await
                .map_err(|e| Failure::Bench(format!("writer task: {e}")))?,
        );
    }
    let mut reads = Vec::new();
    for task in reader_tasks {
        reads.push(
            task.await
                .map_err(|e| Failure::Bench(format!("reader task: {e}")))?,
        );
    }
    let lag = prober
        .await
        .map_err(|e| Failure::Bench(format!("lag prober: {e}")))?;
    let wall = started.elapsed().as_secs_f64();
    let cpu_end = CpuSample::now().map_err(|e| Failure::Bench(format!("getrusage: {e}")))?;
    let client_cpu = ClientCpu::between(cpu_start, cpu_end);

    let mut write_latency = report::histogram();
    let mut write_errors = workload::Errors::default();
    let (mut committed, mut failed, mut uncertain) = (0, 0, 0);
    for w in &writes {
        write_latency
            .add(&w.latency)
            .map_err(bench_error("merging histograms"))?;
        committed += w.committed;
        failed += w.failed;
        uncertain += w.uncertain;
        w.errors
            .0
            .iter()
            .for_each(|e| write_errors.0.push(e.clone()));
    }
    write_errors.0.dedup();
    write_errors.0.truncate(5);

    let mut read_latency = report::histogram();
    let mut per_endpoint = vec![0u64; readers.len()];
    let mut read_errors = Vec::new();
    let (mut succeeded, mut read_failed) = (0, 0);
    for r in &reads {
        read_latency
            .add(&r.latency)
            .map_err(bench_error("merging histograms"))?;
        succeeded += r.succeeded;
        read_failed += r.failed;
        for (total, n) in per_endpoint.iter_mut().zip(&r.per_endpoint) {
            *total += n;
        }
        for e in &r.errors.0 {
            if read_errors.len() < 5 && !read_errors.contains(e) {
                read_errors.push(e.clone());
            }
        }
    }
    for e in lag.errors.0 {
        if read_errors.len() < 10 && !read_errors.contains(&e) {
            read_errors.push(e);
        }
    }

    let mut lag_overall = report::histogram();
    for h in &lag.per_reader {
        lag_overall
            .add(h)
            .map_err(bench_error("merging histograms"))?;
    }
    if let Some(dir) = &args.histograms {
        write_histograms(
            dir,
            &[
                ("writes", &write_latency),
                ("reads", &read_latency),
                ("lag", &lag_overall),
            ],
        )?;
    }
    let mut not_measured = Vec::new();
    if args.readers == 0 {
        not_measured.push("reads: --readers 0".to_owned());
    }
    Ok((
        Writes {
            committed,
            failed,
            uncertain,
            tps: committed as f64 / wall,
            latency: Latency::of(&write_latency),
            errors: write_errors.0,
        },
        Reads {
            endpoints: readers
                .iter()
                .zip(&per_endpoint)
                .map(|(r, n)| ReadEndpoint {
                    address: r.address.clone(),
                    reads: *n,
                })
                .collect(),
            succeeded,
            failed: read_failed,
            per_second: succeeded as f64 / wall,
            latency: Latency::of(&read_latency),
            errors: read_errors,
        },
        Lag {
            method: "poll: commit on the writer, then read the probe from each reader until it shows",
            probes_committed: lag.committed,
            not_visible: lag.not_visible,
            overall: Latency::of(&lag_overall),
            per_reader: readers
                .iter()
                .zip(&lag.per_reader)
                .map(|(r, h)| ReaderLag {
                    address: r.address.clone(),
                    latency: Latency::of(h),
                })
                .collect(),
        },
        client_cpu,
        not_measured,
    ))
}

fn write_histograms(
    dir: &std::path::Path,
    histograms: &[(&str, &hdrhistogram::Histogram<u64>)],
) -> Result<(), Failure> {
    let failed = |e: std::io::Error| Failure::Output {
        what: "the histogram files",
        detail: format!("{}: {e}", dir.display()),
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    for (name, histogram) in histograms {
        std::fs::write(
            dir.join(format!("{name}.hgrm")),
            report::percentile_distribution(histogram),
        )
        .map_err(failed)?;
    }
    Ok(())
}

/// The READ entries of the routing table for the database (or --read-from).
async fn read_servers(
    args: &BenchArgs,
    options: &BoltOptions,
    writer_graph: &Graph,
) -> Result<Vec<String>, Failure> {
    if !args.read_from.is_empty() {
        return Ok(args.read_from.clone());
    }
    let query = Query::new(
        "CALL dbms.routing.getRoutingTable({}, $database) YIELD servers \
         UNWIND servers AS server WITH server WHERE server.role = 'READ' \
         UNWIND server.addresses AS address RETURN address ORDER BY address"
            .to_owned(),
    )
    .param("database", args.database.as_str());
    let mut addresses = Vec::new();
    let work = async {
        let mut stream = writer_graph.execute_read(query).await?;
        while let Some(row) = stream.next().await? {
            if let Ok(address) = row.get::<String>("address") {
                addresses.push(address);
            }
        }
        Ok(())
    };
    bounded("reading the routing table", options.timeout, work).await?;
    if addresses.is_empty() {
        return Err(Failure::Bench(format!(
            "the routing table of {} lists no READ server; pass --read-from HOST:PORT",
            args.database
        )));
    }
    Ok(addresses)
}

/// Counts this run's nodes, deletes them in batches (unless `keep`), and drops the key index
/// once no bench node of any run is left.
async fn clean_up(
    graph: &Graph,
    run: &str,
    keep: bool,
    timeout: Duration,
) -> Result<Cleanup, Failure> {
    let count = |query: Query| async move {
        let work = async {
            let mut stream = graph.execute(query).await?;
            let mut found = 0i64;
            while let Some(row) = stream.next().await? {
                found = row.get::<i64>("found").unwrap_or(0);
            }
            Ok(found)
        };
        bounded("clean-up", timeout, work).await
    };
    let of_run = || {
        Query::new(format!(
            "MATCH (n:{LABEL} {{run: $run}}) RETURN count(n) AS found"
        ))
        .param("run", run)
    };
    let nodes_found = u64::try_from(count(of_run()).await?).unwrap_or(0);
    let mut nodes_deleted = 0u64;
    if !keep {
        loop {
            let deleted = count(
                Query::new(format!(
                    "MATCH (n:{LABEL} {{run: $run}}) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS found"
                ))
                .param("run", run),
            )
            .await?;
            if deleted <= 0 {
                break;
            }
            nodes_deleted += u64::try_from(deleted).unwrap_or(0);
        }
        let left = count(Query::new(format!(
            "MATCH (n:{LABEL}) RETURN count(n) AS found"
        )))
        .await?;
        if left == 0 {
            bounded(
                "dropping the bench index",
                timeout,
                graph.run(Query::new(format!("DROP INDEX {INDEX} IF EXISTS"))),
            )
            .await?;
        }
    }
    Ok(Cleanup {
        nodes_found,
        nodes_deleted,
    })
}

/// Unique per run: UTC time and the process id.
fn run_id() -> String {
    let now = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.3fZ")
        .to_string();
    format!("{now}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_zero_or_negative_is_refused() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn run_ids_differ_between_calls() {
        let a = run_id();
        std::thread::sleep(Duration::from_millis(2));
        assert_ne!(a, run_id());
    }
}
