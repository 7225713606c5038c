package io.presenter.loadtest;

import io.presenter.protocol.process.DurationConverter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPlatform;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What every scenario shares: the target and how to reach it (TLS on BoringSSL, tokens, source
 * addresses), the client event loops, a single scheduler thread that fires work at intended times
 * (open loop: it never waits for responses), the connection ramp and its statistics, server-side
 * sampling, the progress line, and the JSON report. Subclasses say what happens between the ramp
 * and the close.
 *
 * <p>Exit codes: 0 all went well; 1 some connection failed or a chat check (loss, duplicate,
 * reorder) did not hold; 2 bad command line; other non-zero: the run could not start.
 */
abstract class Scenario implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURES = 1;

    @Spec
    CommandSpec spec;

    @Option(names = "--target", defaultValue = "127.0.0.1:7443",
            description = "host:port of a TLS endpoint speaking the client protocol: a presenter, a chat "
                    + "server's direct port, or a TCP balancer in front of one (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--token-keys", description = "Token key file (README, Auth tokens) to sign real tokens; "
            + "without it tokens are unsigned, for a server that accepts any token.")
    Path tokenKeys;

    @Option(names = "--couple-offset", defaultValue = "1000000",
            description = "First couple id; client 2k and 2k+1 share couple offset+k (default: ${DEFAULT-VALUE}). "
                    + "Give each worker process its own range.")
    long coupleOffset;

    @Option(names = "--connections", defaultValue = "100", description = "Client connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--connect-rate", defaultValue = "500",
            description = "New connections per second during the ramp (default: ${DEFAULT-VALUE}).")
    double connectRate;

    @Option(names = "--connect-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "Bound on connect + TLS handshake + auth of one client (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--tls-protocols", split = ",", defaultValue = "TLSv1.3,TLSv1.2",
            description = "TLS versions offered (default: ${DEFAULT-VALUE}).")
    List<String> tlsProtocols;

    /** How clients resume TLS sessions. */
    enum Resumption { SHARED, OFF }

    @Option(names = "--resumption", defaultValue = "SHARED",
            description = "SHARED: all clients of this process share one client session cache keyed by "
                    + "host:port, so a client may resume a session another client got (TLS 1.3 tickets; "
                    + "this overstates resumption within a first wave of distinct devices). OFF: every "
                    + "handshake is full (the session cache is not consulted). Default: ${DEFAULT-VALUE}.")
    Resumption resumption;

    @Option(names = "--ca", description = "PEM CA certificates to verify the server with; without it any "
            + "certificate is accepted (load tests usually target self-signed servers).")
    Path caFile;

    @Option(names = "--source-addresses",
            description = "Spread connections round-robin over these local source addresses: a range "
                    + "127.0.0.1-127.0.0.8 or a list a,b,c. Each address has its own ~28k ephemeral ports.")
    String sourceAddresses;

    @Option(names = "--event-loops", description = "Client event loop threads (default: number of cores).")
    int eventLoops = Runtime.getRuntime().availableProcessors();

    @Option(names = {"--server-pid", "--target-pid"}, description = "PID of the target process on this host: report its CPU "
            + "time and RSS before and after each phase (from /proc).")
    Long serverPid;

    @Option(names = "--warmup-connections", defaultValue = "0",
            description = "Before measuring, ramp this many connections at --connect-rate and close them, "
                    + "unreported: a fresh client JVM is still compiling during its first few thousand "
                    + "handshakes and its own queueing would show as server latency. With --resumption "
                    + "SHARED this also seeds the session cache (default: ${DEFAULT-VALUE}).")
    int warmupConnections;

    @Option(names = "--out", description = "Write the results as JSON to this file.")
    Path out;

    @Option(names = "--quiet", description = "No progress line.")
    boolean quiet;

    @Option(names = "--html", description = "Also write a self-contained HTML report (inline SVG: latency "
            + "percentile distribution, connections and rate over time) to this file.")
    Path html;

    @Option(names = "--workers", defaultValue = "0",
            description = "Run the scenario in this many worker JVMs (same jar), each with its share of "
                    + "connections and rates, its own couple range and its own --source-addresses entry, to get "
                    + "past the per-process open-file limit; this process coordinates, shows live progress and "
                    + "merges the results (histograms exactly). 0: run in this process (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--worker-jvm-option", description = "Extra JVM option for each worker (repeatable), e.g. -Xmx1g.")
    List<String> workerJvmOptions = new ArrayList<>();

    @Option(names = "--worker-deadline", converter = DurationConverter.class, description = "With --workers: kill workers still running after this "
            + "(default: the scenario's own bound + 30 s, from its connections, rates and durations).")
    Duration workerDeadline;

    /** Set by the hidden {@code worker} command: >= 0 means this process is worker number workerIndex. */
    int workerIndex = -1;

    /** Where the progress line and summary go; tests may swap them. */
    PrintStream progressOut = System.err;
    PrintStream summaryOut = System.out;

    ScheduledExecutorService scheduler;
    EventLoopGroup group;
    Bootstrap bootstrap;
    SslContext tls;
    InetSocketAddress targetAddress;
    ProcessSampler sampler;
    private TokenSigner signer;
    private List<InetAddress> sources = List.of();
    private final AtomicInteger nextSource = new AtomicInteger();
    Map<String, Object> report = new LinkedHashMap<>();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    /** Authenticated connections open right now (all scenarios). */
    final AtomicLong openConnections = new AtomicLong();
    /** Completed operations (authenticated handshakes + delivered messages): what "rate" shows. */
    final LongAdder operations = new LongAdder();
    /** One point per second: seconds since start, open connections, operations per second, errors. */
    final Timeline timeline = new Timeline();
    volatile String phase = "starting";

    /** The per-second series behind the progress line and the HTML report's time plots. */
    static final class Timeline {
        final List<Double> seconds = new ArrayList<>();
        final List<Long> connections = new ArrayList<>();
        final List<Double> rate = new ArrayList<>();
        final List<Long> errors = new ArrayList<>();

        synchronized void add(double t, long conns, double perSecond, long errs) {
            seconds.add(Math.round(t * 10) / 10.0);
            connections.add(conns);
            rate.add(Math.round(perSecond * 10) / 10.0);
            errors.add(errs);
        }

        synchronized Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("t_s", new ArrayList<>(seconds));
            m.put("connections", new ArrayList<>(connections));
            m.put("rate_per_s", new ArrayList<>(rate));
            m.put("errors", new ArrayList<>(errors));
            return m;
        }
    }

    abstract String name();

    /** The scenario proper; fills {@link #report} and returns the exit code. */
    abstract int run() throws Exception;

    /** The progress line's scenario-specific part. */
    abstract String progress();

    /** An upper bound on how long this scenario can run (the coordinator kills workers that overrun it). */
    abstract Duration bound();

    /** Time to ramp n connections at the connect rate, plus the connect timeout. */
    Duration rampBound(int n) {
        return Duration.ofMillis((long) (n / connectRate * 1000) + connectTimeout.toMillis() * 2 + 10_000);
    }

    @Override
    public final Integer call() throws Exception {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL (netty-tcnative) did not load", OpenSsl.unavailabilityCause());
        }
        validate();
        if (workers < 0 || (workers > 0 && (connections < workers))) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--workers must be >= 0 and at most --connections");
        }
        if (workers > 0 && workerIndex < 0) {
            int code = new Coordinator(this).run();
            writeOutputs();
            summaryOut.print(report.containsKey("parameters") ? summary()
                    : "no worker produced a result; see \"workers\" in the JSON report\n");
            return code;
        }
        targetAddress = parseTarget(target);
        sources = parseSources(sourceAddresses);
        if (tokenKeys != null) {
            signer = new TokenSigner(TokenKeys.load(tokenKeys), Clock.systemUTC());
        }
        sampler = serverPid == null ? null : new ProcessSampler(serverPid);
        tls = newClientContext();
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(eventLoops,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "loadtest-scheduler");
            t.setDaemon(true);
            return t;
        });
        long started = System.nanoTime();
        long[] lastOps = {0, started};
        ScheduledFuture<?> progressLine = scheduler.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            long ops = operations.sum();
            double perSecond = (ops - lastOps[0]) / Math.max(1e-3, (now - lastOps[1]) / 1e9);
            lastOps[0] = ops;
            lastOps[1] = now;
            double t = (now - started) / 1e9;
            timeline.add(t, openConnections.get(), perSecond, errorCount());
            if (workerIndex >= 0) {
                // Machine-readable, for the coordinator: one line per second on stdout.
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("t_s", Math.round(t * 10) / 10.0);
                p.put("phase", phase);
                p.put("connections", openConnections.get());
                p.put("operations", ops);
                p.put("errors", errorCount());
                progressOut.println(Coordinator.PROGRESS_PREFIX + ReportJson.writeCompact(p));
            } else if (!quiet) {
                progressOut.printf("[%5.1fs] %s conns=%d rate=%.0f/s errors=%d%n", t, progress(),
                        openConnections.get(), perSecond, errorCount());
            }
        }, 1, 1, TimeUnit.SECONDS);
        try {
            report.put("scenario", name());
            report.put("target", target);
            report.put("started_at", Instant.now().toString());
            report.put("transport", epoll ? "epoll" : "nio");
            report.put("tls_provider", OpenSsl.versionString());
            int code = run();
            report.put("errors", errorsByReason());
            report.put("timeline", timeline.toMap());
            report.put("exit_code", code);
            writeOutputs();
            summaryOut.print(summary());
            return code;
        } finally {
            if (progressLine != null) {
                progressLine.cancel(false);
            }
            scheduler.shutdownNow();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Writes --out (JSON) and --html when asked for. */
    void writeOutputs() throws IOException {
        if (out != null) {
            Files.writeString(out, ReportJson.write(report), StandardCharsets.UTF_8);
        }
        if (html != null) {
            Files.writeString(html, HtmlReport.render(report), StandardCharsets.UTF_8);
        }
    }

    /** A client TLS context as configured (BoringSSL, the offered versions, the trust choice). */
    SslContext newClientContext() throws javax.net.ssl.SSLException {
        SslContextBuilder tlsBuilder = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .protocols(tlsProtocols);
        return (caFile == null ? tlsBuilder.trustManager(InsecureTrustManagerFactory.INSTANCE)
                : tlsBuilder.trustManager(caFile.toFile())).build();
    }

    /** Counts {@code c} among the open connections from when it authenticates until its channel closes. */
    void track(ClientConnection c) {
        c.established().whenComplete((ok, error) -> {
            if (error == null) {
                openConnections.incrementAndGet();
                operations.increment();
                c.channel().closeFuture().addListener(f -> openConnections.decrementAndGet());
            }
        });
    }

    /** The human-readable summary printed at the end. */
    abstract String summary();

    long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    void error(String reason) {
        errors.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    Map<String, Long> errorsByReason() {
        Map<String, Long> m = new TreeMap<>();
        errors.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** The auth packet of client {@code i}: a token signed with the key file, or an unsigned one. */
    AuthPacket authPacket(Couples couples, int i) {
        long user = couples.userId(i);
        long couple = couples.coupleId(i);
        AuthToken token = signer != null ? signer.sign(user, couple, Duration.ofHours(1))
                : new AuthToken("unsigned", Instant.now().plus(Duration.ofHours(1)).getEpochSecond(),
                        ByteBuffer.allocate(32));
        return new AuthPacket(user, couple, token, "presenter-loadtest/1")
                .setPlatform(ClientPlatform.LOADTEST).setDeviceId("loadtest-" + i);
    }

    /** The next source address (round robin), or null to let the kernel choose. */
    SocketAddress nextSource() {
        if (sources.isEmpty()) {
            return null;
        }
        return new InetSocketAddress(sources.get(Math.floorMod(nextSource.getAndIncrement(), sources.size())), 0);
    }

    /** Connection statistics of one ramp: latencies, full vs resumed handshakes, failures. */
    final class Ramp {
        final LatencyRecorder tcp = new LatencyRecorder();
        final LatencyRecorder handshake = new LatencyRecorder();
        final LatencyRecorder auth = new LatencyRecorder();
        final LongAdder succeeded = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder full = new LongAdder();
        final LongAdder resumed = new LongAdder();
        final LongAdder resumptionUnknown = new LongAdder();
        final Map<String, LongAdder> protocols = new ConcurrentHashMap<>();
        final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        final AtomicInteger launched = new AtomicInteger();
        final List<ClientConnection> clients;
        final CompletableFuture<Ramp> done = new CompletableFuture<>();
        volatile long startNanos;
        volatile long lastLaunchNanos;
        volatile long endNanos;

        Ramp(int n) {
            clients = new ArrayList<>(java.util.Collections.nCopies(n, null));
        }

        long settled() {
            return succeeded.sum() + failed.sum();
        }

        void record(ClientConnection c, Throwable error) {
            if (error == null) {
                succeeded.increment();
                tcp.recordNanos(c.tcpConnectNanos());
                handshake.recordNanos(c.handshakeNanos());
                auth.recordNanos(c.authNanos());
                Boolean r = c.resumed();
                (r == null ? resumptionUnknown : r ? resumed : full).increment();
                protocols.computeIfAbsent(String.valueOf(c.protocol()), p -> new LongAdder()).increment();
            } else {
                failed.increment();
                Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
                String reason = cause instanceof ClientConnection.Failure f ? f.reason : "internal_error";
                failures.computeIfAbsent(reason, k -> new LongAdder()).increment();
                error(reason);
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
            m.put("latency_us", lat);
            return m;
        }
    }

    /**
     * Opens {@code n} clients at {@link #connectRate} per second, open loop: connection i starts at
     * i / rate seconds whether or not earlier ones finished (a reconnect storm does not wait
     * either). Completes when every client is authenticated or failed; bounded by the connect
     * timeout after the last start.
     */
    Ramp ramp(int n, Couples couples, ClientConnection.Listener listener) {
        Ramp ramp = new Ramp(n);
        CompletableFuture<Ramp> done = ramp.done;
        if (n == 0) {
            done.complete(ramp);
            return ramp;
        }
        ramp.startNanos = System.nanoTime();
        AtomicReference<ScheduledFuture<?>> ticker = new AtomicReference<>();
        // A 1 ms tick starts every connection that is due: exact to the tick at any rate, and the
        // scheduler thread never sleeps between individual starts.
        ticker.set(scheduler.scheduleAtFixedRate(() -> {
          try {
            long due = Math.min(n, (long) Math.floor((System.nanoTime() - ramp.startNanos) / 1e9 * connectRate) + 1);
            while (ramp.launched.get() < due) {
                int i = ramp.launched.getAndIncrement();
                ClientConnection c = ClientConnection.open(i, bootstrap, tls, resumption == Resumption.SHARED,
                        targetAddress, nextSource(), authPacket(couples, i), connectTimeout, listener);
                ramp.lastLaunchNanos = System.nanoTime();
                ramp.clients.set(i, c);
                track(c);
                c.established().whenComplete((ok, error) -> {
                    ramp.record(c, error);
                    if (ramp.settled() == n) {
                        ramp.endNanos = System.nanoTime();
                        done.complete(ramp);
                    }
                });
            }
            if (ramp.launched.get() == n) {
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
        return ramp;
    }

    /**
     * Waits for a ramp to settle. Each client is bounded by the connect timeout, so the ramp is
     * bounded by the time to start all of them plus that timeout; the extra is slack.
     */
    Ramp awaitRamp(Ramp ramp) throws Exception {
        long boundMillis = (long) (ramp.clients.size() / connectRate * 1000) + connectTimeout.toMillis() * 2 + 10_000;
        return ramp.done.get(boundMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * The unreported warm-up ramp, if asked for. Its failures are kept in the report's "warmup"
     * section, not among the run's errors.
     */
    void warmUp(Couples couples) throws Exception {
        if (warmupConnections <= 0) {
            return;
        }
        Ramp warm = ramp(warmupConnections, couples, ClientConnection.NO_LISTENER);
        awaitRamp(warm);
        closeAll(warm.clients);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", warmupConnections);
        m.put("succeeded", warm.succeeded.sum());
        m.put("failed", warm.failed.sum());
        report.put("warmup", m);
        errors.clear();
    }

    static boolean pos(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    /** Rejects parameters that would make a run unbounded or meaningless. */
    void validate() {
        if (connections < 0 || warmupConnections < 0 || !(connectRate > 0) || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--connections must be >= 0, --connect-rate and --connect-timeout > 0");
        }
    }

    /** Closes every client and waits (bounded) until they are closed. */
    void closeAll(List<ClientConnection> clients) {
        List<io.netty.channel.ChannelFuture> closing = new ArrayList<>();
        for (ClientConnection c : clients) {
            if (c != null) {
                Channel ch = c.channel();
                if (ch != null) {
                    closing.add(ch.close());
                }
            }
        }
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        for (io.netty.channel.ChannelFuture f : closing) {
            f.awaitUninterruptibly(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
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

    /** Waits for {@code f}, bounded by {@code timeout}, running nothing on this thread. */
    static <T> T await(CompletableFuture<T> f, Duration timeout) throws Exception {
        return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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

    static InetSocketAddress parseTarget(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--target must be host:port, got " + hostPort);
        }
        return new InetSocketAddress(hostPort.substring(0, colon).replace("[", "").replace("]", ""),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** "a.b.c.d-a.b.c.e" (same /24, last octet ranges) or "a,b,c". */
    static List<InetAddress> parseSources(String spec) throws UnknownHostException {
        List<InetAddress> list = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return list;
        }
        if (spec.contains("-") && !spec.contains(",")) {
            String[] ends = spec.split("-");
            byte[] from = InetAddress.getByName(ends[0].trim()).getAddress();
            byte[] to = InetAddress.getByName(ends[1].trim()).getAddress();
            if (from.length != 4 || to.length != 4 || from[0] != to[0] || from[1] != to[1] || from[2] != to[2]
                    || (to[3] & 0xff) < (from[3] & 0xff)) {
                throw new IllegalArgumentException("--source-addresses range must be IPv4 within one /24: " + spec);
            }
            for (int last = from[3] & 0xff; last <= (to[3] & 0xff); last++) {
                byte[] a = from.clone();
                a[3] = (byte) last;
                list.add(InetAddress.getByAddress(a));
            }
        } else {
            for (String s : spec.split(",")) {
                list.add(InetAddress.getByName(s.trim()));
            }
        }
        return list;
    }

    static String fmt(Map<String, Object> latency) {
        return String.format("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s µs (n=%s)", latency.get("p50"),
                latency.get("p90"), latency.get("p99"), latency.get("p99_9"), latency.get("max"), latency.get("count"));
    }
}
