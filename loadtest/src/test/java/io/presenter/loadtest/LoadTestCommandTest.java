package io.presenter.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.testing.TestTls;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI end to end: real BoringSSL clients against a real in-process chat-server stub (direct
 * TLS port, accept-all authenticator) on loopback. Small and bounded: tens of connections, seconds.
 */
class LoadTestCommandTest {

    private static final Duration BOUND = Duration.ofSeconds(60);

    @RegisterExtension
    static final LoopbackChatServer chat = new LoopbackChatServer("chat-1");

    @TempDir
    Path dir;

    private CliRun run(String subcommand, String... args) throws Exception {
        return CliRun.run(dir, chat.target(), subcommand, args);
    }

    @Test
    @SuppressWarnings("unchecked")
    void connectRampsAuthenticatesAndReportsPercentilesAndServerCost() throws Exception {
        long pid = ProcessHandle.current().pid(); // the stub runs in this JVM
        CliRun run = run("connect", "--connections", "50", "--connect-rate", "200", "--hold", "500ms",
                "--server-pid", Long.toString(pid));

        assertThat(run.exitCode()).as(run.stdout()).isZero();
        Map<String, Object> result = (Map<String, Object>) run.scenario().report.get("result");
        assertThat(result).containsEntry("attempted", 50).containsEntry("succeeded", 50L).containsEntry("failed", 0L);
        Map<String, Object> handshakes = (Map<String, Object>) result.get("handshakes");
        assertThat((Long) handshakes.get("full") + (Long) handshakes.get("resumed") + (Long) handshakes.get("unknown"))
                .isEqualTo(50);
        Map<String, Object> latency = (Map<String, Object>) result.get("latency_us");
        for (String phase : List.of("tcp_connect", "tls_handshake", "auth")) {
            Map<String, Object> p = (Map<String, Object>) latency.get(phase);
            assertThat(p).containsKeys("p50", "p90", "p99", "p99_9", "max").containsEntry("count", 50L);
            assertThat((Long) p.get("max")).isGreaterThanOrEqualTo((Long) p.get("p50")).isGreaterThanOrEqualTo(0);
        }
        Map<String, Object> serverCost = (Map<String, Object>) ((Map<String, Object>) result.get("server")).get("ramp");
        assertThat(serverCost).containsKeys("cpu_us", "cpu_us_per_handshake", "rss_delta_bytes_per_handshake");
        assertThat(run.json()).contains("\"scenario\": \"connect\"", "\"succeeded\": 50", "\"failed\": 0",
                "\"tls_handshake\"", "\"p99_9\"", "\"errors\": {}");
        assertThat(run.stdout()).contains("50 ok, 0 failed");
    }

    /**
     * Issue 16: {@code --nagle} clients keep Nagle's algorithm on and write the auth packet after
     * the handshake; every session still authenticates, and the report carries the setting and
     * the connect-to-first-answer latency, which covers the three phases.
     */
    @Test
    @SuppressWarnings("unchecked")
    void nagleClientsAuthenticateAndConnectToAnswerIsReported() throws Exception {
        CliRun run = run("connect", "--connections", "20", "--connect-rate", "200", "--hold", "0s", "--nagle");

        assertThat(run.exitCode()).as(run.stdout()).isZero();
        assertThat((Map<String, Object>) run.scenario().report.get("parameters")).containsEntry("nagle", true);
        Map<String, Object> result = (Map<String, Object>) run.scenario().report.get("result");
        assertThat(result).containsEntry("succeeded", 20L);
        Map<String, Object> latency = (Map<String, Object>) result.get("latency_us");
        Map<String, Object> setup = (Map<String, Object>) latency.get("connect_to_answer");
        assertThat(setup).containsEntry("count", 20L);
        long phases = (Long) ((Map<String, Object>) latency.get("tls_handshake")).get("p50")
                + (Long) ((Map<String, Object>) latency.get("auth")).get("p50");
        assertThat((Long) setup.get("max")).isGreaterThanOrEqualTo((Long) setup.get("p50"));
        assertThat((Long) setup.get("p50")).as("connect to answer spans handshake and auth").isPositive();
        assertThat(phases).isPositive();
        assertThat(run.stdout()).contains("connect->answer");
    }

    @Test
    @SuppressWarnings("unchecked")
    void chatDeliversEveryMessageExactlyOnceInOrder() throws Exception {
        CliRun run = run("chat", "--connections", "20", "--rate", "200", "--duration", "PT2S", "--connect-rate", "500");

        assertThat(run.exitCode()).as(run.stdout()).isZero();
        Map<String, Object> messages = (Map<String, Object>) run.scenario().report.get("messages");
        assertThat(messages).containsEntry("sent", 400L).containsEntry("delivered", 400L)
                .containsEntry("lost", 0L).containsEntry("duplicates", 0L).containsEntry("reordered", 0L)
                .containsEntry("wrong_sender", 0L).containsEntry("sequence_regressions", 0L);
        Map<String, Object> latency = (Map<String, Object>) ((Map<String, Object>) run.scenario().report
                .get("latency_us")).get("delivery_from_intended_send");
        assertThat(latency).containsEntry("count", 400L);
        for (String p : List.of("p50", "p90", "p99", "p99_9", "max")) {
            assertThat((Long) latency.get(p)).as(p).isGreaterThanOrEqualTo(0);
        }
        assertThat(run.json()).contains("\"scenario\": \"chat\"", "\"lost\": 0", "\"delivery_from_intended_send\"");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aClosedPortIsReportedByReasonWithANonZeroExit() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        CommandLine cli = new CommandLine(new LoadTestCommand());
        ConnectScenario scenario = (ConnectScenario) cli.getSubcommands().get("connect").getCommand();
        scenario.summaryOut = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        int code = assertTimeoutPreemptively(BOUND, () -> cli.execute("connect", "--target", "127.0.0.1:" + closedPort,
                "--connections", "5", "--connect-rate", "100", "--hold", "PT0S", "--connect-timeout", "PT2S", "--quiet"));

        assertThat(code).isEqualTo(Scenario.EXIT_FAILURES);
        Map<String, Object> result = (Map<String, Object>) scenario.report.get("result");
        assertThat(result).containsEntry("succeeded", 0L).containsEntry("failed", 5L);
        assertThat((Map<String, Long>) result.get("failures")).containsEntry("connect_refused", 5L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aPeerThatDoesNotSpeakTlsIsAHandshakeFailure() throws Exception {
        // The stub's mux port is plain TCP: it reads the ClientHello as a bad mux frame and hangs up.
        CliRun run = CliRun.run(dir, "127.0.0.1:" + chat.server().muxAddress().getPort(), "connect", "--connections", "3",
                "--hold", "PT0S", "--quiet");

        assertThat(run.exitCode()).isEqualTo(Scenario.EXIT_FAILURES);
        Map<String, Object> result = (Map<String, Object>) run.scenario().report.get("result");
        assertThat((Map<String, Long>) result.get("failures")).containsOnlyKeys("handshake_failed")
                .containsEntry("handshake_failed", 3L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void connectionsSpreadOverSeveralLoopbackSourceAddressesAfterAnUnreportedWarmup() throws Exception {
        CliRun run = run("connect", "--connections", "6", "--hold", "PT0S", "--source-addresses", "127.0.0.1-127.0.0.3",
                "--warmup-connections", "4", "--quiet");

        assertThat(run.exitCode()).as(run.stdout()).isZero();
        assertThat((Map<String, Object>) run.scenario().report.get("result")).containsEntry("succeeded", 6L)
                .containsEntry("attempted", 6);
        assertThat((Map<String, Object>) run.scenario().report.get("warmup")).containsEntry("succeeded", 4L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSecondWaveResumesTlsSessionsFromTheSharedCacheAndOffMeansFull() throws Exception {
        CliRun shared = run("connect", "--connections", "10", "--hold", "PT0S", "--waves", "2", "--quiet");
        CliRun off = run("connect", "--connections", "10", "--hold", "PT0S", "--waves", "2", "--resumption", "OFF",
                "--quiet");

        assertThat(shared.exitCode()).isZero();
        List<Map<String, Object>> waves = (List<Map<String, Object>>) shared.scenario().report.get("waves");
        Map<String, Object> second = (Map<String, Object>) waves.get(1).get("handshakes");
        assertThat((Long) second.get("resumed")).as("wave 2 %s", second).isPositive();
        for (Map<String, Object> wave : (List<Map<String, Object>>) off.scenario().report.get("waves")) {
            assertThat((Map<String, Object>) wave.get("handshakes")).containsEntry("full", 10L)
                    .containsEntry("resumed", 0L);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void signedTokensAreAcceptedAndAWrongKeyIsReportedAsAnAuthStatus() throws Exception {
        Path good = dir.resolve("good.keys");
        Path wrong = dir.resolve("wrong.keys");
        Files.writeString(good, "k1 = " + java.util.Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        byte[] other = new byte[32];
        other[0] = 1;
        Files.writeString(wrong, "k1 = " + java.util.Base64.getEncoder().encodeToString(other) + "\n");
        TokenVerifier verifier = new TokenVerifier(TokenKeys.load(good), Clock.systemUTC(),
                TokenVerifier.DEFAULT_ALLOWED_SKEW);
        try (LoopbackChatServer verifying = new LoopbackChatServer("chat-2",
                auth -> verifier.verify(auth).toAuthStatus()).start()) {
            CliRun ok = CliRun.run(dir, verifying.target(), "connect", "--token-keys", good.toString(),
                    "--connections", "4", "--hold", "0s", "--quiet");
            CliRun bad = CliRun.run(dir, verifying.target(), "connect", "--token-keys", wrong.toString(),
                    "--connections", "4", "--hold", "0s", "--quiet");

            assertThat(ok.exitCode()).isZero();
            assertThat(bad.exitCode()).isEqualTo(Scenario.EXIT_FAILURES);
            Map<String, Object> result = (Map<String, Object>) bad.scenario().report.get("result");
            assertThat((Map<String, Long>) result.get("failures")).containsEntry("auth_bad_signature", 4L);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void withCaACertificateThatDoesNotNameTheTargetIsReportedAsSuchWithTheReason() throws Exception {
        String ca = TestTls.certificatePem().getPath(); // self-signed for the name "localhost"
        CliRun byAddress = run("connect", "--ca", ca, "--connections", "2", "--hold", "0s", "--quiet");

        assertThat(byAddress.exitCode()).as(byAddress.stdout()).isEqualTo(Scenario.EXIT_FAILURES);
        assertThat((Map<String, Long>) byAddress.section("result").get("failures"))
                .containsOnlyKeys("certificate_rejected");
        String why = ((Map<String, String>) byAddress.scenario().report.get("failure_details")).get("certificate_rejected");
        assertThat(why).as("the trust manager's own words").containsIgnoringCase("subject alternative name");
        assertThat(byAddress.stdout()).contains("certificate_rejected: " + why);

        CliRun byName = CliRun.run(dir, "localhost:" + chat.server().directAddress().getPort(), "connect",
                "--ca", ca, "--connections", "2", "--hold", "0s", "--quiet");
        assertThat(byName.exitCode()).as(byName.stdout()).isZero();
    }

    @Test
    void everyCommandHasHelpAndVersion() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"--version"},
                new String[] {"connect", "--help"}, new String[] {"chat", "--help"},
                new String[] {"storm", "--help"}, new String[] {"soak", "--help"})) {
            CommandLine cli = new CommandLine(new LoadTestCommand());
            cli.setOut(new java.io.PrintWriter(new ByteArrayOutputStream()));
            assertThat(cli.execute(args)).as(String.join(" ", args)).isZero();
        }
    }

    @Test
    void quicOnlyAndTcpOnlyOptionsAreRefusedOnTheOtherTransport() {
        for (String[] args : List.of(
                new String[] {"chat", "--rebind-after", "1s"},  // a NAT rebinding is a QUIC thing
                new String[] {"chat", "--transport", "quic", "--rebind-after", "10s", "--duration", "10s"},
                new String[] {"connect", "--transport", "quic", "--tcp-fast-open"},
                new String[] {"connect", "--transport", "quic", "--nagle"},
                new String[] {"connect", "--transport", "udp"})) {
            CommandLine cli = new CommandLine(new LoadTestCommand());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            cli.setErr(new java.io.PrintWriter(err, true));
            assertThat(cli.execute(args)).as(String.join(" ", args)).isEqualTo(CommandLine.ExitCode.USAGE);
        }
    }
}
