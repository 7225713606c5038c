package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.presenter.chat.server.ChatServer;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.client.ClientRelay;
import io.presenter.testing.Await;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One of the presenter's mux connections is cut from outside the mux session: the chat server's
 * end of the socket is closed with SO_LINGER 0, so the presenter sees a TCP reset, as after a
 * middlebox or kernel drops the connection. The streams on it reset and their clients are closed
 * (exactly those), they reconnect over a fresh connection; the streams on the other connections
 * never notice.
 */
class MuxConnectionCutTest extends ChaosTestBase {

    static final int COUPLES = 200;
    static final int CONNECTIONS_PER_LOOP = 2;


    @BeforeEach
    void start() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings().withConnectionsPerLoop(CONNECTIONS_PER_LOOP),
                UnaryOperator.identity(), "chat-1");
    }

    @Test
    void onlyTheCutConnectionsClientsAreClosedAndTheyComeBack() throws Exception {
        long started = System.nanoTime();
        List<Couple> all = connectAndChat(300_000, COUPLES);
        ChatServer server = cluster.chatServer("chat-1");
        int connections = PresenterCluster.EVENT_LOOPS * CONNECTIONS_PER_LOOP;
        assertThat(presenter.backends().openConnections("chat-1")).isEqualTo(connections);

        // The chat server's end of one mux connection, and how many of each couple's streams ride on it.
        Channel cut = server.service().sessionChannels(all.get(0).id).get(0).parent();
        Map<Couple, Integer> onCut = new HashMap<>();
        for (Couple couple : all) {
            List<Channel> sessions = server.service().sessionChannels(couple.id);
            assertThat(sessions).hasSize(2);
            onCut.put(couple, (int) sessions.stream().filter(s -> s.parent() == cut).count());
        }
        int clientsOnCut = onCut.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(clientsOnCut).as("streams on the cut connection").isPositive().isLessThan(2 * COUPLES);
        List<Couple> untouched = all.stream().filter(c -> onCut.get(c) == 0).toList();
        List<Couple> hit = all.stream().filter(c -> onCut.get(c) > 0).toList();

        fleet.sendRound(all);  // in flight while the connection goes
        cut.config().setOption(ChannelOption.SO_LINGER, 0);
        cut.close().syncUninterruptibly();

        Await.until(SETTLE, () -> ChaosAssertions.disconnectedClients(all) >= clientsOnCut,
                () -> ChaosAssertions.disconnectedClients(all) + " of " + clientsOnCut + " clients closed");
        ChaosAssertions.back(hit, 1, SETTLE, fleet);
        Await.until(SETTLE, () -> hit.stream().allMatch(c -> c.sides[0].authenticated.get()
                        + c.sides[1].authenticated.get() == 2 + onCut.get(c)),
                () -> "clients of the cut connection not logged in again");
        fleet.sendRound(all);
        fleet.awaitAllDelivered(all, SETTLE);

        assertThat(fleet.violations()).isEmpty();
        ChaosAssertions.untouched(untouched);
        for (Couple couple : hit) {
            assertThat(couple.closes()).as("closes of %s, %d stream(s) on the cut connection", couple, onCut.get(couple))
                    .isEqualTo(onCut.get(couple));
        }
        assertThat(ChaosAssertions.disconnectedClients(all)).isEqualTo(clientsOnCut);
        cluster.awaitCounter(clientsOnCut, ClientMeters.CONNECTIONS_CLOSED, "reason", ClientRelay.BACKEND_LOST);
        ChaosAssertions.onOwner(cluster, all, cluster.directory.ring());
        Await.until(SETTLE, () -> presenter.backends().openConnections("chat-1") == connections,
                () -> "open connections " + presenter.backends().openConnections("chat-1"));

        ChaosReport.print("MuxConnectionCutTest", "clients", 2 * COUPLES, "muxConnections", connections,
                "streamsOnCutConnection", clientsOnCut, "clientsClosed", ChaosAssertions.disconnectedClients(all),
                "couplesUntouched", untouched.size(), "violations", fleet.violations().size(),
                "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"),
                "seconds", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    }
}
