package io.presenter.gateway.weight;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The publisher's own retry and INSYNC polling schedule (the SDK's retries are off, so every try
 * is counted and every pause is ours).
 *
 * @param base the pause after the first failed try
 * @param max the longest pause between tries
 * @param attempts tries per publish; after that the publish fails and the next tick of the weight
 *     loop tries again, so a publish is bounded but the weight still converges
 * @param firstPoll the pause before the first {@code GetChange}
 * @param maxPoll the longest pause between {@code GetChange} calls (the pause doubles up to it)
 * @param syncTimeout how long to wait for INSYNC before failing the publish
 */
record PublishRetry(Duration base, Duration max, int attempts, Duration firstPoll, Duration maxPoll,
        Duration syncTimeout) {

    /**
     * 5 tries with pauses from 1s doubling (half of each pause random) span up to 15s, about as
     * long as Route53 takes to apply a change (the cause of PriorRequestNotComplete); after that the
     * next tick starts over, so a long throttle costs one request per try, not a tight loop. INSYNC
     * usually comes within 60s, and a poll every 2-10s costs the fleet's shared API budget little.
     */
    static final PublishRetry DEFAULT = new PublishRetry(Duration.ofSeconds(1), Duration.ofSeconds(20), 5,
            Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofMinutes(3));

    PublishRetry {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0 || attempts < 1
                || firstPoll.isNegative() || firstPoll.isZero() || maxPoll.compareTo(firstPoll) < 0
                || syncTimeout.isNegative() || syncTimeout.isZero()) {
            throw new IllegalArgumentException(toString());
        }
    }

    /**
     * The pause after {@code failures} failed tries (at least one), in nanoseconds: exponential,
     * half fixed and half random, so presenters throttled together do not retry together.
     */
    long backoffNanos(int failures) {
        long ceiling = Math.min(max.toNanos(), base.toNanos() << Math.min(failures - 1, 30));
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }

    /** The pause before {@code GetChange} number {@code poll} (from 1), in nanoseconds. */
    long pollNanos(int poll) {
        return Math.min(maxPoll.toNanos(), firstPoll.toNanos() << Math.min(poll - 1, 30));
    }
}
