package io.presenter.gateway.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.chaos.TestCertificates;
import io.presenter.gateway.drain.DrainPhase;
import io.presenter.gateway.weight.MotoServerExtension;
import io.presenter.gateway.weight.TestZone;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.ring.RingMember;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.RRType;

/**
 * The daemon as {@code presenter run} builds it from config, in front of a real chat server and a
 * real ZooKeeper: clients chat through it, the admin endpoint tells its state, and a drain lets
 * every client finish before it completes.
 */
class PresenterDaemonTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final String ADMIN_TOKEN = "drain-secret-0123456789";

    @RegisterExtension
    static final MotoServerExtension moto = new MotoServerExtension();

    @TempDir
    Path dir;

    private TestingServer zooKeeper;
    private ChatServer chatServer;
    private TokenSigner signer;
    private final EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void startChatServer() throws Exception {
        zooKeeper = new TestingServer(true);
        Path keyFile = Files.writeString(dir.resolve("token-keys"),
                "k1 = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\nsigning = k1\n");
        TokenKeys keys = TokenKeys.load(keyFile);
        signer = new TokenSigner(keys, Clock.systemUTC());
        TokenVerifier verifier = new TokenVerifier(keys, Clock.systemUTC(), TokenVerifier.DEFAULT_ALLOWED_SKEW);
        chatServer = ChatServer.start(ChatServerConfig.loopback("chat-1")
                        .withZooKeeper(ZooKeeperConfig.of(zooKeeper.getConnectString())),
                TestTls.server(), auth -> verifier.verify(auth).toAuthStatus(), new SimpleMeterRegistry());
        Files.writeString(dir.resolve("admin-token"), ADMIN_TOKEN + "\n");
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        chatServer.close();
        zooKeeper.close();
        clientLoops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Settings a test run needs: loopback, free ports, this test's ZooKeeper, files and a short quiet period. */
    List<String> settings(String... more) {
        List<String> settings = new ArrayList<>(List.of(
                "presenter.id=presenter-under-test",
                "listen.address=127.0.0.1", "listen.port=0", "listen.event-loops=2",
                "admin.port=0", "admin.token-file=" + dir.resolve("admin-token"),
                "tls.certificates=" + TestTls.certificatePem() + ":" + TestTls.privateKeyPem(),
                "auth.token-key-file=" + dir.resolve("token-keys"),
                "zookeeper.connect=" + zooKeeper.getConnectString(),
                "drain.quiet-period=300ms"));
        settings.addAll(List.of(more));
        return settings;
    }

    private PresenterDaemon start(List<String> settings) throws Exception {
        PresenterDaemon daemon = PresenterDaemon.start(PresenterConfig.load(null, Map.of(), settings));
        closeables.add(daemon);
        Await.until(WAIT, () -> get(daemon, "/ready").statusCode() == 200, () -> "never ready: " + get(daemon, "/ready").body());
        return daemon;
    }

    private TestChatClient client(PresenterDaemon daemon, long user, long couple) throws Exception {
        TestChatClient client = TestChatClient.connect(clientLoops, daemon.server().address(), TestTls.client());
        closeables.add(client);
        assertThat(client.authenticate(TestChatClient.authPacket(user, couple,
                signer.sign(user, couple, Duration.ofHours(1))))).isEqualTo(AuthStatus.OK);
        return client;
    }

    @Test
    void adminEndpointReportsHealthReadinessAndMetrics() throws Exception {
        PresenterDaemon daemon = PresenterDaemon.start(PresenterConfig.load(null, Map.of(),
                settings("zookeeper.base-path=/nobody-here", "zookeeper.first-ring-timeout=100ms")));
        closeables.add(daemon);
        assertThat(get(daemon, "/ready").statusCode()).isEqualTo(503);
        assertThat(get(daemon, "/ready").body()).contains("ring unknown");
        daemon.close();

        daemon = start(settings());

        assertThat(get(daemon, "/health").statusCode()).isEqualTo(200);
        assertThat(daemon.server().backends().openConnections()).as("one per event loop, before any client").isEqualTo(2);

        TestChatClient alice = client(daemon, 1, 10);
        TestChatClient bob = client(daemon, 2, 10);
        alice.sendMessage(1, "hello");
        assertThat(bob.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(1);

        String metrics = get(daemon, "/metrics").body();
        assertThat(metrics).contains("presenter_connections_active 2.0", "presenter_backend_connections 2.0",
                "presenter_backend_member_connections{member=\"chat-1\"} 2.0", "presenter_relay_frames_total",
                "presenter_drain_phase 0.0", "jvm_memory_used_bytes", "process_cpu_usage");
        assertThat(get(daemon, "/drain").body()).contains("\"phase\":\"SERVING\"");
    }

    @Test
    void theRingIsReadBeforeClientsAreAccepted() throws Exception {
        PresenterDaemon daemon = PresenterDaemon.start(PresenterConfig.load(null, Map.of(), settings()));
        closeables.add(daemon);

        assertThat(daemon.server().directory().ring().members()).as("read while starting, before the listener")
                .extracting(RingMember::id).containsExactly("chat-1");
    }

    @Test
    void withoutARingThePresenterStartsAfterTheWaitAndIsReadyOnlyOnceOneArrives() throws Exception {
        // Nobody has registered under this base path: there is no ring to read yet.
        PresenterDaemon daemon = PresenterDaemon.start(PresenterConfig.load(null, Map.of(),
                settings("zookeeper.base-path=/later", "zookeeper.first-ring-timeout=200ms")));
        closeables.add(daemon);

        assertThat(daemon.server().address().getPort()).as("listening").isPositive();
        HttpResponse<String> notReady = get(daemon, "/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("nothing read from ZooKeeper yet");

        ChatServer late = ChatServer.start(ChatServerConfig.loopback("chat-late")
                        .withZooKeeper(ZooKeeperConfig.of(zooKeeper.getConnectString()).withBasePath("/later")),
                TestTls.server(), auth -> AuthStatus.OK, new SimpleMeterRegistry());
        closeables.add(late);

        Await.until(WAIT, () -> get(daemon, "/ready").statusCode() == 200, () -> get(daemon, "/ready").body());
        TestChatClient alice = client(daemon, 1, 10);
        TestChatClient bob = client(daemon, 2, 10);
        alice.sendMessage(1, "the ring came late");
        assertThat(bob.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(1);
    }

    @Test
    void drainNeedsTheCredentialThenWaitsForEveryClientToLeave() throws Exception {
        PresenterDaemon daemon = start(settings());
        TestChatClient alice = client(daemon, 1, 10);
        TestChatClient bob = client(daemon, 2, 10);

        assertThat(post(daemon, "/drain", "wrong").statusCode()).isEqualTo(401);
        assertThat(post(daemon, "/drain", null).statusCode()).isEqualTo(401);
        HttpResponse<String> accepted = post(daemon, "/drain", ADMIN_TOKEN);
        assertThat(accepted.statusCode()).isEqualTo(202);
        assertThat(accepted.body()).contains("\"draining\":true");
        Await.until(WAIT, () -> daemon.drain().phase() == DrainPhase.DRAINING, () -> daemon.drain().toString());
        assertThat(get(daemon, "/ready").statusCode()).as("a draining presenter is not ready").isEqualTo(503);

        // Existing clients keep chatting; a client arriving from a cached DNS answer is served too.
        alice.sendMessage(1, "still here");
        assertThat(bob.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(1);
        TestChatClient late = client(daemon, 3, 11);
        assertThat(daemon.drained()).isNotDone();

        alice.close();
        bob.close();
        late.close();
        daemon.drained().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(get(daemon, "/drain").body()).contains("\"phase\":\"DRAINED\"", "\"connections\":0");
        assertThat(daemon.registry().get("presenter.connections.closed").tag("reason", "client_closed")
                .counter().count()).isEqualTo(3);
    }

    @Test
    void drainPublishesWeightZeroInSyncBeforeWaitingForTheClients() throws Exception {
        System.setProperty("aws.accessKeyId", "testing");
        System.setProperty("aws.secretAccessKey", "testing");
        try (Route53Client route53 = TestZone.client(moto.endpoint())) {
            TestZone zone = TestZone.create(route53);
            PresenterDaemon daemon = start(settings("weight.enabled=true", "weight.hosted-zone-id=" + zone.id,
                    "weight.record-name=" + TestZone.RECORD_NAME, "weight.addresses=192.0.2.10",
                    "weight.endpoint=" + moto.endpoint(), "weight.interval=50ms"));
            Await.until(WAIT, () -> zone.weight(RRType.A, "presenter-under-test") > 0,
                    () -> "weight " + zone.weight(RRType.A, "presenter-under-test"));
            TestChatClient alice = client(daemon, 1, 10);
            TestChatClient bob = client(daemon, 2, 10);

            daemon.drain();
            Await.until(WAIT, () -> daemon.drain().phase() == DrainPhase.DRAINING, () -> daemon.drain().toString());

            assertThat(zone.weight(RRType.A, "presenter-under-test")).as("zero before draining").isZero();
            assertThat(daemon.registry().get("presenter.weight").gauge().value()).isZero();
            alice.sendMessage(1, "weight is zero, we are still here");
            assertThat(bob.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(1);
            alice.close();
            bob.close();
            daemon.drained().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    @Test
    void muxLinksUseMutualTlsWhenConfigured() throws Exception {
        TestCertificates ca = new TestCertificates("mux-ca", dir);
        TestCertificates.Pem chatPem = ca.issue("chat-tls");
        TestCertificates.Pem presenterPem = ca.issue("presenter");
        try (ChatServer tlsChat = ChatServer.start(ChatServerConfig.loopback("chat-tls")
                        .withZooKeeper(ZooKeeperConfig.of(zooKeeper.getConnectString()).withBasePath("/tls"))
                        .withMuxTls(MuxTls.server(chatPem.certificate(), chatPem.privateKey(), ca.caFile)),
                TestTls.server(), auth -> AuthStatus.OK, new SimpleMeterRegistry())) {
            PresenterDaemon daemon = start(settings("zookeeper.base-path=/tls",
                    "backend.tls-certificate=" + presenterPem.certificate(), "backend.tls-key=" + presenterPem.privateKey(),
                    "backend.tls-ca=" + ca.caFile));

            TestChatClient alice = client(daemon, 1, 10);
            TestChatClient bob = client(daemon, 2, 10);
            alice.sendMessage(1, "over mutual TLS");

            assertThat(bob.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(1);
            assertThat(daemon.server().backends().openConnections("chat-tls")).isEqualTo(2);
        }
    }

    @Test
    void afterTheMaximumDrainTimeStragglersAreClosedAtTheConfiguredRate() throws Exception {
        PresenterDaemon daemon = start(settings("drain.max-time=200ms", "drain.close-rate=10"));
        List<TestChatClient> stragglers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            stragglers.add(client(daemon, 100 + i, 50 + i));
        }

        daemon.drain();

        daemon.drained().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        stragglers.forEach(TestChatClient::awaitClosed);
        assertThat(daemon.registry().get("presenter.connections.closed").tag("reason", "drain").counter().count())
                .isEqualTo(4);
    }

    HttpResponse<String> get(PresenterDaemon daemon, String path) {
        return send(HttpRequest.newBuilder(adminUri(daemon, path)).GET().build());
    }

    HttpResponse<String> post(PresenterDaemon daemon, String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(adminUri(daemon, path)).POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request.build());
    }

    private static URI adminUri(PresenterDaemon daemon, String path) {
        return URI.create("http://127.0.0.1:" + daemon.adminAddress().getPort() + path);
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(request + " failed", e);
        }
    }
}
