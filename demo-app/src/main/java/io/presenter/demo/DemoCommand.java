package io.presenter.demo;

import io.micrometer.core.instrument.Counter;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.loadtest.LoadTestCommand;
import io.presenter.protocol.process.DurationConverter;
import io.presenter.protocol.process.Durations;
import io.presenter.protocol.process.ManifestVersion;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code presenter-demo}: the whole system in one JVM on loopback (embedded ZooKeeper, three
 * chat-server stubs, a presenter with TLS and QUIC), a burst of real clients over both chatting through it, a summary of
 * what happened, then it stays up for your own clients until Ctrl-C.
 */
@Command(name = "presenter-demo", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Runs Presenter end to end in this one process, on loopback: an embedded ZooKeeper, three "
                + "chat-server stubs registered in it, and a presenter with a freshly generated self-signed ECDSA "
                + "certificate, TLS ticket keys and token keys (in a temporary directory, removed on exit), listening for "
                + "TLS on TCP and for QUIC on UDP. Then a burst of real clients, most over TLS and some over QUIC, chats "
                + "in couples through the presenter, every message is checked to "
                + "arrive exactly once and in order, and a summary is printed. It stays up until Ctrl-C unless "
                + "--exit-after-burst.",
                "Route53 weight publishing is off in the demo."},
        footer = {"", "Exit codes: 0 the burst delivered every message exactly once; 1 a client failed or a message "
                + "was lost, duplicated or reordered; 2 bad command line; 3 the demo could not start or run."})
public final class DemoCommand implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_BURST_FAILED = 1;

    @Option(names = "--clients", defaultValue = "200",
            description = "Clients in the burst, in couples: even, >= 2 (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--quic-clients", defaultValue = "-1",
            description = "How many of the --clients connect over QUIC (UDP, ALPN presenter/1) instead of TLS over "
                    + "TCP, at the same time, through the same presenter: even, at most --clients - 2; 0 for none "
                    + "(default: a quarter of --clients, rounded down to even).")
    int quicClients;

    @Option(names = "--rate", defaultValue = "1000",
            description = "Messages per second over all clients, open loop (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long the burst sends messages: 10s, 500ms, 1m or ISO-8601 PT10S (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--exit-after-burst", description = "Print the summary, stop everything and exit instead of staying up.")
    boolean exitAfterBurst;

    @Option(names = "--port", defaultValue = "7443",
            description = "The presenter's client TLS port on 127.0.0.1; a busy port falls back to a free one, "
                    + "0 always picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--admin-port", defaultValue = "9090",
            description = "The presenter's admin HTTP port on 127.0.0.1 (/metrics, /health, /ready, /drain), "
                    + "same rules (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--chat-servers", defaultValue = "3", description = "Chat-server stubs (default: ${DEFAULT-VALUE}).")
    int chatServers;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a presenter setting (see deploy/presenter.example.yaml), e.g. "
                    + "--set backend.connections-per-loop=2 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--quiet", description = "No progress line during the burst.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Exit code when the demo could not start or run (a port, the native TLS library, ...). */
    static final int EXIT_ERROR = 3;

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (Throwable e) { // an Error escapes picocli; exit anyway, whatever threads were left running
            System.err.println("presenter-demo: could not run: " + e);
            e.printStackTrace();
            code = EXIT_ERROR;
        }
        System.exit(code);
    }

    /** The command line, with a failure to start reported in one line and exit code {@value #EXIT_ERROR}. */
    static CommandLine commandLine() {
        return new CommandLine(new DemoCommand()).setExecutionExceptionHandler((e, cli, parsed) -> {
            cli.getErr().println("presenter-demo: could not run: " + e);
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                cli.getErr().println("  caused by: " + cause);
            }
            cli.getErr().flush();
            return EXIT_ERROR;
        });
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 2 || clients % 2 != 0 || !(rate > 0) || duration.isNegative() || chatServers < 1
                || port < 0 || port > 65535 || adminPort < 0 || adminPort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--clients must be even and >= 2, --rate > 0, "
                    + "--duration >= 0, --chat-servers >= 1, ports 0-65535");
        }
        if (quicClients < 0) {
            quicClients = clients / 4 / 2 * 2;
        }
        if (quicClients % 2 != 0 || quicClients > clients - 2) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--quic-clients must be even and at most --clients - 2 (the rest connect over TLS)");
        }
        if (overrides.stream().anyMatch(o -> o.strip().startsWith("weight."))) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "the demo runs without Route53: weight.* settings cannot be changed here");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Presenter demo %s: starting ZooKeeper, %d chat servers and a presenter in this JVM...%n",
                ManifestVersion.of(DemoCommand.class), chatServers);
        out.flush();
        long startNanos = System.nanoTime();
        Demo demo = Demo.start(new Demo.Settings(port, adminPort, chatServers, overrides));
        Thread stop = new Thread(() -> stop(demo, out), "presenter-demo-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        boolean stayUp = false;
        try {
            printSetup(demo, out, (System.nanoTime() - startNanos) / 1e9);
            int tlsClients = clients - quicClients;
            out.printf("%nBurst: %d clients in %d couples (%d over TLS, %d over QUIC), %.0f msg/s for %s through the "
                    + "presenter...%n", clients, clients / 2, tlsClients, quicClients, rate, Durations.format(duration));
            out.flush();
            // Both at once, the message rate shared in proportion to the clients.
            CompletableFuture<Burst.Result> overTls = Burst.start(demo, false, tlsClients,
                    rate * tlsClients / clients, duration, quiet);
            CompletableFuture<Burst.Result> overQuic = quicClients == 0 ? null
                    : Burst.start(demo, true, quicClients, rate * quicClients / clients, duration, true);
            Burst.Result burst = overTls.get();
            Burst.Result quicBurst = overQuic == null ? null : overQuic.get();
            demo.awaitNoClients(Duration.ofSeconds(10));
            printSummary(demo, burst, quicBurst, out);
            boolean ok = burst.exactlyOnce() && (quicBurst == null || quicBurst.exactlyOnce());
            int code = ok ? EXIT_OK : EXIT_BURST_FAILED;
            if (code != EXIT_OK) {
                out.println();
                out.println("THE BURST FAILED: not every message reached its partner exactly once. The load harness said:");
                out.print(burst.harnessSummary());
                if (quicBurst != null) {
                    out.print(quicBurst.harnessSummary());
                }
            }
            if (exitAfterBurst) {
                return code;
            }
            out.printf("%nRunning until Ctrl-C (it stops everything and removes %s).%n", demo.dir());
            out.flush();
            stayUp = true;
            new CountDownLatch(1).await(); // the shutdown hook stops everything on Ctrl-C
            return code;
        } finally {
            if (!stayUp) {
                try {
                    Runtime.getRuntime().removeShutdownHook(stop);
                    stop(demo, out);
                } catch (IllegalStateException alreadyShuttingDown) {
                    // the hook is running or will run
                }
            }
        }
    }

    private static void stop(Demo demo, PrintWriter out) {
        out.println();
        out.println("Stopping: presenter, chat servers, ZooKeeper...");
        out.flush();
        demo.close();
        out.printf("Stopped; %s removed.%n", demo.dir());
        out.flush();
    }

    private void printSetup(Demo demo, PrintWriter out, double seconds) {
        for (String note : demo.notes()) {
            out.println("  note: " + note);
        }
        out.printf("Up in %.1f s:%n", seconds);
        out.printf("  ZooKeeper      %s (embedded)%n", demo.zooKeeper().connectString());
        for (Demo.Chat chat : demo.chats()) {
            out.printf("  chat server    %s  mux %s  direct TLS %s%n", chat.id(), hostPort(chat.server().muxAddress()),
                    hostPort(chat.server().directAddress()));
        }
        out.printf("  presenter      %s (TLS: self-signed ECDSA P-256 certificate; ring version %d, %d members)%n",
                hostPort(demo.presenterAddress()), demo.presenter().server().directory().ring().version(),
                demo.presenter().server().directory().ring().members().size());
        out.printf("  presenter QUIC udp %s (quic.enabled=true; ALPN presenter/1, same certificate)%n",
                hostPort(demo.quicAddress()));
        out.println("  weights        Route53 weight publishing is OFF (weight.enabled=false): nothing is published");
        out.printf("  files          %s (certificate, key, ticket keys, token keys)%n", demo.dir());
    }

    private void printSummary(Demo demo, Burst.Result b, Burst.Result quic, PrintWriter out) {
        InetSocketAddress presenter = demo.presenterAddress();
        out.println();
        out.println("Summary");
        out.printf("  connections      %d connected, %d failed%s; presenter: %d opened, closed %s%n",
                b.connected() + (quic == null ? 0 : quic.connected()),
                b.failed() + (quic == null ? 0 : quic.failed()), b.failures().isEmpty() ? "" : " " + b.failures(),
                demo.presenterCount(ClientMeters.CONNECTIONS_OPENED), closedByReason(demo));
        out.printf("  TLS handshakes   %d full, %d resumed (as the presenter counted them; the clients share one "
                        + "session cache)%n", demo.presenterCount(TlsMeters.HANDSHAKES, "result", "full"),
                demo.presenterCount(TlsMeters.HANDSHAKES, "result", "resumed"));
        out.printf("  messages         %d sent, %d delivered exactly once: duplicates %d, lost %d, reordered %d%s%n",
                b.sent(), b.delivered(), b.duplicates(), b.lost(), b.reordered(),
                b.exactlyOnce() ? "  OK" : "  FAILED");
        out.printf("  latency          p50 %s  p99 %s  max %s (sender -> presenter -> chat server -> presenter -> "
                + "partner, from the intended send time)%n", millis(b.p50Micros()), millis(b.p99Micros()),
                millis(b.maxMicros()));
        if (quic != null) {
            out.printf("  QUIC clients     %d connected, %d failed%s; %d sent, %d delivered exactly once: duplicates %d, "
                            + "lost %d, reordered %d%s; latency p50 %s p99 %s%n", quic.connected(), quic.failed(),
                    quic.failures().isEmpty() ? "" : " " + quic.failures(), quic.sent(), quic.delivered(),
                    quic.duplicates(), quic.lost(), quic.reordered(), quic.exactlyOnce() ? "  OK" : "  FAILED",
                    millis(quic.p50Micros()), millis(quic.p99Micros()));
            out.printf("  by transport     presenter sessions opened: tcp %d, quic %d (presenter_connections_opened_total"
                            + "{transport=...})%n",
                    demo.presenterCount(ClientMeters.CONNECTIONS_OPENED, ClientMeters.TRANSPORT, ClientMeters.TCP),
                    demo.presenterCount(ClientMeters.CONNECTIONS_OPENED, ClientMeters.TRANSPORT, ClientMeters.QUIC));
        }
        out.println("  chat servers     internal mux connections from the presenter, streams and messages each:");
        for (Demo.Chat chat : demo.chats()) {
            out.printf("    %-8s       %d mux connections, %d streams, %d messages%n", chat.id(),
                    demo.presenter().server().backends().openConnections(chat.id()), chat.streamsOpened(),
                    chat.messagesReceived());
        }
        out.printf("  (%d clients shared %d internal connections)%n", b.connected() + (quic == null ? 0 : quic.connected()),
                demo.presenter().server().backends().openConnections());
        out.println();
        out.printf("Metrics     %s   (also /health, /ready; POST /drain drains)%n", demo.metricsUrl());
        out.printf("Presenter   %s  (TLS; weight publishing off)%n", hostPort(presenter));
        out.println(exitAfterBurst ? "Connect your own client (run without --exit-after-burst to keep it up):"
                : "Connect your own client while it runs:");
        out.printf("  see the TLS:  openssl s_client -connect %s -CAfile %s%n", hostPort(presenter),
                demo.certificate().chain());
        out.printf("  chat:         %s chat --target %s --token-keys %s --ca %s --connections 20 --rate 50 "
                + "--duration PT30S%n", loadHarness(), hostPort(presenter), demo.tokenKeyFile(),
                demo.certificate().chain());
        out.printf("  chat (QUIC):  %s chat --transport quic --target %s --token-keys %s --ca %s --connections 20 "
                + "--rate 50 --duration PT30S%n", loadHarness(), hostPort(demo.quicAddress()), demo.tokenKeyFile(),
                demo.certificate().chain());
        out.printf("  your own:     speak the client protocol (README, \"The client protocol\"): TLS, then a framed "
                + "AuthPacket whose token is signed with key '%s' from %s%n", Demo.TOKEN_KEY_ID, demo.tokenKeyFile());
        out.flush();
    }

    /**
     * How to start the load harness from here: its own jar when run from the repository root, else
     * this jar, which carries it.
     */
    static String loadHarness() {
        if (Files.isRegularFile(Path.of("loadtest", "target", "loadtest.jar"))) {
            return "java -jar loadtest/target/loadtest.jar";
        }
        try {
            Path self = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(self)) {
                return "java -cp " + self + " " + LoadTestCommand.class.getName();
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the build's path
        }
        return "java -jar loadtest/target/loadtest.jar";
    }

    private static String closedByReason(Demo demo) {
        Map<String, Long> byReason = new TreeMap<>();
        for (Counter c : demo.presenter().registry().find(ClientMeters.CONNECTIONS_CLOSED).counters()) {
            if (c.count() > 0) {
                byReason.merge(c.getId().getTag("reason"), (long) c.count(), Long::sum);
            }
        }
        return byReason.isEmpty() ? "none" : byReason.toString();
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    static String millis(long micros) {
        return String.format(Locale.ROOT, micros < 10_000 ? "%.2f ms" : "%.1f ms", micros / 1000.0);
    }
}
