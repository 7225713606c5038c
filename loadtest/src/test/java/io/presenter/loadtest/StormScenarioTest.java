package io.presenter.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.testing.Await;
import io.presenter.testing.TestTls;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The reconnect storm against a real in-process chat-server stub over real TLS on loopback. */
class StormScenarioTest {

    @TempDir
    Path dir;

    private static ChatServer start(int port) throws Exception {
        ChatServerConfig b = ChatServerConfig.loopback("chat-storm");
        return ChatServer.start(new ChatServerConfig(b.serverId(), b.bindHost(), b.advertisedHost(), port, 0,
                        1, b.maxPacketLength(), b.limits(), b.weight(), null, b.moveSpread(), b.drainTimeout()),
                TestTls.server(), auth -> AuthStatus.OK, new SimpleMeterRegistry());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aClientSideDropComesBackResumedWithResumptionAndFullWithout() throws Exception {
        try (ChatServer server = start(0)) {
            String target = "127.0.0.1:" + server.directAddress().getPort();
            CliRun resumed = CliRun.run(dir, target, "storm", "--connections", "20", "--connect-rate", "200",
                    "--hold", "PT0.2S", "--backoff-min", "PT0.05S", "--backoff-max", "PT0.5S", "--resume", "true",
                    "--deadline", "PT20S", "--quiet");
            CliRun fresh = CliRun.run(dir, target, "storm", "--connections", "20", "--connect-rate", "200",
                    "--hold", "PT0.2S", "--backoff-min", "PT0.05S", "--backoff-max", "PT0.5S", "--resume", "false",
                    "--deadline", "PT20S", "--quiet", "--target-fraction", "0.5");

            for (CliRun run : new CliRun[] {resumed, fresh}) {
                assertThat(run.exitCode()).as(run.stdout()).isZero();
                Map<String, Object> storm = run.section("storm");
                assertThat(storm).containsEntry("connected_before", 20L).containsEntry("dropped", 20L)
                        .containsEntry("back", 20L).containsEntry("gave_up", 0L);
                double toTarget = ((Number) storm.get("time_to_target_ms")).doubleValue();
                double toAll = ((Number) storm.get("time_to_all_ms")).doubleValue();
                // nobody reconnects before the shortest backoff
                assertThat(toTarget).isGreaterThanOrEqualTo(50).isLessThanOrEqualTo(toAll);
                assertThat(run.json()).contains("\"scenario\": \"storm\"", "\"recovery_from_drop\"", "\"time_to_all_ms\"");
            }
            Map<String, Object> withResumption = (Map<String, Object>) resumed.section("storm").get("handshakes");
            assertThat((Long) withResumption.get("resumed")).as("%s", withResumption).isPositive();
            assertThat((Map<String, Object>) fresh.section("storm").get("handshakes"))
                    .containsEntry("full", 20L).containsEntry("resumed", 0L);
            assertThat(resumed.stdout()).contains("dropped 20, back 20");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aServerThatGoesAwayIsDetectedAndClientsRetryUntilItIsBack() throws Exception {
        AtomicReference<ChatServer> server = new AtomicReference<>(start(0));
        int port = server.get().directAddress().getPort();
        try {
            CommandLine cli = new CommandLine(new LoadTestCommand());
            Scenario scenario = CliRun.prepare(cli, "storm", new ByteArrayOutputStream(), new ByteArrayOutputStream());
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> cli.execute("storm",
                    "--target", "127.0.0.1:" + port, "--event-loops", "1", "--connections", "10",
                    "--connect-rate", "200", "--drop", "server", "--drop-wait", "PT30S", "--backoff-min", "PT0.05S",
                    "--backoff-max", "PT0.2S", "--deadline", "PT30S", "--settle", "PT0.5S",
                    "--connect-timeout", "PT2S", "--quiet"));
            Await.until(Duration.ofSeconds(30), () -> scenario.phase.startsWith("waiting")
                    && scenario.openConnections.get() == 10, () -> "10 clients up, phase " + scenario.phase);

            server.get().close(); // the "kill": every client loses its connection
            Await.until(Duration.ofSeconds(10), () -> scenario.openConnections.get() == 0, () -> "all dropped");
            // Back on the same port; clients that tried meanwhile were refused and backed off.
            Await.until(Duration.ofSeconds(10), () -> {
                try {
                    server.set(start(port));
                    return true;
                } catch (Exception e) {
                    return false;
                }
            }, () -> "restart on port " + port);

            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            Map<String, Object> storm = (Map<String, Object>) scenario.report.get("storm");
            assertThat(storm).containsEntry("drop", "server").containsEntry("dropped", 10L).containsEntry("back", 10L);
            assertThat(storm.get("time_to_all_ms")).isNotNull();
        } finally {
            server.get().close();
        }
    }
}
