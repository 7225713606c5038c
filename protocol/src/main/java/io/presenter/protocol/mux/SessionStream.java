package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;

/**
 * What a {@link MuxSession} calls on its streams, whichever kind: a {@link MuxStream} channel or
 * a {@link MuxRelayStream}. Event-loop only. Both kinds follow the same rules, some of them here.
 */
interface SessionStream {

    int streamId();

    /** Bytes from the peer, within the stream window (else a FLOW_CONTROL_ERROR reset). */
    void dataReceived(ByteBuf data);

    void finReceived();

    /** The peer ended the stream with a handover: like a FIN, it waits behind the queued bytes. */
    void handoverReceived(Handover handover);

    void resetReceived(Reset reset);

    /** A stream error found here: tells the reader, resets the stream with {@code code}. */
    void resetLocally(ResetCode code, String reason);

    void connectionClosed(ResetCode code, String reason);

    void windowUpdated(int increment);

    void parentWritabilityChanged(boolean writable);

    /** Sends what credit and the parent now allow of the bytes already written. */
    void writePending();

    /** The end of the parent's read loop: the read-complete the stream deferred, if any. */
    void fireReadCompleteIfPending();

    /** The peer sent a goaway that still lets this stream run. */
    void goAwayReceived(MuxGoAwayEvent goAway);

    /**
     * Whether {@code data} from the peer may be queued on a stream that ends as {@code ending}
     * and can still take {@code available} bytes; if not, the data is released and the stream
     * reset: PROTOCOL_ERROR after the peer's FIN, FLOW_CONTROL_ERROR beyond the window.
     */
    static boolean admit(SessionStream stream, StreamEnding ending, ByteBuf data, int available) {
        int bytes = data.readableBytes();
        if (ending.finReceived) {
            data.release();
            stream.resetLocally(ResetCode.PROTOCOL_ERROR, "data after half-close");
            return false;
        } else if (bytes > available) {
            data.release();
            stream.resetLocally(ResetCode.FLOW_CONTROL_ERROR, "stream window exceeded: " + bytes + " bytes with "
                    + available + " left");
            return false;
        }
        return true;
    }

    /** The event a peer's reset makes, counted. */
    static MuxStreamResetEvent resetEvent(MuxStats stats, Reset reset) {
        stats.resetReceived(Frames.code(reset));
        return new MuxStreamResetEvent(Frames.code(reset), reset.isSetReason() ? reset.getReason() : "",
                reset.isSetOwnerHint() ? reset.getOwnerHint() : "",
                reset.isSetRingVersion() ? reset.getRingVersion() : -1, true);
    }
}
