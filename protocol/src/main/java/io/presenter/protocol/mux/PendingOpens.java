package io.presenter.protocol.mux;

import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.Promise;
import io.presenter.protocol.wire.ResetCode;
import java.util.ArrayDeque;

/**
 * Opens waiting for a stream slot on the opening side: until the peer's settings arrive, and
 * while the concurrent-stream limit is reached. Bounded, so a burst of clients in front of a busy
 * chat server is refused at once instead of queueing without end. Event-loop only.
 */
final class PendingOpens {

    /** One caller's open: what to send, and whom to tell; how the stream is set up is the kind's. */
    sealed interface Open permits ChannelOpen, RelayOpen {

        StreamMetadata metadata();

        Promise<?> promise();

        /** Fails the open with REFUSED and counts it. */
        default void refuse(MuxStats stats, String why) {
            stats.streamRefused();
            promise().tryFailure(new MuxStreamRefusedException(ResetCode.REFUSED, why));
        }
    }

    /** An open of a {@link MuxStreamChannel} whose pipeline {@code handler} sets up. */
    record ChannelOpen(StreamMetadata metadata, ChannelHandler handler, Promise<MuxStreamChannel> promise)
            implements Open {
    }

    /** An open of a {@link RelayStream} whose events go to {@code listener}. */
    record RelayOpen(StreamMetadata metadata, RelayStreamListener listener, Promise<RelayStream> promise)
            implements Open {
    }

    private final ArrayDeque<Open> queue = new ArrayDeque<>();
    private final int maxPending;
    private final MuxStats stats;

    PendingOpens(int maxPending, MuxStats stats) {
        this.maxPending = maxPending;
        this.stats = stats;
    }

    /** Queues the open, or refuses it when {@code maxPending} opens already wait. */
    void add(Open open) {
        if (queue.size() >= maxPending) {
            open.refuse(stats, queue.size() + " opens already wait for a stream slot");
        } else {
            queue.add(open);
        }
    }

    /** The open that has waited longest, or null. */
    Open poll() {
        return queue.poll();
    }

    int size() {
        return queue.size();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Refuses every waiting open: the connection will open no more streams. */
    void refuseAll(String why) {
        for (Open open; (open = queue.poll()) != null; ) {
            open.refuse(stats, why);
        }
    }
}
