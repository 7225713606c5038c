package io.presenter.loadtest;

import io.presenter.protocol.process.DurationConverter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options every scenario takes (a picocli mixin): the target and how to reach it, the
 * connections and their ramp, TLS, where the results go, and the worker processes. Each scenario
 * adds its own after these.
 */
final class ScenarioOptions {

    @Option(names = "--target", defaultValue = "127.0.0.1:7443",
            description = "host:port of a TLS endpoint speaking the client protocol: a presenter, a chat "
                    + "server's direct port, or a TCP balancer in front of one (default: ${DEFAULT-VALUE}).")
    String target;

    /** What carries the client protocol to the target. */
    enum Transport { tcp, quic }

    @Option(names = "--transport", defaultValue = "tcp",
            description = "tcp: TLS over TCP. quic: QUIC (UDP, ALPN presenter/1, TLS 1.3 inside QUIC), one "
                    + "bidirectional stream per client carrying the same packets, to the same host:port on UDP "
                    + "(a presenter with quic.enabled; README, QUIC transport). --tls-protocols, --nagle and "
                    + "--tcp-fast-open apply to tcp only (default: ${DEFAULT-VALUE}).")
    Transport transport;

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

    @Option(names = "--nagle", description = "Keep Nagle's algorithm on (no TCP_NODELAY), as many mobile and "
            + "scripting client stacks do, and write the auth packet on its own after the handshake, as a "
            + "blocking client (Python's ssl, Java's SSLSocket) does: the client's packet then waits for the "
            + "ACK of its TLS Finished. Off by default (TCP_NODELAY, auth packet flushed with the Finished).")
    boolean nagle;

    /** How clients resume TLS sessions. */
    enum Resumption { SHARED, OFF }

    @Option(names = "--resumption", defaultValue = "SHARED",
            description = "SHARED: all clients of this process share one client session cache keyed by "
                    + "host:port, so a client may resume a session another client got (TLS 1.3 tickets; "
                    + "this overstates resumption within a first wave of distinct devices). OFF: every "
                    + "handshake is full (the session cache is not consulted). Over QUIC the cache keeps the latest ticket per "
                    + "host:port and uses a ticket once (it may carry 0-RTT), so a client resumes only if a ticket "
                    + "arrived since the last one was taken: in a fast ramp few do. Default: ${DEFAULT-VALUE}.")
    Resumption resumption;

    @Option(names = "--ca", description = "PEM CA certificates to verify the server with; without it any "
            + "certificate is accepted (load tests usually target self-signed servers).")
    Path caFile;

    @Option(names = "--source-addresses",
            description = "Spread connections round-robin over these local source addresses: a range "
                    + "127.0.0.1-127.0.0.8 or a list a,b,c. Each address has its own ~28k ephemeral ports.")
    String sourceAddresses;

    @Option(names = "--tcp-fast-open", description = "TCP Fast Open on connect (TCP_FASTOPEN_CONNECT, epoll only): a "
            + "returning client's ClientHello rides in its SYN. Needs net.ipv4.tcp_fastopen with bit 1 here.")
    boolean tcpFastOpen;

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

    @Option(names = "--worker-deadline", converter = DurationConverter.class,
            description = "With --workers: kill workers still running after this "
                    + "(default: the scenario's own bound + 30 s, from its connections, rates and durations).")
    Duration workerDeadline;

    /** Rejects values that would make a run unbounded or meaningless. */
    void validate(CommandSpec spec) {
        if (connections < 0 || warmupConnections < 0 || !(connectRate > 0) || !Scenario.pos(connectTimeout)) {
            throw new ParameterException(spec.commandLine(),
                    "--connections must be >= 0, --connect-rate and --connect-timeout > 0");
        }
        if (transport == Transport.quic && (tcpFastOpen || nagle)) {
            throw new ParameterException(spec.commandLine(), "--tcp-fast-open and --nagle are TCP options: not with --transport quic");
        }
        if (workers < 0 || (workers > 0 && connections < workers)) {
            throw new ParameterException(spec.commandLine(), "--workers must be >= 0 and at most --connections");
        }
    }

    /** Time for the warm-up ramp and the measured one. */
    Duration connectBound() {
        return rampBound(warmupConnections).plus(rampBound(connections));
    }

    /** Time to ramp n connections at the connect rate, plus the connect timeout twice and some slack. */
    Duration rampBound(int n) {
        return Duration.ofMillis((long) (n / connectRate * 1000) + connectTimeout.toMillis() * 2 + 10_000);
    }
}
