// The write and read workload of `neo4j-aks bench` (crates/cli/src/bench) on the official Neo4j
// Java driver: writers run one explicit write transaction at a time (BEGIN, one CREATE, COMMIT),
// readers look up seed nodes by key in read mode. Same label, run id property, index and clean-up,
// so the two can be run one after the other on the same server and compared. No lag prober: the
// side-by-side is about the client's cost per transaction.

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.neo4j.driver.AccessMode;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Session;
import org.neo4j.driver.SessionConfig;
import org.neo4j.driver.Transaction;

public final class JavaBench {
    static final String LABEL = "NeoAksBench";

    public static void main(String[] args) throws Exception {
        String uri = null, user = "neo4j", database = "neo4j";
        long durationMs = 5000, warmupMs = 0;
        int writers = 2, readers = 2, seeds = 1000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--bolt" -> uri = args[i + 1];
                case "--user" -> user = args[i + 1];
                case "--database" -> database = args[i + 1];
                case "--duration-ms" -> durationMs = Long.parseLong(args[i + 1]);
                case "--warmup-ms" -> warmupMs = Long.parseLong(args[i + 1]);
                case "--writers" -> writers = Integer.parseInt(args[i + 1]);
                case "--readers" -> readers = Integer.parseInt(args[i + 1]);
                case "--seed-nodes" -> seeds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        String password = System.getenv("NEO4J_AKS_BENCH_PASSWORD");
        if (uri == null || password == null) {
            System.err.println("need --bolt URI and NEO4J_AKS_BENCH_PASSWORD");
            System.exit(2);
        }
        String run = "java-" + Instant.now().toEpochMilli() + "-" + ProcessHandle.current().pid();
        Config config = Config.builder().withMaxConnectionPoolSize(writers + readers + 2).build();
        try (Driver driver = GraphDatabase.driver(uri, AuthTokens.basic(user, password), config)) {
            driver.verifyConnectivity();
            SessionConfig write = SessionConfig.builder().withDatabase(database).build();
            SessionConfig read = SessionConfig.builder().withDatabase(database)
                    .withDefaultAccessMode(AccessMode.READ).build();
            try (Session s = driver.session(write)) {
                s.run("CREATE INDEX neo_aks_bench_key IF NOT EXISTS FOR (n:" + LABEL + ") ON (n.key)").consume();
                s.run("CALL db.awaitIndexes(60)").consume();
                s.run("UNWIND range(0, $n - 1) AS i CREATE (:" + LABEL
                        + " {run: $run, kind: 'seed', key: $run + ':seed:' + toString(i)})",
                        Map.of("n", seeds, "run", run)).consume();
            }

            // The JIT compiles the driver's hot paths during the warm-up, which is not measured.
            long warmupCommitted = warmupMs > 0
                    ? measure(driver, write, read, run, warmupMs, writers, readers, seeds).committed.get() : 0;
            Measured m = measure(driver, write, read, run, durationMs, writers, readers, seeds);
            double wall = m.wall, cpu = m.cpu;
            Histogram writesH = m.writes, readsH = m.reads;
            AtomicLong committed = m.committed, writeFailed = m.writeFailed, readOk = m.readOk, readFailed = m.readFailed;

            long found, deleted = 0;
            try (Session s = driver.session(write)) {
                found = s.run("MATCH (n:" + LABEL + " {run: $run}) RETURN count(n) AS found", Map.of("run", run))
                        .single().get("found").asLong();
                while (true) {
                    long d = s.run("MATCH (n:" + LABEL + " {run: $run}) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS found",
                            Map.of("run", run)).single().get("found").asLong();
                    if (d == 0) break;
                    deleted += d;
                }
                long left = s.run("MATCH (n:" + LABEL + ") RETURN count(n) AS found").single().get("found").asLong();
                if (left == 0) s.run("DROP INDEX neo_aks_bench_key IF EXISTS").consume();
            }
            int cores = Runtime.getRuntime().availableProcessors();
            System.out.println("{"
                    + "\"client\":\"neo4j-java-driver " + driverVersion() + "\","
                    + "\"parameters\":{\"target\":" + quote(uri) + ",\"duration_seconds\":" + durationMs / 1000.0
                    + ",\"warmup_seconds\":" + warmupMs / 1000.0 + ",\"writers\":" + writers + ",\"readers\":" + readers + ",\"seed_nodes\":" + seeds
                    + ",\"run_id\":" + quote(run) + "},"
                    + "\"writes\":{\"committed\":" + committed.get() + ",\"failed\":" + writeFailed.get()
                    + ",\"warmup_committed\":" + warmupCommitted + ",\"tps\":" + committed.get() / wall + ",\"latency\":" + latency(writesH) + "},"
                    + "\"reads\":{\"succeeded\":" + readOk.get() + ",\"failed\":" + readFailed.get()
                    + ",\"per_second\":" + readOk.get() / wall + ",\"latency\":" + latency(readsH) + "},"
                    + "\"client_cpu\":{\"cpu_seconds\":" + cpu + ",\"wall_seconds\":" + wall
                    + ",\"cores_used\":" + cpu / wall + ",\"cores_available\":" + cores + "},"
                    + "\"cleanup\":{\"nodes_found\":" + found + ",\"nodes_deleted\":" + deleted + "}}");
        }
    }

    static final class Measured {
        double wall, cpu;
        Histogram writes = new Histogram(1, 600_000_000L, 3), reads = new Histogram(1, 600_000_000L, 3);
        AtomicLong committed, writeFailed, readOk, readFailed;
    }

    /** Writers and readers for durationMs; a warm-up run writes nodes of the same run id. */
    static Measured measure(Driver driver, SessionConfig write, SessionConfig read, String run,
            long durationMs, int writers, int readers, int seeds) throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuStart = os.getProcessCpuTime();
        long started = System.nanoTime();
        long until = started + durationMs * 1_000_000L;
        List<Histogram> writeHists = new ArrayList<>(), readHists = new ArrayList<>();
        AtomicLong committed = new AtomicLong(), writeFailed = new AtomicLong();
        AtomicLong readOk = new AtomicLong(), readFailed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            final int id = w;
            Histogram h = new Histogram(1, 600_000_000L, 3);
            writeHists.add(h);
            threads.add(started(() -> {
                try (Session s = driver.session(write)) {
                    long seq = 0;
                    while (System.nanoTime() < until) {
                        seq++;
                        long t0 = System.nanoTime();
                        try (Transaction tx = s.beginTransaction()) {
                            tx.run("CREATE (:" + LABEL + " {run: $run, kind: 'write', key: $key, writer: $writer, seq: $seq})",
                                    Map.of("run", run, "key", run + ":write:" + id + ":" + seq, "writer", id, "seq", seq)).consume();
                            tx.commit();
                            h.recordValue(Math.max(1, Math.min(600_000_000L, (System.nanoTime() - t0) / 1000)));
                            committed.incrementAndGet();
                        } catch (RuntimeException e) {
                            writeFailed.incrementAndGet();
                        }
                    }
                }
            }));
        }
        for (int r = 0; r < readers; r++) {
            final int id = r;
            final int seedCount = seeds;
            Histogram h = new Histogram(1, 600_000_000L, 3);
            readHists.add(h);
            threads.add(started(() -> {
                try (Session s = driver.session(read)) {
                    long n = id;
                    while (System.nanoTime() < until) {
                        n++;
                        String key = run + ":seed:" + Math.floorMod(n * 7919, seedCount);
                        long t0 = System.nanoTime();
                        try {
                            long found = s.run("MATCH (n:" + LABEL + " {key: $key}) RETURN count(n) AS found",
                                    Map.of("key", key)).single().get("found").asLong();
                            if (found == 1) {
                                h.recordValue(Math.max(1, Math.min(600_000_000L, (System.nanoTime() - t0) / 1000)));
                                readOk.incrementAndGet();
                            } else {
                                readFailed.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            readFailed.incrementAndGet();
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        Measured m = new Measured();
        m.wall = (System.nanoTime() - started) / 1e9;
        m.cpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
        writeHists.forEach(m.writes::add);
        readHists.forEach(m.reads::add);
        m.committed = committed;
        m.writeFailed = writeFailed;
        m.readOk = readOk;
        m.readFailed = readFailed;
        return m;

    }

    static Thread started(Runnable work) {
        Thread thread = new Thread(work);
        thread.start();
        return thread;
    }

    static String driverVersion() {
        String v = Driver.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    static String latency(Histogram h) {
        if (h.getTotalCount() == 0) return "null";
        return "{\"count\":" + h.getTotalCount()
                + ",\"min_ms\":" + h.getMinValue() / 1000.0
                + ",\"mean_ms\":" + h.getMean() / 1000.0
                + ",\"p50_ms\":" + h.getValueAtPercentile(50) / 1000.0
                + ",\"p90_ms\":" + h.getValueAtPercentile(90) / 1000.0
                + ",\"p95_ms\":" + h.getValueAtPercentile(95) / 1000.0
                + ",\"p99_ms\":" + h.getValueAtPercentile(99) / 1000.0
                + ",\"p999_ms\":" + h.getValueAtPercentile(99.9) / 1000.0
                + ",\"max_ms\":" + h.getMaxValue() / 1000.0 + "}";
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
