package io.presenter.protocol.mux;

import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import io.presenter.protocol.wire.ResetCode;
import java.net.SocketAddress;

/**
 * One stream of a mux connection as a Netty channel carrying plain {@code ByteBuf}s, so a handler
 * written for a TCP connection runs on it unchanged. Its parent is the mux connection's channel and
 * it runs on the parent's event loop.
 *
 * <p>{@link #shutdownOutput()} sends FIN; a FIN from the peer fires
 * {@code ChannelInputShutdownEvent} then {@code ChannelInputShutdownReadComplete} (and closes the
 * stream unless {@code ChannelOption.ALLOW_HALF_CLOSURE} is set). {@link #close()} resets the
 * stream with CANCEL unless both sides already sent FIN. A reset or connection loss fires a
 * {@link MuxStreamResetEvent} before the stream closes; a peer goaway fires a {@link MuxGoAwayEvent}.
 */
public interface MuxStreamChannel extends DuplexChannel {

    /** The stream id: odd, chosen by the opening side. */
    int streamId();

    /** What the opener said about this stream. */
    StreamMetadata streamMetadata();

    /** The end client's address from the open-stream frame (unresolved), or null if not sent. */
    @Override
    SocketAddress remoteAddress();

    /** Ends the stream abruptly in both directions, telling the peer why. */
    ChannelFuture reset(ResetCode code, String reason);

    /**
     * Resets with WRONG_SHARD or SHARD_MOVED, telling the opener which member this side believes
     * owns the shard and on which ring version, so it can retry there.
     */
    ChannelFuture reset(ResetCode code, String reason, String ownerHint, long ringVersion);
}
