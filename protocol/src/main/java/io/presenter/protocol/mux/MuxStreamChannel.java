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

    /**
     * Ends the stream with a handover (accepting side, on a connection whose
     * {@link MuxConnection#handoverEnabled()}): nothing more may be written; once every byte
     * already written has gone out (as the peer's credit allows), the handover frame follows them
     * and the stream closes without a reset. Bytes that arrive meanwhile are dropped: the peer
     * replays them to the new owner from {@code consumedBytes}. The future fails if the stream
     * closes first or the connection did not negotiate handover.
     *
     * @param consumedBytes stream bytes this side consumed, a client packet boundary
     */
    ChannelFuture handover(String newOwner, long ringVersion, long consumedBytes, SessionHandover ticket);

    /**
     * Bytes written on this stream that the peer has granted credit back for, so its reader has
     * taken them: a lower bound (credit comes back in batches) of what the peer read.
     */
    long bytesCreditedByPeer();
}
