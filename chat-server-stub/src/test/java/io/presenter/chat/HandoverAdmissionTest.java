package io.presenter.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxInitializer;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.MuxStreamResetEvent;
import io.presenter.protocol.mux.SessionHandover;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The new owner's side of a handover, over a real mux connection: a sealed session resumes without
 * an AuthResult even though its token has expired, and a ticket that is forged, too large or for
 * another couple is refused (counted) so the presenter falls back to a reconnect.
 */
class HandoverAdmissionTest {

    private static final byte[] KEY = "handover-key-shared-by-chat-servers-only".getBytes(StandardCharsets.US_ASCII);
    private static final long COUPLE = 77;
    /** Every token is expired: a handed-over session must not need one. */
    private static final AuthToken TOKEN = new AuthToken("test", 1L, ByteBuffer.allocate(32));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final HandoverConfig handover = HandoverConfig.withKey(KEY).withMaxStateBytes(256);
    private ChatServer server;
    private MuxConnection presenter;

    @BeforeEach
    void start() throws Exception {
        server = ChatServer.start(ChatServerConfig.loopback("chat-new").withHandover(handover), TestTls.server(),
                auth -> AuthStatus.EXPIRED, registry);
        Channel channel = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                .handler(MuxInitializer.opening(MuxSettings.builder().peerId("test-presenter").handover(true).build()))
                .connect(server.muxAddress()).sync().channel();
        presenter = MuxConnection.of(channel);
        assertThat(presenter.handoverNegotiated().sync().getNow()).isTrue();
    }

    @AfterEach
    void stop() {
        server.close();
        loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private SessionHandover sealed(long couple, long user, long sequence) {
        return new HandoverSeal(handover).seal(new HandoverState(couple, user, "", sequence, 12, "chat-old", "chat-new",
                System.currentTimeMillis(), List.of()));
    }

    private TestChatClient handedOver(SessionHandover ticket) throws Exception {
        return TestChatClient.overStream(presenter, StreamMetadata.of(COUPLE, 12,
                new InetSocketAddress("192.0.2.7", 40000), "test-presenter").withHandover(ticket));
    }

    private double handovers(String result) {
        var counter = registry.find("chat.handovers").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aSealedSessionResumesWithoutAnAuthResultAndGoesOnFromItsSequence() throws Exception {
        try (TestChatClient alice = handedOver(sealed(COUPLE, 1, 41))) {
            alice.send(ClientPacket.auth(TestChatClient.authPacket(1, COUPLE, TOKEN)));
            alice.sendMessage(5, "after the move");
            ClientPacket first = alice.next(p -> true);
            assertThat(first.isSetSendAck()).as("no AuthResult before the ack: %s", first).isTrue();
            assertThat(first.getSendAck().getSequence()).as("the couple's sequence goes on").isEqualTo(42);
        }
        assertThat(handovers("resumed")).isEqualTo(1);
    }

    @Test
    void aResendAfterTheHandoverIsAckedWithItsOldSequenceNotSequencedAgain() throws Exception {
        java.util.LinkedHashMap<Long, Long> sentBefore = new java.util.LinkedHashMap<>();
        sentBefore.put(4L, 40L);
        sentBefore.put(5L, 41L);
        SessionHandover ticket = new HandoverSeal(handover).seal(new HandoverState(COUPLE, 1, "", 41, 12, "chat-old",
                "chat-new", System.currentTimeMillis(), List.of(), sentBefore));
        try (TestChatClient alice = handedOver(ticket)) {
            alice.send(ClientPacket.auth(TestChatClient.authPacket(1, COUPLE, TOKEN)));
            alice.sendMessage(5, "its ack was lost in the move, so the client sends it again");
            assertThat(alice.next(ClientPacket::isSetSendAck).getSendAck().getSequence())
                    .as("acked with the sequence the old owner gave it").isEqualTo(41);
            alice.sendMessage(6, "new");
            assertThat(alice.next(ClientPacket::isSetSendAck).getSendAck().getSequence())
                    .as("the resend took no sequence").isEqualTo(42);
        }
    }

    @Test
    void aForgedTicketIsRefused() throws Exception {
        SessionHandover genuine = sealed(COUPLE, 1, 41);
        byte[] mac = genuine.mac().clone();
        mac[0] ^= 1;
        try (TestChatClient mallory = handedOver(new SessionHandover(genuine.state(), mac))) {
            assertThat(mallory.nextEvent(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.REFUSED);
        }
        assertThat(handovers("refused_forged")).isEqualTo(1);
        assertThat(server.service().sessionCount()).isZero();
    }

    @Test
    void aTicketOverTheStateCapIsRefused() throws Exception {
        SessionHandover genuine = sealed(COUPLE, 1, 41);
        byte[] big = Arrays.copyOf(genuine.state(), 300);
        try (TestChatClient client = handedOver(new SessionHandover(big, genuine.mac()))) {
            assertThat(client.nextEvent(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.REFUSED);
        }
        assertThat(handovers("refused_too_large")).isEqualTo(1);
    }

    @Test
    void aTicketForAnotherCoupleIsRefused() throws Exception {
        try (TestChatClient client = handedOver(sealed(COUPLE + 1, 1, 41))) {
            assertThat(client.nextEvent(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.REFUSED);
        }
        assertThat(handovers("refused_mismatch")).isEqualTo(1);
    }
}
