package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.chat.server.ChatServer;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.chaos.ChatFleet.Member;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three chat servers, hundreds of couples chatting through one presenter, and one chat server
 * killed in the middle of the traffic. Its couples, and only they, are cut off; they come back
 * with a jittered backoff and land on the couple's new owner; nobody gets a message twice, out of
 * order or from another couple; every other couple never notices.
 */
class ChatServerKillTest extends ChaosTestBase {

    /** Couples (two TLS clients each); {@code -Dchaos.couples=1000} for the 2,000-client run. */
    static final int COUPLES = Integer.getInteger("chaos.couples", 500);
    static final long TRAFFIC_PERIOD_MILLIS = 50;

    private final TrafficPump pump = new TrafficPump();

    @BeforeEach
    void start() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings().withConnectionsPerLoop(2), UnaryOperator.identity(),
                "chat-1", "chat-2", "chat-3");
    }

    @AfterEach
    void stopPump() throws Exception {
        pump.close();
    }

    @Test
    void onlyTheDeadServersCouplesReconnectAndTheyLandOnTheNewOwner() throws Exception {
        long started = System.nanoTime();
        List<Couple> all = fleet.connect(LongStream.range(0, COUPLES).map(i -> 100_000 + i).boxed().toList());
        fleet.awaitAuthenticated(all, SETTLE);
        long connectedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        for (int round = 0; round < 3; round++) {
            fleet.sendRound(all);
        }
        fleet.awaitAllDelivered(all, SETTLE);

        RingSnapshot before = cluster.directory.ring();
        ChatServer victim = cluster.chatServer("chat-2");
        RingSnapshot without = RingSnapshot.of(before.version(),
                before.members().stream().filter(m -> !m.id().equals(victim.id())).toList());
        List<Couple> orphans = all.stream().filter(c -> owner(before, c).equals(victim.id())).toList();
        List<Couple> bystanders = all.stream().filter(c -> !orphans.contains(c)).toList();
        assertThat(orphans).as("couples of the victim").isNotEmpty().hasSizeLessThan(all.size());
        assertThat(victim.service().sessionCount()).isEqualTo(2 * orphans.size());

        // Traffic on every couple, continuously, while the server dies.
        pump.start(fleet, all, TRAFFIC_PERIOD_MILLIS, 5, SETTLE);
        long killed = System.nanoTime();
        victim.close();

        Await.until(SETTLE, () -> orphans.stream().allMatch(c -> c.online() && c.sides[0].authenticated.get() >= 2
                        && c.sides[1].authenticated.get() >= 2),
                () -> orphans.stream().filter(c -> !c.online() || c.sides[0].authenticated.get() < 2
                        || c.sides[1].authenticated.get() < 2).count() + " of " + orphans.size()
                        + " orphaned couples not back, e.g. " + orphans.stream().filter(c -> !c.online()
                        || c.sides[0].authenticated.get() < 2 || c.sides[1].authenticated.get() < 2).limit(3)
                        .flatMap(c -> Stream.of(c.sides)).toList() + "; violations " + fleet.violations()
                        + "; presenter closes " + ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"));
        long backMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        pump.stop();
        fleet.sendRound(all);
        fleet.awaitAllDelivered(all, SETTLE);

        assertThat(fleet.violations()).as("wrong-couple, duplicate or reordered deliveries").isEmpty();
        for (Couple couple : bystanders) {
            for (Member member : couple.sides) {
                assertThat(member.closes.get()).as("closes of %s", member).isZero();
                assertThat(member.errorPackets.get()).as("errors of %s", member).isZero();
                assertThat(member.gaps.get()).as("lost messages of %s", member).isZero();
                assertThat(member.authenticated.get()).as("logins of %s", member).isEqualTo(1);
            }
        }
        long disconnected = all.stream().flatMap(c -> Stream.of(c.sides)).filter(m -> m.closes.get() > 0).count();
        assertThat(disconnected).as("clients disconnected").isEqualTo(2L * orphans.size());
        for (Couple couple : orphans) {
            String newOwner = owner(without, couple);
            assertThat(owner(cluster.directory.ring(), couple)).isEqualTo(newOwner);
            assertThat(cluster.chatServer(newOwner).service().sessionChannels(couple.id))
                    .as("sessions of %s on its new owner %s", couple, newOwner).hasSize(2);
        }
        List<Long> delays = fleet.backoffDelaysMillis();
        LongSummaryStatistics delayStats = delays.stream().mapToLong(Long::longValue).summaryStatistics();
        assertThat(delayStats.getMin()).isGreaterThanOrEqualTo(ChatFleet.BACKOFF_BASE.toMillis() / 2);
        // First attempts draw from [base/2, base] in whole milliseconds: spread over that range, not synchronised.
        long jitterRange = ChatFleet.BACKOFF_BASE.toMillis() / 2;
        assertThat(delays).as("one scheduled reconnect per disconnect at least").hasSizeGreaterThanOrEqualTo(
                (int) disconnectedCount(all));
        assertThat(delays.stream().distinct().count()).as("distinct reconnect delays (jitter) of %s", delays.size())
                .isGreaterThan(Math.min(delays.size(), jitterRange + 1) / 4);
        assertThat(delayStats.getMax() - delayStats.getMin()).as("spread of reconnect delays")
                .isGreaterThanOrEqualTo(jitterRange / 2);

        long reconnects = all.stream().flatMap(c -> Stream.of(c.sides)).mapToLong(m -> m.connects.get() - 1).sum();
        long messages = all.stream().flatMap(c -> Stream.of(c.sides)).mapToLong(m -> m.sent).sum();
        long lost = orphans.stream().flatMap(c -> Stream.of(c.sides)).mapToLong(m -> m.gaps.get()).sum();
        ChaosReport.print("ChatServerKillTest", "clients", 2 * all.size(), "victimCouples", orphans.size(),
                "bystanderCouples", bystanders.size(), "clientsDisconnected", disconnected,
                "reconnectAttempts", reconnects, "backoffMs", delayStats.getMin() + ".." + delayStats.getMax(),
                "messagesSent", messages, "skippedRounds", fleet.skippedRounds(), "orphanGaps", lost, "violations", fleet.violations().size(),
                "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"),
                "authRejected", ChaosReport.byTag(cluster.registry, ClientMeters.AUTH_REJECTED, "reason"),
                "connectMs", connectedMillis, "allBackAfterKillMs", backMillis,
                "seconds", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    }

    private static long disconnectedCount(List<Couple> couples) {
        return ChaosAssertions.disconnectedClients(couples);
    }

    private static String owner(RingSnapshot ring, Couple couple) {
        return ring.owner(couple.id).orElseThrow().id();
    }
}
