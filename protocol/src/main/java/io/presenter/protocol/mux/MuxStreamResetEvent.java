package io.presenter.protocol.mux;

import io.presenter.protocol.wire.ResetCode;

/**
 * Fired on a stream's pipeline just before the stream closes abruptly: the peer reset it, this
 * side reset it for a stream error, or the whole connection ended. Fired even while the stream's
 * reader is paused (autoRead off), so a paused handler still learns why its stream went away.
 *
 * @param code why the stream ended
 * @param reason a human-readable detail, or ""
 * @param ownerHint for WRONG_SHARD / SHARD_MOVED, the member believed to own the shard, or ""
 * @param ringVersion for WRONG_SHARD / SHARD_MOVED, the ring version decided on, or -1
 * @param remote whether the peer sent the reset (false: this side decided)
 */
public record MuxStreamResetEvent(ResetCode code, String reason, String ownerHint, long ringVersion,
        boolean remote) {
}
