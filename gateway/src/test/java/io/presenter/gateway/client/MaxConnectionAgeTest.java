package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The maximum connection age on embedded channels whose clocks the test moves (frozen event-loop
 * time, and a fake clock for the shared close budget): each connection's age is the maximum
 * ± the jitter, and connections due together are closed at the close rate, not all at once.
 */
class MaxConnectionAgeTest {

    private static final Duration MAX_AGE = Duration.ofHours(1);

    private final AtomicLong nanos = new AtomicLong(5_000_000_000L);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClientMeters meters = new ClientMeters(registry);
    private final ClientConnections connections = new ClientConnections(100, 0, meters);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void release() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void eachAgeIsTheMaximumWithinTheJitter() {
        assertThat(aging(0.1, 100, () -> 0.0).ageNanos()).isEqualTo(MAX_AGE.multipliedBy(9).dividedBy(10).toNanos());
        assertThat(aging(0.1, 100, () -> 0.5).ageNanos()).isEqualTo(MAX_AGE.toNanos());
        Random random = new Random(17);
        ConnectionAging spread = aging(0.1, 100, random::nextDouble);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long age = spread.ageNanos();
            min = Math.min(min, age);
            max = Math.max(max, age);
        }
        assertThat(min).isBetween(MAX_AGE.toNanos() * 9 / 10, MAX_AGE.toNanos() * 91 / 100);
        assertThat(max).isBetween(MAX_AGE.toNanos() * 109 / 100, MAX_AGE.toNanos() * 11 / 10);
    }

    @Test
    void aConnectionIsClosedAtItsAgeAndCounted() {
        EmbeddedChannel client = client(aging(0.1, 100, () -> 0.25));  // 0.95 of the maximum
        Duration age = MAX_AGE.multipliedBy(95).dividedBy(100);

        advance(client, age.minusMillis(1));
        assertThat(client.isOpen()).isTrue();
        advance(client, Duration.ofMillis(1));

        assertThat(client.isOpen()).isFalse();
        assertThat(registry.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", MaxConnectionAgeHandler.REASON, ClientMeters.TRANSPORT, ClientMeters.TCP).count())
                .isEqualTo(1);
    }

    @Test
    void connectionsDueTogetherCloseAtTheCloseRate() {
        Random random = new Random(3);
        ConnectionAging aging = aging(0, 2, random::nextDouble);  // no jitter: all due at once; 2 closes/s
        List<EmbeddedChannel> clients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            clients.add(client(aging));
        }
        List<Long> closedAtMillis = new ArrayList<>();
        for (EmbeddedChannel c : clients) {
            advance(c, MAX_AGE);
            if (!c.isOpen()) {
                closedAtMillis.add(0L);
            }
        }
        assertThat(closedAtMillis).as("one close slot at first (a burst of one)").hasSize(1);

        long step = 50;
        for (long t = step; t <= 60_000 && closedAtMillis.size() < clients.size(); t += step) {
            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(step));
            for (EmbeddedChannel c : clients) {
                if (c.isOpen()) {
                    advance(c, Duration.ofMillis(step));
                    if (!c.isOpen()) {
                        closedAtMillis.add(t);
                    }
                }
            }
        }

        assertThat(closedAtMillis).as("every connection past its age closes").hasSize(clients.size());
        // Two a second: the tenth close cannot come before 4.5 s of closes (the first is free).
        assertThat(closedAtMillis.get(clients.size() - 1)).isGreaterThanOrEqualTo(4_500);
        for (int i = 2; i < closedAtMillis.size(); i++) {
            assertThat(closedAtMillis.get(i) - closedAtMillis.get(i - 2)).as("never three within a second")
                    .isGreaterThanOrEqualTo(500);
        }
    }

    @Test
    void aRealClientIsClosedAroundItsAge() throws Exception {
        try (EdgeServer edge = new EdgeServer(EdgeSettings.DEFAULTS.withMaxConnectionAge(Duration.ofSeconds(1), 0.1,
                100), 0, Duration.ofSeconds(30))) {
            long start = System.nanoTime();
            io.presenter.testing.TestChatClient client = edge.connect(new byte[0]);
            client.awaitClosed();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before 0.9 s")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(900));
            edge.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", MaxConnectionAgeHandler.REASON);
        }
    }

    private ConnectionAging aging(double jitter, int closeRate, java.util.function.DoubleSupplier random) {
        return new ConnectionAging(MAX_AGE, jitter, closeRate, nanos::get, random);
    }

    private EmbeddedChannel client(ConnectionAging aging) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channels.add(channel);
        connections.admit(channel);
        channel.pipeline().addLast(MaxConnectionAgeHandler.NAME, new MaxConnectionAgeHandler(aging));
        return channel;
    }

    private static void advance(EmbeddedChannel channel, Duration by) {
        channel.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }
}
