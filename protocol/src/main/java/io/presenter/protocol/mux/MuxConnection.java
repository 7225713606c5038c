package io.presenter.protocol.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.Future;
import io.presenter.protocol.wire.ResetCode;

/**
 * A mux connection: the handle on one TCP connection's session, from
 * {@link #of(Channel) MuxConnection.of(channel)} once {@link MuxInitializer} has run. Methods may
 * be called from any thread; the work happens on the connection's event loop.
 *
 * <p>The connection's pipeline also sees a {@link MuxGoAwayEvent} when the peer sends a goaway.
 */
public interface MuxConnection {

    /** The session of a channel set up by {@link MuxInitializer}. */
    static MuxConnection of(Channel channel) {
        MuxSession session = channel.pipeline().get(MuxSession.class);
        if (session == null) {
            throw new IllegalArgumentException(channel + " has no mux session");
        }
        return session;
    }

    /** The TCP connection. */
    Channel channel();

    /**
     * Opens a stream (opening side only) whose pipeline {@code streamHandler} sets up. The future
     * fails with {@link MuxStreamRefusedException} when the connection accepts no more streams
     * (goaway sent or received, stream ids exhausted, closed) or too many opens are waiting for a
     * free stream slot.
     */
    Future<MuxStreamChannel> openStream(StreamMetadata metadata, ChannelHandler streamHandler);

    /**
     * Opens a stream (opening side only) as a {@link RelayStream}, a plain object whose events go
     * to {@code listener}: the same stream on the wire as {@link #openStream}'s, refused the same
     * way, at a fraction of a channel's memory.
     */
    Future<RelayStream> openRelayStream(StreamMetadata metadata, RelayStreamListener listener);

    /** Whether {@link #openStream} may succeed: open, no goaway either way, ids left. */
    boolean isAcceptingStreams();

    /**
     * Whether session handover is on for this connection: this side's settings enable it and the
     * peer's preface announced {@code FEATURE_HANDOVER}. False until the peer's preface arrived.
     */
    boolean handoverEnabled();

    /**
     * Completes with {@link #handoverEnabled()} once the peer's preface has arrived (at once if it
     * has), or fails if the connection closes first: a fresh connection knows nothing of its peer.
     */
    Future<Boolean> handoverNegotiated();

    /** Streams open now. */
    int activeStreams();

    /**
     * The concurrent-stream limit in force on this connection: this side's
     * {@link MuxSettings#maxConcurrentStreams()}, lowered to the peer's once its preface arrived.
     */
    int maxConcurrentStreams();

    /**
     * Streams that count against {@link #maxConcurrentStreams()}: open, waiting for a slot, or
     * asked for by {@link #openStream} and not yet either. A pool that reads this before each
     * {@code openStream} never hands one connection more streams than it takes.
     */
    int committedStreams();

    /**
     * Sends a goaway. With {@code drain}, streams go on until they end, the connection closes when
     * none is left, and the future completes when the peer acknowledges. Without, the connection
     * closes now and its streams get {@link MuxStreamResetEvent}s with {@code code}.
     */
    Future<Void> goAway(boolean drain, ResetCode code, String reason);

    /** Completes when the TCP connection has closed. */
    default ChannelFuture closeFuture() {
        return channel().closeFuture();
    }
}
