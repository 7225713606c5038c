package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.chaos.ChatFleet.Member;
import io.presenter.testing.Await;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A bounded soak: couples chat through a presenter while clients keep dropping and coming back
 * (connection churn), for {@code -Dsoak.duration} (40 s in the build; longer from the command
 * line). After warm-up the live heap and the pooled direct memory must stay flat, and when the
 * traffic stops every stream must be accounted for: one open stream per connected client, none
 * once they have all gone. Leaks fail the class through the leak check.
 */
class SoakTest extends ChaosTestBase {

    static final Duration DURATION = Duration.parse(System.getProperty("soak.duration", "PT40S"));
    static final int COUPLES = Integer.getInteger("soak.couples", 150);
    /** Growth allowed between the samples after warm-up and at the end: slack for a busy JVM, far below a leak's. */
    static final long HEAP_SLACK_BYTES = 48L << 20;
    static final long DIRECT_SLACK_BYTES = 16L << 20;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    @BeforeEach
    void start() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings(), UnaryOperator.identity(), "chat-1", "chat-2");
    }

    @Test
    void memoryStaysFlatUnderChurnAndNoStreamIsLeftBehind() throws Exception {
        List<Couple> all = fleet.connect(LongStream.range(0, COUPLES).map(i -> 500_000 + i).boxed().toList());
        fleet.awaitAuthenticated(all, SETTLE);

        // Load at a fixed rate on a scheduler: a round every 50 ms, a few clients dropped every 500 ms
        // (they come back by themselves, after a backoff); memory sampled after a quarter of the run.
        AtomicInteger rounds = new AtomicInteger();
        AtomicInteger churned = new AtomicInteger();
        AtomicReference<long[]> warm = new AtomicReference<>();
        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
        CountDownLatch finished = new CountDownLatch(1);
        try {
            load.scheduleAtFixedRate(() -> {
                if (fleet.sendRoundIfIdle(all)) {
                    rounds.incrementAndGet();
                }
            }, 0, 50, TimeUnit.MILLISECONDS);
            load.scheduleAtFixedRate(() -> churned.addAndGet(dropSome(all, 4)), 500, 500, TimeUnit.MILLISECONDS);
            load.schedule(() -> warm.set(sample()), DURATION.toMillis() / 4, TimeUnit.MILLISECONDS);
            load.schedule(finished::countDown, DURATION.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(finished.await(DURATION.toSeconds() + 60, TimeUnit.SECONDS)).isTrue();
        } finally {
            load.shutdownNow();
            assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        fleet.awaitAuthenticated(all, SETTLE);
        long[] last = sample();

        assertThat(fleet.violations()).as("wrong couple, duplicate or out-of-order deliveries").isEmpty();
        assertThat(rounds.get()).isGreaterThan(10);
        assertThat(churned.get()).isGreaterThan(10);
        assertThat(last[0] - warm.get()[0]).as("live heap growth after warm-up (bytes)").isLessThan(HEAP_SLACK_BYTES);
        assertThat(last[1] - warm.get()[1]).as("pooled direct memory growth after warm-up (bytes)").isLessThan(DIRECT_SLACK_BYTES);

        // Every connected client has exactly one open stream; nothing is stuck half-open.
        Await.until(SETTLE, () -> presenter.connections().active() == 2 * COUPLES
                        && streamsActive() == 2 * COUPLES,
                () -> "clients " + presenter.connections().active() + ", streams " + streamsActive());
        fleet.close();
        fleet = null;
        Await.until(SETTLE, () -> presenter.connections().active() == 0 && streamsActive() == 0,
                () -> "after everyone left: clients " + presenter.connections().active() + ", streams " + streamsActive());
        // How often the reconnect race of issue 21 came up: a device logging in again while its old
        // session was still open, and late messages of an old session that were not sequenced.
        System.out.printf("soak %s: %d couples, %d rounds, %d clients dropped and back, %d sessions replaced, "
                        + "%d late messages dropped, 0 violations; heap %d -> %d KiB, direct %d -> %d KiB%n",
                DURATION, COUPLES, rounds.get(), churned.get(), chatCount("chat.sessions.replaced"),
                chatCount("chat.rejections", "reason", "session_replaced"), warm.get()[0] >> 10,
                last[0] >> 10, warm.get()[1] >> 10, last[1] >> 10);
    }

    private int dropSome(List<Couple> all, int count) {
        List<Member> dropped = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Couple couple = all.get(ThreadLocalRandom.current().nextInt(all.size()));
            Member member = couple.sides[ThreadLocalRandom.current().nextInt(2)];
            if (member.online() && member.channel != null) {
                member.channel.close();
                dropped.add(member);
            }
        }
        return dropped.size();
    }

    /** A counter summed over the chat servers. */
    private long chatCount(String name, String... tags) {
        return (long) Stream.of("chat-1", "chat-2").map(cluster::chatRegistry)
                .mapToDouble(registry -> registry.counter(name, tags).count()).sum();
    }

    private double streamsActive() {
        return cluster.registry.get("mux.streams.active").gauge().value();
    }

    /** Live heap after a full collection and the pooled allocator's direct memory, in bytes. */
    private long[] sample() {
        System.gc();
        return new long[] {memory.getHeapMemoryUsage().getUsed(), PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory()};
    }
}
