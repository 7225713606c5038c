package io.presenter.gateway.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The client bytes (after the auth packet) relayed to the stream and not yet known consumed by the
 * chat server, kept so that a handover can replay them to the new owner. Offsets count client
 * bytes from the first one after the auth packet.
 *
 * <p>Bounded: the chat server grants credit only for bytes its reader took, so bytes before the
 * credited offset are gone from its stream queue; a chat server may still hold part of one client
 * packet in its decoder, so a slack before that offset is kept too. What is in flight beyond the
 * credited offset is bounded by the stream window and the stream's write buffer, which stop the
 * client being read. If the kept bytes would pass the maximum anyway, the buffer gives up (releases
 * everything) and a later handover falls back to a reconnect. Both are {@link HandoverLimits}.
 */
final class ReplayBuffer {

    /** Kept before the credited offset: the largest client packet a chat server may hold partly read. */
    private final int slackBytes;
    /** Kept at most; beyond it the buffer gives up. */
    private final int maxBytes;
    private final ByteBufAllocator alloc;
    private ByteBuf bytes;
    /** Offset of the first kept byte. */
    private long start;
    /** Offset after the last byte appended. */
    private long end;
    private boolean gaveUp;

    ReplayBuffer(ByteBufAllocator alloc, int slackBytes, int maxBytes) {
        this.alloc = alloc;
        this.slackBytes = slackBytes;
        this.maxBytes = maxBytes;
    }

    /** Keeps a copy of {@code data} (its reader index unchanged). */
    void append(ByteBuf data) {
        int n = data.readableBytes();
        end += n;
        if (gaveUp) {
            return;
        }
        if (end - start > maxBytes) {
            release();
            gaveUp = true;
            return;
        }
        if (bytes == null) {
            bytes = alloc.buffer(Math.max(256, n));
        }
        bytes.writeBytes(data, data.readerIndex(), n);
    }

    /** Drops what lies more than the slack before {@code creditedOffset}. */
    void trimCredited(long creditedOffset) {
        trimBefore(creditedOffset - slackBytes);
    }

    /** Drops the bytes before {@code offset}. */
    void trimBefore(long offset) {
        if (gaveUp || bytes == null || offset <= start) {
            return;
        }
        int drop = (int) Math.min(offset - start, bytes.readableBytes());
        bytes.skipBytes(drop);
        start += drop;
        if (!bytes.isReadable()) {
            bytes.clear();
        } else {
            bytes.discardSomeReadBytes();
        }
    }

    long end() {
        return end;
    }

    /** Whether every byte from {@code offset} to the end is kept. */
    boolean holdsFrom(long offset) {
        return !gaveUp && offset >= start && offset <= end;
    }

    /** A copy of the bytes from {@code offset} (see {@link #holdsFrom}) to the end. */
    ByteBuf from(long offset) {
        if (bytes == null) {
            return alloc.buffer(0);
        }
        int skip = (int) (offset - start);
        return bytes.copy(bytes.readerIndex() + skip, bytes.readableBytes() - skip);
    }

    void release() {
        if (bytes != null) {
            bytes.release();
            bytes = null;
        }
        start = end;
    }
}
