package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import java.net.SocketAddress;

/**
 * A stream as a child channel of its connection, registered on the parent's event loop (as
 * Netty's {@code AbstractHttp2StreamChannel}). Outbound bytes wait in the channel's own bounded
 * {@link ChannelOutboundBuffer} until the peer grants credit; inbound bytes wait in a queue that
 * the stream window bounds, and credit goes back only as the pipeline reads them (netty#9663).
 */
final class MuxStream extends AbstractChannel implements MuxStreamChannel, SessionStream {

    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
    /** {@link ChannelOutboundBuffer#setUserDefinedWritability} index: the peer granted credit. */
    private static final int SEND_WINDOW_WRITABILITY = 1;
    /** {@link ChannelOutboundBuffer#setUserDefinedWritability} index: the connection is writable. */
    private static final int PARENT_WRITABILITY = 2;

    private final MuxSession session;
    private final StreamMetadata metadata;
    private final StreamChannelConfig config;
    /**
     * The receive window, inline rather than a {@link ReceiveWindow} object (24 bytes a stream):
     * the bytes the pipeline read but that were not yet granted back. What the peer may still send
     * follows: the window less these and the bytes queued ({@link #receiveAvailable()}).
     */
    private int receiveConsumed;
    /**
     * Bytes received and not yet read; null until the first bytes wait here (an idle stream, the
     * common case, queues nothing), and dropped again once they are read.
     */
    private BufferQueue inbound;
    private final StreamSender sender;
    private boolean open = true;
    private boolean readRequested;
    private boolean delivering;
    private boolean readCompletePending;
    /**
     * How the stream ends, once it starts to; {@link StreamEnding#NOT_YET} (shared, read-only)
     * until then: every write goes through {@link #ending()}.
     */
    private StreamEnding ending = StreamEnding.NOT_YET;

    /** The stream's own ending state, for writing; made when the stream begins to end. */
    private StreamEnding ending() {
        return ending = StreamEnding.of(ending);
    }

    MuxStream(MuxSession session, int streamId, StreamMetadata metadata) {
        // A small id naming the connection and the stream, not a DefaultChannelId (machine id,
        // pid, random, time: ~80 bytes and a random draw per stream).
        super(session.channel(), new MuxStreamId(session.channel().id(), streamId));
        this.session = session;
        this.metadata = metadata;
        this.config = new StreamChannelConfig(this);
        config.setWriteBufferWaterMark(session.settings().streamWriteBufferWaterMark());
        this.sender = new StreamSender(this, session.peerInitialStreamWindow());
    }

    // ---- MuxStreamChannel ----

    @Override
    public int streamId() {
        return ((MuxStreamId) id()).streamId();  // not a field of its own: 4 bytes a stream
    }

    @Override
    public StreamMetadata streamMetadata() {
        return metadata;
    }

    @Override
    public ChannelFuture reset(ResetCode code, String reason) {
        return reset(code, reason, null, -1);
    }

    @Override
    public ChannelFuture reset(ResetCode code, String reason, String ownerHint, long ringVersion) {
        ChannelPromise promise = newPromise();
        eventLoop().execute(() -> {
            if (open && !ending.peerGone) {
                ending().closeReset = Frames.reset(streamId(), code, reason, ownerHint, ringVersion);
            }
            close(promise);
        });
        return promise;
    }

    @Override
    public ChannelFuture handover(String newOwner, long ringVersion, long consumedBytes, SessionHandover ticket) {
        ChannelPromise promise = newPromise();
        eventLoop().execute(() -> {
            if (!open || ending.outputShutdown) {
                promise.tryFailure(new IllegalStateException("stream " + streamId() + " already ended or half-closed"));
                return;
            }
            if (!session.handoverEnabled()) {
                promise.tryFailure(new IllegalStateException("handover not negotiated on " + parent()));
                return;
            }
            ending().outputShutdown = true;
            ending().handoverToSend = Frames.handover(streamId(), newOwner, ringVersion, consumedBytes, ticket);
            ending().handoverPromise = promise;
            unsafe().flush();
            sendFinIfDrained();
        });
        return promise;
    }

    @Override
    public long bytesCreditedByPeer() {
        return sender.granted();
    }

    MuxSession session() {
        return session;
    }

    /** Bytes received but not yet read by the pipeline; never more than the stream window. */
    int queuedInboundBytes() {
        return BufferQueue.bytes(inbound);
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    // ---- DuplexChannel ----

    @Override
    public boolean isInputShutdown() {
        return ending.inputShutdown;
    }

    @Override
    public boolean isOutputShutdown() {
        return ending.outputShutdown;
    }

    @Override
    public boolean isShutdown() {
        return ending.inputShutdown && ending.outputShutdown;
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    /** Sends FIN once the bytes already written have gone out; the promise completes then. */
    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        eventLoop().execute(() -> {
            if (ending.outputShutdown || !open) {
                promise.trySuccess();
                return;
            }
            ending().outputShutdown = true;
            ending().finPromise = promise;
            unsafe().flush();
            sendFinIfDrained();
            pipeline().fireUserEventTriggered(ChannelOutputShutdownEvent.INSTANCE);
        });
        return promise;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    /** Not supported: a stream cannot refuse its peer's bytes; {@link #reset} ends it instead. */
    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        return promise.setFailure(new UnsupportedOperationException("mux streams cannot shut down input; reset"));
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    /** Not supported, as {@link #shutdownInput(ChannelPromise)}. */
    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return shutdownInput(promise);
    }

    // ---- events from the session ----

    @Override
    public void dataReceived(ByteBuf data) {
        if (SessionStream.admit(this, ending, data, receiveAvailable())) {
            inbound = BufferQueue.append(inbound, data);
            deliver();
        }
    }

    @Override
    public void finReceived() {
        ending().finReceived = true;
        deliver();
    }

    /** The peer ended the stream with a handover: like a FIN, it waits behind the queued bytes. */
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
        fireResetAndClose(SessionStream.resetEvent(session.settings().stats(), reset));
    }

    /** A stream error found here: tells the pipeline, resets the stream with {@code code}. */
    @Override
    public void resetLocally(ResetCode code, String reason) {
        if (!open) {
            return;
        }
        ending().closeReset = Frames.reset(streamId(), code, reason, null, -1);
        fireResetAndClose(new MuxStreamResetEvent(code, reason, "", -1, false));
    }

    @Override
    public void connectionClosed(ResetCode code, String reason) {
        ending().peerGone = true;
        if (ending.handoverPending()) {
            // The peer ended the stream with a handover before the connection went (a drained
            // chat server exits right after its last one): the queued bytes and the handover
            // are all here, so the reader still gets them, then the handover, then the close.
            deliver();
            return;
        }
        fireResetAndClose(new MuxStreamResetEvent(code, reason, "", -1, false));
    }

    @Override
    public void windowUpdated(int increment) {
        if (!sender.grant(increment)) {
            resetLocally(ResetCode.FLOW_CONTROL_ERROR, "stream window above 2^31-1");
            return;
        }
        setWritability(SEND_WINDOW_WRITABILITY, true);
        writePending();
    }

    @Override
    public void parentWritabilityChanged(boolean writable) {
        setWritability(PARENT_WRITABILITY, writable);
        if (writable) {
            writePending();
        }
    }

    /** Sends what credit and the parent now allow of the bytes already flushed. */
    @Override
    public void writePending() {
        ((StreamUnsafe) unsafe()).writeFlushed();
    }

    @Override
    public void fireReadCompleteIfPending() {
        if (readCompletePending) {
            readCompletePending = false;
            pipeline().fireChannelReadComplete();
        }
    }

    @Override
    public void goAwayReceived(MuxGoAwayEvent goAway) {
        pipeline().fireUserEventTriggered(goAway);
    }

    private void fireResetAndClose(MuxStreamResetEvent event) {
        if (open) {
            // Fired whether or not the reader is paused (netty PR #9290).
            pipeline().fireUserEventTriggered(event);
            unsafe().close(voidPromise());
        }
    }

    // ---- read side ----

    /** autoRead went off: no delivery until the next {@code read()}. Event loop only. */
    void readCleared() {
        readRequested = false;
    }

    @Override
    protected void doBeginRead() {
        readRequested = true;
        deliver();
    }

    /**
     * Hands queued bytes to the pipeline while a read is requested. A {@code read()} from inside
     * {@code channelRead} only sets {@code readRequested}, and this loop goes on (netty#8209); the
     * end of stream comes only after every queued byte (netty PR #8147).
     */
    private void deliver() {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            while (open && readRequested && (inbound != null || ending.endOfInputPending())) {
                if (!config.isAutoRead()) {
                    readRequested = false;
                }
                int consumed = 0;
                for (ByteBuf data; open && inbound != null && (data = inbound.take()) != null; ) {
                    int bytes = data.readableBytes();
                    consumed += bytes;
                    receiveConsumed += bytes;  // out of the queue, still not granted back
                    if (inbound.isEmpty()) {
                        inbound = null;  // idle again: hold no queue (a busy stream makes a new one)
                    }
                    pipeline().fireChannelRead(data);
                }
                if (consumed > 0 && open) {
                    session.grantCredit(streamId(), creditDue());
                    if (!readCompletePending) {
                        readCompletePending = session.deferReadComplete(this);
                        if (!readCompletePending) {
                            pipeline().fireChannelReadComplete();
                        }
                    }
                }
                if (open && inbound == null && ending.endOfInputPending()) {
                    endOfInput();
                }
            }
        } finally {
            delivering = false;
        }
    }

    /**
     * The credit to grant now for the bytes read, or 0 to wait for more: in batches of at least
     * half the window, the rule {@link ReceiveWindow} applies to the connection.
     */
    private int creditDue() {
        int increment = ReceiveWindow.creditDue(receiveConsumed, session.settings().initialStreamWindow());
        receiveConsumed -= increment;
        return increment;
    }

    /** Bytes the peer may still send: the window less what waits here or was read but not granted back. */
    private int receiveAvailable() {
        return ReceiveWindow.available(session.settings().initialStreamWindow(), inbound, receiveConsumed);
    }

    private void endOfInput() {
        ending().inputShutdown = true;
        if (ending.handoverReceived != null) {
            // The peer forgot the stream when it sent the handover: close without a reset.
            ending().peerGone = true;
            pipeline().fireUserEventTriggered(ending.handoverReceived);
            close();
            return;
        }
        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
        if (!config.isAllowHalfClosure() || ending.finSent) {
            close();
        }
    }

    // ---- write side ----

    @Override
    protected Object filterOutboundMessage(Object msg) throws ChannelOutputShutdownException {
        if (!(msg instanceof ByteBuf)) {
            throw new UnsupportedOperationException("mux streams carry ByteBuf, not " + msg.getClass().getName());
        }
        if (ending.outputShutdown) {
            throw new ChannelOutputShutdownException("stream " + streamId() + " output was shut down");
        }
        return msg;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        sender.send(in);
        setWritability(SEND_WINDOW_WRITABILITY, sender.hasCredit());
        sendFinIfDrained();
    }

    /**
     * The parent has written (or failed to write) the last byte of the {@code messages} messages
     * at the head of the buffer. A failure resets the stream, or the peer would wait forever
     * (yamux#142).
     */
    void messagesWritten(int messages, ChannelFuture write) {
        ChannelOutboundBuffer out = unsafe().outboundBuffer();
        if (out == null) {
            return; // closed: the channel failed whatever was left
        }
        for (int i = 0; i < messages; i++) {
            if (write.isSuccess()) {
                out.remove();
            } else {
                out.remove(write.cause());
            }
        }
        if (!write.isSuccess()) {
            resetLocally(ResetCode.INTERNAL, "write failed: " + write.cause());
        } else {
            sendFinIfDrained();
        }
    }

    private void sendFinIfDrained() {
        ChannelOutboundBuffer out = unsafe().outboundBuffer();
        if (ending.outputShutdown && !ending.finSent && open && out != null && out.isEmpty() && ending.handoverToSend != null) {
            ending().finSent = true;
            ending().peerGone = true;
            // Done (and the stream closed, so its session leaves) only once the frame is written:
            // a drained server that exits when its last session left must not drop it unsent.
            io.netty.util.concurrent.Promise<Void> promise = ending.handoverPromise;
            session.sendHandover(ending.handoverToSend).addListener(written -> {
                if (written.isSuccess()) {
                    promise.trySuccess(null);
                } else {
                    promise.tryFailure(written.cause());
                }
                close();
            });
        } else if (ending.outputShutdown && !ending.finSent && open && out != null && out.isEmpty()) {
            ending().finSent = true;
            session.halfClose(streamId());
            ending.finPromise.trySuccess(null);
            if (ending.inputShutdown) {
                close();
            }
        }
    }

    private void setWritability(int index, boolean writable) {
        ChannelOutboundBuffer out = unsafe().outboundBuffer();
        if (out != null) {
            out.setUserDefinedWritability(index, writable);
        }
    }

    // ---- lifecycle ----

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop == parent().eventLoop();
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        setWritability(PARENT_WRITABILITY, parent().isWritable());
        promise.setSuccess();
    }

    @Override
    protected void doClose() {
        if (!open) {
            return;
        }
        open = false;
        if (ending.resetOnClose() && session.isConnected()) {
            session.sendReset(ending.closeReset(streamId()));
        }
        inbound = BufferQueue.releaseAll(inbound);
        ending.failPending();
        session.streamClosed(this);
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("streams are not bound");
    }

    @Override
    protected SocketAddress localAddress0() {
        return parent().localAddress();
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return metadata.clientSocketAddress();
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new StreamUnsafe();
    }

    @Override
    public String toString() {
        return "MuxStream(" + streamId() + " on " + parent() + ")";
    }

    private final class StreamUnsafe extends AbstractUnsafe {
        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException("streams are opened by MuxConnection"));
        }

        void writeFlushed() {
            flush0();
        }
    }
}
