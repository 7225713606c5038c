package io.presenter.loadtest;

import io.netty.handler.ssl.SslContext;
import io.presenter.loadtest.ScenarioOptions.Resumption;
import io.presenter.protocol.process.DurationConverter;
import io.presenter.protocol.process.ManifestVersion;
import io.presenter.protocol.wire.Delivery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code storm}: the reconnect storm. N clients connect; then they all lose their connection at
 * once, either because this process closes them ({@code --drop client}) or because the server
 * side goes away ({@code --drop server}: the user kills a chat server or presenter; the scenario
 * sees the disconnects). Every dropped client reconnects as a real client does: after a jittered
 * exponential backoff, again and again until it is authenticated or the deadline passes, resuming
 * its TLS session or not. Reports the time from the drop until X% and 100% are back, full vs
 * resumed handshakes, and failed attempts by reason.
 *
 * <p>Backoff: attempt k (from 0) waits a uniformly random time in
 * [{@code backoff-min}, min({@code backoff-max}, {@code backoff-min} * 2^(k+1))] ("full jitter"
 * above a floor), so the first wave is spread over [min, 2 min] rather than arriving in lockstep.
 *
 * <p>Times are measured from the first drop this process saw ({@code T0}); each client's return is
 * recorded in a histogram of time since T0 ({@code recovery_from_drop_us}), from which time to X%
 * and to 100% are read, so worker processes merge exactly.
 */
@Command(name = "storm", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Connect N clients, drop them all at once (client side, or wait for the server to drop "
                + "them), reconnect with jittered exponential backoff, with or without TLS session resumption; "
                + "report time until X%% and 100%% are back, full vs resumed handshakes, failures by reason.")
final class StormScenario extends Scenario {

    enum Drop { client, server }

    @Option(names = "--drop", defaultValue = "client",
            description = "client: this process closes every connection at once after --hold. server: wait (up "
                    + "to --drop-wait) for the target to drop them, e.g. kill the chat server or presenter "
                    + "(default: ${DEFAULT-VALUE}).")
    Drop drop;

    @Option(names = "--hold", defaultValue = "1s", converter = DurationConverter.class,
            description = "With --drop client: how long all connections stay up before the drop (default: ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(names = "--drop-wait", defaultValue = "120s", converter = DurationConverter.class,
            description = "With --drop server: how long to wait for the first disconnect (default: ${DEFAULT-VALUE}).")
    Duration dropWait;

    @Option(names = "--backoff-min", defaultValue = "100ms", converter = DurationConverter.class,
            description = "Shortest wait before a reconnect attempt (default: ${DEFAULT-VALUE}).")
    Duration backoffMin;

    @Option(names = "--backoff-max", defaultValue = "5s", converter = DurationConverter.class,
            description = "Longest wait before a reconnect attempt; attempt k waits uniformly in "
                    + "[min, min(max, min*2^(k+1))] (default: ${DEFAULT-VALUE}).")
    Duration backoffMax;

    @Option(names = "--resume", arity = "1", defaultValue = "true",
            description = "true: clients reuse this process's client SslContext and its session cache, so "
                    + "reconnects can resume TLS sessions. false: a fresh SslContext per connection, every "
                    + "handshake full (default: ${DEFAULT-VALUE}).")
    boolean resume;

    @Option(names = "--target-fraction", defaultValue = "0.99",
            description = "Report the time until this fraction of the dropped clients is back (default: ${DEFAULT-VALUE}).")
    double targetFraction;

    @Option(names = "--deadline", defaultValue = "60s", converter = DurationConverter.class,
            description = "From the drop: clients stop reconnecting after this; the run ends (default: ${DEFAULT-VALUE}).")
    Duration deadline;

    @Option(names = "--settle", defaultValue = "2s", converter = DurationConverter.class,
            description = "With --drop server: once every dropped client is back, end after this long without a "
                    + "new disconnect (default: ${DEFAULT-VALUE}).")
    Duration settle;

    private Couples couples;
    private ClientConnection[] current;
    private AtomicLongArray droppedAtNanos;
    private final AtomicLong t0 = new AtomicLong();
    private final AtomicLong lastDropNanos = new AtomicLong();
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicInteger droppedAgain = new AtomicInteger();
    private final AtomicInteger back = new AtomicInteger();
    private final AtomicInteger gaveUp = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder full = new LongAdder();
    private final LongAdder resumed = new LongAdder();
    private final LongAdder unknown = new LongAdder();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final LatencyRecorder recovery = new LatencyRecorder();
    private final LatencyRecorder handshake = new LatencyRecorder();
    private final LatencyRecorder auth = new LatencyRecorder();
    private volatile boolean storming;
    private volatile boolean stopping;
    private volatile Ramp initial;

    @Override
    String name() {
        return "storm";
    }

    @Override
    Duration bound() {
        return options.connectBound().plus(drop == Drop.server ? dropWait : hold)
                .plus(deadline).plus(options.connectTimeout).plus(settle).plusSeconds(10);
    }

    @Override
    String progress() {
        Ramp r = initial;
        return String.format("%s connected=%d/%d dropped=%d back=%d attempts=%d", phase,
                r == null ? 0 : r.succeeded.sum(), options.connections, dropped.get(), back.get(), attempts.sum());
    }

    @Override
    void validate() {
        super.validate();
        if (!(targetFraction > 0 && targetFraction <= 1) || backoffMin.isNegative() || backoffMax.compareTo(backoffMin) < 0
                || !pos(deadline) || hold.isNegative() || !pos(dropWait) || settle.isNegative()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--target-fraction must be in (0, 1], "
                    + "0 <= --backoff-min <= --backoff-max, --deadline and --drop-wait > 0, --hold, --settle >= 0");
        }
        options.resumption = resume ? Resumption.SHARED : Resumption.OFF;
    }

    private final ClientConnection.Listener listener = new ClientConnection.Listener() {
        @Override
        public void delivered(ClientConnection to, Delivery delivery) {}

        @Override
        public void closedAfterAuth(ClientConnection c) {
            onDropped(c);
        }
    };

    private void onDropped(ClientConnection c) {
        if (stopping || current == null || current[c.index()] != c) {
            return;
        }
        long now = System.nanoTime();
        if (!storming) {
            if (drop == Drop.client) {
                return; // a connection lost before the drop: the initial ramp's errors cover it
            }
            storming = true; // server drop: the first disconnect starts the storm
        }
        t0.compareAndSet(0, now);
        lastDropNanos.set(now);
        if (droppedAtNanos.get(c.index()) == 0) {
            droppedAtNanos.set(c.index(), now);
            dropped.incrementAndGet();
        } else {
            droppedAgain.incrementAndGet();
            back.decrementAndGet();
        }
        pending.incrementAndGet();
        reconnectLater(c.index(), 0);
    }

    private void reconnectLater(int index, int attempt) {
        long min = backoffMin.toNanos();
        long cap = Math.min(backoffMax.toNanos(), attempt >= 40 ? Long.MAX_VALUE : Math.max(min, 1) << Math.min(40, attempt + 1));
        cap = Math.max(cap, min);
        long delay = min + (cap > min ? ThreadLocalRandom.current().nextLong(cap - min + 1) : 0);
        scheduler.schedule(() -> reconnect(index, attempt), delay, TimeUnit.NANOSECONDS);
    }

    private void reconnect(int index, int attempt) {
        if (stopping || System.nanoTime() - (t0.get() + deadline.toNanos()) > 0) {
            gaveUp.incrementAndGet();
            pending.decrementAndGet();
            return;
        }
        attempts.increment();
        SslContext context;
        try {
            context = resume ? connector.tls() : connector.newClientContext();
        } catch (javax.net.ssl.SSLException e) {
            failed(index, attempt, "client_tls_context", String.valueOf(e));
            return;
        }
        ClientConnection c = connector.open(index, couples, listener, context, resume);
        current[index] = c;
        track(c);
        c.established().whenComplete((ok, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
                ClientConnection.Failure f = cause instanceof ClientConnection.Failure x ? x : null;
                failed(index, attempt, f != null ? f.reason : "internal_error", f != null ? f.detail : String.valueOf(cause));
                return;
            }
            long now = System.nanoTime();
            Boolean r = c.resumed();
            (r == null ? unknown : r ? resumed : full).increment();
            handshake.recordNanos(c.handshakeNanos());
            auth.recordNanos(c.authNanos());
            recovery.recordNanos(now - t0.get());
            back.incrementAndGet();
            pending.decrementAndGet();
        });
    }

    private void failed(int index, int attempt, String reason, String detail) {
        failures.computeIfAbsent(reason, k -> new LongAdder()).increment();
        failureDetails.putIfAbsent(reason, detail);
        reconnectLater(index, attempt + 1);
    }

    @Override
    int run() throws Exception {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("connections", options.connections);
        params.put("connect_rate_per_s", options.connectRate);
        params.put("drop", drop.name());
        params.put("resume", resume);
        params.put("backoff_min_seconds", backoffMin.toMillis() / 1000.0);
        params.put("backoff_max_seconds", backoffMax.toMillis() / 1000.0);
        params.put("target_fraction", targetFraction);
        params.put("deadline_seconds", deadline.toMillis() / 1000.0);
        params.put("tls_protocols", options.tlsProtocols);
        params.put("source_addresses", options.sourceAddresses);
        params.put("signed_tokens", options.tokenKeys != null);
        report.put("parameters", params);
        couples = new Couples(options.coupleOffset);
        current = new ClientConnection[options.connections];
        droppedAtNanos = new AtomicLongArray(options.connections);
        warmUp(couples);
        phase = "connecting";
        Ramp r = ramp(options.connections, couples, listener);
        initial = r;
        r.await();
        for (int i = 0; i < options.connections; i++) {
            current[i] = r.clients.get(i);
        }
        report.put("connect", r.toMap());
        List<ClientConnection> up = r.established();
        ProcessSampler.Sample beforeStorm = null;
        if (drop == Drop.client) {
            phase = "holding";
            after(hold).join();
            beforeStorm = sample();
            phase = "storm";
            t0.set(System.nanoTime());
            storming = true;
            for (ClientConnection c : up) {
                c.close();
            }
        } else {
            phase = "waiting for the server to drop connections";
            beforeStorm = sample();
            when(() -> storming, dropWait).get(dropWait.toMillis() + 1000, TimeUnit.MILLISECONDS);
            phase = "storm";
        }
        boolean all = false;
        if (storming) {
            long settleNanos = drop == Drop.client ? 0 : settle.toNanos();
            Duration bound = deadline.plus(options.connectTimeout).plusSeconds(1);
            all = when(() -> pending.get() == 0 && (back.get() >= dropped.get())
                    && System.nanoTime() - lastDropNanos.get() >= settleNanos
                    && (drop == Drop.server || dropped.get() >= up.size()), bound)
                    .get(bound.toMillis() + 1000, TimeUnit.MILLISECONDS);
        }
        ProcessSampler.Sample afterStorm = sample();
        phase = "closing";
        stopping = true;
        List<ClientConnection> open = new ArrayList<>();
        for (ClientConnection c : current) {
            open.add(c);
        }
        closeAll(open);

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("drop", drop.name());
        m.put("resume", resume);
        m.put("target_fraction", targetFraction);
        m.put("connected_before", (long) up.size());
        m.put("dropped", (long) dropped.get());
        m.put("back", (long) back.get());
        m.put("dropped_again", (long) droppedAgain.get());
        m.put("gave_up", (long) gaveUp.get());
        m.put("attempts", attempts.sum());
        Map<String, Object> hs = new LinkedHashMap<>();
        hs.put("full", full.sum());
        hs.put("resumed", resumed.sum());
        hs.put("unknown", unknown.sum());
        m.put("handshakes", hs);
        Map<String, Long> byReason = new TreeMap<>();
        failures.forEach((k, v) -> byReason.put(k, v.sum()));
        m.put("failed_attempts", byReason);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("recovery_from_drop", recovery.summary());
        lat.put("tls_handshake", handshake.summary());
        lat.put("auth", auth.summary());
        m.put("latency_us", lat);
        putRecoveryTimes(m);
        if (beforeStorm != null && afterStorm != null) {
            Map<String, Object> server = new LinkedHashMap<>();
            server.put("pid", sampler.pid());
            server.put("storm", ProcessSampler.cost(beforeStorm, afterStorm, full.sum() + resumed.sum() + unknown.sum(),
                    "handshakes"));
            m.put("server", server);
        }
        report.put("storm", m);
        // Failed reconnect attempts are part of a storm (a killed server refuses until it is back): they are
        // reported under failed_attempts, not as errors; the exit code says whether everyone came back.
        return dropped.get() > 0 && back.get() == dropped.get() && all ? EXIT_OK : EXIT_FAILURES;
    }

    /** time_to_target_ms and time_to_all_ms from the recovery histogram and the counts (also after a merge). */
    static void putRecoveryTimes(Map<String, Object> m) {
        long dropped = ((Number) m.get("dropped")).longValue();
        long back = ((Number) m.get("back")).longValue();
        double fraction = ((Number) m.get("target_fraction")).doubleValue();
        Map<?, ?> latency = (Map<?, ?>) m.get("latency_us");
        Histogram h = ResultMerger.decode((String) ((Map<?, ?>) latency.get("recovery_from_drop")).get("hdr"));
        long needed = (long) Math.ceil(fraction * dropped);
        m.put("back_fraction", dropped == 0 ? 0.0 : Math.round(back * 10000.0 / dropped) / 10000.0);
        m.put("time_to_target_ms", dropped > 0 && h.getTotalCount() >= needed && needed > 0
                ? Math.round(h.getValueAtPercentile(100.0 * needed / h.getTotalCount()) / 100.0) / 10.0 : null);
        m.put("time_to_all_ms", dropped > 0 && back >= dropped ? Math.round(h.getMaxValue() / 100.0) / 10.0 : null);
    }

    @Override
    @SuppressWarnings("unchecked")
    String summary() {
        StringBuilder s = new StringBuilder();
        Map<String, Object> conn = (Map<String, Object>) report.get("connect");
        Map<String, Object> m = (Map<String, Object>) report.get("storm");
        s.append(String.format("storm %s: %d clients, drop %s, resume %s, backoff %s..%s%n", options.target, options.connections,
                drop, resume, backoffMin, backoffMax));
        if (conn != null) {
            s.append(String.format("  connected %s, failed %s %s%n", conn.get("succeeded"), conn.get("failed"),
                    conn.get("failures")));
        }
        if (m != null) {
            Map<String, Object> hs = (Map<String, Object>) m.get("handshakes");
            Map<String, Object> lat = (Map<String, Object>) m.get("latency_us");
            s.append(String.format("  dropped %s, back %s (%s), gave up %s; %s%% back after %s ms, 100%% after %s ms%n",
                    m.get("dropped"), m.get("back"), m.get("back_fraction"), m.get("gave_up"),
                    Math.round(((Number) m.get("target_fraction")).doubleValue() * 1000) / 10.0,
                    m.get("time_to_target_ms"), m.get("time_to_all_ms")));
            s.append(String.format("  reconnect attempts %s: handshakes full %s resumed %s unknown %s; failed attempts %s%n",
                    m.get("attempts"), hs.get("full"), hs.get("resumed"), hs.get("unknown"), m.get("failed_attempts")));
            s.append("    recovery (from drop) ").append(fmt((Map<String, Object>) lat.get("recovery_from_drop"))).append('\n');
            s.append("    tls handshake        ").append(fmt((Map<String, Object>) lat.get("tls_handshake"))).append('\n');
            Map<String, Object> server = (Map<String, Object>) m.get("server");
            if (server != null) {
                Map<String, Object> st = (Map<String, Object>) server.get("storm");
                s.append(String.format("    server pid %s: storm cpu %s µs (%s µs/handshake)%n", server.get("pid"),
                        st.get("cpu_us"), st.get("cpu_us_per_handshake")));
            }
        }
        s.append("  exit code ").append(report.get("exit_code")).append('\n');
        return s.toString();
    }
}
