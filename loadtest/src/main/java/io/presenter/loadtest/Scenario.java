package io.presenter.loadtest;

import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The orchestration every scenario shares: it reads the shared options ({@link ScenarioOptions}),
 * hands a run to worker processes or runs it here with a {@link Connector}, a single scheduler
 * thread that fires work at intended times (open loop: it never waits for responses), server-side
 * sampling, the progress line, and the JSON and HTML reports. Subclasses say what happens between
 * the {@link Ramp} and the close.
 *
 * <p>Exit codes: 0 all went well; 1 some connection failed or a chat check (loss, duplicate,
 * reorder) did not hold; 2 bad command line; other non-zero: the run could not start.
 */
abstract class Scenario implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURES = 1;

    @Spec
    CommandSpec spec;

    /** The options every scenario shares. */
    @Mixin
    ScenarioOptions options;

    /** Set by the hidden {@code worker} command: >= 0 means this process is worker number workerIndex. */
    int workerIndex = -1;

    /** Where the progress line and summary go; tests may swap them. */
    PrintStream progressOut = System.err;
    PrintStream summaryOut = System.out;

    ScheduledExecutorService scheduler;
    Connector connector;
    ProcessSampler sampler;
    Map<String, Object> report = new LinkedHashMap<>();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    /** Per failure reason, the first failure's own words: what "handshake_failed" alone would not say. */
    final Map<String, String> failureDetails = new ConcurrentHashMap<>();
    /** Authenticated connections open right now (all scenarios). */
    final AtomicLong openConnections = new AtomicLong();
    /** Completed operations (authenticated handshakes + delivered messages): what "rate" shows. */
    final LongAdder operations = new LongAdder();
    /** One point per second: seconds since start, open connections, operations per second, errors. */
    final Timeline timeline = new Timeline();
    volatile String phase = "starting";

    abstract String name();

    /** The scenario proper; fills {@link #report} and returns the exit code. */
    abstract int run() throws Exception;

    /** Whether QUIC clients go through a NAT the scenario can rebind ({@link Connector#rebindNat}). */
    boolean behindNat() {
        return false;
    }

    /** The progress line's scenario-specific part. */
    abstract String progress();

    /** An upper bound on how long this scenario can run (the coordinator kills workers that overrun it). */
    abstract Duration bound();

    /** The human-readable summary printed at the end. */
    abstract String summary();

    @Override
    public final Integer call() throws Exception {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL (netty-tcnative) did not load", OpenSsl.unavailabilityCause());
        }
        validate();
        if (options.workers > 0 && workerIndex < 0) {
            int code = new Coordinator(this).run();
            writeOutputs();
            summaryOut.print(report.containsKey("parameters") ? summary()
                    : "no worker produced a result; see \"workers\" in the JSON report\n");
            return code;
        }
        sampler = options.serverPid == null ? null : new ProcessSampler(options.serverPid);
        connector = new Connector(options, behindNat());
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "loadtest-scheduler");
            t.setDaemon(true);
            return t;
        });
        ScheduledFuture<?> progressLine = scheduler.scheduleAtFixedRate(new ProgressTick(), 1, 1, TimeUnit.SECONDS);
        try {
            report.put("scenario", name());
            report.put("target", options.target);
            report.put("started_at", Instant.now().toString());
            report.put("transport", connector.transport());
            report.put("client_transport", connector.clientTransport());
            report.put("tls_provider", OpenSsl.versionString());
            int code = run();
            report.put("errors", errorsByReason());
            report.put("failure_details", new TreeMap<>(failureDetails));
            report.put("timeline", timeline.toMap());
            report.put("exit_code", code);
            writeOutputs();
            summaryOut.print(summary());
            failureDetails.forEach((reason, detail) -> summaryOut.printf("  %s: %s%n", reason, detail));
            return code;
        } finally {
            progressLine.cancel(false);
            scheduler.shutdownNow();
            connector.close();
        }
    }

    /**
     * Once a second: a timeline point, and the progress line (for a worker, a machine-readable one
     * on stdout that its coordinator reads).
     */
    private final class ProgressTick implements Runnable {
        private final long started = System.nanoTime();
        private long lastOps;
        private long lastNanos = started;

        @Override
        public void run() {
            long now = System.nanoTime();
            long ops = operations.sum();
            double perSecond = (ops - lastOps) / Math.max(1e-3, (now - lastNanos) / 1e9);
            lastOps = ops;
            lastNanos = now;
            double t = (now - started) / 1e9;
            timeline.add(t, openConnections.get(), perSecond, errorCount());
            if (workerIndex >= 0) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("t_s", Math.round(t * 10) / 10.0);
                p.put("phase", phase);
                p.put("connections", openConnections.get());
                p.put("operations", ops);
                p.put("errors", errorCount());
                progressOut.println(Coordinator.PROGRESS_PREFIX + ReportJson.writeCompact(p));
            } else if (!options.quiet) {
                progressOut.printf("[%5.1fs] %s conns=%d rate=%.0f/s errors=%d%n", t, progress(),
                        openConnections.get(), perSecond, errorCount());
            }
        }
    }

    /** Writes --out (JSON) and --html when asked for. */
    void writeOutputs() throws IOException {
        if (options.out != null) {
            Files.writeString(options.out, ReportJson.write(report), StandardCharsets.UTF_8);
        }
        if (options.html != null) {
            Files.writeString(options.html, HtmlReport.render(report), StandardCharsets.UTF_8);
        }
    }

    /** Rejects parameters that would make a run unbounded or meaningless; scenarios add their own. */
    void validate() {
        options.validate(spec);
    }

    /** Opens {@code n} clients of {@code couples} at the connect rate, each counted by {@link #track}. */
    Ramp ramp(int n, Couples couples, ClientConnection.Listener listener) {
        return new Ramp(n, options.connectRate, options.connectTimeout, this::failed).start(scheduler, i -> {
            ClientConnection c = connector.open(i, couples, listener);
            track(c);
            return c;
        });
    }

    /**
     * The unreported warm-up ramp, if asked for. Its failures are kept in the report's "warmup"
     * section, not among the run's errors.
     */
    void warmUp(Couples couples) throws Exception {
        if (options.warmupConnections <= 0) {
            return;
        }
        Ramp warm = ramp(options.warmupConnections, couples, ClientConnection.NO_LISTENER).await();
        closeAll(warm.clients);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", options.warmupConnections);
        m.put("succeeded", warm.succeeded.sum());
        m.put("failed", warm.failed.sum());
        report.put("warmup", m);
        errors.clear();
        failureDetails.clear();
    }

    /** Counts {@code c} among the open connections from when it authenticates until its channel closes. */
    void track(ClientConnection c) {
        c.established().whenComplete((ok, error) -> {
            if (error == null) {
                openConnections.incrementAndGet();
                operations.increment();
                c.closeFuture().addListener(f -> openConnections.decrementAndGet());
            }
        });
    }

    long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    void error(String reason) {
        errors.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** A client that failed: counted by reason, and the first one's detail kept to say why. */
    void failed(String reason, String detail) {
        error(reason);
        failureDetails.putIfAbsent(reason, detail);
    }

    Map<String, Long> errorsByReason() {
        Map<String, Long> m = new TreeMap<>();
        errors.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    static boolean pos(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    /** Closes every client and waits (bounded) until they are closed. */
    void closeAll(List<ClientConnection> clients) {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (ClientConnection c : clients) {
            if (c != null) {
                closing.add(c.close());
            }
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                    .get(options.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // bounded: what did not close in time is closed by the connector's shutdown
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A server sample, or null when no --server-pid was given or /proc could not be read. */
    ProcessSampler.Sample sample() {
        if (sampler == null) {
            return null;
        }
        try {
            return sampler.sample();
        } catch (IOException | RuntimeException e) {
            error("server_sample_failed");
            return null;
        }
    }

    /** A future that completes after {@code d}, from the scheduler (how scenarios "hold" without sleeping). */
    CompletableFuture<Void> after(Duration d) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        scheduler.schedule(() -> f.complete(null), d.toNanos(), TimeUnit.NANOSECONDS);
        return f;
    }

    /** Completes when {@code condition} holds (checked every 10 ms) or {@code timeout} passes. */
    CompletableFuture<Boolean> when(Supplier<Boolean> condition, Duration timeout) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        AtomicReference<ScheduledFuture<?>> poll = new AtomicReference<>();
        poll.set(scheduler.scheduleAtFixedRate(() -> {
            boolean ok = condition.get();
            if (ok || System.nanoTime() - deadline > 0) {
                f.complete(ok);
                ScheduledFuture<?> self = poll.get();
                if (self != null) {
                    self.cancel(false);
                }
            }
        }, 0, 10, TimeUnit.MILLISECONDS));
        f.whenComplete((ok, e) -> {
            ScheduledFuture<?> self = poll.get();
            if (self != null) {
                self.cancel(false);
            }
        });
        return f;
    }

    static String fmt(Map<String, Object> latency) {
        return String.format("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s µs (n=%s)", latency.get("p50"),
                latency.get("p90"), latency.get("p99"), latency.get("p99_9"), latency.get("max"), latency.get("count"));
    }
}
