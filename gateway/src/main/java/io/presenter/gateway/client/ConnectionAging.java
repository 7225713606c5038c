package io.presenter.gateway.client;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The maximum connection age shared by every client of a presenter (gRPC's
 * {@code MAX_CONNECTION_AGE}, proposal A9): each connection gets its own age, the maximum jittered
 * by up to ± the jitter fraction, so connections opened together (after a storm) do not all close
 * together; and the closes themselves go through a token bucket at the drain's close rate, so even
 * ages that fall due together are closed a few a second, never all at once. A client closed for its
 * age reconnects through DNS, which is how long-lived clients find the presenters a scale-out adds.
 */
final class ConnectionAging {

    private final long maxAgeNanos;
    private final double jitter;
    private final int closeRate;
    private final TokenBucket closes;
    private final DoubleSupplier random;
    /** Connections past their age waiting for a close slot: spaces their retries. */
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * @param jitter fraction of {@code maxAge} each connection's age may differ by, either way (0..1)
     * @param closeRate age closes a second at most, all connections together
     * @param random uniform in [0, 1): {@code ThreadLocalRandom} outside tests
     */
    ConnectionAging(Duration maxAge, double jitter, int closeRate, LongSupplier nanoTime, DoubleSupplier random) {
        if (maxAge.isNegative() || maxAge.isZero() || !(jitter >= 0 && jitter <= 1) || closeRate < 1) {
            throw new IllegalArgumentException("max age " + maxAge + ", jitter " + jitter + ", close rate " + closeRate);
        }
        this.maxAgeNanos = maxAge.toNanos();
        this.jitter = jitter;
        this.closeRate = closeRate;
        this.closes = new TokenBucket(closeRate, 1, nanoTime);
        this.random = random;
    }

    /** This connection's age: the maximum, ± up to the jitter. */
    long ageNanos() {
        return Math.max(1, Math.round(maxAgeNanos * (1 + jitter * (2 * random.getAsDouble() - 1))));
    }

    /** Whether a connection past its age may close now; if not it asks again after {@link #retryNanos()}. */
    boolean mayClose() {
        return closes.tryTake();
    }

    /**
     * When a connection refused a close slot asks again: about when the slots ahead of it will have
     * been used (waiting connections / close rate), spread ±50% so they do not ask together. Each
     * waiting connection then wakes about once per pass over the queue, not in a busy loop.
     */
    long retryNanos() {
        double seconds = Math.max(1, waiting.get()) / (double) closeRate;
        return Math.max(1, Math.round(TimeUnit.SECONDS.toNanos(1) * seconds * (0.5 + random.getAsDouble())));
    }

    void startedWaiting() {
        waiting.incrementAndGet();
    }

    void stoppedWaiting() {
        waiting.decrementAndGet();
    }
}
