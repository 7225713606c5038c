package io.presenter.gateway.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.mux.MuxStreamResetEvent;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.wire.ResetCode;

/**
 * A mux stream for unit tests of the client path: an {@link EmbeddedChannel} (what the relay
 * writes is in its outbound queue, what the chat server "sends" goes in with {@code writeInbound})
 * whose parent stands for the mux connection. It counts read requests, which is how the relay
 * paces a chat server, and a chat server's reset is {@link #resetByPeer}.
 */
final class FakeMuxStream extends EmbeddedChannel implements MuxStreamChannel {

    private final StreamRequest request;
    private int readRequests;
    private boolean outputShutdown;

    FakeMuxStream(Channel connection, StreamRequest request, ChannelHandler handler) {
        super(connection, DefaultChannelId.newInstance(), true, false, handler);
        this.request = request;
    }

    /** How many times the stream was asked for more (a {@code read()} on an active stream). */
    int readRequests() {
        return readRequests;
    }

    /** The chat server reset the stream: the event, then the close, as a real stream does it. */
    void resetByPeer(ResetCode code, String ownerHint, long ringVersion) {
        pipeline().fireUserEventTriggered(new MuxStreamResetEvent(code, "", ownerHint, ringVersion, true));
        close();
    }

    /** The stream's window opens or closes, as the chat server grants credit or stops. */
    void setWritable(boolean writable) {
        setWritable(this, writable);
    }

    /** Makes {@code channel} (un)writable and delivers the writability event, which Netty posts as a task. */
    static void setWritable(EmbeddedChannel channel, boolean writable) {
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        channel.runPendingTasks();
    }

    @Override
    protected void doBeginRead() throws Exception {
        readRequests++;
        super.doBeginRead();
    }

    @Override
    public int streamId() {
        return 2 * request.attempt() + 1;
    }

    @Override
    public StreamMetadata streamMetadata() {
        return new StreamMetadata(request.coupleId(), request.minRingVersion(), "", "test", request.attempt());
    }

    @Override
    public ChannelFuture reset(ResetCode code, String reason) {
        return close();
    }

    @Override
    public ChannelFuture reset(ResetCode code, String reason, String ownerHint, long ringVersion) {
        return close();
    }

    @Override
    public ChannelFuture handover(String newOwner, long ringVersion, long consumedBytes,
            io.presenter.protocol.mux.SessionHandover ticket) {
        return newFailedFuture(new UnsupportedOperationException("fake stream"));
    }

    @Override
    public long bytesCreditedByPeer() {
        return 0;
    }

    @Override
    public boolean isInputShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdownInput() {
        return close();
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        return close(promise);
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown || !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    /** A FIN: recorded, nothing more (the chat server's side is not modelled). */
    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        outputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public boolean isShutdown() {
        return isInputShutdown() && isOutputShutdown();
    }

    @Override
    public ChannelFuture shutdown() {
        return close();
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return close(promise);
    }
}
