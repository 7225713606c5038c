package io.presenter.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits on a condition: how tests wait for something asynchronous, never with sleeps. */
public final class Await {

    private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();

    private Await() {}

    /**
     * Waits until {@code condition} holds, checking it every few milliseconds, and fails with
     * {@code description} if {@code timeout} passes first.
     */
    public static void until(Duration timeout, BooleanSupplier condition, Supplier<String> description) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Not within " + timeout + ": " + description.get());
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
