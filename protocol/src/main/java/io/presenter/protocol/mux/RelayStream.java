package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.presenter.protocol.wire.ResetCode;

/**
 * The opening side of a stream as a plain object rather than a {@link MuxStreamChannel}: no
 * pipeline, no channel config, no outbound buffer, for an opener that relays bytes and handles
 * the stream's events in one place, a {@link RelayStreamListener} (a presenter's client relay).
 * About a tenth of a stream channel's memory; the wire is the same, and so are the rules: bytes
 * are delivered only on {@link #read()} and credit goes back only as they are, a FIN or a handover
 * comes after every byte before it, a close resets the peer's stream unless both sides sent FIN.
 *
 * <p>Everything runs on the connection's {@link #eventLoop()}, and the listener is called there;
 * methods called from another thread are moved onto it.
 */
public interface RelayStream {

    /** The stream id: odd, chosen by the opening side. */
    int streamId();

    /** The connection's event loop, where the stream and its listener run. */
    EventLoop eventLoop();

    /**
     * Queues {@code data} to be sent as the peer's credit allows, taking ownership (released here
     * if the stream is closed or its output shut). Sent on {@link #flush()}.
     */
    void write(ByteBuf data);

    /** Sends what credit and the connection allow of the bytes written, the rest as they allow. */
    void flush();

    /**
     * Whether a write would go out soon: open, the peer granted credit, the connection is writable,
     * and the bytes queued here are below {@link MuxSettings#streamWriteBufferWaterMark()} (high to
     * stop, low to go again). The listener hears of each change.
     */
    boolean isWritable();

    /** Delivers the bytes queued here, then a read-complete; nothing more until the next read. */
    void read();

    /**
     * Delivers everything from now on without waiting for {@link #read()}, to the end of the
     * stream: for a stream whose reader has gone and which should still see the peer's FIN.
     */
    void readToEnd();

    /** Sends FIN after the bytes already written; completes when it is sent, at once if already shut. */
    Future<Void> shutdownOutput();

    /** Closes the stream, resetting the peer's with CANCEL unless both sides sent FIN. */
    void close();

    /** Closes the stream, resetting the peer's with {@code code}. */
    void reset(ResetCode code, String reason);

    /** Whether the stream has not closed. */
    boolean isOpen();

    /** Whether the stream's mux connection is still up. */
    boolean isConnectionActive();

    /**
     * Bytes written on this stream that the peer has granted credit back for, so its reader has
     * taken them: a lower bound (credit comes back in batches) of what the peer read.
     */
    long bytesCreditedByPeer();
}
