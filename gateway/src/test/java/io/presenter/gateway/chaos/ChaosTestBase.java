package io.presenter.gateway.chaos;

import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.GatewaySettings;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;

/**
 * What the fleet-driven chaos tests share: chat servers behind one presenter, all on a real
 * ZooKeeper, and a {@link ChatFleet} of self-checking TLS clients aimed at the presenter.
 */
abstract class ChaosTestBase {

    static final Duration SETTLE = Duration.ofSeconds(60);

    PresenterCluster cluster;
    PresenterServer presenter;
    ChatFleet fleet;

    /** Starts chat servers {@code ids} (config adjusted by {@code tweak}) in {@code on}, then the presenter and the fleet. */
    void start(PresenterCluster on, GatewaySettings settings, UnaryOperator<ChatServerConfig> tweak, String... ids)
            throws Exception {
        cluster = on;
        for (String id : ids) {
            cluster.startChatServer(id, tweak);
        }
        cluster.converged(ids.length);
        presenter = cluster.startPresenter(settings, cluster.directory);
        fleet = new ChatFleet(cluster, presenter.address());
    }

    /** Connects couples {@code first..first+count-1}, waits until all are in, and checks one round of chat. */
    List<Couple> connectAndChat(long first, int count) {
        List<Couple> couples = fleet.connect(LongStream.range(first, first + count).boxed().toList());
        fleet.awaitAuthenticated(couples, SETTLE);
        fleet.sendRound(couples);
        fleet.awaitAllDelivered(couples, SETTLE);
        return couples;
    }

    /** Closes the fleet, then the cluster; idempotent, so a subclass can stop them before its own parts. */
    @AfterEach
    void stopFleetAndCluster() throws Exception {
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
