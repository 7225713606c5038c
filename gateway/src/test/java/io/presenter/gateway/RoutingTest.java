package io.presenter.gateway;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static io.presenter.gateway.PresenterCluster.assertDelivered;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.SendMessage;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.TestChatClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the presenter gets a client's bytes to the right chat server: leftover bytes, wrong-shard retries. */
class RoutingTest {

    private PresenterCluster cluster;
    private RingSnapshot ring;

    @BeforeEach
    void start() throws Exception {
        cluster = new PresenterCluster();
        cluster.startChatServer("chat-1");
        cluster.startChatServer("chat-2");
        ring = cluster.converged(2);
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    @Test
    void messagesSentWithTheAuthPacketInOneWriteArriveIntactAndInOrder() throws Exception {
        PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings(), cluster.directory);
        long couple = 700;
        TestChatClient partner = cluster.authenticated(presenter, 2, couple);
        TestChatClient eager = cluster.connect(presenter);

        // One buffer, one TLS record, one read on the presenter: the auth packet and three messages.
        ByteBuf burst = ClientPackets.encode(ByteBufAllocator.DEFAULT, ClientPacket.auth(cluster.auth(1, couple)));
        LongStream.rangeClosed(1, 3).forEach(id -> ClientPackets.encode(ClientPacket.send(new SendMessage(id,
                ByteBuffer.wrap(("early " + id).getBytes(StandardCharsets.UTF_8)))), burst));
        eager.channel().writeAndFlush(burst);

        assertThat(eager.next(ClientPacket::isSetAuthResult).getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
        assertDelivered(partner, 1, 3);
        for (long id = 1; id <= 3; id++) {
            assertThat(eager.next(ClientPacket::isSetSendAck).getSendAck().getClientMessageId()).isEqualTo(id);
        }
        assertChat(partner, eager, 10, 3);
    }

    @Test
    void aStaleRingIsCorrectedByTheChatServerAndTheClientNeverNotices() throws Exception {
        long couple = LongStream.range(1, 10_000).filter(c -> ring.owner(c).orElseThrow().id().equals("chat-2"))
                .findFirst().orElseThrow();
        RingMember chat1 = ring.member("chat-1").orElseThrow();
        RingSnapshot beforeChat2Joined = RingSnapshot.of(ring.version() - 1, List.of(chat1));
        StaleOnceDirectory staleOnce = new StaleOnceDirectory(cluster.directory, beforeChat2Joined);
        PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings(), staleOnce);
        staleOnce.serveStaleOnce();

        TestChatClient misrouted = cluster.authenticated(presenter, 1, couple);
        TestChatClient partner = cluster.authenticated(presenter, 2, couple);

        assertThat(cluster.counter(ClientMeters.WRONG_SHARD_RETRIES)).isEqualTo(1);
        assertThat(cluster.chatServer("chat-2").service().sessionChannels(couple)).hasSize(2);
        assertThat(cluster.chatServer("chat-1").service().sessionChannels(couple)).isEmpty();
        assertChat(misrouted, partner, 1, 3);
        assertChat(partner, misrouted, 1, 3);
    }
}
