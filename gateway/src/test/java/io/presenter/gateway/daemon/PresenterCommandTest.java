package io.presenter.gateway.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code presenter check-config} in-process, and {@code presenter run} as a real process stopped by SIGTERM. */
class PresenterCommandTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TokenSigner signer = new TokenSigner(TokenKeys.of("k1", Map.of("k1", new byte[32])), Clock.systemUTC());

    @TempDir
    Path dir;

    @Test
    void checkConfigAcceptsAGoodFileAndListsEveryProblemOfABadOne() throws Exception {
        Path good = Files.writeString(dir.resolve("good.yaml"), "tls:\n  certificates:\n    - chain: "
                + TestTls.certificatePem() + "\n      key: " + TestTls.privateKeyPem()
                + "\nzookeeper:\n  connect: zk1:2181\n");
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "listen:\n  port: 99999\ntls:\n  engine: rot13\n");

        Result ok = execute("check-config", "-c", good.toString());
        Result failed = execute("check-config", "-c", bad.toString(), "--set", "limits.max-connections=0");

        assertThat(ok.code).isZero();
        assertThat(ok.out).contains("config OK", "zk1:2181");
        assertThat(failed.code).isEqualTo(PresenterCommand.CONFIG_ERROR);
        assertThat(failed.err).contains("listen.port", "limits.max-connections (--set)", "tls.certificates is required",
                "zookeeper.connect is required");
    }

    @Test
    void configReferencePrintsTheExampleFile() throws Exception {
        Result reference = execute("config-reference");

        assertThat(reference.code).isZero();
        assertThat(reference.out).isEqualTo(Files.readString(Path.of("..", "deploy", "presenter.example.yaml")));
    }

    @Test
    void sigtermDrainsTheRunningPresenterWhichExitsZeroOnceItsClientsHaveLeft() throws Exception {
        int adminPort = freePort();
        try (TestingServer zooKeeper = new TestingServer(true);
             ChatServer chatServer = ChatServer.start(ChatServerConfig.loopback("chat-1")
                     .withZooKeeper(ZooKeeperConfig.of(zooKeeper.getConnectString())),
                     TestTls.server(), auth -> AuthStatus.OK, new SimpleMeterRegistry())) {
            int clientPort = freePort();
            Process presenter = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    // The daemon's own logging config: the test classpath also holds the load harness's quiet one.
                    "-Dlogback.configurationFile=" + Path.of("target", "classes", "logback.xml").toAbsolutePath(),
                    "-cp", System.getProperty("java.class.path"), PresenterCommand.class.getName(), "run",
                    "--set", "listen.address=127.0.0.1", "--set", "listen.port=" + clientPort,
                    "--set", "admin.port=" + adminPort, "--set", "drain.quiet-period=500ms",
                    "--set", "tls.certificates=" + TestTls.certificatePem() + ":" + TestTls.privateKeyPem(),
                    "--set", "zookeeper.connect=" + zooKeeper.getConnectString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("presenter.log").toFile()).start();
            EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            try {
                Await.until(WAIT, () -> status(adminPort, "/ready") == 200, () -> log());
                List<TestChatClient> couple = new ArrayList<>();
                for (long user = 1; user <= 2; user++) {
                    TestChatClient client = TestChatClient.connect(loops, new InetSocketAddress("127.0.0.1", clientPort),
                            TestTls.client());
                    couple.add(client);
                    assertThat(client.authenticate(TestChatClient.authPacket(user, 7, signer.sign(user, 7, Duration.ofHours(1)))))
                            .as(log()).isEqualTo(AuthStatus.OK);
                }

                presenter.destroy();  // SIGTERM
                Await.until(WAIT, () -> body(adminPort, "/drain").contains("DRAINING"), () -> log());
                couple.get(0).sendMessage(1, "after SIGTERM");
                assertThat(couple.get(1).next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId())
                        .isEqualTo(1);
                assertThat(presenter.isAlive()).as("clients are still connected").isTrue();

                couple.forEach(TestChatClient::close);
                assertThat(presenter.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exited").isTrue();
                assertThat(presenter.exitValue()).as(log()).isZero();
                assertThat(log()).contains("SIGTERM: draining", "DRAINING -> DRAINED");
            } finally {
                presenter.destroyForcibly();
                loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("presenter.log"));
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static int status(int port, String path) {
        try {
            return request(port, path).statusCode();
        } catch (Exception e) {
            return -1;  // not listening yet
        }
    }

    private static String body(int port, String path) {
        try {
            return request(port, path).body();
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static HttpResponse<String> request(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private record Result(int code, String out, String err) {}

    private static Result execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = PresenterCommand.commandLine();
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        int code = command.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
