package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.ring.RingSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.LongSummaryStatistics;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fourth chat server joins while hundreds of couples chat through one presenter. The ring says
 * exactly which couples move (about a quarter); those, and only those, are reset, a few at a time
 * over the old owners' move spread, and come back on the new server. The rest never notice.
 * These chat servers have no handover key, so this is the reset path (handover's fallback, and
 * the behaviour with chat servers that do not implement handover); {@link CoupleHandoverTest}
 * is the same join with handover on, where no client is reset at all.
 */
class ChatServerJoinTest extends ChaosTestBase {

    static final int COUPLES = Integer.getInteger("chaos.couples", 500);
    static final Duration MOVE_SPREAD = Duration.ofSeconds(1);
    /** CoupleMover's tick: a sweep ends ceil(moving / (spread / tick)) couples per tick. */
    static final long MOVER_TICK_MILLIS = 10;

    private final TrafficPump pump = new TrafficPump();

    @BeforeEach
    void start() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings().withConnectionsPerLoop(2),
                config -> config.withMoveSpread(MOVE_SPREAD), "chat-1", "chat-2", "chat-3");
    }

    @AfterEach
    void stopPump() throws Exception {
        pump.close();
    }

    @Test
    void onlyTheCouplesTheRingMovesAreResetSpreadOverTheMoveSpread() throws Exception {
        long started = System.nanoTime();
        List<Couple> all = connectAndChat(200_000, COUPLES);
        RingSnapshot before = cluster.directory.ring();

        pump.start(fleet, all, 50, 5, SETTLE);
        cluster.startChatServer("chat-4", config -> config.withMoveSpread(MOVE_SPREAD));
        RingSnapshot after = cluster.converged(4);

        List<Couple> moved = all.stream().filter(c -> !owner(before, c).equals(owner(after, c))).toList();
        List<Couple> stayed = all.stream().filter(c -> owner(before, c).equals(owner(after, c))).toList();
        assertThat(moved).as("couples the ring moves").allMatch(c -> owner(after, c).equals("chat-4"));
        // The newcomer's share of the ring itself (measured over a million couple ids), not 1/n:
        // the couples that move are a binomial sample of it.
        double share = LongStream.range(0, 1_000_000).filter(c -> owner(after, c).equals("chat-4")).count() / 1e6;
        double expected = COUPLES * share;
        double tolerance = 4 * Math.sqrt(COUPLES * share * (1 - share));
        assertThat((double) moved.size()).as("couples moved of %s", COUPLES).isBetween(expected - tolerance,
                expected + tolerance);

        ChaosAssertions.back(moved, 2, SETTLE, fleet);
        pump.stop();
        fleet.sendRound(all);
        fleet.awaitAllDelivered(all, SETTLE);

        assertThat(fleet.violations()).as("wrong-couple, duplicate or reordered deliveries").isEmpty();
        ChaosAssertions.untouched(stayed);
        assertThat(ChaosAssertions.disconnectedClients(all)).as("clients reset").isEqualTo(2L * moved.size());
        ChaosAssertions.onOwner(cluster, all, after);

        // Spread: each old owner ends its leaving couples at most ceil(k / ticks) per 10 ms tick.
        Map<String, Long> leavingByOwner = moved.stream().collect(Collectors.groupingBy(c -> owner(before, c),
                Collectors.counting()));
        long ticks = MOVE_SPREAD.toMillis() / MOVER_TICK_MILLIS;
        long minimumSpanMillis = leavingByOwner.values().stream()
                .mapToLong(k -> minimumSweepMillis(k, ticks)).max().orElseThrow();
        LongSummaryStatistics closes = moved.stream().flatMap(c -> Stream.of(c.sides))
                .mapToLong(m -> m.firstCloseNanos).summaryStatistics();
        long spanMillis = TimeUnit.NANOSECONDS.toMillis(closes.getMax() - closes.getMin());
        assertThat(spanMillis).as("span of the resets").isGreaterThanOrEqualTo(minimumSpanMillis / 2);

        ChaosReport.print("ChatServerJoinTest", "clients", 2 * all.size(), "couplesMoved", moved.size(),
                "ringShareOfNewcomer", String.format("%.3f", share), "expected", String.format("%.0f+-%.0f", expected, tolerance), "byOldOwner", leavingByOwner,
                "clientsReset", ChaosAssertions.disconnectedClients(all), "resetSpanMs", spanMillis,
                "minimumSpanMs", minimumSpanMillis, "moveSpreadMs", MOVE_SPREAD.toMillis(),
                "messagesSent", all.stream().flatMap(c -> Stream.of(c.sides)).mapToLong(m -> m.sent).sum(),
                "violations", fleet.violations().size(),
                "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"),
                "wrongShardRetries", cluster.counter(ClientMeters.WRONG_SHARD_RETRIES),
                "seconds", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    }

    private static String owner(RingSnapshot ring, Couple couple) {
        return owner(ring, couple.id);
    }

    private static String owner(RingSnapshot ring, long couple) {
        return ring.owner(couple).orElseThrow().id();
    }

    /** The least time a sweep of {@code leaving} couples takes: its ticks after the first. */
    private static long minimumSweepMillis(long leaving, long ticks) {
        long perTick = Math.max(1, (leaving + ticks - 1) / ticks);
        return ((leaving + perTick - 1) / perTick - 1) * MOVER_TICK_MILLIS;
    }
}
