package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Chat traffic that goes on by itself while a test breaks something: every period each online
 * client of the couples sends one message to its partner, a round skipped while a write is still
 * pending ({@link ChatFleet#sendRoundIfIdle}). One per test; {@link #close()} in teardown.
 */
final class TrafficPump implements AutoCloseable {

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

    /**
     * Starts the rounds every {@code periodMillis} and returns once the first couple's first
     * member has sent {@code rounds} more messages than before, within {@code timeout}.
     */
    void start(ChatFleet fleet, List<Couple> couples, long periodMillis, int rounds, Duration timeout) {
        long before = couples.get(0).sides[0].sent;
        executor.scheduleAtFixedRate(() -> fleet.sendRoundIfIdle(couples), 0, periodMillis, TimeUnit.MILLISECONDS);
        Await.until(timeout, () -> couples.get(0).sides[0].sent >= before + rounds, () -> "traffic did not start");
    }

    /** Sends no more rounds, and waits for the one in progress. */
    void stop() throws InterruptedException {
        executor.shutdown();
        assertThat(executor.awaitTermination(30, TimeUnit.SECONDS)).as("the last round ended").isTrue();
    }

    @Override
    public void close() throws InterruptedException {
        executor.shutdownNow();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }
}
