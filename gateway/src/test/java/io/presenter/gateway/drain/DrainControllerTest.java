package io.presenter.gateway.drain;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The drain's phases on a clock the test moves; its ticks run on a real scheduler. */
class DrainControllerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofSeconds(120);
    private static final Duration MAX = Duration.ofMinutes(30);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FakeClients clients = new FakeClients();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CompletableFuture<Void> weightInSync = new CompletableFuture<>();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private DrainController controller(DrainSettings settings) {
        return new DrainController(settings, clients, () -> weightInSync, scheduler, now::get, registry);
    }

    @Test
    void waitsForTheWeightThenForTheClientsThenForTheQuietPeriod() {
        DrainController drain = controller(new DrainSettings(QUIET, MAX, 100));
        clients.active.set(3);

        assertThat(drain.start().phase()).isEqualTo(DrainPhase.ZEROING_WEIGHT);
        assertThat(drain.start().phase()).as("a second start changes nothing").isEqualTo(DrainPhase.ZEROING_WEIGHT);
        assertThat(registry.get(DrainController.PHASE_GAUGE).gauge().value()).isEqualTo(1);

        weightInSync.complete(null);
        awaitPhase(drain, DrainPhase.DRAINING);

        clients.active.set(0);
        advance(QUIET.minusSeconds(1));
        assertThat(registry.get(DrainController.PHASE_SECONDS_GAUGE).gauge().value())
                .isEqualTo(QUIET.minusSeconds(1).toSeconds(), org.assertj.core.data.Offset.offset(0.001));
        clients.awaitTicks(3);
        assertThat(drain.status().phase()).as("quiet period not over").isEqualTo(DrainPhase.DRAINING);

        clients.lastAdmitted.set(now.get());  // a latecomer, from a resolver's cached answer, then leaves
        advance(Duration.ofSeconds(2));
        clients.awaitTicks(3);
        assertThat(drain.status().phase()).as("quiet period restarts at the last arrival").isEqualTo(DrainPhase.DRAINING);

        advance(QUIET);
        awaitPhase(drain, DrainPhase.DRAINED);
        assertThat(drain.drained()).isDone();
        assertThat(clients.closeCalls).as("nobody was cut off").isEmpty();
        assertThat(registry.get(DrainController.PHASE_GAUGE).gauge().value()).isEqualTo(4);
    }

    @Test
    void afterTheMaximumTimeClosesTheRestAtABoundedRate() {
        DrainController drain = controller(new DrainSettings(QUIET, MAX, 50));
        clients.active.set(60);
        drain.start();
        weightInSync.complete(null);
        awaitPhase(drain, DrainPhase.DRAINING);

        advance(MAX);
        awaitPhase(drain, DrainPhase.DRAINED);

        assertThat(clients.closeCalls.stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
        // 50 per second in 100 ms ticks: never more than 5 at once.
        assertThat(clients.closeCalls).allSatisfy(count -> assertThat(count).isLessThanOrEqualTo(5));
        assertThat(clients.closeCalls.size()).isGreaterThanOrEqualTo(12);
    }

    @Test
    void afterAHandoverTheClientsAreClosedSpreadOverTheWindowWithoutTouchingTheWeight() {
        boolean[] weightTouched = {false};
        DrainController drain = new DrainController(new DrainSettings(QUIET, MAX, 1000), clients, () -> {
            weightTouched[0] = true;
            return weightInSync;
        }, scheduler, now::get, registry);
        clients.active.set(40);

        drain.handOver(Duration.ofSeconds(2));
        assertThat(drain.start().phase()).as("a drain after the handover is the same drain").isNotEqualTo(DrainPhase.SERVING);
        awaitPhase(drain, DrainPhase.DRAINED);

        assertThat(clients.closeCalls.stream().mapToInt(Integer::intValue).sum()).isEqualTo(40);
        // 40 over 2 s is 20 per second, in 100 ms ticks: 2 at a time, never the drain's close rate of 1000.
        assertThat(clients.closeCalls).allSatisfy(count -> assertThat(count).isLessThanOrEqualTo(2));
        assertThat(clients.closeCalls.size()).isGreaterThanOrEqualTo(20);
        assertThat(weightTouched[0]).as("the successor publishes this host's weight").isFalse();
        assertThat(drain.drained()).isDone();
    }

    @Test
    void aWeightThatNeverSyncsDoesNotBlockTheDrain() {
        DrainController drain = controller(new DrainSettings(Duration.ZERO, Duration.ofMillis(200), 10));

        drain.start();

        awaitPhase(drain, DrainPhase.DRAINED);
    }

    @Test
    void aFailedWeightUpdateStillDrains() {
        DrainController drain = controller(new DrainSettings(Duration.ZERO, MAX, 10));
        drain.start();

        weightInSync.completeExceptionally(new IllegalStateException("Route53 down"));

        awaitPhase(drain, DrainPhase.DRAINED);
    }

    @Test
    void statusIsJsonTheLifecycleHookReads() {
        assertThat(new DrainStatus(DrainPhase.CLOSING, 12, 4.25).toJson())
                .isEqualTo("{\"phase\":\"CLOSING\",\"connections\":12,\"secondsInPhase\":4.3,\"draining\":true}");
        assertThat(new DrainStatus(DrainPhase.SERVING, 0, 0).toJson()).contains("\"draining\":false");
    }

    private void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }

    private static void awaitPhase(DrainController drain, DrainPhase phase) {
        Await.until(WAIT, () -> drain.status().phase() == phase, () -> "drain is " + drain.status());
    }

    /** Clients the test counts by hand; closing some lowers the count. */
    private static final class FakeClients implements DrainTarget {
        final AtomicInteger active = new AtomicInteger();
        final AtomicLong lastAdmitted = new AtomicLong();
        final AtomicInteger looks = new AtomicInteger();
        final List<Integer> closeCalls = new CopyOnWriteArrayList<>();

        @Override
        public int active() {
            looks.incrementAndGet();
            return active.get();
        }

        @Override
        public long lastAdmittedNanos() {
            return lastAdmitted.get();
        }

        @Override
        public int closeSome(int count, String reason) {
            assertThat(reason).isEqualTo(DrainController.CLOSE_REASON);
            int closed = Math.min(count, active.get());
            active.addAndGet(-closed);
            if (closed > 0) {
                closeCalls.add(closed);
            }
            return closed;
        }

        /** Waits until the drain has looked at the clients {@code n} more times. */
        void awaitTicks(int n) {
            int target = looks.get() + n;
            Await.until(WAIT, () -> looks.get() >= target, () -> "drain looked " + looks.get() + " times");
        }
    }
}
