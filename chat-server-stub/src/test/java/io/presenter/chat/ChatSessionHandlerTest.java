package io.presenter.chat;

import static io.presenter.chat.ChatFixture.COUPLE;
import static io.presenter.chat.ChatFixture.NOT_OURS;
import static io.presenter.chat.ChatFixture.auth;
import static io.presenter.chat.ChatFixture.drain;
import static io.presenter.chat.ChatFixture.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.protocol.wire.SendMessage;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChatSessionHandlerTest {

    private static final long ALICE = 1;
    private static final long BOB = 2;

    private ChatFixture chat = new ChatFixture(ChatLimits.DEFAULTS);

    @AfterEach
    void closeChannels() {
        chat.close();
    }

    private void limits(ChatLimits limits) {
        chat.close();
        chat = new ChatFixture(limits);
    }

    private static final Function<ClientPacket, String> SEQUENCED = p -> p.isSetDelivery()
            ? "d" + p.getDelivery().getSequence() + ":" + p.getDelivery().getClientMessageId()
            : "ack" + p.getSendAck().getSequence();

    private static AuthStatus authResult(EmbeddedChannel channel) {
        return ((ClientPacket) channel.readOutbound()).getAuthResult().getStatus();
    }

    @Test
    void messagesReachThePartnerInSequenceAndAreAckedToTheSender() {
        EmbeddedChannel alice = chat.member(ALICE, COUPLE);
        EmbeddedChannel bob = chat.member(BOB, COUPLE);
        assertThat(drain(alice)).extracting(p -> p.getPresence().getUserId()).containsExactly(BOB);
        assertThat(drain(bob)).extracting(p -> p.getPresence().getUserId()).containsExactly(ALICE);

        alice.writeInbound(send(10, "hi bob"));
        bob.writeInbound(send(20, "hi alice"));
        alice.writeInbound(send(11, "how are you"));

        assertThat(drain(bob)).extracting(SEQUENCED).containsExactly("d1:10", "ack2", "d3:11");
        assertThat(drain(alice)).extracting(SEQUENCED).containsExactly("ack1", "d2:20", "ack3");
        assertThat(chat.count("chat.messages.received")).isEqualTo(3);
    }

    @Test
    void everyDeviceOfThePartnerGetsTheMessageAndPresenceTracksTheLastDevice() {
        EmbeddedChannel alice = chat.member(ALICE, COUPLE);
        EmbeddedChannel bobPhone = chat.member(BOB, COUPLE, "phone");
        EmbeddedChannel bobLaptop = chat.member(BOB, COUPLE, "laptop");
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
        assertThat(chat.service.sessionCount()).isEqualTo(1);
    }

    @Test
    void aNewSessionOfTheSameDeviceReplacesTheOldOneWhoseLateMessagesAreNotSequenced() {
        EmbeddedChannel alice = chat.member(ALICE, COUPLE);
        EmbeddedChannel bobBefore = chat.member(BOB, COUPLE, "phone");
        bobBefore.writeInbound(send(1, "before the reconnect"));
        drain(alice);
        drain(bobBefore);

        // The phone reconnects while its old connection is still open here (its last bytes in flight).
        EmbeddedChannel bobAfter = chat.member(BOB, COUPLE, "phone");
        bobAfter.writeInbound(send(3, "after the reconnect"));
        bobBefore.writeInbound(send(2, "late bytes of the old connection"));  // before its close task runs

        assertThat(drain(alice)).extracting(SEQUENCED).containsExactly("d2:3");
        assertThat(drain(bobBefore)).singleElement()
                .satisfies(p -> assertThat(p.getError().getCode()).isEqualTo(ErrorCode.SESSION_REPLACED));
        assertThat(bobBefore.isOpen()).isFalse();
        assertThat(drain(bobAfter)).extracting(p -> p.isSetPresence() ? "presence" : SEQUENCED.apply(p))
                .as("bob never went offline: no presence to alice, one to the new session")
                .containsExactly("presence", "ack2");
        assertThat(chat.count("chat.sessions.replaced")).isEqualTo(1);
        assertThat(chat.count("chat.rejections", "reason", "session_replaced")).isEqualTo(1);
        assertThat(chat.service.sessionCount()).isEqualTo(2);
    }

    /**
     * Sends are idempotent per sender: the same clientMessageId again (a resend after a reconnect,
     * or a replayed QUIC 0-RTT flight, even on a new session of the sender) is acked with the
     * sequence it got the first time and delivered once.
     */
    @Test
    void aResentMessageIdIsAckedAgainButDeliveredOnce() {
        EmbeddedChannel alice = chat.member(ALICE, COUPLE);
        EmbeddedChannel bob = chat.member(BOB, COUPLE);
        drain(alice);
        drain(bob);

        alice.writeInbound(send(10, "hi bob"));
        alice.writeInbound(send(10, "hi bob"));
        EmbeddedChannel aliceAgain = chat.member(ALICE, COUPLE);  // a replay opens a new session: same sender
        drain(alice);
        drain(aliceAgain);
        aliceAgain.writeInbound(send(10, "hi bob"));
        aliceAgain.writeInbound(send(11, "and more"));

        assertThat(drain(bob)).filteredOn(ClientPacket::isSetDelivery).extracting(SEQUENCED)
                .containsExactly("d1:10", "d2:11");
        assertThat(drain(aliceAgain)).filteredOn(ClientPacket::isSetSendAck).extracting(SEQUENCED)
                .containsExactly("ack1", "ack2");
        assertThat(chat.registry.get("chat.rejections").tag("reason", "duplicate_message").counter().count())
                .isEqualTo(2);
    }

    @Test
    void echoComesBackToTheSenderOnly() {
        EmbeddedChannel alice = chat.member(ALICE, COUPLE);
        EmbeddedChannel bob = chat.member(BOB, COUPLE);
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
        EmbeddedChannel forged = chat.connect();
        forged.writeInbound(auth(ALICE, COUPLE, "forged"));
        assertThat(authResult(forged)).isEqualTo(AuthStatus.BAD_SIGNATURE);
        assertThat(forged.isOpen()).isFalse();

        EmbeddedChannel elsewhere = chat.connect();
        elsewhere.writeInbound(auth(ALICE, NOT_OURS, "good"));
        assertThat(authResult(elsewhere)).isEqualTo(AuthStatus.WRONG_SHARD);

        assertThat(chat.count("chat.auth.results", "status", "bad_signature")).isEqualTo(1);
        assertThat(chat.count("chat.auth.results", "status", "wrong_shard")).isEqualTo(1);
        assertThat(chat.service.sessionCount()).isZero();
    }

    @Test
    void aStreamAdmitsOnlyTheCoupleItWasRoutedFor() {
        EmbeddedChannel smuggled = chat.connect(chat.service.newStreamSessionHandler(COUPLE + 1));
        smuggled.writeInbound(auth(ALICE, COUPLE, "good"));
        assertThat(authResult(smuggled)).isEqualTo(AuthStatus.WRONG_SHARD);

        // This server's ring gives NOT_OURS to someone else, but the stream admission settled that.
        EmbeddedChannel routed = chat.connect(chat.service.newStreamSessionHandler(NOT_OURS));
        routed.writeInbound(auth(ALICE, NOT_OURS, "good"));
        assertThat(authResult(routed)).isEqualTo(AuthStatus.OK);
    }

    @Test
    void firstPacketMustBeAuth() {
        EmbeddedChannel channel = chat.connect();
        channel.writeInbound(ClientPacket.ping(new Heartbeat(1)));
        ClientPacket error = channel.readOutbound();
        assertThat(error.getError().getCode()).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        assertThat(channel.isOpen()).isFalse();
        assertThat(chat.count("chat.rejections", "reason", "not_authenticated")).isEqualTo(1);
    }

    @Test
    void sessionsBeyondTheLimitAreToldTheServerIsBusy() {
        limits(new ChatLimits(1, 1024, 16));
        chat.member(ALICE, COUPLE);
        EmbeddedChannel second = chat.connect();
        second.writeInbound(auth(BOB, COUPLE, "good"));
        assertThat(authResult(second)).isEqualTo(AuthStatus.SERVER_BUSY);
        assertThat(chat.service.sessionCount()).isEqualTo(1);
    }

    @Test
    void oversizedMessageIsRefusedButTheSessionLives() {
        limits(new ChatLimits(10, 4, 16));
        EmbeddedChannel alice = chat.member(ALICE, COUPLE);
        alice.writeInbound(send(1, "too long"));
        assertThat(((ClientPacket) alice.readOutbound()).getError().getCode())
                .isEqualTo(ErrorCode.MESSAGE_TOO_LARGE);
        assertThat(alice.isOpen()).isTrue();
        alice.writeInbound(ClientPacket.ping(new Heartbeat(9)));
        assertThat(((ClientPacket) alice.readOutbound()).getPong().getNonce()).isEqualTo(9);
    }

    @Test
    void aPartnerWhoseDeliveriesPileUpIsClosedNotBuffered() {
        limits(new ChatLimits(10, 1024, 3));
        EmbeddedChannel alice = chat.member(ALICE, COUPLE);
        // Bob's socket never drains: writes reach this handler and never complete.
        EmbeddedChannel bob = chat.connect(new NeverWritten(), chat.service.newSessionHandler());
        bob.writeInbound(auth(BOB, COUPLE, "good"));

        for (int i = 0; i < 5; i++) {
            alice.writeInbound(send(i, "m" + i));
        }
        bob.runPendingTasks();

        assertThat(bob.isOpen()).isFalse();
        assertThat(chat.count("chat.sessions.closed.slow")).isEqualTo(1);
        assertThat(alice.isOpen()).isTrue();
    }

    /** Swallows writes without completing them, like a socket whose peer stopped reading. */
    private static final class NeverWritten extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {}
    }
}
