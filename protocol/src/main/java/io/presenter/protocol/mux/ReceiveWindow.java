package io.presenter.protocol.mux;

/**
 * The receiving half of a flow-control window: how much the peer may still send, and the credit
 * consumed but not yet granted back. Credit is granted in batches of at least half the window
 * (yamux {@code sendWindowUpdate}, smux {@code windowUpdateThreshold}, Netty's
 * {@code DEFAULT_WINDOW_UPDATE_RATIO}) so a busy stream does not answer every frame with an update.
 */
final class ReceiveWindow {

    private final int initial;
    private int available;
    private int consumed;

    ReceiveWindow(int initial) {
        this.initial = initial;
        this.available = initial;
    }

    /** Takes {@code bytes} from the window; false (and nothing taken) if the peer overran it. */
    boolean tryReceive(int bytes) {
        if (bytes > available) {
            return false;
        }
        available -= bytes;
        return true;
    }

    /** Records {@code bytes} as consumed; returns the credit to grant now, or 0 to wait for more. */
    int consume(int bytes) {
        consumed += bytes;
        if (!isCreditDue(consumed, initial)) {
            return 0;
        }
        int increment = consumed;
        consumed = 0;
        available += increment;
        return increment;
    }

    /** Whether {@code consumed} bytes make a batch worth granting back, for a window of {@code initial}. */
    static boolean isCreditDue(int consumed, int initial) {
        return consumed >= initial / 2;
    }

    /** The credit to grant for {@code consumed} bytes read from a window of {@code initial}: all of it once due, else 0. */
    static int creditDue(int consumed, int initial) {
        return isCreditDue(consumed, initial) ? consumed : 0;
    }

    /**
     * What a peer may still send on a stream window of {@code initial}: less the bytes queued and
     * those read but not yet granted back.
     */
    static int available(int initial, BufferQueue queued, int consumedNotGranted) {
        return initial - BufferQueue.bytes(queued) - consumedNotGranted;
    }

    int available() {
        return available;
    }
}
