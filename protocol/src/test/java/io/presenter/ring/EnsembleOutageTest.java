package io.presenter.ring;

import static io.presenter.ring.RingTestSupport.CONVERGENCE;
import static io.presenter.ring.RingTestSupport.await;
import static io.presenter.ring.RingTestSupport.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.ring.RingRig.Observer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.Test;

/** A three-server ZooKeeper ensemble losing one server, then all, then coming back. */
class EnsembleOutageTest {

    /** Short, so that Curator declares the session LOST within the test. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

    @Test
    void routingGoesOnThroughOutagesAndCatchesUpAfterwards() throws Exception {
        try (TestingCluster cluster = new TestingCluster(3)) {
            cluster.start();
            try (RingRig rig = new RingRig(
                    ZooKeeperConfig.of(cluster.getConnectString()).withSessionTimeout(SESSION_TIMEOUT))) {
                Observer presenter = rig.observer();
                Observer chatServer = rig.observer();
                rig.join("chat-1");
                rig.join("chat-2");
                rig.awaitSameRing("chat-1", "chat-2");
                List<RingMember> twoMembers = presenter.ring().members();
                List<RingSnapshot> changes = new CopyOnWriteArrayList<>();
                presenter.directory().addListener(changes::add);

                // One server of three down, the very one the presenter talks to: a quorum remains.
                InstanceSpec presenterServer =
                        cluster.findConnectionInstance(presenter.client().getZookeeperClient().getZooKeeper());
                cluster.killServer(presenterServer);
                rig.join("chat-3");
                rig.awaitSameRing("chat-1", "chat-2", "chat-3");
                // Chat servers that reconnect rewrite their nodes (Curator's PersistentNode does), which
                // raises the version, but the members, and so the owners, stay as they were.
                List<RingMember> threeMembers = presenter.ring().members();
                assertThat(changes).as("rings since the server went down")
                        .extracting(RingSnapshot::members)
                        .allMatch(members -> members.equals(twoMembers) || members.equals(threeMembers));

                // The whole ensemble down: both views keep routing on the last ring. Compared by
                // content after LOST, not by identity before the kill: an update already in flight
                // (a reconnected member rewriting its node) may still land before the outage.
                for (InstanceSpec server : cluster.getInstances()) {
                    if (!server.equals(presenterServer)) {
                        cluster.killServer(server);
                    }
                }
                for (Observer observer : List.of(presenter, chatServer)) {
                    await(CONVERGENCE, () -> transitions(observer, "lost") > 0, () -> "session LOST");
                }
                RingSnapshot presenterRing = presenter.ring();
                assertThat(presenterRing.members()).isEqualTo(threeMembers);
                assertThat(chatServer.ring().members()).isEqualTo(threeMembers);
                for (long couple = 0; couple < 1_000; couple++) {
                    assertThat(presenter.ring().owner(couple)).isPresent().isEqualTo(chatServer.ring().owner(couple));
                }

                // Back up: the views catch up with a change made after the outage.
                for (InstanceSpec server : cluster.getInstances()) {
                    cluster.restartServer(server);
                }
                rig.join("chat-4");
                long after = rig.awaitSameRing("chat-1", "chat-2", "chat-3", "chat-4");
                assertThat(after).isGreaterThan(presenterRing.version());
                assertThat(transitions(presenter, "suspended")).isPositive();
                assertThat(transitions(presenter, "reconnected")).isPositive();
            }
        }
    }

    private static double transitions(Observer observer, String state) {
        return count(observer.registry(), ZooKeeperConnectionMonitor.TRANSITIONS, "state", state);
    }
}
