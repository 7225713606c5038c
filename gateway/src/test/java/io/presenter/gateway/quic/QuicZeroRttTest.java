package io.presenter.gateway.quic;

import static io.presenter.gateway.PresenterCluster.assertDelivered;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.loadtest.quic.QuicClientEndpoint.Session;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.SendMessage;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * 0-RTT: a returning QUIC client sends its auth packet as early data, in its first flight, and
 * gets its AuthResult on the resumed connection; what it sends after the auth packet in early data
 * is held until the handshake completes, then relayed once, in order.
 */
class QuicZeroRttTest {

    private PresenterCluster cluster;
    private PresenterServer presenter;
    private InetSocketAddress quic;
    private QuicClients clients;
    private QuicListener listener;
    private final io.netty.channel.EventLoopGroup relayLoops =
            new io.netty.channel.MultiThreadIoEventLoopGroup(1, io.netty.channel.nio.NioIoHandler.newFactory());
    private FinishedHoldingRelay relay;

    @BeforeEach
    void start() throws Exception {
        cluster = PresenterCluster.withOneChatServer();
        presenter = cluster.startPresenter(PresenterCluster.settings(), cluster.directory);
        clients = new QuicClients(true);
        listener = presenter.startQuic(QuicClients.settings());
        // A 20 ms round trip, as a path has: the client's first flight is out before any answer
        // comes. The relay can also hold the client's Finished, to keep the server's handshake open.
        relay = new FinishedHoldingRelay(relayLoops, listener.address(), 10);
        quic = relay.address();
    }

    @AfterEach
    void stop() throws Exception {
        if (clients != null) {
            clients.close();
        }
        if (relay != null) {
            relay.close();
        }
        relayLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A first visit: full handshake, no early data; it leaves the endpoint a session ticket. */
    private void firstVisit(long user, long couple) throws Exception {
        TestChatClient first = clients.authenticated(cluster, quic, user, couple);
        assertThat(clients.lastSession().earlyData()).as("no ticket yet: full handshake").isFalse();
        first.channel().parent().close().sync();
    }

    /** A returning client whose stream writes {@code packets} as soon as it opens, in 0-RTT if it can. */
    private TestChatClient returning(ClientPacket... packets) throws Exception {
        TestChatClient client = TestChatClient.over(initializer -> {
            Session session = clients.endpoint().open(quic, new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel stream) {
                    stream.pipeline().addLast(initializer, new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            ctx.fireChannelActive();
                            // Not now: the stream opened inside the connection's first send (where
                            // Netty raises early-data-ready), and a flush from there sends nothing;
                            // the bytes would wait for the server's answer and leave as 1-RTT.
                            ctx.channel().eventLoop().execute(() -> {
                                for (ClientPacket packet : packets) {
                                    ctx.channel().write(packet);
                                }
                                ctx.channel().flush();
                            });
                        }
                    });
                }
            }).get(TestChatClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(session.earlyData()).as("the endpoint resumed with 0-RTT").isTrue();
            clients.last(session);
            return session.stream();
        });
        return client;
    }

    @Test
    void returningClientResumesFromItsTicketAndIsAnswered() throws Exception {
        firstVisit(1, 700);
        TestChatClient bob = cluster.authenticated(presenter, 2, 700);

        TestChatClient alice = returning(ClientPacket.auth(cluster.auth(1, 700)));

        assertThat(alice.next(ClientPacket::isSetAuthResult).getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
        assertThat(io.netty.handler.codec.quic.QuicEngines.reused(clients.lastSession().connection().sslEngine()))
                .as("resumed from the ticket: no certificate, no full handshake").isTrue();
        PresenterCluster.assertChat(alice, bob, 1, 3);
        PresenterCluster.assertChat(bob, alice, 1, 3);
    }

    /**
     * The auth packet travels in 0-RTT and is answered while the presenter still waits for the
     * client's Finished: the AuthResult comes back one round trip after the client's first
     * packet, without a full handshake (resumed, no certificate).
     */
    @Test
    void thePresenterReadsTheAuthPacketAsEarlyData() throws Exception {
        firstVisit(1, 703);
        relay.hold();

        TestChatClient alice = returning(ClientPacket.auth(cluster.auth(1, 703)));

        assertThat(alice.next(ClientPacket::isSetAuthResult).getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
        assertThat(listener.handshakesInFlight()).as("answered before the client's Finished reached the presenter")
                .isEqualTo(1);
        assertThat(cluster.counter(QuicMeters.EARLY_DATA, "outcome", "auth_in_early_data")).isEqualTo(1);
        assertThat(io.netty.handler.codec.quic.QuicEngines.reused(clients.lastSession().connection().sslEngine()))
                .as("resumed from the ticket: no certificate, no full handshake").isTrue();
        relay.release();
        Await.until(PresenterCluster.CONVERGENCE, () -> listener.handshakesInFlight() == 0,
                () -> "handshake still open after the Finished was released");
    }

    /**
     * Sends behind the auth packet in 0-RTT are replayable and wait: the presenter holds them
     * while its handshake is open (here: as long as the relay holds the client's Finished), and
     * relays them once, in order, when it completes.
     */
    @Test
    void earlyDataAfterTheAuthPacketWaitsForTheHandshakeThenArrivesOnce() throws Exception {
        firstVisit(3, 701);
        TestChatClient bob = cluster.authenticated(presenter, 4, 701);
        relay.hold();

        TestChatClient alice = returning(ClientPacket.auth(cluster.auth(3, 701)), send(1), send(2));

        assertThat(alice.next(ClientPacket::isSetAuthResult).getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
        cluster.awaitCounter(1, QuicMeters.EARLY_DATA, "outcome", "held_until_handshake");
        assertThat(listener.handshakesInFlight()).as("still waiting for the client's Finished").isEqualTo(1);
        assertThat(cluster.chatRegistry("chat-1").counter("chat.messages.received").count())
                .as("nothing of alice's sends relayed before the handshake ends").isZero();

        relay.release();

        assertDelivered(bob, 1, 2);
        assertThat(cluster.counter(QuicMeters.EARLY_DATA, "outcome", "auth_in_early_data")).isEqualTo(1);
        PresenterCluster.assertChat(alice, bob, 3, 2);
    }

    /** The gate alone, with the handshake under the test's control. */
    @Test
    void gatePassesOnlyTheAuthPacketUntilTheHandshakeCompletes() {
        Promise<Void> handshake = ImmediateEventExecutor.INSTANCE.newPromise();
        QuicMeters meters = new QuicMeters(new SimpleMeterRegistry());
        EmbeddedChannel stream = new EmbeddedChannel();
        stream.pipeline().addLast(new EarlyDataGate(4096, handshake, meters));
        ByteBuf auth = ClientPackets.encode(UnpooledByteBufAllocator.DEFAULT, ClientPacket.auth(cluster.auth(5, 702)));
        ByteBuf next = ClientPackets.encode(UnpooledByteBufAllocator.DEFAULT, send(1));
        ByteBuf flight = Unpooled.wrappedBuffer(auth, next);
        int authBytes = auth.readableBytes();
        int nextBytes = next.readableBytes();

        stream.writeInbound(flight.readRetainedSlice(3), flight);  // the auth packet split, then the rest

        ByteBuf passed = stream.readInbound();
        assertThat(passed.readableBytes()).as("only the auth packet, before the handshake").isEqualTo(authBytes);
        passed.release();
        assertThat((Object) stream.readInbound()).isNull();

        handshake.setSuccess(null);

        ByteBuf rest = stream.readInbound();
        assertThat(rest.readableBytes()).as("the rest, after it").isEqualTo(nextBytes);
        rest.release();
        assertThat(stream.pipeline().get(EarlyDataGate.class)).as("the gate is gone").isNull();
        assertThat(stream.finishAndReleaseAll()).isFalse();
    }

    @Test
    void tooMuchEarlyDataClosesOnlyThatSession() {
        Promise<Void> handshake = ImmediateEventExecutor.INSTANCE.newPromise();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EmbeddedChannel stream = new EmbeddedChannel();
        stream.pipeline().addLast(new EarlyDataGate(64, handshake, new QuicMeters(registry)));

        stream.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}));
        ((ByteBuf) stream.readInbound()).release();  // the (small) first packet went on
        stream.writeInbound(Unpooled.wrappedBuffer(new byte[100]));  // more than the cap held in early data

        assertThat(stream.isActive()).isFalse();
        assertThat(registry.get(QuicMeters.EARLY_DATA).tag("outcome", "too_large").counter().count()).isEqualTo(1);
        stream.finishAndReleaseAll();
    }

    private static ClientPacket send(long id) {
        return ClientPacket.send(new SendMessage(id, ByteBuffer.wrap(("early " + id).getBytes(StandardCharsets.UTF_8))));
    }
}
