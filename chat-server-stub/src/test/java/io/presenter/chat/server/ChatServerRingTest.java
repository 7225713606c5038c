package io.presenter.chat.server;

import static io.presenter.chat.server.ChatCluster.CONVERGENCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Direct clients of chat servers registered in a real ZooKeeper: ownership, hand-over, drain. */
class ChatServerRingTest {

    private final ChatCluster cluster = new ChatCluster();

    ChatServerRingTest() throws Exception {}

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    @Test
    void aCoupleIsServedOnlyByTheServerThatOwnsIt() throws Exception {
        cluster.start("chat-a");
        cluster.start("chat-b");
        RingSnapshot ring = cluster.converged(2);
        for (long couple = 0; couple < 20; couple++) {
            ChatServer owner = cluster.owner(ring, couple);
            ChatServer other = cluster.servers().stream().filter(s -> s != owner).findFirst().orElseThrow();
            cluster.direct(owner, 1, couple, AuthStatus.OK);
            cluster.direct(other, 1, couple, AuthStatus.WRONG_SHARD).awaitClosed();
        }
    }

    @Test
    void aJoiningServerTakesOverItsCouplesAndNoOthers() throws Exception {
        ChatServer a = cluster.start("chat-a");
        RingSnapshot before = cluster.converged(1);
        Map<Long, TestChatClient> members = new LinkedHashMap<>();
        for (long couple = 0; couple < 40; couple++) {
            members.put(couple, cluster.direct(cluster.owner(before, couple), 1, couple, AuthStatus.OK));
        }

        cluster.start("chat-b");
        RingSnapshot after = cluster.converged(2);

        long stayed = 0;
        for (Map.Entry<Long, TestChatClient> entry : members.entrySet()) {
            if (after.owner(entry.getKey()).orElseThrow().id().equals("chat-b")) {
                ClientPacket error = entry.getValue().next(ClientPacket::isSetError);
                assertThat(error.getError().getCode()).isEqualTo(ErrorCode.SHARD_MOVED);
                entry.getValue().awaitClosed();
            } else {
                stayed++;
            }
        }
        assertThat(stayed).isBetween(1L, 39L);
        // The client can see the close before chat-a's own channelInactive has ended the session.
        long expected = stayed;
        Await.until(CONVERGENCE, () -> a.service().sessionCount() == expected,
                () -> "chat-a keeps exactly the " + expected + " couples it still owns, has "
                        + a.service().sessionCount());
    }

    @Test
    void aDrainedServerHandsEveryCoupleToTheOthers() throws Exception {
        cluster.start("chat-a");
        ChatServer b = cluster.start("chat-b");
        RingSnapshot ring = cluster.converged(2);
        for (long couple = 0; couple < 20; couple++) {
            cluster.direct(cluster.owner(ring, couple), 1, couple, AuthStatus.OK);
        }
        assertThat(b.service().sessionCount()).isPositive();

        Integer left = b.drain().get(CONVERGENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(left).as("sessions left on the drained server").isZero();
        RingSnapshot drained = cluster.converged(2);
        assertThat(drained.member("chat-b")).hasValueSatisfying(m -> assertThat(m.takesNewCouples()).isFalse());
        for (long couple = 0; couple < 20; couple++) {
            assertThat(drained.owner(couple)).hasValueSatisfying(m -> assertThat(m.id()).isEqualTo("chat-a"));
        }
    }
}
