package io.presenter.gateway.lifecycle;

import java.time.Duration;

/** Time as the lifecycle handler sees it, so tests can run hour-long waits without waiting. */
interface LifecycleClock {

    /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** Waits {@code duration}; a virtual clock advances its time instead. */
    void sleep(Duration duration) throws InterruptedException;

    LifecycleClock SYSTEM = new LifecycleClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            if (!duration.isNegative() && !duration.isZero()) {
                Thread.sleep(duration.toMillis(), (int) (duration.toNanos() % 1_000_000));
            }
        }
    };
}
