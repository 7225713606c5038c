package io.presenter.gateway.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicStreamType;
import io.presenter.gateway.HonestCoupleTestBase;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input on the QUIC listener: each kind is counted with its reason and disturbs nobody (the
 * honest couple of {@link HonestCoupleTestBase} still chats after every test, and a QUIC client
 * keeps its session).
 */
class QuicBadInputTest extends HonestCoupleTestBase {

    private static final Duration SETTLE = Duration.ofSeconds(30);

    private InetSocketAddress quic;
    private QuicClients clients;

    QuicBadInputTest() {
        super(Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    @BeforeAll
    void startQuic() throws Exception {
        quic = presenter.startQuic(QuicClients.settings()).address();
        clients = new QuicClients(false);
    }

    @AfterAll
    void stopQuic() {
        if (clients != null) {
            clients.close();
        }
    }

    private double rejected(String reason) {
        return cluster.counter(QuicMeters.DATAGRAMS_REJECTED, "reason", reason);
    }

    @Test
    void garbageAndShortInitialsAreDroppedAndCounted() throws Exception {
        double garbage = rejected("garbage");
        double shortInitials = rejected("short_initial");
        try (DatagramSocket socket = new DatagramSocket()) {
            for (int i = 0; i < 10; i++) {
                send(socket, new byte[] {(byte) 0xC0, 0, 0});  // a long header cut off inside its version
            }
            // An Initial (version 1) that is not padded to 1200 bytes, as an amplification probe would be.
            ByteBuffer initial = ByteBuffer.allocate(100).put((byte) 0xC0).putInt(1).put((byte) 8).put(new byte[8])
                    .put((byte) 8).put(new byte[8]);
            send(socket, initial.array());
        }
        Await.until(SETTLE, () -> rejected("garbage") == garbage + 10 && rejected("short_initial") == shortInitials + 1,
                () -> "garbage " + rejected("garbage") + ", short initials " + rejected("short_initial"));
    }

    @Test
    void anUnknownVersionGetsVersionNegotiationAndIsCounted() throws Exception {
        double before = rejected("version_negotiation");
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(10_000);
            ByteBuffer initial = ByteBuffer.allocate(1200).put((byte) 0xC0).putInt(0x1a2a3a4a).put((byte) 8)
                    .put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}).put((byte) 8).put(new byte[] {8, 7, 6, 5, 4, 3, 2, 1});
            send(socket, initial.array());
            DatagramPacket answer = new DatagramPacket(new byte[1500], 1500);
            socket.receive(answer);
            ByteBuffer header = ByteBuffer.wrap(answer.getData(), 0, answer.getLength());
            assertThat(header.get() & 0x80).as("long header").isNotZero();
            assertThat(header.getInt()).as("version 0: Version Negotiation").isZero();
        }
        Await.until(SETTLE, () -> rejected("version_negotiation") == before + 1,
                () -> "version negotiations " + rejected("version_negotiation"));
    }

    @Test
    void extraStreamsAreRefusedAndCountedTheSessionCarriesOn() throws Exception {
        TestChatClient alice = clients.authenticated(cluster, quic, 11, 900);
        TestChatClient bob = clients.authenticated(cluster, quic, 12, 900);
        double before = cluster.counter(QuicMeters.STREAMS_REFUSED, "reason", "extra_stream");

        var extra = clients.lastSession().connection().createStream(QuicStreamType.BIDIRECTIONAL,
                new io.netty.channel.ChannelInboundHandlerAdapter()).get(10, TimeUnit.SECONDS);
        extra.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 1, 0}));

        Await.until(SETTLE, () -> cluster.counter(QuicMeters.STREAMS_REFUSED, "reason", "extra_stream") == before + 1,
                () -> "refused " + cluster.counter(QuicMeters.STREAMS_REFUSED, "reason", "extra_stream"));
        io.presenter.gateway.PresenterCluster.assertChat(alice, bob, 1, 3);
        io.presenter.gateway.PresenterCluster.assertChat(bob, alice, 1, 3);
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_CLOSED, ClientMeters.TRANSPORT, ClientMeters.QUIC)).isZero();
    }

    @Test
    void retryTokensBindTheClientAddressAndExpire() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong now = new AtomicLong(1_000_000);
        RetryTokens tokens = new RetryTokens(QuicSettings.Retry.UNDER_LOAD, 10, () -> 11, now::get,
                new QuicMeters(registry));
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 5000);
        ByteBuf dcid = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        ByteBuf token = Unpooled.buffer();
        try {
            assertThat(tokens.writeToken(token, dcid, client)).as("11 handshakes > 10: retry").isTrue();
            assertThat(tokens.validateToken(token.slice(), new InetSocketAddress("127.0.0.1", 6000)))
                    .as("same IP, new port: valid").isPositive();
            assertThat(tokens.validateToken(token.slice(), new InetSocketAddress("127.0.0.2", 5000)))
                    .as("spoofed: another address").isEqualTo(-1);
            ByteBuf tampered = token.copy();
            tampered.setByte(tampered.writerIndex() - 1, 99);
            assertThat(tokens.validateToken(tampered, client)).as("another odcid").isEqualTo(-1);
            tampered.release();
            now.addAndGet(RetryTokens.LIFETIME.toMillis() + 1);
            assertThat(tokens.validateToken(token.slice(), client)).as("expired").isEqualTo(-1);
        } finally {
            token.release();
            dcid.release();
        }
        assertThat(registry.get(QuicMeters.DATAGRAMS_REJECTED).tag("reason", "bad_token").counter().count()).isEqualTo(3);
        assertThat(registry.get(QuicMeters.RETRIES).counter().count()).isEqualTo(1);
        RetryTokens calm = new RetryTokens(QuicSettings.Retry.UNDER_LOAD, 10, () -> 3, now::get, new QuicMeters(registry));
        ByteBuf none = Unpooled.buffer();
        assertThat(calm.writeToken(none, Unpooled.wrappedBuffer(new byte[8]), client)).as("not under load").isFalse();
        none.release();
    }

    @Test
    void aClientAskedToRetryConnects() throws Exception {
        var always = cluster.startPresenter(io.presenter.gateway.PresenterCluster.settings(), cluster.directory);
        InetSocketAddress strict = always.startQuic(QuicClients.settings().toBuilder()
                .retry(QuicSettings.Retry.ALWAYS).build()).address();
        double retries = cluster.counter(QuicMeters.RETRIES);
        TestChatClient client = clients.connect(strict);
        assertThat(client.authenticate(cluster.auth(13, 901))).isEqualTo(AuthStatus.OK);
        assertThat(cluster.counter(QuicMeters.RETRIES)).isEqualTo(retries + 1);
    }

    private void send(DatagramSocket socket, byte[] bytes) throws java.io.IOException {
        socket.send(new DatagramPacket(bytes, bytes.length, quic));
    }
}
