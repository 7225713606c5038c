package io.presenter.loadtest;

import io.presenter.protocol.process.DurationConverter;
import io.presenter.protocol.process.ManifestVersion;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import io.presenter.protocol.wire.SendMessage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code soak}: a bounded mixed workload for leak hunting. N clients in couples; for
 * {@code --duration}, couples chat at a total rate (open loop) while {@code --churn-rate} couples
 * per second reconnect (both members close and come back). Every {@code --sample-interval} it
 * samples the target process (RSS and CPU from /proc, {@code --target-pid}) and, with
 * {@code --metrics-url}, the target's heap from its Prometheus endpoint
 * ({@code jvm_memory_used_bytes{area="heap"}} summed over pools); it reports the samples and the
 * least-squares slope after {@code --warmup} in bytes per minute.
 *
 * <p>Delivery is checked per direction (exactly once, in order): a churning couple stops sending,
 * waits (up to {@code --churn-timeout}) until everything it sent has arrived, then reconnects, so
 * a churn never loses a message by design; messages still missing at the end are undelivered,
 * and couples that still miss messages are stuck. After everything is closed, gauges of the target
 * that name sessions, streams or connections are scraped until they read 0 (stuck server-side
 * streams otherwise).
 */
@Command(name = "soak", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Bounded mixed workload (connection churn + chat traffic) for a duration, sampling the "
                + "target's RSS/CPU (/proc) and heap (Prometheus); reports samples, slope after warm-up (bytes/min), "
                + "undelivered messages and stuck streams.")
final class SoakScenario extends Scenario {

    @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class, description = "How long the mixed workload runs (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--rate", defaultValue = "100", description = "Total messages per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--churn-rate", defaultValue = "5",
            description = "Couples per second that disconnect and reconnect (default: ${DEFAULT-VALUE}).")
    double churnRate;

    @Option(names = "--message-bytes", defaultValue = "64", description = "Body size of each message (default: ${DEFAULT-VALUE}).")
    int messageBytes;

    @Option(names = "--sample-interval", defaultValue = "5s", converter = DurationConverter.class,
            description = "How often to sample the target (default: ${DEFAULT-VALUE}).")
    Duration sampleInterval;

    @Option(names = "--warmup", defaultValue = "10s", converter = DurationConverter.class,
            description = "Samples before this (from the start of the workload) are left out of the slope (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--metrics-url", description = "The target's Prometheus endpoint, e.g. http://127.0.0.1:9101/metrics: "
            + "heap samples and the post-close gauge check.")
    URI metricsUrl;

    @Option(names = "--churn-timeout", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long a churning couple waits for its messages in flight before reconnecting anyway "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration churnTimeout;

    @Option(names = "--drain-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "At the end, how long to wait for messages in flight (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    /** Per client: its current connection, what it sent, what it received from its partner. */
    private static final class Client {
        volatile ClientConnection connection;
        volatile boolean up;
        final AtomicLong sent = new AtomicLong();
        long expected; // receiver side, on the event loop
        final AtomicLong received = new AtomicLong();
    }

    private Client[] clients;
    private AtomicBoolean[] churning;
    private Couples couples;
    private PrometheusScrape metrics;
    private final LatencyRecorder latency = new LatencyRecorder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder churns = new LongAdder();
    private final LongAdder churnTimeouts = new LongAdder();
    private final LongAdder reconnectFailures = new LongAdder();
    private final LongAdder unexpectedCloses = new LongAdder();
    private final List<Map<String, Object>> samples = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closing;
    private final long originNanos = System.nanoTime();
    private final long originEpochMicros = Instant.now().toEpochMilli() * 1000;

    @Override
    String name() {
        return "soak";
    }

    @Override
    Duration bound() {
        return options.connectBound().plus(duration.multipliedBy(2))
                .plus(drainTimeout).plus(churnTimeout).plus(options.connectTimeout).plusSeconds(20);
    }

    @Override
    String progress() {
        return String.format("%s sent=%d delivered=%d churns=%d gaps=%d dup=%d", phase, sent.sum(), delivered.sum(),
                churns.sum(), gaps.sum(), duplicates.sum());
    }

    @Override
    void validate() {
        super.validate();
        if (options.connections < 2 || options.connections % 2 != 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--connections must be even and >= 2: clients chat in couples");
        }
        if (rate < 0 || churnRate < 0 || !pos(duration) || !pos(sampleInterval) || messageBytes < 0
                || warmup.isNegative()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rate, --churn-rate, --message-bytes, --warmup >= 0; --duration, --sample-interval > 0");
        }
    }

    private long epochMicros(long nanos) {
        return originEpochMicros + (nanos - originNanos) / 1000;
    }

    private final ClientConnection.Listener listener = new ClientConnection.Listener() {
        @Override
        public void delivered(ClientConnection to, Delivery d) {
            Client c = clients[to.index()];
            if (d.isSetSentAtMicros()) {
                latency.recordMicros(epochMicros(System.nanoTime()) - d.getSentAtMicros());
            }
            long id = d.getClientMessageId();
            if (id < c.expected) {
                duplicates.increment();
                return;
            }
            if (id > c.expected) {
                gaps.increment();
            }
            c.expected = id + 1;
            c.received.incrementAndGet();
            delivered.increment();
            operations.increment();
        }

        @Override
        public void closedAfterAuth(ClientConnection c) {
            Client client = clients[c.index()];
            if (client.connection == c) {
                client.up = false;
                if (!closing && !churning[c.index() / 2].get()) {
                    unexpectedCloses.increment();
                    error("closed_during_run");
                }
            }
        }
    };

    /** Messages one member of couple k sent that its partner has not received. */
    private long inFlight(int couple) {
        Client a = clients[2 * couple];
        Client b = clients[2 * couple + 1];
        return Math.max(0, a.sent.get() - b.received.get()) + Math.max(0, b.sent.get() - a.received.get());
    }

    private CompletableFuture<Boolean> connect(int index) {
        ClientConnection c = connector.open(index, couples, listener);
        track(c);
        clients[index].connection = c;
        return c.established().handle((ok, error) -> {
            if (error != null) {
                reconnectFailures.increment();
                error("reconnect_failed");
                return false;
            }
            clients[index].up = true;
            return true;
        });
    }

    private void churn(int couple) {
        if (!churning[couple].compareAndSet(false, true)) {
            return;
        }
        churns.increment();
        when(() -> inFlight(couple) == 0, churnTimeout).thenAccept(drained -> {
            if (!drained) {
                churnTimeouts.increment();
            }
            List<CompletableFuture<?>> closed = new ArrayList<>();
            for (int i = 2 * couple; i <= 2 * couple + 1; i++) {
                clients[i].up = false;
                ClientConnection c = clients[i].connection;
                if (c != null) {
                    closed.add(c.close());
                }
            }
            CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new))
                    .thenCompose(x -> closing ? CompletableFuture.completedFuture(null)
                            : connect(2 * couple).thenCombine(connect(2 * couple + 1), (a, b) -> null))
                    .whenComplete((x, e) -> churning[couple].set(false));
        });
    }

    private Map<String, Object> takeSample(long startNanos, ProcessSampler.Sample first) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t_s", Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0);
        ProcessSampler.Sample s = sample();
        if (s != null) {
            m.put("rss_bytes", s.rssKib() * 1024);
            m.put("cpu_s", first == null ? 0.0 : Math.round((s.cpuMicros() - first.cpuMicros()) / 1e4) / 100.0);
        }
        if (metrics != null) {
            Double heap = metrics.heapBytes();
            m.put("heap_bytes", heap == null ? null : (Object) heap.longValue());
        }
        m.put("connections", openConnections.get());
        m.put("delivered", delivered.sum());
        return m;
    }

    /** Least-squares slope of y over t (seconds) for samples at or after warm-up, in units per minute. */
    static Long slopePerMinute(List<Map<String, Object>> samples, String key, double fromSeconds) {
        List<double[]> pts = new ArrayList<>();
        for (Map<String, Object> s : samples) {
            if (((Number) s.get("t_s")).doubleValue() >= fromSeconds && s.get(key) instanceof Number y) {
                pts.add(new double[] {((Number) s.get("t_s")).doubleValue(), y.doubleValue()});
            }
        }
        if (pts.size() < 2) {
            return null;
        }
        double mx = pts.stream().mapToDouble(p -> p[0]).average().orElse(0);
        double my = pts.stream().mapToDouble(p -> p[1]).average().orElse(0);
        double num = 0;
        double den = 0;
        for (double[] p : pts) {
            num += (p[0] - mx) * (p[1] - my);
            den += (p[0] - mx) * (p[0] - mx);
        }
        return den == 0 ? null : (Long) Math.round(num / den * 60);
    }

    @Override
    int run() throws Exception {
        report.put("parameters", parameters());
        metrics = metricsUrl == null ? null : new PrometheusScrape(metricsUrl, this::error);
        couples = new Couples(options.coupleOffset);
        clients = new Client[options.connections];
        churning = new AtomicBoolean[options.connections / 2];
        for (int i = 0; i < options.connections; i++) {
            clients[i] = new Client();
        }
        for (int k = 0; k < churning.length; k++) {
            churning[k] = new AtomicBoolean();
        }
        warmUp(couples);
        phase = "connecting";
        Ramp r = ramp(options.connections, couples, listener).await();
        for (int i = 0; i < options.connections; i++) {
            ClientConnection c = r.clients.get(i);
            clients[i].connection = c;
            clients[i].up = c != null && c.established().isDone() && !c.established().isCompletedExceptionally();
        }
        report.put("connect", r.toMap());

        phase = "soaking";
        long start = System.nanoTime();
        ProcessSampler.Sample first = sample();
        samples.add(takeSample(start, first));
        // Its own thread: a slow metrics endpoint must not delay the send schedule.
        ScheduledExecutorService sampling = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread th = new Thread(task, "loadtest-sampler");
            th.setDaemon(true);
            return th;
        });
        sampling.scheduleAtFixedRate(() -> samples.add(takeSample(start, first)),
                sampleInterval.toNanos(), sampleInterval.toNanos(), TimeUnit.NANOSECONDS);
        chatAndChurn(start);
        phase = "draining";
        boolean drained = drain();
        sampling.shutdown(); // a scrape under way finishes (bounded by its timeout) rather than failing interrupted
        sampling.awaitTermination(10, TimeUnit.SECONDS);
        samples.add(takeSample(start, first));
        long undelivered = 0;
        long stuck = 0;
        for (int k = 0; k < churning.length; k++) {
            long f = inFlight(k);
            undelivered += f;
            stuck += f > 0 ? 1 : 0;
        }
        phase = "closing";
        closing = true;
        List<ClientConnection> all = new ArrayList<>();
        for (Client c : clients) {
            all.add(c.connection);
        }
        closeAll(all);
        report.put("target_process", targetProcess());
        report.put("soak", results(undelivered, stuck, drained));
        boolean clean = r.failed.sum() == 0 && undelivered == 0 && duplicates.sum() == 0 && gaps.sum() == 0
                && errorCount() == 0;
        return clean ? EXIT_OK : EXIT_FAILURES;
    }

    private Map<String, Object> parameters() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("connections", options.connections);
        params.put("couples", options.connections / 2);
        params.put("connect_rate_per_s", options.connectRate);
        params.put("rate_per_s", rate);
        params.put("churn_rate_per_s", churnRate);
        params.put("duration_seconds", duration.toMillis() / 1000.0);
        params.put("sample_interval_seconds", sampleInterval.toMillis() / 1000.0);
        params.put("warmup_seconds", warmup.toMillis() / 1000.0);
        params.put("message_bytes", messageBytes);
        params.put("metrics_url", metricsUrl == null ? null : metricsUrl.toString());
        params.put("source_addresses", options.sourceAddresses);
        params.put("signed_tokens", options.tokenKeys != null);
        return params;
    }

    /**
     * The workload, for {@code --duration} from {@code start}: a 1 ms tick sends every message and
     * starts every churn that is due (open loop). A message whose sender or partner is down or
     * churning is skipped, not queued.
     */
    private void chatAndChurn(long start) throws Exception {
        long endNanos = start + duration.toNanos();
        byte[] body = new byte[messageBytes];
        AtomicLong nextMessage = new AtomicLong();
        AtomicLong nextChurn = new AtomicLong();
        double nanosPerMessage = rate > 0 ? 1e9 / rate : Double.MAX_VALUE;
        double nanosPerChurn = churnRate > 0 ? 1e9 / churnRate : Double.MAX_VALUE;
        CompletableFuture<Void> finished = new CompletableFuture<>();
        ScheduledFuture<?> tick = scheduler.scheduleAtFixedRate(() -> {
            try {
                long now = System.nanoTime();
                long until = Math.min(now, endNanos);
                long dueMessages = rate > 0 ? (long) Math.floor((until - start) / nanosPerMessage) + 1 : 0;
                for (long m = nextMessage.get(); m < dueMessages; m++) {
                    int from = (int) (m % options.connections);
                    Client c = clients[from];
                    if (!c.up || !clients[Couples.partnerIndex(from)].up || churning[from / 2].get()) {
                        skipped.increment();
                        continue;
                    }
                    long id = c.sent.getAndIncrement();
                    long intended = start + (long) (m * nanosPerMessage);
                    c.connection.send(ClientPacket.send(new SendMessage(id, ByteBuffer.wrap(body))
                            .setSentAtMicros(epochMicros(intended))));
                    sent.increment();
                }
                nextMessage.set(Math.max(nextMessage.get(), dueMessages));
                long dueChurns = churnRate > 0 ? (long) Math.floor((until - start) / nanosPerChurn) : 0;
                for (long k = nextChurn.get(); k < dueChurns; k++) {
                    churn((int) (k % churning.length));
                }
                nextChurn.set(Math.max(nextChurn.get(), dueChurns));
                if (now >= endNanos) {
                    finished.complete(null);
                }
            } catch (RuntimeException e) {
                finished.completeExceptionally(e);
            }
        }, 0, 1, TimeUnit.MILLISECONDS);
        try {
            finished.get(duration.toMillis() * 2 + 10_000, TimeUnit.MILLISECONDS);
        } finally {
            tick.cancel(false);
        }
    }

    /**
     * Lets churns under way finish (bounded by their own timeouts), then waits up to
     * {@code --drain-timeout} for the messages in flight; true when none is left.
     */
    private boolean drain() throws Exception {
        Duration churnBound = churnTimeout.plus(options.connectTimeout);
        when(() -> {
            for (AtomicBoolean b : churning) {
                if (b.get()) {
                    return false;
                }
            }
            return true;
        }, churnBound).get(churnBound.toMillis() + 1000, TimeUnit.MILLISECONDS);
        return when(() -> {
            for (int k = 0; k < churning.length; k++) {
                if (inFlight(k) > 0) {
                    return false;
                }
            }
            return true;
        }, drainTimeout).get(drainTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    }

    /** The target's samples and slopes, and (with --metrics-url) whether its client gauges fell to 0. */
    private Map<String, Object> targetProcess() throws Exception {
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("pid", sampler == null ? null : sampler.pid());
        target.put("metrics_url", metricsUrl == null ? null : metricsUrl.toString());
        List<Map<String, Object>> copy;
        synchronized (samples) {
            copy = new ArrayList<>(samples);
        }
        double from = warmup.toMillis() / 1000.0;
        target.put("rss_slope_bytes_per_min", slopePerMinute(copy, "rss_bytes", from));
        target.put("heap_slope_bytes_per_min", slopePerMinute(copy, "heap_bytes", from));
        if (metrics != null) {
            // After every client is gone, gauges of sessions/streams/connections should fall to 0.
            AtomicReference<Map<String, Double>> last = new AtomicReference<>(Map.of());
            boolean settled = when(() -> {
                Map<String, Double> gauges = metrics.clientGauges();
                if (gauges == null) {
                    return false;
                }
                last.set(gauges);
                return gauges.values().stream().allMatch(v -> v == 0);
            }, Duration.ofSeconds(5)).get(15, TimeUnit.SECONDS);
            target.put("gauges_after_close", last.get());
            target.put("gauges_settled_to_zero", settled);
        }
        target.put("samples", copy);
        return target;
    }

    private Map<String, Object> results(long undelivered, long stuck, boolean drained) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sent", sent.sum());
        m.put("delivered", delivered.sum());
        m.put("undelivered", undelivered);
        m.put("stuck_couples", stuck);
        m.put("duplicates", duplicates.sum());
        m.put("gaps", gaps.sum());
        m.put("skipped_sends", skipped.sum());
        m.put("churns", churns.sum());
        m.put("churn_timeouts", churnTimeouts.sum());
        m.put("reconnect_failures", reconnectFailures.sum());
        m.put("unexpected_closes", unexpectedCloses.sum());
        m.put("drained_within_timeout", drained);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("delivery_from_intended_send", latency.summary());
        m.put("latency_us", lat);
        return m;
    }

    @Override
    @SuppressWarnings("unchecked")
    String summary() {
        StringBuilder s = new StringBuilder();
        s.append(String.format("soak %s: %d clients, %.0f msg/s, %.1f churns/s for %s%n", options.target, options.connections, rate,
                churnRate, duration));
        Map<String, Object> m = (Map<String, Object>) report.get("soak");
        Map<String, Object> t = (Map<String, Object>) report.get("target_process");
        if (m != null) {
            s.append(String.format("  messages sent %s delivered %s undelivered %s (stuck couples %s) dup %s gaps %s; "
                    + "churns %s (timeouts %s, reconnect failures %s)%n", m.get("sent"), m.get("delivered"),
                    m.get("undelivered"), m.get("stuck_couples"), m.get("duplicates"), m.get("gaps"), m.get("churns"),
                    m.get("churn_timeouts"), m.get("reconnect_failures")));
            s.append("  latency (from intended send) ").append(fmt((Map<String, Object>)
                    ((Map<String, Object>) m.get("latency_us")).get("delivery_from_intended_send"))).append('\n');
        }
        if (t != null) {
            List<Map<String, Object>> samples = (List<Map<String, Object>>) t.get("samples");
            for (Map<String, Object> x : samples) {
                s.append(String.format("    t=%6ss rss=%s heap=%s cpu=%ss conns=%s%n", x.get("t_s"), x.get("rss_bytes"),
                        x.get("heap_bytes"), x.get("cpu_s"), x.get("connections")));
            }
            s.append(String.format("  slope after warm-up: rss %s B/min, heap %s B/min; gauges after close %s (settled %s)%n",
                    t.get("rss_slope_bytes_per_min"), t.get("heap_slope_bytes_per_min"), t.get("gauges_after_close"),
                    t.get("gauges_settled_to_zero")));
        }
        s.append("  exit code ").append(report.get("exit_code")).append('\n');
        return s.toString();
    }
}
