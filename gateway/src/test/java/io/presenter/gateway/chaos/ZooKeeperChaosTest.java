package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.presenter.chat.server.ChatServer;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The presenter and chat servers on a real 3-node ZooKeeper ensemble ({@link TestingCluster}),
 * while couples chat: one node dies (nothing happens), the whole ensemble goes away for a while
 * (everyone routes on the last ring; new clients connect and chat), a chat server's session
 * expires (it registers again; each couple ends on exactly one server).
 */
class ZooKeeperChaosTest extends ChaosTestBase {

    static final int COUPLES = 100;
    /** How long the whole ensemble stays down; {@code -Dchaos.zk.outage=PT60S} for the long version. */
    static final Duration OUTAGE = Duration.parse(System.getProperty("chaos.zk.outage", "PT12S"));
    /** Couple ids of this class start here. */
    static final long FIRST = 400_000;

    private TestingCluster ensemble;

    @BeforeEach
    void start() throws Exception {
        ensemble = new TestingCluster(3);
        ensemble.start();
        start(new PresenterCluster(ensemble.getConnectString()), PresenterCluster.settings(), UnaryOperator.identity(),
                "chat-1", "chat-2", "chat-3");
    }

    @AfterEach
    void stopEnsemble() throws Exception {
        stopFleetAndCluster();  // before the ensemble they talk to
        ensemble.close();
    }

    @Test
    void losingOneEnsembleNodeChangesNothing() throws Exception {
        List<Couple> first = connectAndChat(FIRST, COUPLES);
        RingSnapshot ring = cluster.directory.ring();
        InstanceSpec presentersNode = ensemble.findConnectionInstance(
                cluster.curator().getZookeeperClient().getZooKeeper());
        assertThat(ensemble.killServer(presentersNode)).isTrue();

        List<Couple> second = connectAndChat(FIRST + COUPLES, COUPLES / 2);
        List<Couple> all = new ArrayList<>(first);
        all.addAll(second);
        for (int round = 0; round < 3; round++) {
            fleet.sendRound(all);
        }
        fleet.awaitAllDelivered(all, SETTLE);
        Await.until(SETTLE, () -> cluster.curator().getZookeeperClient().isConnected(),
                () -> "presenter not reconnected to the surviving nodes");
        // The version may rise (a chat server that was on the dead node rewrites its member node on
        // reconnecting, a new mzxid), but the members and every couple's owner stay the same.
        sameOwners(ring, cluster.converged(3), all);
        assertThat(fleet.violations()).isEmpty();
        ChaosAssertions.untouched(all);
        ChaosAssertions.onOwner(cluster, all, ring);
        assertThat(cluster.registry.find(ClientMeters.AUTH_REJECTED).counters()).isEmpty();
        ChaosReport.print("ZooKeeperChaosTest.losingOneEnsembleNodeChangesNothing", "clients", 2 * all.size(),
                "killedNode", presentersNode.getConnectString(), "ringVersionBefore", ring.version(),
                "ringVersionAfter", cluster.directory.ring().version(), "violations", fleet.violations().size(),
                "clientsDisconnected", ChaosAssertions.disconnectedClients(all),
                "authRejected", ChaosReport.byTag(cluster.registry, ClientMeters.AUTH_REJECTED, "reason"));
    }

    @Test
    void withTheWholeEnsembleDownEveryoneRoutesOnTheLastRing() throws Exception {
        List<Couple> all = new ArrayList<>(connectAndChat(FIRST, COUPLES));
        RingSnapshot ring = cluster.directory.ring();
        for (InstanceSpec node : ensemble.getInstances()) {
            ensemble.killServer(node);
        }
        Await.until(SETTLE, () -> !cluster.curator().getZookeeperClient().isConnected(),
                () -> "presenter still thinks it is connected");

        // Throughout the outage: new couples connect in batches, everyone chats, every message arrives.
        long deadline = System.nanoTime() + OUTAGE.toNanos();
        int batches = 0;
        long next = 1_000;
        while (System.nanoTime() - deadline < 0) {
            all.addAll(connectAndChat(FIRST + next, 10));
            next += 10;
            batches++;
            fleet.sendRound(all);
            fleet.awaitAllDelivered(all, SETTLE);
        }
        assertThat(cluster.directory.ring()).as("ring during the outage").isEqualTo(ring);

        for (InstanceSpec node : ensemble.getInstances()) {
            ensemble.restartServer(node);
        }
        Await.until(SETTLE, () -> cluster.curator().getZookeeperClient().isConnected(),
                () -> "presenter not reconnected");
        RingSnapshot after = cluster.converged(3);
        ChaosAssertions.back(all, 1, SETTLE, fleet);
        fleet.sendRound(all);
        fleet.awaitAllDelivered(all, SETTLE);

        assertThat(fleet.violations()).isEmpty();
        assertThat(cluster.registry.find(ClientMeters.AUTH_REJECTED).counters()).as("routing errors").isEmpty();
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", "no_shard")).isZero();
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", "backend_unavailable")).isZero();
        if (OUTAGE.compareTo(ZooKeeperConfig.DEFAULT_SESSION_TIMEOUT) < 0) {
            // Shorter than the chat servers' session timeout: their member nodes never went away.
            sameOwners(ring, after, all);
            ChaosAssertions.untouched(all);
        }
        ChaosAssertions.onOwner(cluster, all, after);
        ChaosReport.print("ZooKeeperChaosTest.withTheWholeEnsembleDownEveryoneRoutesOnTheLastRing",
                "outage", OUTAGE, "clients", 2 * all.size(), "couplesConnectedDuringOutage", all.size() - COUPLES,
                "batches", batches, "ringVersionBefore", ring.version(), "ringVersionAfter", after.version(),
                "clientsDisconnected", ChaosAssertions.disconnectedClients(all),
                "violations", fleet.violations().size(),
                "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"),
                "authRejected", ChaosReport.byTag(cluster.registry, ClientMeters.AUTH_REJECTED, "reason"));
    }

    @Test
    void aChatServerWhoseSessionExpiresRegistersAgainAndEachCoupleEndsOnOneServer() throws Exception {
        List<Couple> all = connectAndChat(FIRST, COUPLES);
        RingSnapshot ring = cluster.directory.ring();
        ChatServer expired = cluster.chatServer("chat-2");
        List<Couple> itsCouples = all.stream().filter(c -> ring.owner(c.id).orElseThrow().id().equals("chat-2")).toList();
        assertThat(itsCouples).isNotEmpty();

        // Watch for a couple with sessions on two servers at once, all along.
        AtomicInteger splitSamples = new AtomicInteger();
        AtomicInteger samples = new AtomicInteger();
        Thread watcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                samples.incrementAndGet();
                for (Couple couple : all) {
                    if (serversWithSessions(couple) > 1) {
                        splitSamples.incrementAndGet();
                    }
                }
                Thread.onSpinWait();
            }
        }, "split-watcher");
        watcher.start();
        try {
            KillSession.kill(expired.zooKeeperClient().getZookeeperClient().getZooKeeper());
            // It leaves the ring, then its PersistentNode puts it back under the new session. The
            // presenter and the other chat servers follow; the expired server's own view may lag
            // (see theExpiredServersOwnRingCatchesUp), which routing tolerates: a presenter on a
            // newer ring is trusted.
            Await.until(SETTLE, () -> cluster.directory.ring().version() > ring.version()
                            && cluster.directory.ring().member("chat-2").isPresent()
                            && cluster.chatServer("chat-1").ring().version() == cluster.directory.ring().version()
                            && cluster.chatServer("chat-3").ring().version() == cluster.directory.ring().version(),
                    () -> "chat-2 not back in " + cluster.directory.ring());
            RingSnapshot after = cluster.directory.ring();
            ChaosAssertions.back(all, 1, SETTLE, fleet);
            Await.until(SETTLE, () -> all.stream().allMatch(c -> serversWithSessions(c) == 1
                            && ownerSessions(after, c) == 2),
                    () -> "couples not settled on their owner");
            int splitsBeforeSettled = splitSamples.get();
            splitSamples.set(0);
            fleet.sendRound(all);
            fleet.awaitAllDelivered(all, SETTLE);
            watcher.interrupt();
            watcher.join(10_000);

            assertThat(splitSamples.get()).as("couples split over two servers once the ring settled").isZero();
            assertThat(fleet.violations()).as("wrong-couple, duplicate or reordered deliveries").isEmpty();
            ChaosAssertions.onOwner(cluster, all, after);
            assertThat(after.member("chat-2")).isPresent();
            assertThat(after.members()).hasSize(3);
            ChaosReport.print("ZooKeeperChaosTest.aChatServerWhoseSessionExpiresRegistersAgain",
                    "clients", 2 * all.size(), "couplesOfExpiredServer", itsCouples.size(),
                    "ringVersions", ring.version() + "->" + after.version(),
                    "expiredServersRing", expired.ring().version(),
                    "clientsDisconnected", ChaosAssertions.disconnectedClients(all),
                    "splitSamplesWhileMoving", splitsBeforeSettled, "samples", samples.get(),
                    "violations", fleet.violations().size(),
                    "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"),
                    "wrongShardRetries", cluster.counter(ClientMeters.WRONG_SHARD_RETRIES));
        } finally {
            watcher.interrupt();
        }
    }

    /**
     * Finding (not fixed here: {@code io.presenter.ring} is not this suite's to change): after its
     * session expires, the expired chat server's own {@code ZooKeeperShardDirectory} sometimes
     * stays on the ring it had before (seen 1 run in 3: presenter and the other servers at the
     * re-registration's version, chat-2 still at the old one for 20 s+), apparently because its
     * member-cache catch-up waits for a cache event that the re-sync after expiry does not fire.
     * Routing is unaffected (the presenter's newer ring is trusted), but that server's direct-TLS
     * ownership and couple moves run on a stale ring until the next membership change.
     */
    @Test
    void theExpiredServersOwnRingCatchesUp() throws Exception {
        connectAndChat(FIRST, 10);
        RingSnapshot ring = cluster.directory.ring();
        ChatServer expired = cluster.chatServer("chat-2");
        KillSession.kill(expired.zooKeeperClient().getZookeeperClient().getZooKeeper());
        Await.until(SETTLE, () -> cluster.directory.ring().version() > ring.version()
                && cluster.directory.ring().member("chat-2").isPresent(), () -> "chat-2 not back");
        cluster.converged(3);
    }

    private static void sameOwners(RingSnapshot before, RingSnapshot after, List<Couple> couples) {
        assertThat(after.members()).as("members").isEqualTo(before.members());
        for (Couple couple : couples) {
            assertThat(after.owner(couple.id)).as("owner of %s", couple).isEqualTo(before.owner(couple.id));
        }
    }

    private int serversWithSessions(Couple couple) {
        int servers = 0;
        for (ChatServer server : cluster.chatServers()) {
            if (!server.closeFuture().isDone() && !server.service().sessionChannels(couple.id).isEmpty()) {
                servers++;
            }
        }
        return servers;
    }

    private int ownerSessions(RingSnapshot ring, Couple couple) {
        List<Channel> sessions = cluster.chatServer(ring.owner(couple.id).orElseThrow().id()).service()
                .sessionChannels(couple.id);
        return sessions.size();
    }
}
