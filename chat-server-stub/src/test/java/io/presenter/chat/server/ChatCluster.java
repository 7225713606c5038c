package io.presenter.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxInitializer;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;

/**
 * Chat servers registered in a real in-process ZooKeeper, with TLS clients and a stand-in
 * presenter that opens mux streams. Servers accept every token. Close it after each test.
 */
final class ChatCluster implements AutoCloseable {

    static final Duration CONVERGENCE = Duration.ofSeconds(20);
    private static final AuthToken TOKEN = new AuthToken("test", 4_000_000_000L, ByteBuffer.allocate(32));

    private final TestingServer zooKeeper;
    private final EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<ChatServer> servers = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();

    ChatCluster() throws Exception {
        zooKeeper = new TestingServer(true);
    }

    ChatServer start(String id) throws Exception {
        ChatServer server = ChatServer.start(ChatServerConfig.loopback(id)
                        .withZooKeeper(ZooKeeperConfig.of(zooKeeper.getConnectString()))
                        .withMoveSpread(Duration.ofMillis(200)),
                TestTls.server(), auth -> AuthStatus.OK, new SimpleMeterRegistry());
        servers.add(server);
        return server;
    }

    List<ChatServer> servers() {
        return servers;
    }

    ChatServer server(String id) {
        return servers.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    /** The server that owns {@code couple} on {@code ring}. */
    ChatServer owner(RingSnapshot ring, long couple) {
        return server(ring.owner(couple).orElseThrow().id());
    }

    /** Waits until every server sees {@code members} members at one common version; returns that ring. */
    RingSnapshot converged(int members) {
        Await.until(CONVERGENCE, () -> servers.stream().allMatch(s -> s.ring().members().size() == members)
                        && servers.stream().map(s -> s.ring().version()).distinct().count() == 1,
                () -> "rings: " + servers.stream().map(ChatServer::ring).toList());
        return servers.get(0).ring();
    }

    /** A direct TLS client of {@code couple} whose auth got {@code expected}. */
    TestChatClient direct(ChatServer server, long user, long couple, AuthStatus expected) throws Exception {
        TestChatClient client = TestChatClient.connect(clientLoops, server.directAddress(), TestTls.client());
        clients.add(client);
        assertThat(client.authenticate(TestChatClient.authPacket(user, couple, TOKEN))).isEqualTo(expected);
        return client;
    }

    /** A mux connection to {@code server}, as a presenter opens one. */
    MuxConnection presenterConnection(ChatServer server) throws InterruptedException {
        Channel channel = new Bootstrap().group(clientLoops).channel(NioSocketChannel.class)
                .handler(MuxInitializer.opening(MuxSettings.builder().peerId("test-presenter").build()))
                .connect(server.muxAddress()).sync().channel();
        clients.add(() -> channel.close().syncUninterruptibly());
        return MuxConnection.of(channel);
    }

    /** A stream for {@code couple} routed on {@code ringVersion}, not yet authenticated. */
    TestChatClient stream(MuxConnection connection, long couple, long ringVersion) throws Exception {
        TestChatClient client = TestChatClient.overStream(connection, StreamMetadata.of(couple, ringVersion,
                new InetSocketAddress("192.0.2.7", 40000), "test-presenter"));
        clients.add(client);
        return client;
    }

    static AuthToken token() {
        return TOKEN;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        servers.forEach(ChatServer::close);
        clientLoops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        zooKeeper.close();
    }
}
