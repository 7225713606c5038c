package io.presenter.protocol.mux;

import io.presenter.protocol.wire.ResetCode;

/**
 * Fired on the connection's pipeline and on every live stream when the peer sends a goaway: no
 * stream above {@code lastStreamId} will be processed and no new stream can be opened. With
 * {@code drain}, the streams at or below it go on until they end.
 */
public record MuxGoAwayEvent(int lastStreamId, boolean drain, ResetCode code, String reason) {
}
