package io.presenter.demo;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.presenter.loadtest.LoadTestCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;

/**
 * A burst of real clients chatting in couples through the presenter, over TLS or over QUIC: the
 * load harness's {@code chat} scenario, driven through its command line exactly as a user would run
 * it, its JSON result read back. Bursts over both transports run at the same time, through the
 * same presenter to the same chat servers.
 */
final class Burst {

    /**
     * What the harness measured.
     *
     * @param exitCode the harness's exit code: 0 when every client connected and every message
     *     reached its partner exactly once and in order
     * @param latencyMicros delivery latency from the intended send time: p50, p99, max
     */
    record Result(int exitCode, long connected, long failed, Map<String, Object> failures, long clientFull,
            long clientResumed, long sent, long delivered, long duplicates, long lost, long reordered,
            long wrongSender, long p50Micros, long p99Micros, long maxMicros, Map<String, Object> errors,
            String harnessSummary) {

        boolean exactlyOnce() {
            return exitCode == 0 && delivered == sent && duplicates == 0 && lost == 0 && reordered == 0
                    && wrongSender == 0;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private Burst() {}

    /**
     * Runs the burst and returns its result. The harness's own summary (it prints to
     * {@code System.out}) is captured into {@link Result#harnessSummary()}; its progress line goes
     * to {@code System.err} unless {@code quiet}.
     */
    static Result run(Demo demo, int clients, double rate, Duration duration, boolean quiet) throws Exception {
        return start(demo, false, clients, rate, duration, quiet).get();
    }

    /**
     * Starts a burst on its own thread: over QUIC ({@code quic}) to the presenter's UDP listener
     * with its own couples, else over TLS. Only one burst should show progress ({@code quiet}
     * false): both would write the same line.
     */
    static CompletableFuture<Result> start(Demo demo, boolean quic, int clients, double rate,
            Duration duration, boolean quiet) {
        InetSocketAddress target = quic ? demo.quicAddress() : demo.presenterAddress();
        Path out = demo.dir().resolve(quic ? "burst-quic.json" : "burst.json");
        List<String> args = new ArrayList<>(List.of("chat",
                "--transport", quic ? "quic" : "tcp",
                // The QUIC couples are not the TLS ones: each client is in one couple of one burst.
                "--couple-offset", quic ? "2000000" : "1000000",
                "--target", "127.0.0.1:" + target.getPort(),
                "--token-keys", demo.tokenKeyFile().toString(),
                "--ca", demo.certificate().chain().toString(),
                "--connections", Integer.toString(clients),
                "--connect-rate", Double.toString(Math.max(500, clients * 2.0)),
                "--rate", Double.toString(rate),
                "--duration", duration.toString(),
                "--out", out.toString()));
        if (quiet) {
            args.add("--quiet");
        }
        ByteArrayOutputStream harnessOut = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        CommandLine cli;
        // The harness prints its summary to the System.out it found when its command objects were
        // made: make them while System.out is this burst's buffer, so bursts running together keep
        // their summaries apart.
        synchronized (Burst.class) {
            System.setOut(new PrintStream(harnessOut, true, StandardCharsets.UTF_8));
            try {
                cli = new CommandLine(new LoadTestCommand());
            } finally {
                System.setOut(stdout);
            }
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                int code = cli.execute(args.toArray(String[]::new));
                result.complete(read(out, code, harnessOut.toString(StandardCharsets.UTF_8)));
            } catch (Exception | Error e) {
                result.completeExceptionally(e);
            }
        }, quic ? "demo-burst-quic" : "demo-burst-tls");
        t.setDaemon(true);
        t.start();
        return result;
    }

    private static Result read(Path out, int code, String summary) throws java.io.IOException {
        if (!Files.exists(out)) {
            throw new IllegalStateException("the load harness wrote no result (exit code " + code + "):\n" + summary);
        }
        JsonNode report = JSON.readTree(out.toFile());
        Files.delete(out);
        JsonNode connect = report.required("connect");
        JsonNode handshakes = connect.required("handshakes");
        JsonNode messages = report.required("messages");
        JsonNode latency = report.requiredAt("/latency_us/delivery_from_intended_send");
        return new Result(code, number(connect, "succeeded"), number(connect, "failed"),
                map(connect.required("failures")), number(handshakes, "full"), number(handshakes, "resumed"),
                number(messages, "sent"), number(messages, "delivered"), number(messages, "duplicates"),
                number(messages, "lost"), number(messages, "reordered"), number(messages, "wrong_sender"),
                number(latency, "p50"), number(latency, "p99"), number(latency, "max"),
                map(report.required("errors")), summary);
    }

    /** A field the harness always writes as a whole number; anything else means the report changed shape. */
    private static long number(JsonNode object, String field) {
        JsonNode n = object.required(field);
        if (!n.canConvertToExactIntegral()) {
            throw new IllegalArgumentException("'" + field + "' is not a whole number in the load harness's result: " + n);
        }
        return n.asLong();
    }

    private static Map<String, Object> map(JsonNode object) {
        return JSON.convertValue(object, new TypeReference<Map<String, Object>>() {});
    }
}
