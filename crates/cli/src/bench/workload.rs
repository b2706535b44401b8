//! The three loops a bench run drives at once: writers, readers and the lag prober. Each task
//! keeps its own histogram (no locks on the hot path); the caller merges them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use neo4j_aks_topology::bolt::classify;
use neo4rs::{Graph, Query};

use super::report::{self, histogram};

/// Label of every node a bench run writes; each also carries `run` (the run's id) and `key`.
pub const LABEL: &str = "NeoAksBench";
/// Distinct error texts kept per task.
const MAX_ERRORS: usize = 5;
/// Pause after a failed operation, so a dead server does not turn the loop into a busy spin.
const BACKOFF: Duration = Duration::from_millis(100);

pub fn write_query(run: &str, key: &str, writer: usize, seq: u64) -> Query {
    Query::new(format!(
        "CREATE (:{LABEL} {{run: $run, kind: 'write', key: $key, writer: $writer, seq: $seq}})"
    ))
    .param("run", run)
    .param("key", key)
    .param("writer", i64::try_from(writer).unwrap_or(i64::MAX))
    .param("seq", i64::try_from(seq).unwrap_or(i64::MAX))
}

pub fn seed_key(run: &str, i: usize) -> String {
    format!("{run}:seed:{i}")
}

fn read_query(key: &str) -> Query {
    Query::new(format!(
        "MATCH (n:{LABEL} {{key: $key}}) RETURN count(n) AS found"
    ))
    .param("key", key)
}

#[derive(Default)]
pub struct Errors(pub Vec<String>);

impl Errors {
    fn add(&mut self, error: String) {
        if self.0.len() < MAX_ERRORS && !self.0.contains(&error) {
            self.0.push(error);
        }
    }
}

pub struct WriterResult {
    pub committed: u64,
    pub failed: u64,
    pub uncertain: u64,
    pub latency: Histogram<u64>,
    pub errors: Errors,
}

/// One writer: small write transactions (BEGIN, one CREATE, COMMIT) back to back until `until`.
pub async fn writer(
    graph: Graph,
    run: Arc<str>,
    id: usize,
    until: Instant,
    timeout: Duration,
) -> WriterResult {
    let mut result = WriterResult {
        committed: 0,
        failed: 0,
        uncertain: 0,
        latency: histogram(),
        errors: Errors::default(),
    };
    let mut seq = 0u64;
    while Instant::now() < until {
        seq += 1;
        let key = format!("{run}:write:{id}:{seq}");
        let committing = AtomicBool::new(false);
        let started = Instant::now();
        let outcome = tokio::time::timeout(timeout, async {
            let mut txn = graph.start_txn().await?;
            txn.run(write_query(&run, &key, id, seq)).await?;
            committing.store(true, Ordering::Relaxed);
            txn.commit().await
        })
        .await;
        match outcome {
            Ok(Ok(())) => {
                report::record(&mut result.latency, started.elapsed());
                result.committed += 1;
            }
            Ok(Err(e)) => {
                let neo4j_refused = matches!(e, neo4rs::Error::Neo4j(_));
                if committing.load(Ordering::Relaxed) && !neo4j_refused {
                    result.uncertain += 1;
                } else {
                    result.failed += 1;
                }
                result.errors.add(classify(e).to_string());
                tokio::time::sleep(BACKOFF).await;
            }
            Err(_) => {
                if committing.load(Ordering::Relaxed) {
                    result.uncertain += 1;
                } else {
                    result.failed += 1;
                }
                result
                    .errors
                    .add(format!("write transaction timed out after {timeout:?}"));
            }
        }
    }
    result
}

/// A server the reads go to (a READ entry of the routing table, or one given with --read-from).
pub struct Reader {
    pub address: String,
    pub graph: Graph,
}

pub struct ReaderResult {
    pub succeeded: u64,
    pub failed: u64,
    /// Reads served, per entry of the readers list.
    pub per_endpoint: Vec<u64>,
    pub latency: Histogram<u64>,
    pub errors: Errors,
}

/// One reader: point reads of seed nodes by key, in read mode, spread over every reader server.
pub async fn reader(
    readers: Arc<Vec<Reader>>,
    run: Arc<str>,
    id: usize,
    seeds: usize,
    until: Instant,
    timeout: Duration,
) -> ReaderResult {
    let mut result = ReaderResult {
        succeeded: 0,
        failed: 0,
        per_endpoint: vec![0; readers.len()],
        latency: histogram(),
        errors: Errors::default(),
    };
    let mut n = id;
    while Instant::now() < until {
        n = n.wrapping_add(1);
        let target = n % readers.len();
        let key = seed_key(&run, n.wrapping_mul(7919) % seeds.max(1));
        let started = Instant::now();
        let outcome =
            tokio::time::timeout(timeout, count(&readers[target].graph, read_query(&key))).await;
        match outcome {
            Ok(Ok(1)) => {
                report::record(&mut result.latency, started.elapsed());
                result.succeeded += 1;
                result.per_endpoint[target] += 1;
            }
            Ok(Ok(found)) => {
                result.failed += 1;
                result.errors.add(format!(
                    "{}: seed node {key} found {found} time(s), expected once",
                    readers[target].address
                ));
            }
            Ok(Err(e)) => {
                result.failed += 1;
                result
                    .errors
                    .add(format!("{}: {e}", readers[target].address));
                tokio::time::sleep(BACKOFF).await;
            }
            Err(_) => {
                result.failed += 1;
                result.errors.add(format!(
                    "{}: read timed out after {timeout:?}",
                    readers[target].address
                ));
            }
        }
    }
    result
}

/// Runs a read-mode query whose single row has one integer column and returns it.
pub async fn count(graph: &Graph, query: Query) -> Result<i64, String> {
    let mut stream = graph
        .execute_read(query)
        .await
        .map_err(|e| classify(e).to_string())?;
    let row = stream
        .next()
        .await
        .map_err(|e| classify(e).to_string())?
        .ok_or("the query returned no row")?;
    while stream
        .next()
        .await
        .map_err(|e| classify(e).to_string())?
        .is_some()
    {}
    row.get::<i64>("found").map_err(|e| e.to_string())
}

pub struct LagResult {
    pub committed: u64,
    pub not_visible: u64,
    /// One histogram per reader, in the readers' order.
    pub per_reader: Vec<Histogram<u64>>,
    pub errors: Errors,
}

/// Every `interval`: commit one probe node on the writer, then poll each reader (concurrently)
/// until it returns the probe; the time from the COMMIT answer to that read is the lag sample.
pub async fn lag_prober(
    writer: Graph,
    readers: Arc<Vec<Reader>>,
    run: Arc<str>,
    interval: Duration,
    until: Instant,
    timeout: Duration,
) -> LagResult {
    let mut result = LagResult {
        committed: 0,
        not_visible: 0,
        per_reader: readers.iter().map(|_| histogram()).collect(),
        errors: Errors::default(),
    };
    let mut seq = 0u64;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if Instant::now() >= until {
            break;
        }
        seq += 1;
        let key = format!("{run}:lag:{seq}");
        let write = Query::new(format!(
            "CREATE (:{LABEL} {{run: $run, kind: 'lag', key: $key}})"
        ))
        .param("run", &*run)
        .param("key", key.as_str());
        let committed = tokio::time::timeout(timeout, async {
            let mut txn = writer.start_txn().await?;
            txn.run(write).await?;
            txn.commit().await
        })
        .await;
        match committed {
            Ok(Ok(())) => result.committed += 1,
            Ok(Err(e)) => {
                result
                    .errors
                    .add(format!("lag probe write: {}", classify(e)));
                continue;
            }
            Err(_) => {
                result
                    .errors
                    .add(format!("lag probe write timed out after {timeout:?}"));
                continue;
            }
        }
        let acknowledged = Instant::now();
        let polls = readers.iter().map(|reader| {
            let key = key.as_str();
            async move {
                let deadline = acknowledged + timeout;
                loop {
                    match count(&reader.graph, read_query(key)).await {
                        Ok(1) => return Ok(acknowledged.elapsed()),
                        Ok(_) => {}
                        Err(e) => return Err(format!("{}: {e}", reader.address)),
                    }
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "{}: lag probe not visible after {timeout:?}",
                            reader.address
                        ));
                    }
                }
            }
        });
        for (i, outcome) in futures::future::join_all(polls)
            .await
            .into_iter()
            .enumerate()
        {
            match outcome {
                Ok(lag) => report::record(&mut result.per_reader[i], lag),
                Err(e) => {
                    result.not_visible += 1;
                    result.errors.add(e);
                }
            }
        }
    }
    result
}
