package io.presenter.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The demo as a newcomer runs it, in this JVM: {@code --exit-after-burst} with a small burst, on a
 * busy preferred port. Everything it starts must stop and its files must be gone; leaked buffers
 * fail the class (LeakCheckExtension).
 */
class DemoCommandTest {

    private static final Duration BOUND = Duration.ofSeconds(120);

    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = DemoCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = assertTimeoutPreemptively(BOUND, () -> cli.execute(args));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aBurstThroughThePresenterDeliversEveryMessageExactlyOnceThenEverythingStops() throws Exception {
        Run run;
        int busyPort;
        // The preferred port is taken: the demo says so and takes a free one.
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            busyPort = busy.getLocalPort();
            run = run("--exit-after-burst", "--clients", "20", "--rate", "100", "--duration", "2s",
                    "--port", Integer.toString(busyPort), "--admin-port", "0", "--quiet");
        }

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains(
                "presenter port " + busyPort + " is busy: using a free port instead",
                "Route53 weight publishing is OFF",
                "20 connected, 0 failed",
                "(16 over TLS, 4 over QUIC)",
                "160 sent, 160 delivered exactly once: duplicates 0, lost 0, reordered 0  OK",
                // The QUIC clients chatted at the same time, and the presenter counted them as QUIC sessions.
                "QUIC clients     4 connected, 0 failed; 40 sent, 40 delivered exactly once: duplicates 0, lost 0, "
                        + "reordered 0  OK",
                "presenter sessions opened: tcp 16, quic 4",
                "closed {client_closed=20}",
                "chat-1", "chat-2", "chat-3",
                "(20 clients shared 6 internal connections)");
        Matcher handshakes = Pattern.compile("TLS handshakes +(\\d+) full, (\\d+) resumed").matcher(run.out());
        assertThat(handshakes.find()).as(run.out()).isTrue();
        assertThat(Long.parseLong(handshakes.group(1)) + Long.parseLong(handshakes.group(2))).as("TLS clients only")
                .isEqualTo(16);
        assertThat(run.out()).containsPattern("presenter QUIC udp 127\\.0\\.0\\.1:\\d+")
                .containsPattern("chat --transport quic --target 127\\.0\\.0\\.1:\\d+");
        Matcher latency = Pattern.compile("latency +p50 ([\\d.]+) ms +p99 ([\\d.]+) ms +max ([\\d.]+) ms")
                .matcher(run.out());
        assertThat(latency.find()).as(run.out()).isTrue();
        assertThat(Double.parseDouble(latency.group(3))).isGreaterThanOrEqualTo(Double.parseDouble(latency.group(1)));
        Matcher metrics = Pattern.compile("Metrics +http://127\\.0\\.0\\.1:(\\d+)/metrics").matcher(run.out());
        assertThat(metrics.find()).as(run.out()).isTrue();
        Matcher presenter = Pattern.compile("Presenter +127\\.0\\.0\\.1:(\\d+)").matcher(run.out());
        assertThat(presenter.find()).as(run.out()).isTrue();
        assertThat(Integer.parseInt(presenter.group(1))).isNotEqualTo(busyPort).isPositive();

        Matcher files = Pattern.compile("files +(\\S+) ").matcher(run.out());
        assertThat(files.find()).as(run.out()).isTrue();
        assertThat(Path.of(files.group(1))).as("the temporary directory is removed").doesNotExist();
        assertThat(run.out()).contains("Stopped; " + files.group(1) + " removed.");
        // Everything it listened on is closed again.
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(presenter.group(1))));
        }
        assertThat(Files.exists(Path.of(files.group(1)))).isFalse();
    }

    @Test
    void aBadCommandLineIsRefusedBeforeAnythingStarts() {
        Run odd = run("--clients", "3", "--exit-after-burst");
        assertThat(odd.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(odd.err()).contains("--clients must be even");
        assertThat(odd.out()).doesNotContain("starting ZooKeeper");

        Run weights = run("--set", "weight.enabled=true", "--exit-after-burst");
        assertThat(weights.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(weights.err()).contains("the demo runs without Route53");

        Run duration = run("--duration", "ten", "--exit-after-burst");
        assertThat(duration.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(duration.err()).contains("Invalid value for option '--duration'", "got 'ten'");
    }

    @Test
    void helpAndVersion() {
        Run help = run("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--clients", "--quic-clients", "--rate", "--duration", "--exit-after-burst", "--port",
                "--admin-port", "Route53 weight publishing is off");
        Run version = run("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).startsWith("presenter-demo ");
    }

    @Test
    void latencyIsShownInMilliseconds() {
        assertThat(DemoCommand.millis(460)).isEqualTo("0.46 ms");
        assertThat(DemoCommand.millis(63_600)).isEqualTo("63.6 ms");
    }
}
