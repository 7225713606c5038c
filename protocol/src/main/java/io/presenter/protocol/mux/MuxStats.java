package io.presenter.protocol.mux;

import io.presenter.protocol.wire.ResetCode;

/**
 * Receives a mux connection's counters, always on the connection's event loop; turn them into
 * meters ({@link MuxMeters} does that for Micrometer). Methods must not block.
 */
public interface MuxStats {

    MuxStats NOOP = new MuxStats() {};

    default void streamOpened() {}

    default void streamClosed() {}

    /** An open the peer or this side refused (limits, drain, exhausted ids). */
    default void streamRefused() {}

    default void resetSent(ResetCode code) {}

    default void resetReceived(ResetCode code) {}

    /** A frame arrived; {@code payloadBytes} is a data frame's payload, 0 for control frames. */
    default void frameRead(int payloadBytes) {}

    /** A frame went to the connection; {@code payloadBytes} as in {@link #frameRead}. */
    default void frameWritten(int payloadBytes) {}

    /** A stream had data to send but no send window left. */
    default void windowStalled() {}

    /** Data that arrived for a stream this side had already reset, released unread. */
    default void droppedAfterReset(int bytes) {}

    /** The connection ended with a goaway this side sent for a connection error. */
    default void connectionError(ResetCode code) {}

    /** A stream ended with a handover this side sent (a chat server moving a session). */
    default void handoverSent() {}

    /** A stream ended with a handover from the peer (a presenter carrying a session on). */
    default void handoverReceived() {}

    /** A handover for a stream that was never opened on this connection, dropped. */
    default void handoverForUnknownStream() {}
}
