package io.presenter.gateway.drain;

/** The clients a drain waits for and, past its maximum time, closes. */
public interface DrainTarget {

    /** Client connections open now. */
    int active();

    /** {@link System#nanoTime()} when the last client connected. */
    long lastAdmittedNanos();

    /** Closes up to {@code count} clients with close reason {@code reason}; returns how many. */
    int closeSome(int count, String reason);
}
