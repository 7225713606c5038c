package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * Buffers waiting on one stream and their total: what arrived and was not yet read, or (on a
 * {@link MuxRelayStream}) what was written and not yet sent. Streams make one only while bytes
 * wait and drop it when it empties, so an idle stream holds none (about 56 bytes a stream).
 */
final class BufferQueue extends ArrayDeque<ByteBuf> {

    private static final long serialVersionUID = 1L;

    int bytes;

    private BufferQueue() {
        super(2);
    }

    /** Appends {@code data} to {@code queue}, made now if null; returns the queue. */
    static BufferQueue append(BufferQueue queue, ByteBuf data) {
        BufferQueue into = queue == null ? new BufferQueue() : queue;
        into.add(data);
        into.bytes += data.readableBytes();
        return into;
    }

    /** Takes the first buffer off, and its bytes off the total; null when none is left. */
    ByteBuf take() {
        ByteBuf data = poll();
        if (data != null) {
            bytes -= data.readableBytes();
        }
        return data;
    }

    /** Releases every buffer of {@code queue} (null: none); returns null, the queue to hold then. */
    static BufferQueue releaseAll(BufferQueue queue) {
        if (queue != null) {
            for (ByteBuf data; (data = queue.poll()) != null; ) {
                data.release();
            }
        }
        return null;
    }

    /** Bytes in {@code queue}, 0 for none. */
    static int bytes(BufferQueue queue) {
        return queue == null ? 0 : queue.bytes;
    }
}
