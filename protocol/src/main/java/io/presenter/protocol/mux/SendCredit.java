package io.presenter.protocol.mux;

/**
 * A stream's send window: the credit the peer granted, how much of it came after the initial
 * window, and the one rule by which data leaves within it (what {@link MuxSession#sendableBytes}
 * allows while the connection is writable; a stall counted once until data moves again). A base
 * class rather than a field so the streams carry no extra object for it.
 */
abstract class SendCredit {

    private int window;
    private long granted;
    private boolean stalled;

    SendCredit(int initialWindow) {
        this.window = initialWindow;
    }

    /** Credit the peer granted after the initial window: bytes its reader has taken. */
    final long granted() {
        return granted;
    }

    final boolean hasCredit() {
        return window > 0;
    }

    /** Adds the peer's credit; false if the window would pass 2^31-1 (a flow-control error). */
    final boolean grant(int increment) {
        if (window > Integer.MAX_VALUE - increment) {
            return false;
        }
        window += increment;
        granted += increment;
        return true;
    }

    /**
     * How many of {@code readable} bytes go in the next data frame, taken from the window; 0 when
     * the connection is not writable or no credit is left (a window stall, counted once).
     */
    final int takeChunk(MuxSession session, int readable) {
        boolean parentWritable = session.isParentWritable();
        int chunk = parentWritable ? Math.min(readable, session.sendableBytes(window)) : 0;
        if (chunk <= 0) {
            if (parentWritable && !stalled) {
                stalled = true;
                session.settings().stats().windowStalled();
            }
            return 0;
        }
        stalled = false;
        window -= chunk;
        return chunk;
    }
}
