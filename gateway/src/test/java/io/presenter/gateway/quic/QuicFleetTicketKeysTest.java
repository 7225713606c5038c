package io.presenter.gateway.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicEngines;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TicketKeys;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * QUIC session tickets use the TLS listener's ticket keys (the key file or the fleet schedule in
 * ZooKeeper, both installed through the {@code TicketKeyInstaller}): a client whose ticket came
 * from presenter A resumes on presenter B, as a phone does when DNS or the load balancer sends its
 * next connection elsewhere. A presenter without the fleet's keys cannot, which shows the test
 * would see a failure.
 */
class QuicFleetTicketKeysTest {

    /** The name the client connects to, whichever presenter answers: its ticket cache key. */
    private static final String FLEET_NAME = "presenters.test";

    private PresenterCluster cluster;
    private final EventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private QuicSslContext clientTls;
    private Channel clientSocket;

    @BeforeEach
    void start() throws Exception {
        cluster = PresenterCluster.withOneChatServer();
        clientTls = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(QuicSettings.ALPN).build();
        ChannelHandler codec = new QuicClientCodecBuilder().sslContext(clientTls)
                .sslEngineProvider(q -> clientTls.newEngine(q.alloc(), FLEET_NAME, 443))
                .maxIdleTimeout(30, TimeUnit.SECONDS).initialMaxData(1 << 20)
                .initialMaxStreamDataBidirectionalLocal(1 << 18).initialMaxStreamDataBidirectionalRemote(1 << 18)
                .build();
        clientSocket = new Bootstrap().group(clientLoop).channel(NioDatagramChannel.class).handler(codec)
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @AfterEach
    void stop() throws Exception {
        if (clientSocket != null) {
            clientSocket.close().sync();
        }
        clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aTicketFromOnePresenterResumesOnAnotherOverQuic() throws Exception {
        TicketKeys fleetKeys = TicketKeys.random(2, new SecureRandom());
        ServerTls tlsA = cluster.newServerTls(Duration.ofSeconds(10));
        ServerTls tlsB = cluster.newServerTls(Duration.ofSeconds(10));
        PresenterServer a = cluster.startPresenter(PresenterCluster.settings(), cluster.directory, tlsA);
        PresenterServer b = cluster.startPresenter(PresenterCluster.settings(), cluster.directory, tlsB);
        PresenterServer stranger = cluster.startPresenter(PresenterCluster.settings(), cluster.directory,
                cluster.newServerTls(Duration.ofSeconds(10)));
        // A gets the keys before its QUIC listener starts, B after: both ways reach QUIC.
        tlsA.ticketKeyInstaller().orElseThrow().install(fleetKeys);
        InetSocketAddress quicA = a.startQuic(QuicClients.settings()).address();
        InetSocketAddress quicB = b.startQuic(QuicClients.settings()).address();
        tlsB.ticketKeyInstaller().orElseThrow().install(fleetKeys);
        InetSocketAddress quicStranger = stranger.startQuic(QuicClients.settings()).address();

        Visit first = visit(quicA, 1, 800);
        assertThat(first.resumed()).as("first visit: full handshake").isFalse();
        Await.until(PresenterCluster.CONVERGENCE, () -> QuicEngines.hasSession(clientTls, FLEET_NAME, 443),
                () -> "no ticket from presenter A");

        Visit onB = visit(quicB, 1, 800);
        assertThat(onB.resumed()).as("A's ticket resumed on B").isTrue();

        Visit onStranger = visit(quicStranger, 1, 800);
        assertThat(onStranger.resumed()).as("a presenter with its own keys cannot read the fleet's tickets").isFalse();
    }

    private record Visit(boolean resumed) {}

    /** Connects, authenticates {@code user}, notes whether the handshake resumed, and leaves. */
    private Visit visit(InetSocketAddress presenter, long user, long couple) throws Exception {
        QuicChannel connection = QuicChannel.newBootstrap(clientSocket).remoteAddress(presenter)
                .streamHandler(new ChannelInboundHandlerAdapter()).handler(new ChannelInboundHandlerAdapter())
                .connect().get(TestChatClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        try {
            TestChatClient client = TestChatClient.over(initializer -> connection
                    .createStream(QuicStreamType.BIDIRECTIONAL, initializer)
                    .get(TestChatClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            assertThat(client.authenticate(cluster.auth(user, couple))).isEqualTo(AuthStatus.OK);
            return new Visit(QuicEngines.reused(connection.sslEngine()));
        } finally {
            connection.close().sync();
        }
    }
}
