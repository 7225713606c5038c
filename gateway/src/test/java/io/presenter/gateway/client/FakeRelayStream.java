package io.presenter.gateway.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.protocol.mux.MuxStreamResetEvent;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.RelayStreamListener;
import io.presenter.protocol.wire.ResetCode;
import java.util.ArrayDeque;

/**
 * A relay stream for unit tests of the client path: what the relay writes waits in
 * {@link #takeWritten()}, what the chat server "sends" goes to the listener with
 * {@link #chatServerSends}. It counts read requests, which is how the relay paces a chat server,
 * and a chat server's reset is {@link #resetByPeer}.
 */
final class FakeRelayStream implements RelayStream {

    private final EventLoop loop;
    private final StreamRequest request;
    private final RelayStreamListener listener;
    private final ArrayDeque<ByteBuf> written = new ArrayDeque<>();
    private int readRequests;
    private boolean open = true;
    private boolean writable = true;
    private boolean outputShutdown;
    private boolean readingToEnd;

    FakeRelayStream(EventLoop loop, StreamRequest request, RelayStreamListener listener) {
        this.loop = loop;
        this.request = request;
        this.listener = listener;
    }

    /** How many times the stream was asked for more (a {@code read()} on an open stream). */
    int readRequests() {
        return readRequests;
    }

    /** Whether the relay let the stream read itself to its end. */
    boolean readsToEnd() {
        return readingToEnd;
    }

    boolean isOutputShutdown() {
        return outputShutdown;
    }

    /** The chat server's bytes reach the listener, then a read-complete, as one read delivers them. */
    void chatServerSends(ByteBuf data) {
        listener.streamRead(this, data);
        listener.streamReadComplete(this);
    }

    /** The chat server reset the stream: the event, then the close, as a real stream does it. */
    void resetByPeer(ResetCode code, String ownerHint, long ringVersion) {
        listener.streamReset(this, new MuxStreamResetEvent(code, "", ownerHint, ringVersion, true));
        close();
    }

    /** The stream's window opens or closes, as the chat server grants credit or stops. */
    void setWritable(boolean writable) {
        this.writable = writable;
        listener.streamWritabilityChanged(this);
    }

    /** Makes {@code channel} (un)writable and delivers the writability event, which Netty posts as a task. */
    static void setWritable(EmbeddedChannel channel, boolean writable) {
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        channel.runPendingTasks();
    }

    /** What the relay wrote since the last look, in order; the caller releases it. */
    ArrayDeque<ByteBuf> takeWritten() {
        ArrayDeque<ByteBuf> taken = new ArrayDeque<>(written);
        written.clear();
        return taken;
    }

    /** Releases what nobody took. */
    void releaseAll() {
        written.forEach(ByteBuf::release);
        written.clear();
    }

    @Override
    public int streamId() {
        return 2 * request.attempt() + 1;
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public void write(ByteBuf data) {
        if (open && !outputShutdown) {
            written.add(data);
        } else {
            data.release();
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean isWritable() {
        return open && writable;
    }

    @Override
    public void read() {
        if (open) {
            readRequests++;
        }
    }

    @Override
    public void readToEnd() {
        readingToEnd = true;
    }

    /** A FIN: recorded, nothing more (the chat server's side is not modelled). */
    @Override
    public Future<Void> shutdownOutput() {
        outputShutdown = true;
        return loop.newSucceededFuture(null);
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            listener.streamClosed(this);
        }
    }

    @Override
    public void reset(ResetCode code, String reason) {
        close();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isConnectionActive() {
        return true;
    }

    @Override
    public long bytesCreditedByPeer() {
        return 0;
    }
}
