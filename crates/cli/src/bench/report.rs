//! What a bench run measured: the JSON document (`-o json`) and the table.

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::cpu::ClientCpu;

/// Histogram bounds: 1 µs to 10 min, 3 significant digits (0.1 % relative error).
pub const LOWEST_US: u64 = 1;
pub const HIGHEST_US: u64 = 600_000_000;
pub const SIGNIFICANT_DIGITS: u8 = 3;

pub fn histogram() -> Histogram<u64> {
    // Constant bounds that satisfy new_with_bounds' rules (low >= 1, high >= 2 * low, sigfig <= 5).
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
        .expect("constant histogram bounds are valid")
}

/// Records a duration in µs, saturating at the histogram's highest trackable value.
pub fn record(histogram: &mut Histogram<u64>, elapsed: std::time::Duration) {
    let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    histogram.saturating_record(us.clamp(LOWEST_US, HIGHEST_US));
}

/// The histogram in HdrHistogram's percentile-distribution text (`.hgrm`, values in ms), the
/// format HdrHistogram's own plotter and `hdr-plot` draw latency-by-percentile charts from.
pub fn percentile_distribution(h: &Histogram<u64>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    for step in h.iter_quantiles(5) {
        total += step.count_since_last_iteration();
        let value = step.value_iterated_to() as f64 / 1000.0;
        let q = step.quantile_iterated_to();
        if q < 1.0 {
            let _ = writeln!(
                out,
                "{value:>12.3} {q:>2.12} {total:>10} {:>14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(out, "{value:>12.3} {q:>2.12} {total:>10}");
        }
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        h.mean() / 1000.0,
        h.stdev() / 1000.0
    );
    let _ = writeln!(
        out,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        h.max() as f64 / 1000.0,
        h.len()
    );
    out
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Latency {
    pub count: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(Latency {
            count: h.len(),
            min_ms: ms(h.min()),
            mean_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        })
    }
}

/// The parameters of the run, echoed so a result file explains itself.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Parameters {
    pub target: String,
    pub database: String,
    pub duration_seconds: f64,
    pub writers: usize,
    pub readers: usize,
    pub lag_probe_interval_ms: u64,
    pub seed_nodes: usize,
    pub timeout_seconds: f64,
    /// The value of the `run` property on every node this run wrote (label `NeoAksBench`).
    pub run_id: String,
    pub kept_nodes: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Writes {
    /// Transactions whose COMMIT succeeded.
    pub committed: u64,
    /// Transactions that failed before COMMIT was sent, or were refused: nothing written.
    pub failed: u64,
    /// COMMIT sent but no answer in time (or the connection broke): may or may not be written.
    pub uncertain: u64,
    /// committed / measured wall time.
    pub tps: f64,
    /// BEGIN … RUN … COMMIT, per transaction; successful ones only.
    pub latency: Option<Latency>,
    /// First few distinct errors, for the reader of the report.
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Reads {
    /// The servers the routing table lists as readers, and how many reads each served.
    pub endpoints: Vec<ReadEndpoint>,
    pub succeeded: u64,
    pub failed: u64,
    pub per_second: f64,
    pub latency: Option<Latency>,
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReadEndpoint {
    pub address: String,
    pub reads: u64,
}

/// Write a value on the writer, then poll each reader until it shows it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Lag {
    /// How the lag is observed (see docs/bench.md): polling, as the driver here has no bookmarks.
    pub method: &'static str,
    pub probes_committed: u64,
    /// Probe values a reader had not shown within the timeout.
    pub not_visible: u64,
    /// From the probe's COMMIT answer to the first read that shows it, over every reader.
    pub overall: Option<Latency>,
    pub per_reader: Vec<ReaderLag>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReaderLag {
    pub address: String,
    pub latency: Option<Latency>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Cleanup {
    /// Nodes of this run found in the database before clean-up (seeds + writes + lag probes).
    pub nodes_found: u64,
    pub nodes_deleted: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Server {
    pub version: String,
    pub edition: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub parameters: Parameters,
    pub server: Server,
    pub writes: Writes,
    pub reads: Reads,
    pub replication_lag: Lag,
    pub client_cpu: ClientCpu,
    pub cleanup: Cleanup,
    /// Measurements this run could not make, with the reason.
    pub not_measured: Vec<String>,
}

impl Report {
    pub fn to_json(&self) -> String {
        // Plain structs of numbers and strings: serializing cannot fail.
        let mut text = serde_json::to_string_pretty(self).expect("the report serializes");
        text.push('\n');
        text
    }

    pub fn to_table(&self) -> String {
        let p = &self.parameters;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "bench {} (database {}, Neo4j {} {}): {:.1}s, {} writer(s), {} reader(s)",
            p.target,
            p.database,
            self.server.version,
            self.server.edition,
            p.duration_seconds,
            p.writers,
            p.readers
        );
        let _ = writeln!(
            out,
            "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
            "", "count", "per s", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "failed"
        );
        let row = |out: &mut String,
                   name: &str,
                   rate: Option<f64>,
                   l: &Option<Latency>,
                   failed: u64| {
            let rate = rate.map_or("-".to_owned(), |r| format!("{r:.1}"));
            match l {
                Some(l) => {
                    let _ = writeln!(
                        out,
                        "{name:<22} {:>9} {rate:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {failed:>10}",
                        l.count, l.p50_ms, l.p95_ms, l.p99_ms, l.p999_ms, l.max_ms
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{name:<22} {:>9} {rate:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {failed:>10}",
                        0, "-", "-", "-", "-", "-"
                    );
                }
            }
        };
        let w = &self.writes;
        row(
            &mut out,
            "write transactions",
            Some(w.tps),
            &w.latency,
            w.failed + w.uncertain,
        );
        let r = &self.reads;
        row(&mut out, "reads", Some(r.per_second), &r.latency, r.failed);
        let lag = &self.replication_lag;
        row(
            &mut out,
            "replication lag",
            None,
            &lag.overall,
            lag.not_visible,
        );
        for reader in &lag.per_reader {
            row(
                &mut out,
                &format!("  lag {}", reader.address),
                None,
                &reader.latency,
                0,
            );
        }
        let c = &self.client_cpu;
        let _ = writeln!(
            out,
            "client CPU: {:.2} core(s) of {} ({:.0}%), user {:.2}s, system {:.2}s over {:.2}s{}",
            c.cores_used,
            c.cores_available,
            c.saturation() * 100.0,
            c.user_seconds,
            c.system_seconds,
            c.wall_seconds,
            if c.saturation() > 0.8 {
                " - the client may be the bottleneck"
            } else {
                ""
            }
        );
        if w.uncertain > 0 {
            let _ = writeln!(
                out,
                "{} write(s) had an unknown outcome (commit not answered)",
                w.uncertain
            );
        }
        for e in w.errors.iter().chain(&r.errors) {
            let _ = writeln!(out, "error: {e}");
        }
        let _ = writeln!(
            out,
            "clean-up: {} node(s) of run {} found, {} deleted{}",
            self.cleanup.nodes_found,
            p.run_id,
            self.cleanup.nodes_deleted,
            if p.kept_nodes { " (--keep)" } else { "" }
        );
        for note in &self.not_measured {
            let _ = writeln!(out, "not measured: {note}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn percentiles_are_ordered_and_in_milliseconds() {
        let mut h = histogram();
        for ms in 1..=1000u64 {
            record(&mut h, Duration::from_millis(ms));
        }
        let l = Latency::of(&h).expect("not empty");
        assert_eq!(l.count, 1000);
        assert!((l.p50_ms - 500.0).abs() < 1.0, "{l:?}");
        assert!((l.p99_ms - 990.0).abs() < 1.5, "{l:?}");
        assert!(l.min_ms <= l.p50_ms && l.p50_ms <= l.p95_ms && l.p95_ms <= l.p99_ms);
        assert!(l.p99_ms <= l.p999_ms && l.p999_ms <= l.max_ms);
        assert!(Latency::of(&histogram()).is_none());
    }

    #[test]
    fn the_distribution_text_is_cumulative_and_ends_at_the_maximum() {
        let mut h = histogram();
        for ms in 1..=100u64 {
            record(&mut h, Duration::from_millis(ms));
        }
        let text = percentile_distribution(&h);
        let rows: Vec<Vec<f64>> = text
            .lines()
            .skip(2)
            .take_while(|l| !l.starts_with('#'))
            .map(|l| {
                l.split_whitespace()
                    .map(|x| x.parse().expect("number"))
                    .collect()
            })
            .collect();
        assert!(rows.len() > 10, "{text}");
        assert!(
            rows.windows(2)
                .all(|w| w[0][0] <= w[1][0] && w[0][1] <= w[1][1] && w[0][2] <= w[1][2])
        );
        let last = rows.last().expect("rows");
        assert_eq!((last[1], last[2]), (1.0, 100.0), "{text}");
        assert!((last[0] - 100.0).abs() < 0.1, "{text}");
        assert!(text.contains("Total count    =          100]"), "{text}");
    }

    #[test]
    fn out_of_range_durations_saturate_instead_of_failing() {
        let mut h = histogram();
        record(&mut h, Duration::ZERO);
        record(&mut h, Duration::from_secs(3600));
        assert_eq!(h.len(), 2);
        assert_eq!(h.min(), LOWEST_US);
        assert!(h.max() >= HIGHEST_US / 2);
    }
}
