package io.presenter.chat.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ChatServerCommandTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new ChatServerCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(out));
        int code = cli.execute(args);
        return code + ":" + out;
    }

    @Test
    void helpAndVersionAndUsageErrors() {
        assertThat(run("--help")).startsWith("0:").contains("--zookeeper", "--token-keys", "--move-spread");
        assertThat(run("--version")).startsWith("0:").contains("chat-server ");
        assertThat(run("--id", "chat-1")).startsWith("2:").contains("Missing required options");
    }

    @Test
    void zooKeeperCredentialsAclIdsAndThePresenterNamePrefixComeFromTheOptions() throws Exception {
        Path digest = Files.writeString(dir.resolve("zk.digest"), "chat:chat-secret\n");
        ChatServerCommand command = new ChatServerCommand();
        new CommandLine(command).parseArgs("--id", "chat-1", "--cert", "c.pem", "--key", "k.pem", "--token-keys", "t.keys",
                "--zk-digest-file", digest.toString(), "--zk-acl-presenter-id", "presenter:P",
                "--zk-acl-chat-server-id", "chat:C", "--mux-tls-presenter-uri-prefix", "spiffe://chat.test/presenter/",
                "--mux-tls-cert", TestTls.certificatePem().toString(), "--mux-tls-key", TestTls.privateKeyPem().toString(),
                "--mux-tls-ca", TestTls.certificatePem().toString());

        io.presenter.ring.ZooKeeperAuth auth = command.zooKeeperAuth();
        assertThat(auth.digestUser()).isEqualTo("chat");
        assertThat(auth.acl()).isEqualTo(new io.presenter.ring.FleetAcl("presenter:P", "chat:C"));
        assertThat(command.muxTls().peerNames().prefix()).isEqualTo("spiffe://chat.test/presenter/");

        ChatServerCommand plain = new ChatServerCommand();
        new CommandLine(plain).parseArgs("--id", "chat-1", "--cert", "c.pem", "--key", "k.pem", "--token-keys", "t.keys");
        assertThat(plain.zooKeeperAuth().hasCredentials()).isFalse();
        assertThat(plain.zooKeeperAuth().acl().enabled()).isFalse();
    }

    @Test
    void startsFromPemFilesAndAKeyFileAndVerifiesRealTokens() throws Exception {
        Path keyFile = dir.resolve("tokens.keys");
        Files.writeString(keyFile, "k1 = " + Base64.getEncoder().encodeToString(SECRET) + "\n");
        ChatServerCommand command = new ChatServerCommand();
        new CommandLine(command).parseArgs("--id", "chat-cli", "--direct-port", "0", "--mux-port", "0", "--admin-port", "0", "--drain-timeout", "PT1S",
                "--cert", TestTls.certificatePem().getPath(), "--key", TestTls.privateKeyPem().getPath(),
                "--token-keys", keyFile.toString());
        TokenSigner signer = new TokenSigner(TokenKeys.of("k1", Map.of("k1", SECRET)), Clock.systemUTC());
        AuthToken good = signer.sign(7, 99, Duration.ofMinutes(5));
        AuthToken forged = withFlippedSignatureBit(good);
        AuthToken expired = signer.sign(7, 99, Instant.now().minus(Duration.ofMinutes(5)));

        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ChatServer server = command.start();
                TestChatClient honest = TestChatClient.connect(loops, server.directAddress(), TestTls.client());
                TestChatClient intruder = TestChatClient.connect(loops, server.directAddress(), TestTls.client());
                TestChatClient late = TestChatClient.connect(loops, server.directAddress(), TestTls.client())) {
            assertThat(honest.authenticate(TestChatClient.authPacket(7, 99, good))).isEqualTo(AuthStatus.OK);
            assertThat(intruder.authenticate(TestChatClient.authPacket(7, 99, forged)))
                    .isEqualTo(AuthStatus.BAD_SIGNATURE);
            assertThat(late.authenticate(TestChatClient.authPacket(7, 99, expired))).isEqualTo(AuthStatus.EXPIRED);
            assertThat(http(command.adminAddress(), "GET", "/metrics").body())
                    .contains("chat_auth_results_total{status=\"ok\"} 1.0")
                    .contains("chat_auth_results_total{status=\"bad_signature\"} 1.0")
                    .contains("mux_streams_active");

            assertThat(http(command.adminAddress(), "POST", "/drain").statusCode()).isEqualTo(202);
            assertThat(command.drained().get(10, TimeUnit.SECONDS))
                    .as("alone, the server cannot hand its couple over: one session left at the deadline")
                    .isEqualTo(1);
        } finally {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void theTransportOptionRunsTheServerOnIoUring() throws Exception {
        Path keyFile = dir.resolve("tokens.keys");
        Files.writeString(keyFile, "k1 = " + Base64.getEncoder().encodeToString(SECRET) + "\n");
        TokenSigner signer = new TokenSigner(TokenKeys.of("k1", Map.of("k1", SECRET)), Clock.systemUTC());
        ChatServerCommand command = new ChatServerCommand();
        new CommandLine(command).parseArgs("--id", "chat-uring", "--direct-port", "0", "--mux-port", "0",
                "--cert", TestTls.certificatePem().getPath(), "--key", TestTls.privateKeyPem().getPath(),
                "--token-keys", keyFile.toString(), "--transport", "io_uring");

        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ChatServer server = command.start();
                TestChatClient client = TestChatClient.connect(loops, server.directAddress(), TestTls.client())) {
            assertThat(server.transport().name()).isEqualTo("io_uring");
            assertThat(client.authenticate(TestChatClient.authPacket(7, 99, signer.sign(7, 99, Duration.ofMinutes(5)))))
                    .isEqualTo(AuthStatus.OK);
        } finally {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }

        ChatServerCommand unknown = new ChatServerCommand();
        new CommandLine(unknown).parseArgs("--id", "chat-x", "--cert", TestTls.certificatePem().getPath(),
                "--key", TestTls.privateKeyPem().getPath(), "--token-keys", keyFile.toString(), "--transport", "kqueue");
        assertThatThrownBy(unknown::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown transport 'kqueue'");
    }

    @Test
    void theHandoverKeyFileTurnsHandoverOnAndItsPrefaceSaysSo() throws Exception {
        byte[] key = "a-handover-key-only-chat-servers-hold".getBytes(StandardCharsets.US_ASCII);
        Path keyFile = Files.writeString(dir.resolve("handover.key"), Base64.getEncoder().encodeToString(key) + "\n");
        Path tokenKeys = Files.writeString(dir.resolve("tokens.keys"),
                "k1 = " + Base64.getEncoder().encodeToString(SECRET) + "\n");
        ChatServerCommand command = new ChatServerCommand();
        new CommandLine(command).parseArgs("--id", "chat-cli", "--direct-port", "0", "--mux-port", "0",
                "--cert", TestTls.certificatePem().getPath(), "--key", TestTls.privateKeyPem().getPath(),
                "--token-keys", tokenKeys.toString(), "--handover-key-file", keyFile.toString());
        assertThat(command.handover().key()).isEqualTo(key);

        try (ChatServer server = command.start();
                java.net.Socket socket = new java.net.Socket(server.muxAddress().getAddress(), server.muxAddress().getPort());
                io.presenter.testing.RawMuxPeer presenter = io.presenter.testing.RawMuxPeer.over(socket)) {
            assertThat(presenter.nextControl().getSettings().getFeatures() & io.presenter.protocol.wire.muxConstants.FEATURE_HANDOVER)
                    .as("handover announced in the mux preface").isNotZero();
        }

        ChatServerCommand without = new ChatServerCommand();
        new CommandLine(without).parseArgs("--id", "chat-1", "--cert", "c.pem", "--key", "k.pem", "--token-keys", "t.keys");
        assertThat(without.handover().enabled()).as("off by default").isFalse();
        ChatServerCommand shortKey = new ChatServerCommand();
        new CommandLine(shortKey).parseArgs("--id", "chat-1", "--cert", "c.pem", "--key", "k.pem", "--token-keys", "t.keys",
                "--handover-key-file", Files.writeString(dir.resolve("short.key"), "c2hvcnQ=").toString());
        org.assertj.core.api.Assertions.assertThatThrownBy(shortKey::handover)
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("at least 32");
    }

    private static HttpResponse<String> http(InetSocketAddress admin, String method, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://" + admin.getHostString() + ":" + admin.getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static AuthToken withFlippedSignatureBit(AuthToken token) {
        byte[] signature = token.getSignature().clone();
        signature[0] ^= 1;
        return token.deepCopy().setSignature(signature);
    }
}
