package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RelayStream}: the opening side of a stream as one small object (about 64 bytes while
 * idle, against some 800 for a {@link MuxStream} channel with its pipeline, config and outbound
 * buffer). It keeps the stream channel's rules, with the pieces they share: the receive window
 * ({@link ReceiveWindow}'s arithmetic, credit back only as the listener reads), a queue each way
 * made only while bytes wait ({@link BufferQueue}), the ending state made only when the stream
 * begins to end ({@link StreamEnding}), and the send window ({@link SendCredit}).
 *
 * <p>Unlike the channel, a write is complete once its bytes are handed to the connection, and the
 * water mark counts only the bytes still queued here: past that point the connection's own
 * writability holds the writer back. A failed connection write resets the stream (yamux#142),
 * through this object as the write's listener, so no listener object is made per frame.
 */
final class MuxRelayStream extends SendCredit implements RelayStream, SessionStream, ChannelFutureListener {

    private static final Logger log = LoggerFactory.getLogger(MuxRelayStream.class);

    private final MuxSession session;
    private final RelayStreamListener listener;
    private final int streamId;
    /** Bytes the listener read that were not yet granted back (see {@link ReceiveWindow#available}). */
    private int receiveConsumed;
    /** Received and not yet read; null while none wait. */
    private BufferQueue inbound;
    /** Written and not yet sent; null while none wait. */
    private BufferQueue outbound;
    private StreamEnding ending = StreamEnding.NOT_YET;
    private boolean open = true;
    private boolean readRequested;
    /** Deliver without waiting for a read ({@link #readToEnd()}). */
    private boolean autoRead;
    private boolean delivering;
    private boolean readCompletePending;
    /** The queued bytes passed the high water mark and have not yet fallen below the low one. */
    private boolean queueFull;
    /** The writability the listener was last told of. */
    private boolean writable;

    MuxRelayStream(MuxSession session, int streamId, RelayStreamListener listener) {
        super(session.peerInitialStreamWindow());
        this.session = session;
        this.streamId = streamId;
        this.listener = listener;
        this.writable = isWritable();
    }

    private StreamEnding ending() {
        return ending = StreamEnding.of(ending);
    }

    // ---- RelayStream ----

    @Override
    public int streamId() {
        return streamId;
    }

    @Override
    public EventLoop eventLoop() {
        return session.channel().eventLoop();
    }

    @Override
    public void write(ByteBuf data) {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(() -> write(data));
            return;
        }
        if (!open || ending.outputShutdown) {
            data.release();
            return;
        }
        if (!data.isReadable()) {
            data.release();
            return;
        }
        outbound = BufferQueue.append(outbound, data);
        if (outbound.bytes > session.settings().streamWriteBufferWaterMark().high()) {
            queueFull = true;
        }
        writabilityMayHaveChanged();
    }

    @Override
    public void flush() {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(this::flush);
            return;
        }
        writePending();
    }

    @Override
    public boolean isWritable() {
        return open && !queueFull && hasCredit() && session.isParentWritable();
    }

    @Override
    public void read() {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(this::read);
            return;
        }
        readRequested = true;
        deliver();
    }

    @Override
    public void readToEnd() {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(this::readToEnd);
            return;
        }
        autoRead = true;
        readRequested = true;
        deliver();
    }

    @Override
    public Future<Void> shutdownOutput() {
        Promise<Void> promise = eventLoop().newPromise();
        eventLoop().execute(() -> {
            if (ending.outputShutdown || !open) {
                promise.trySuccess(null);
                return;
            }
            ending().outputShutdown = true;
            ending().finPromise = promise;
            writePending();
        });
        return promise;
    }

    @Override
    public void close() {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(this::close);
            return;
        }
        if (!open) {
            return;
        }
        open = false;
        if (ending.resetOnClose() && session.isConnected()) {
            session.sendReset(ending.closeReset(streamId));
        }
        inbound = BufferQueue.releaseAll(inbound);
        outbound = BufferQueue.releaseAll(outbound);
        ending.failPending();
        session.streamClosed(this);
        listener.streamClosed(this);
    }

    @Override
    public void reset(ResetCode code, String reason) {
        eventLoop().execute(() -> {
            if (open && !ending.peerGone) {
                ending().closeReset = Frames.reset(streamId, code, reason, null, -1);
            }
            close();
        });
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isConnectionActive() {
        return session.channel().isActive();
    }

    @Override
    public long bytesCreditedByPeer() {
        return granted();
    }

    /** Bytes received and not yet read; never more than the stream window. */
    int queuedInboundBytes() {
        return BufferQueue.bytes(inbound);
    }

    /** Bytes written and not yet sent. */
    int queuedOutboundBytes() {
        return BufferQueue.bytes(outbound);
    }

    // ---- SessionStream: events from the session ----

    @Override
    public void dataReceived(ByteBuf data) {
        if (SessionStream.admit(this, ending, data, ReceiveWindow.available(
                session.settings().initialStreamWindow(), inbound, receiveConsumed))) {
            inbound = BufferQueue.append(inbound, data);
            deliver();
        }
    }

    @Override
    public void finReceived() {
        ending().finReceived = true;
        deliver();
    }

    @Override
    public void handoverReceived(Handover handover) {
        if (ending.finReceived) {
            resetLocally(ResetCode.PROTOCOL_ERROR, "handover after half-close");
            return;
        }
        ending().receiveHandover(handover);
        deliver();
    }

    @Override
    public void resetReceived(Reset reset) {
        ending().peerGone = true;
        resetAndClose(SessionStream.resetEvent(session.settings().stats(), reset));
    }

    @Override
    public void resetLocally(ResetCode code, String reason) {
        if (!open) {
            return;
        }
        ending().closeReset = Frames.reset(streamId, code, reason, null, -1);
        resetAndClose(new MuxStreamResetEvent(code, reason, "", -1, false));
    }

    @Override
    public void connectionClosed(ResetCode code, String reason) {
        ending().peerGone = true;
        if (ending.handoverPending()) {
            // As a stream channel: a handover that arrived before the connection went is still
            // delivered after the bytes before it, then the stream closes.
            deliver();
            return;
        }
        resetAndClose(new MuxStreamResetEvent(code, reason, "", -1, false));
    }

    @Override
    public void windowUpdated(int increment) {
        if (!grant(increment)) {
            resetLocally(ResetCode.FLOW_CONTROL_ERROR, "stream window above 2^31-1");
            return;
        }
        writePending();
    }

    @Override
    public void parentWritabilityChanged(boolean parentWritable) {
        if (parentWritable) {
            writePending();
        } else {
            writabilityMayHaveChanged();
        }
    }

    @Override
    public void writePending() {
        if (!open) {
            return;
        }
        boolean wrote = false;
        while (outbound != null) {
            ByteBuf head = outbound.peek();
            int chunk = takeChunk(session, head.readableBytes());
            if (chunk == 0) {
                break;
            }
            ByteBuf data;
            if (chunk == head.readableBytes()) {
                data = outbound.take();
                if (outbound.isEmpty()) {
                    outbound = null;
                }
            } else {
                data = head.readRetainedSlice(chunk);
                outbound.bytes -= chunk;
            }
            session.writeData(new DataFrame(streamId, data)).addListener(this);
            wrote = true;
        }
        if (queueFull && BufferQueue.bytes(outbound) < session.settings().streamWriteBufferWaterMark().low()) {
            queueFull = false;
        }
        if (wrote) {
            session.flushData();
        }
        sendFinIfDrained();
        writabilityMayHaveChanged();
    }

    @Override
    public void fireReadCompleteIfPending() {
        if (readCompletePending) {
            readCompletePending = false;
            listener.streamReadComplete(this);
        }
    }

    @Override
    public void goAwayReceived(MuxGoAwayEvent goAway) {
        listener.streamGoAway(this, goAway);
    }

    /** A data frame's write: a failure resets the stream, or the peer would wait for its bytes forever. */
    @Override
    public void operationComplete(ChannelFuture written) {
        if (!written.isSuccess()) {
            resetLocally(ResetCode.INTERNAL, "write failed: " + written.cause());
        }
    }

    // ---- read side ----

    /**
     * Hands queued bytes to the listener while a read is requested; a {@link #read()} from inside
     * {@code streamRead} only sets {@code readRequested} and this loop goes on. The end of the
     * stream comes only after every queued byte, as on a stream channel.
     */
    private void deliver() {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            deliverQueued();
        } catch (RuntimeException e) {
            // A listener's bug ends its own stream, as an exception on a stream channel's pipeline
            // would, not the connection that the session's read loop serves for every stream.
            log.warn("{} listener failed, resetting the stream", this, e);
            resetLocally(ResetCode.INTERNAL, "listener failed: " + e);
        } finally {
            delivering = false;
        }
    }

    private void deliverQueued() {
        while (open && readRequested && (inbound != null || ending.endOfInputPending())) {
            if (!autoRead) {
                readRequested = false;
            }
            int consumed = 0;
            for (ByteBuf data; open && inbound != null && (data = inbound.take()) != null; ) {
                int bytes = data.readableBytes();
                consumed += bytes;
                receiveConsumed += bytes;  // out of the queue, still not granted back
                if (inbound.isEmpty()) {
                    inbound = null;
                }
                listener.streamRead(this, data);
            }
            if (consumed > 0 && open) {
                int increment = ReceiveWindow.creditDue(receiveConsumed, session.settings().initialStreamWindow());
                receiveConsumed -= increment;
                session.grantCredit(streamId, increment);
                if (!readCompletePending) {
                    readCompletePending = session.deferReadComplete(this);
                    if (!readCompletePending) {
                        listener.streamReadComplete(this);
                    }
                }
            }
            if (open && inbound == null && ending.endOfInputPending()) {
                endOfInput();
            }
        }
    }

    private void endOfInput() {
        ending().inputShutdown = true;
        if (ending.handoverReceived != null) {
            // The peer forgot the stream when it sent the handover: close without a reset.
            ending().peerGone = true;
            listener.streamHandedOver(this, ending.handoverReceived);
            close();
            return;
        }
        listener.streamInputEnded(this);
        // No half-open streams here: a relay whose peer is done is done (a channel without
        // ALLOW_HALF_CLOSURE does the same). The close resets unless this side sent FIN too.
        close();
    }

    // ---- write side ----

    private void sendFinIfDrained() {
        if (open && ending.outputShutdown && !ending.finSent && outbound == null) {
            ending().finSent = true;
            session.halfClose(streamId);
            ending.finPromise.trySuccess(null);
            if (ending.inputShutdown) {
                close();
            }
        }
    }

    private void writabilityMayHaveChanged() {
        if (!open) {
            return;  // closed: the listener has heard the last of it
        }
        boolean now = isWritable();
        if (now != writable) {
            writable = now;
            listener.streamWritabilityChanged(this);
        }
    }

    private void resetAndClose(MuxStreamResetEvent event) {
        if (open) {
            // Told even while the listener does not read, as a stream channel's pipeline is.
            listener.streamReset(this, event);
            close();
        }
    }

    @Override
    public String toString() {
        return "MuxRelayStream(" + streamId + " on " + session.channel() + ")";
    }
}
