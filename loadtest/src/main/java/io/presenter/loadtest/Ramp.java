package io.presenter.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

/**
 * One ramp of {@code n} clients at a connect rate, open loop: client i starts at i / rate seconds
 * whether or not earlier ones finished (a reconnect storm does not wait either). It completes when
 * every client is authenticated or failed, which each client's connect timeout bounds. Keeps the
 * ramp's statistics: latencies, full vs resumed handshakes, failures by reason.
 */
final class Ramp {

    final LatencyRecorder tcp = new LatencyRecorder();
    final LatencyRecorder handshake = new LatencyRecorder();
    final LatencyRecorder auth = new LatencyRecorder();
    final LatencyRecorder setup = new LatencyRecorder();
    final LongAdder succeeded = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder full = new LongAdder();
    final LongAdder resumed = new LongAdder();
    final LongAdder resumptionUnknown = new LongAdder();
    final Map<String, LongAdder> protocols = new ConcurrentHashMap<>();
    final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    final AtomicInteger launched = new AtomicInteger();
    final List<ClientConnection> clients;
    private final int n;
    private final double connectRate;
    private final Duration connectTimeout;
    /** Told (reason, detail) of every failed client: the scenario's error count and failure details. */
    private final BiConsumer<String, String> onFailure;
    private final CompletableFuture<Ramp> done = new CompletableFuture<>();
    private volatile long startNanos;
    private volatile long lastLaunchNanos;
    private volatile long endNanos;

    Ramp(int n, double connectRate, Duration connectTimeout, BiConsumer<String, String> onFailure) {
        this.n = n;
        this.connectRate = connectRate;
        this.connectTimeout = connectTimeout;
        this.onFailure = onFailure;
        this.clients = new ArrayList<>(Collections.nCopies(n, null));
    }

    /**
     * Starts the clients from {@code scheduler}: a 1 ms tick opens every client that is due, exact to
     * the tick at any rate, and the scheduler thread never sleeps between individual starts.
     */
    Ramp start(ScheduledExecutorService scheduler, IntFunction<ClientConnection> open) {
        if (n == 0) {
            done.complete(this);
            return this;
        }
        startNanos = System.nanoTime();
        AtomicReference<ScheduledFuture<?>> ticker = new AtomicReference<>();
        ticker.set(scheduler.scheduleAtFixedRate(() -> {
            try {
                long due = Math.min(n, (long) Math.floor((System.nanoTime() - startNanos) / 1e9 * connectRate) + 1);
                while (launched.get() < due) {
                    int i = launched.getAndIncrement();
                    ClientConnection c = open.apply(i);
                    lastLaunchNanos = System.nanoTime();
                    clients.set(i, c);
                    c.established().whenComplete((ok, error) -> {
                        record(c, error);
                        if (settled() == n) {
                            endNanos = System.nanoTime();
                            done.complete(this);
                        }
                    });
                }
                if (launched.get() == n) {
                    ScheduledFuture<?> self = ticker.get();
                    if (self != null) {
                        self.cancel(false);
                    }
                }
            } catch (RuntimeException e) {
                // A periodic task that throws is silently never run again: fail the ramp instead of
                // leaving the caller waiting for connections that will never start.
                done.completeExceptionally(e);
                ticker.get().cancel(false);
            }
        }, 0, 1, TimeUnit.MILLISECONDS));
        return this;
    }

    /**
     * Waits for the ramp to settle: the time to start every client plus its connect timeout bounds
     * it; the extra is slack.
     */
    Ramp await() throws Exception {
        long boundMillis = (long) (n / connectRate * 1000) + connectTimeout.toMillis() * 2 + 10_000;
        return done.get(boundMillis, TimeUnit.MILLISECONDS);
    }

    long settled() {
        return succeeded.sum() + failed.sum();
    }

    private void record(ClientConnection c, Throwable error) {
        if (error == null) {
            succeeded.increment();
            if (c.tcpConnectNanos() > 0) {  // none over QUIC
                tcp.recordNanos(c.tcpConnectNanos());
            }
            handshake.recordNanos(c.handshakeNanos());
            auth.recordNanos(c.authNanos());
            setup.recordNanos(c.setupNanos());
            Boolean r = c.resumed();
            (r == null ? resumptionUnknown : r ? resumed : full).increment();
            protocols.computeIfAbsent(String.valueOf(c.protocol()), p -> new LongAdder()).increment();
        } else {
            failed.increment();
            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            ClientConnection.Failure failure = cause instanceof ClientConnection.Failure f ? f : null;
            String reason = failure != null ? failure.reason : "internal_error";
            failures.computeIfAbsent(reason, k -> new LongAdder()).increment();
            onFailure.accept(reason, failure != null ? failure.detail : String.valueOf(cause));
        }
    }

    /** Clients that got an authenticated session. */
    List<ClientConnection> established() {
        List<ClientConnection> ok = new ArrayList<>();
        for (ClientConnection c : clients) {
            if (c != null && c.established().isDone() && !c.established().isCompletedExceptionally()) {
                ok.add(c);
            }
        }
        return ok;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attempted", launched.get());
        m.put("succeeded", succeeded.sum());
        m.put("failed", failed.sum());
        Map<String, Long> byReason = new TreeMap<>();
        failures.forEach((k, v) -> byReason.put(k, v.sum()));
        m.put("failures", byReason);
        // Launch rate: did the harness offer the load asked for? Completion rate: how fast the
        // target turned them into sessions (includes the tail of the slowest handshakes).
        double launchSeconds = (lastLaunchNanos - startNanos) / 1e9;
        double seconds = (endNanos - startNanos) / 1e9;
        m.put("ramp_seconds", Math.round(seconds * 1000) / 1000.0);
        m.put("launch_rate_per_s", launchSeconds > 0
                ? Math.round((launched.get() - 1) / launchSeconds * 10) / 10.0 : 0.0);
        m.put("completion_rate_per_s", seconds > 0 ? Math.round(succeeded.sum() / seconds * 10) / 10.0 : 0.0);
        Map<String, Object> hs = new LinkedHashMap<>();
        hs.put("full", full.sum());
        hs.put("resumed", resumed.sum());
        hs.put("unknown", resumptionUnknown.sum());
        Map<String, Long> protos = new TreeMap<>();
        protocols.forEach((k, v) -> protos.put(k, v.sum()));
        hs.put("protocols", protos);
        m.put("handshakes", hs);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("tcp_connect", tcp.summary());
        lat.put("tls_handshake", handshake.summary());
        lat.put("auth", auth.summary());
        lat.put("connect_to_answer", setup.summary());
        m.put("latency_us", lat);
        return m;
    }
}
