package io.presenter.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.ServerTlsContextFactory;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import io.presenter.ring.ZooKeeperClients;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.ring.ZooKeeperShardDirectory;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;

/**
 * A presenter in front of real chat servers, all on loopback: an in-process ZooKeeper, chat-server
 * stubs registered in it, presenters with real TLS watching the same ring, and TLS chat clients
 * with signed tokens. Chat servers verify every token; presenters verify at the edge too.
 *
 * <p>By default it runs its own single ZooKeeper server; {@link #PresenterCluster(String)} uses an
 * ensemble the test runs itself (the chaos tests' 3-node {@code TestingCluster}). Each chat server
 * has its own meter registry ({@link #chatRegistry}).
 */
public final class PresenterCluster implements AutoCloseable {

    public static final Duration CONVERGENCE = Duration.ofSeconds(20);
    public static final int EVENT_LOOPS = 2;
    /** The secret of the token key {@code k1} that presenters and chat servers of a cluster share. */
    public static final String TOKEN_SECRET = "0123456789abcdef0123456789abcdef";
    public static final TokenKeys TOKEN_KEYS = TokenKeys.of("k1",
            Map.of("k1", TOKEN_SECRET.getBytes(StandardCharsets.US_ASCII)));

    private final TestingServer zooKeeper;
    private final String connectString;
    private final Map<String, MeterRegistry> chatRegistries = new java.util.concurrent.ConcurrentHashMap<>();
    private final CuratorFramework curator;
    private final TokenSigner signer;
    private final TokenVerifier verifier;
    private final EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<ChatServer> chatServers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    public final MeterRegistry registry = new SimpleMeterRegistry();
    public final ZooKeeperShardDirectory directory;
    private final ServerTls tls;

    public PresenterCluster() throws Exception {
        this(null);
    }

    /** A cluster on the ZooKeeper ensemble at {@code zooKeeperConnectString}, or on its own server when null. */
    public PresenterCluster(String zooKeeperConnectString) throws Exception {
        this(zooKeeperConnectString, TOKEN_KEYS, TOKEN_KEYS);
    }

    /**
     * A cluster on its own ZooKeeper server whose tokens {@code issuerKeys} sign and whose
     * presenters and chat servers verify with {@code verifierKeys} (Ed25519 public keys, say).
     */
    public PresenterCluster(TokenKeys issuerKeys, TokenKeys verifierKeys) throws Exception {
        this(null, issuerKeys, verifierKeys);
    }

    private PresenterCluster(String zooKeeperConnectString, TokenKeys issuerKeys, TokenKeys verifierKeys)
            throws Exception {
        signer = new TokenSigner(issuerKeys, Clock.systemUTC());
        verifier = new TokenVerifier(verifierKeys, Clock.systemUTC(), TokenVerifier.DEFAULT_ALLOWED_SKEW);
        zooKeeper = zooKeeperConnectString == null ? new TestingServer(true) : null;
        connectString = zooKeeperConnectString == null ? zooKeeper.getConnectString() : zooKeeperConnectString;
        curator = ZooKeeperClients.start(ZooKeeperConfig.of(connectString), new SimpleMeterRegistry());
        directory = newDirectory(ZooKeeperConfig.DEFAULT_BASE_PATH);
        tls = newServerTls(TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    /** The presenters' TLS with another handshake timeout; closed with the cluster. */
    public ServerTls newServerTls(Duration handshakeTimeout) throws Exception {
        return newServerTls(TlsSettings.defaults(List.of(new CertificateFiles(
                TestTls.certificatePem().toPath(), TestTls.privateKeyPem().toPath())))
                .withHandshakeTimeout(handshakeTimeout));
    }

    /** The presenters' TLS from {@code settings} (other certificates, say); closed with the cluster. */
    public ServerTls newServerTls(TlsSettings settings) throws Exception {
        ServerTls created = new ServerTlsContextFactory().create(settings, registry);
        if (tls != null) {
            closeables.add(0, created::close);  // closed after every presenter
        }
        return created;
    }

    public String zooKeeperConnectString() {
        return connectString;
    }

    /** The presenter-side ZooKeeper client (its directories use it). */
    public CuratorFramework curator() {
        return curator;
    }

    public TokenVerifier verifier() {
        return verifier;
    }

    /** A directory of the members under {@code basePath} (one nobody registers under is an empty ring). */
    public ZooKeeperShardDirectory newDirectory(String basePath) {
        ZooKeeperShardDirectory created = new ZooKeeperShardDirectory(curator, basePath, new SimpleMeterRegistry());
        created.start();
        closeables.add(created);
        return created;
    }

    public ChatServer startChatServer(String id) throws Exception {
        return startChatServer(id, java.util.function.UnaryOperator.identity());
    }

    /** A chat server on loopback whose config, after the defaults of this cluster, {@code tweak} adjusts. */
    public ChatServer startChatServer(String id, java.util.function.UnaryOperator<ChatServerConfig> tweak)
            throws Exception {
        MeterRegistry chatRegistry = new SimpleMeterRegistry();
        ChatServer server = ChatServer.start(tweak.apply(ChatServerConfig.loopback(id)
                        .withZooKeeper(ZooKeeperConfig.of(connectString))
                        .withMoveSpread(Duration.ofMillis(200))),
                TestTls.server(), auth -> verifier.verify(auth).toAuthStatus(), chatRegistry);
        chatRegistries.put(id, chatRegistry);
        chatServers.add(server);
        return server;
    }

    /** The meter registry of the chat server {@code id} (its latest incarnation). */
    public MeterRegistry chatRegistry(String id) {
        return chatRegistries.get(id);
    }

    /** The chat servers started so far, closed ones included. */
    public List<ChatServer> chatServers() {
        return List.copyOf(chatServers);
    }

    /** A cluster with one chat server, {@code chat-1}, already on the ring. */
    public static PresenterCluster withOneChatServer() throws Exception {
        PresenterCluster cluster = new PresenterCluster();
        try {
            cluster.startChatServer("chat-1");
            cluster.converged(1);
            return cluster;
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
    }

    /** Loopback, ephemeral port, {@value #EVENT_LOOPS} event loops, otherwise the defaults. */
    public static GatewaySettings settings() {
        return GatewaySettings.defaults("presenter-test")
                .withListenAddress(new InetSocketAddress("127.0.0.1", 0))
                .withEventLoops(EVENT_LOOPS)
                .toBuilder().maxConnectionsPerAddress(0).build();  // every test client comes from 127.0.0.1
    }

    /** A presenter on {@link #registry}, routing on {@code ring}, verifying tokens at the edge. */
    public PresenterServer startPresenter(GatewaySettings settings, ShardDirectory ring) throws InterruptedException {
        return startPresenter(settings, ring, tls);
    }

    /**
     * A second presenter with its own meters ({@code meters}, not {@link #registry}), so that each
     * presenter of a fleet can be counted on its own.
     */
    public PresenterServer startPresenter(GatewaySettings settings, ShardDirectory ring, MeterRegistry meters)
            throws InterruptedException {
        PresenterServer presenter = PresenterServer.start(settings, tls, ring, verifier, meters);
        closeables.add(presenter);
        return presenter;
    }

    /** A presenter as above, with its own TLS (see {@link #newServerTls}). */
    public PresenterServer startPresenter(GatewaySettings settings, ShardDirectory ring, ServerTls serverTls)
            throws InterruptedException {
        PresenterServer presenter = PresenterServer.start(settings, serverTls, ring, verifier, registry);
        closeables.add(presenter);
        return presenter;
    }

    /** Waits until the presenter's directory and every chat server see {@code members} members on one version. */
    public RingSnapshot converged(int members) {
        Await.until(CONVERGENCE, () -> directory.ring().members().size() == members
                        && live().allMatch(s -> s.ring().version() == directory.ring().version()
                                && s.ring().members().size() == members),
                () -> "presenter ring " + directory.ring() + ", chat servers " + live().map(ChatServer::ring).toList());
        return directory.ring();
    }

    private java.util.stream.Stream<ChatServer> live() {
        return chatServers.stream().filter(s -> !s.closeFuture().isDone());
    }

    /** The live chat server {@code id}. */
    public ChatServer chatServer(String id) {
        return live().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    /** The chat server that owns {@code couple} on the presenter's ring. */
    public ChatServer owner(long couple) {
        return chatServer(directory.ring().owner(couple).orElseThrow().id());
    }

    public AuthPacket auth(long user, long couple) {
        return TestChatClient.authPacket(user, couple, signer.sign(user, couple, Duration.ofHours(1)));
    }

    /** A TLS client of {@code presenter} that has not sent anything yet. */
    public TestChatClient connect(PresenterServer presenter) throws Exception {
        return connect(presenter, TestTls.client());
    }

    /** As {@link #connect(PresenterServer)}, with the client's own TLS context (protocols, groups...). */
    public TestChatClient connect(PresenterServer presenter, SslContext clientTls) throws Exception {
        TestChatClient client = TestChatClient.connect(clientLoops, presenter.address(), clientTls);
        closeables.add(client);
        return client;
    }

    /** A TLS client of {@code presenter} authenticated as {@code user} of {@code couple}. */
    public TestChatClient authenticated(PresenterServer presenter, long user, long couple) throws Exception {
        TestChatClient client = connect(presenter);
        assertThat(client.authenticate(auth(user, couple))).as("auth of user %d", user).isEqualTo(AuthStatus.OK);
        return client;
    }

    /** Sends {@code count} messages from {@code from}; {@code to} must receive exactly them, in order. */
    public static void assertChat(TestChatClient from, TestChatClient to, long firstMessageId, int count)
            throws InterruptedException {
        for (int i = 0; i < count; i++) {
            from.sendMessage(firstMessageId + i, "message " + (firstMessageId + i));
        }
        assertDelivered(to, firstMessageId, count);
    }

    /** The next {@code count} deliveries to {@code to} are the messages from {@code firstMessageId} on, in order. */
    public static void assertDelivered(TestChatClient to, long firstMessageId, int count) throws InterruptedException {
        List<Long> received = new ArrayList<>();
        while (received.size() < count) {
            received.add(to.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId());
        }
        assertThat(received).as("deliveries to %s", to.channel())
                .containsExactlyElementsOf(LongStream.range(firstMessageId, firstMessageId + count).boxed().toList());
    }

    public double counter(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Waits until the counter reaches {@code expected} (closes are counted when they complete). */
    public void awaitCounter(double expected, String name, String... tags) {
        Await.until(CONVERGENCE, () -> counter(name, tags) == expected,
                () -> name + " " + List.of(tags) + " is " + counter(name, tags) + ", expected " + expected);
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {  // clients, then presenters, then directories
            closeables.get(i).close();
        }
        chatServers.forEach(ChatServer::close);
        clientLoops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        tls.close();
        curator.close();
        if (zooKeeper != null) {
            zooKeeper.close();
        }
    }
}
