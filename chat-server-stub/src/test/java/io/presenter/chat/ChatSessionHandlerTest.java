package io.presenter.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.protocol.wire.SendMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChatSessionHandlerTest {

    private static final long COUPLE = 77;
    private static final long ALICE = 1;
    private static final long BOB = 2;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private ChatService service(ChatLimits limits) {
        Authenticator tokenMustBeValid = auth -> auth.getToken().getKeyId().equals("good")
                ? AuthStatus.OK : AuthStatus.BAD_SIGNATURE;
        return new ChatService("chat-1", tokenMustBeValid, couple -> couple != 13, limits, registry);
    }

    @AfterEach
    void closeChannels() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel connect(ChatService service) {
        EmbeddedChannel channel = new EmbeddedChannel(service.newSessionHandler());
        channels.add(channel);
        return channel;
    }

    private static ClientPacket auth(long user, long couple, String keyId) {
        AuthToken token = new AuthToken(keyId, 4_000_000_000L, ByteBuffer.wrap(new byte[32]));
        return ClientPacket.auth(new AuthPacket(user, couple, token, "test/1"));
    }

    private static ClientPacket send(long clientMessageId, String body) {
        return ClientPacket.send(new SendMessage(clientMessageId,
                ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))));
    }

    private static EmbeddedChannel authenticated(EmbeddedChannel channel, long user) {
        channel.writeInbound(auth(user, COUPLE, "good"));
        ClientPacket result = channel.readOutbound();
        assertThat(result.getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
        return channel;
    }

    private static List<ClientPacket> drain(EmbeddedChannel channel) {
        List<ClientPacket> packets = new ArrayList<>();
        for (ClientPacket p; (p = channel.readOutbound()) != null; ) {
            packets.add(p);
        }
        return packets;
    }

    private double count(String name, String tagKey, String tagValue) {
        return registry.counter(name, tagKey, tagValue).count();
    }

    @Test
    void messagesReachThePartnerInSequenceAndAreAckedToTheSender() {
        ChatService service = service(ChatLimits.DEFAULTS);
        EmbeddedChannel alice = authenticated(connect(service), ALICE);
        EmbeddedChannel bob = authenticated(connect(service), BOB);
        assertThat(drain(alice)).extracting(p -> p.getPresence().getUserId()).containsExactly(BOB);
        assertThat(drain(bob)).extracting(p -> p.getPresence().getUserId()).containsExactly(ALICE);

        alice.writeInbound(send(10, "hi bob"));
        bob.writeInbound(send(20, "hi alice"));
        alice.writeInbound(send(11, "how are you"));

        assertThat(drain(bob)).extracting(p -> p.isSetDelivery() ? "d" + p.getDelivery().getSequence()
                        + ":" + p.getDelivery().getClientMessageId() : "ack" + p.getSendAck().getSequence())
                .containsExactly("d1:10", "ack2", "d3:11");
        assertThat(drain(alice)).extracting(p -> p.isSetDelivery() ? "d" + p.getDelivery().getSequence()
                        + ":" + p.getDelivery().getClientMessageId() : "ack" + p.getSendAck().getSequence())
                .containsExactly("ack1", "d2:20", "ack3");
        assertThat(registry.counter("chat.messages.received").count()).isEqualTo(3);
    }

    @Test
    void everyDeviceOfThePartnerGetsTheMessageAndPresenceTracksTheLastDevice() {
        ChatService service = service(ChatLimits.DEFAULTS);
        EmbeddedChannel alice = authenticated(connect(service), ALICE);
        EmbeddedChannel bobPhone = authenticated(connect(service), BOB);
        EmbeddedChannel bobLaptop = authenticated(connect(service), BOB);
        drain(alice);
        drain(bobPhone);
        drain(bobLaptop);

        alice.writeInbound(send(1, "to both"));
        assertThat(drain(bobPhone)).singleElement().satisfies(p -> assertThat(p.isSetDelivery()).isTrue());
        assertThat(drain(bobLaptop)).singleElement().satisfies(p -> assertThat(p.isSetDelivery()).isTrue());

        bobPhone.close();
        drain(alice);
        assertThat(drain(alice)).as("bob is still online on his laptop").isEmpty();
        bobLaptop.close();
        assertThat(drain(alice)).singleElement()
                .satisfies(p -> assertThat(p.getPresence().isOnline()).isFalse());
        assertThat(service.sessionCount()).isEqualTo(1);
    }

    @Test
    void echoComesBackToTheSenderOnly() {
        ChatService service = service(ChatLimits.DEFAULTS);
        EmbeddedChannel alice = authenticated(connect(service), ALICE);
        EmbeddedChannel bob = authenticated(connect(service), BOB);
        drain(alice);
        drain(bob);

        SendMessage echo = send(5, "ping").getSend().setEcho(true);
        alice.writeInbound(ClientPacket.send(echo));

        assertThat(drain(alice)).extracting(ClientPacket::getSetField)
                .containsExactly(ClientPacket._Fields.DELIVERY, ClientPacket._Fields.SEND_ACK);
        assertThat(drain(bob)).isEmpty();
    }

    @Test
    void refusedAuthIsAnsweredCountedAndClosed() {
        ChatService service = service(ChatLimits.DEFAULTS);
        EmbeddedChannel forged = connect(service);
        forged.writeInbound(auth(ALICE, COUPLE, "forged"));
        assertThat(((ClientPacket) forged.readOutbound()).getAuthResult().getStatus())
                .isEqualTo(AuthStatus.BAD_SIGNATURE);
        assertThat(forged.isOpen()).isFalse();

        EmbeddedChannel elsewhere = connect(service);
        elsewhere.writeInbound(auth(ALICE, 13, "good"));
        assertThat(((ClientPacket) elsewhere.readOutbound()).getAuthResult().getStatus())
                .isEqualTo(AuthStatus.WRONG_SHARD);

        assertThat(count("chat.auth.results", "status", "bad_signature")).isEqualTo(1);
        assertThat(count("chat.auth.results", "status", "wrong_shard")).isEqualTo(1);
        assertThat(service.sessionCount()).isZero();
    }

    @Test
    void aStreamAdmitsOnlyTheCoupleItWasRoutedFor() {
        ChatService service = service(ChatLimits.DEFAULTS);
        EmbeddedChannel smuggled = new EmbeddedChannel(service.newStreamSessionHandler(COUPLE + 1));
        channels.add(smuggled);
        smuggled.writeInbound(auth(ALICE, COUPLE, "good"));
        assertThat(((ClientPacket) smuggled.readOutbound()).getAuthResult().getStatus())
                .isEqualTo(AuthStatus.WRONG_SHARD);

        // Couple 13 is not owned by this server's ring, but the stream admission settled that.
        EmbeddedChannel routed = new EmbeddedChannel(service.newStreamSessionHandler(13));
        channels.add(routed);
        routed.writeInbound(auth(ALICE, 13, "good"));
        assertThat(((ClientPacket) routed.readOutbound()).getAuthResult().getStatus())
                .isEqualTo(AuthStatus.OK);
    }

    @Test
    void firstPacketMustBeAuth() {
        EmbeddedChannel channel = connect(service(ChatLimits.DEFAULTS));
        channel.writeInbound(ClientPacket.ping(new Heartbeat(1)));
        ClientPacket error = channel.readOutbound();
        assertThat(error.getError().getCode()).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        assertThat(channel.isOpen()).isFalse();
        assertThat(count("chat.rejections", "reason", "not_authenticated")).isEqualTo(1);
    }

    @Test
    void sessionsBeyondTheLimitAreToldTheServerIsBusy() {
        ChatService service = service(new ChatLimits(1, 1024, 16));
        authenticated(connect(service), ALICE);
        EmbeddedChannel second = connect(service);
        second.writeInbound(auth(BOB, COUPLE, "good"));
        assertThat(((ClientPacket) second.readOutbound()).getAuthResult().getStatus())
                .isEqualTo(AuthStatus.SERVER_BUSY);
        assertThat(service.sessionCount()).isEqualTo(1);
    }

    @Test
    void oversizedMessageIsRefusedButTheSessionLives() {
        ChatService service = service(new ChatLimits(10, 4, 16));
        EmbeddedChannel alice = authenticated(connect(service), ALICE);
        alice.writeInbound(send(1, "too long"));
        assertThat(((ClientPacket) alice.readOutbound()).getError().getCode())
                .isEqualTo(ErrorCode.MESSAGE_TOO_LARGE);
        assertThat(alice.isOpen()).isTrue();
        alice.writeInbound(ClientPacket.ping(new Heartbeat(9)));
        assertThat(((ClientPacket) alice.readOutbound()).getPong().getNonce()).isEqualTo(9);
    }

    @Test
    void aPartnerWhoseDeliveriesPileUpIsClosedNotBuffered() {
        ChatService service = service(new ChatLimits(10, 1024, 3));
        EmbeddedChannel alice = authenticated(connect(service), ALICE);
        // Bob's socket never drains: writes reach this handler and never complete.
        EmbeddedChannel bob = new EmbeddedChannel(new NeverWritten(), service.newSessionHandler());
        channels.add(bob);
        bob.writeInbound(auth(BOB, COUPLE, "good"));

        for (int i = 0; i < 5; i++) {
            alice.writeInbound(send(i, "m" + i));
        }
        bob.runPendingTasks();

        assertThat(bob.isOpen()).isFalse();
        assertThat(registry.counter("chat.sessions.closed.slow").count()).isEqualTo(1);
        assertThat(alice.isOpen()).isTrue();
    }

    /** Swallows writes without completing them, like a socket whose peer stopped reading. */
    private static final class NeverWritten extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {}
    }
}
