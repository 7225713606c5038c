package io.presenter.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.presenter.chat.ChatSessionHandler;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.mux.MuxStreamResetEvent;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Streams opened by a presenter reach the same chat sessions as direct clients. */
class MuxFrontDoorTest {

    private static final long COUPLE = 4242;

    private final ChatCluster cluster = new ChatCluster();

    MuxFrontDoorTest() throws Exception {}

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    @Test
    void aMemberOnAStreamAndAMemberOnADirectConnectionChatExactlyOnceInOrder() throws Exception {
        ChatServer server = cluster.start("chat-a");
        RingSnapshot ring = cluster.converged(1);
        TestChatClient alice = cluster.stream(cluster.presenterConnection(server), COUPLE, ring.version());
        assertThat(alice.authenticate(TestChatClient.authPacket(1, COUPLE, ChatCluster.token()))).isEqualTo(AuthStatus.OK);
        TestChatClient bob = cluster.direct(server, 2, COUPLE, AuthStatus.OK);

        int messages = 300;
        for (int i = 0; i < messages; i++) {
            alice.sendMessage(i, "from alice " + i);
            bob.sendMessage(10_000 + i, "from bob " + i);
        }
        for (int i = 0; i < messages; i++) {
            Delivery toBob = bob.next(ClientPacket::isSetDelivery).getDelivery();
            Delivery toAlice = alice.next(ClientPacket::isSetDelivery).getDelivery();
            assertThat(toBob.getClientMessageId()).isEqualTo(i);
            assertThat(toAlice.getClientMessageId()).isEqualTo(10_000 + i);
        }

        List<Channel> sessions = server.service().sessionChannels(COUPLE);
        assertThat(sessions).hasSize(2).allSatisfy(channel ->
                assertThat(channel.pipeline().get(ChatSessionHandler.class)).isNotNull());
        assertThat(sessions).anySatisfy(c -> assertThat(c).isInstanceOf(MuxStreamChannel.class))
                .anySatisfy(c -> assertThat(c).isInstanceOf(SocketChannel.class));
        assertThat(((MuxStreamChannel) sessions.stream().filter(MuxStreamChannel.class::isInstance)
                .findFirst().orElseThrow()).remoteAddress().toString()).contains("192.0.2.7");
    }

    @Test
    void aStreamRoutedOnAnOlderRingToTheWrongServerIsResetWithTheOwner() throws Exception {
        cluster.start("chat-a");
        cluster.start("chat-b");
        RingSnapshot ring = cluster.converged(2);
        long couple = 0;
        while (!ring.owner(couple).orElseThrow().id().equals("chat-b")) {
            couple++;
        }
        MuxConnection toA = cluster.presenterConnection(cluster.server("chat-a"));

        MuxStreamResetEvent reset = cluster.stream(toA, couple, ring.version() - 1).nextEvent(MuxStreamResetEvent.class);
        assertThat(reset.code()).isEqualTo(ResetCode.WRONG_SHARD);
        assertThat(reset.ownerHint()).isEqualTo("chat-b");
        assertThat(reset.ringVersion()).isEqualTo(ring.version());

        TestChatClient trusted = cluster.stream(toA, couple, ring.version());
        assertThat(trusted.authenticate(TestChatClient.authPacket(1, couple, ChatCluster.token())))
                .as("a presenter on the same ring is trusted").isEqualTo(AuthStatus.OK);
    }

    @Test
    void streamsWhoseCoupleMovesToAJoiningServerAreResetShardMoved() throws Exception {
        ChatServer a = cluster.start("chat-a");
        RingSnapshot before = cluster.converged(1);
        MuxConnection toA = cluster.presenterConnection(a);
        TestChatClient[] streams = new TestChatClient[30];
        for (int couple = 0; couple < streams.length; couple++) {
            streams[couple] = cluster.stream(toA, couple, before.version());
            assertThat(streams[couple].authenticate(TestChatClient.authPacket(1, couple, ChatCluster.token())))
                    .isEqualTo(AuthStatus.OK);
        }

        cluster.start("chat-b");
        RingSnapshot after = cluster.converged(2);

        int moved = 0;
        for (int couple = 0; couple < streams.length; couple++) {
            if (after.owner(couple).orElseThrow().id().equals("chat-b")) {
                MuxStreamResetEvent reset = streams[couple].nextEvent(MuxStreamResetEvent.class);
                assertThat(reset.code()).isEqualTo(ResetCode.SHARD_MOVED);
                assertThat(reset.ownerHint()).isEqualTo("chat-b");
                moved++;
            } else {
                assertThat(streams[couple].channel().isActive()).as("couple %d stays", couple).isTrue();
            }
        }
        assertThat(moved).isBetween(1, streams.length - 1);
        // The reset event is fired just before its stream closes on the connection's event loop.
        int staying = streams.length - moved;
        Await.until(ChatCluster.CONVERGENCE, () -> toA.activeStreams() == staying,
                () -> "streams left " + toA.activeStreams() + ", expected " + staying);
    }
}
