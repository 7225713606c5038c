package io.presenter.gateway.backend;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bounded exponential backoff with full jitter between failed connects to one chat server, so a
 * dead server is not hammered and a recovered one is not hit by every event loop at the same instant.
 */
public record ConnectBackoff(Duration base, Duration max) {

    public static final ConnectBackoff DEFAULT = new ConnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(5));

    public ConnectBackoff {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff base " + base + ", max " + max);
        }
    }

    /** The delay after {@code failures} consecutive failures (at least one), in nanoseconds. */
    long delayNanos(int failures) {
        long ceiling = Math.min(max.toNanos(), base.toNanos() << Math.min(failures - 1, 30));
        // Half fixed, half random: never zero (no tight loop), never synchronised across loops.
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }
}
