package io.presenter.gateway.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.presenter.gateway.PresenterCluster;
import io.presenter.loadtest.LoadTestCommand;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import picocli.CommandLine;

/**
 * The load harness run in this JVM through its command line, as a user runs it, against a
 * presenter of a {@link PresenterCluster} (tokens signed with the cluster's key): its exit code
 * and its JSON report.
 */
record LoadTestRun(int exitCode, JsonNode report) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Each run its own couples: the chat-server stub remembers a sender's recent clientMessageIds
     * while its couple lives, and every run numbers its messages from 0 again.
     */
    private static final java.util.concurrent.atomic.AtomicLong NEXT_COUPLES = new java.util.concurrent.atomic.AtomicLong(1_000_000);

    /** The cluster's token key {@code k1} as a harness key file in {@code dir}. */
    static Path tokenKeyFile(Path dir) throws IOException {
        Path file = dir.resolve("tokens.keys");
        Files.writeString(file, "k1 = " + Base64.getEncoder().encodeToString(
                PresenterCluster.TOKEN_SECRET.getBytes(StandardCharsets.US_ASCII)) + "\nsigning = k1\n");
        return file;
    }

    /** Runs {@code scenario} against {@code target} with {@code args} after the common ones; bounded by its own options. */
    static LoadTestRun run(Path dir, String scenario, InetSocketAddress target, String... args) throws IOException {
        Path out = dir.resolve(scenario + "-" + System.nanoTime() + ".json");
        List<String> all = new ArrayList<>(List.of(scenario, "--quiet",
                "--target", target.getHostString() + ":" + target.getPort(),
                "--token-keys", tokenKeyFile(dir).toString(),
                "--event-loops", "1",
                "--couple-offset", Long.toString(NEXT_COUPLES.getAndAdd(100_000)),
                "--out", out.toString()));
        all.addAll(List.of(args));
        int code = new CommandLine(new LoadTestCommand()).execute(all.toArray(String[]::new));
        if (!Files.exists(out)) {
            throw new AssertionError("the harness wrote no report (exit code " + code + ") for " + all);
        }
        return new LoadTestRun(code, JSON.readTree(out.toFile()));
    }

    /** A whole number at {@code pointer} (e.g. {@code /messages/lost}); fails if it is missing. */
    long number(String pointer) {
        JsonNode n = report.at(pointer);
        if (!n.canConvertToExactIntegral()) {
            throw new AssertionError("no whole number at " + pointer + " in " + report);
        }
        return n.asLong();
    }

    String text(String pointer) {
        return report.at(pointer).asText();
    }
}
