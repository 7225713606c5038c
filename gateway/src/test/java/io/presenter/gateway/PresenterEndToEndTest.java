package io.presenter.gateway;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.chat.server.ChatServer;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Clients through a presenter to three chat servers, over real TLS, mux and ZooKeeper. */
class PresenterEndToEndTest {

    private static final int COUPLES = 150;
    private static final int MESSAGES = 5;
    private static final int CONNECTIONS_PER_LOOP = 2;

    private PresenterCluster cluster;
    private PresenterServer presenter;

    @BeforeEach
    void start() throws Exception {
        cluster = new PresenterCluster();
        for (String id : List.of("chat-1", "chat-2", "chat-3")) {
            cluster.startChatServer(id);
        }
        cluster.converged(3);
        presenter = cluster.startPresenter(PresenterCluster.settings().withConnectionsPerLoop(CONNECTIONS_PER_LOOP),
                cluster.directory);
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    @Test
    void everyCoupleChatsThroughItsOwnShardOverAFixedNumberOfInternalConnections() throws Exception {
        List<TestChatClient[]> couples = connectCouples(COUPLES);

        for (int c = 0; c < COUPLES; c++) {
            TestChatClient[] pair = couples.get(c);
            assertChat(pair[0], pair[1], 1, MESSAGES);
            assertChat(pair[1], pair[0], 1, MESSAGES);
        }
        for (int c = 0; c < COUPLES; c++) {
            long couple = couple(c);
            assertThat(cluster.owner(couple).service().sessionChannels(couple))
                    .as("sessions of couple %d on its owner", couple).hasSize(2);
        }
        assertThat(cluster.registry.get(ClientMeters.CONNECTIONS_ACTIVE).gauge().value()).isEqualTo(2.0 * COUPLES);
        for (String id : List.of("chat-1", "chat-2", "chat-3")) {
            assertThat(presenter.backends().openConnections(id)).as("mux connections to %s", id)
                    .isEqualTo(PresenterCluster.EVENT_LOOPS * CONNECTIONS_PER_LOOP);
        }
        assertThat(cluster.counter(ClientMeters.RELAY_BYTES, "direction", "to_stream")).isPositive();
    }

    @Test
    void aChatServerThatDiesTakesOnlyItsOwnClients() throws Exception {
        int couplesCount = 30;
        List<TestChatClient[]> couples = connectCouples(couplesCount);
        RingSnapshot ring = cluster.directory.ring();
        ChatServer victim = cluster.chatServer("chat-2");

        // Traffic in flight on every couple while the server goes.
        for (TestChatClient[] pair : couples) {
            pair[0].sendMessage(100, "before the crash");
        }
        victim.close();

        List<TestChatClient[]> survivors = new ArrayList<>();
        for (int c = 0; c < couplesCount; c++) {
            TestChatClient[] pair = couples.get(c);
            if (ring.owner(couple(c)).orElseThrow().id().equals(victim.id())) {
                pair[0].awaitClosed();
                pair[1].awaitClosed();
            } else {
                survivors.add(pair);
            }
        }
        assertThat(survivors).isNotEmpty().hasSizeLessThan(couplesCount);
        for (TestChatClient[] pair : survivors) {
            assertThat(pair[1].next(p -> p.isSetDelivery()).getDelivery().getClientMessageId()).isEqualTo(100);
            assertChat(pair[0], pair[1], 200, MESSAGES);
            assertThat(pair[0].channel().isActive()).isTrue();
        }
        Await.until(PresenterCluster.CONVERGENCE, () -> presenter.backends().openConnections(victim.id()) == 0,
                () -> "connections to the dead server: " + presenter.backends().openConnections(victim.id()));
    }

    private List<TestChatClient[]> connectCouples(int count) throws Exception {
        List<TestChatClient[]> couples = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            couples.add(new TestChatClient[] {
                    cluster.authenticated(presenter, 2L * c + 1, couple(c)),
                    cluster.authenticated(presenter, 2L * c + 2, couple(c))});
        }
        return couples;
    }

    private static long couple(int index) {
        return 10_000 + index;
    }
}
