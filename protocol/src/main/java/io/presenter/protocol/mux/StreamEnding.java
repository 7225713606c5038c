package io.presenter.protocol.mux;

import io.netty.util.concurrent.Promise;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import java.nio.channels.ClosedChannelException;

/**
 * How a stream ends, once it starts to (a FIN either way, a reset, a handover), apart from the
 * stream so that the many streams that are open and idle do not each carry ten empty fields
 * (8 bytes a stream). Until then a stream holds {@link #NOT_YET}, read-only: a stream writes only
 * to the one {@link #of} returns.
 */
final class StreamEnding {

    /** Shared by every stream that has not begun to end; never written. */
    static final StreamEnding NOT_YET = new StreamEnding();

    boolean finReceived;
    boolean inputShutdown;
    boolean outputShutdown;
    boolean finSent;
    /** Set when the peer already knows the stream is gone: closing sends no reset. */
    boolean peerGone;
    Promise<Void> finPromise;
    /** The reset to send on close instead of CANCEL. */
    Reset closeReset;
    /** The handover to send once the written bytes are out (this side ends the stream with it). */
    MuxFrame handoverToSend;
    Promise<Void> handoverPromise;
    /** The handover the peer ended the stream with; fired after the queued bytes are read. */
    MuxHandoverEvent handoverReceived;

    /** {@code ending} itself, or a new one in place of {@link #NOT_YET}: the stream stores what this returns. */
    static StreamEnding of(StreamEnding ending) {
        return ending == NOT_YET ? new StreamEnding() : ending;
    }

    /** The peer ended its side with a handover: an end of input that carries where the session goes. */
    void receiveHandover(Handover handover) {
        handoverReceived = Frames.event(handover);
        finReceived = true;
    }

    /** Whether a handover arrived that the reader has not yet been given (it waits behind the queued bytes). */
    boolean handoverPending() {
        return handoverReceived != null && !inputShutdown;
    }

    /** Whether the peer's FIN (or handover) is in and the reader has not yet been told of the end. */
    boolean endOfInputPending() {
        return finReceived && !inputShutdown;
    }

    /** Whether closing now must reset the peer's stream: it does not know the stream is gone. */
    boolean resetOnClose() {
        return !peerGone && (closeReset != null || !(finSent && finReceived));
    }

    /** The reset a close sends when {@link #resetOnClose()}: the one set, else CANCEL. */
    Reset closeReset(int streamId) {
        return closeReset != null ? closeReset
                : Frames.reset(streamId, ResetCode.CANCEL, "closed", null, -1);
    }

    /** Fails the promises still waiting when the stream closes before it sent its FIN or handover. */
    void failPending() {
        // Usually the FIN went out long ago: an exception (and its stack trace) for a promise that
        // is already done was one per stream, a measurable share of CPU per client.
        if (finPromise != null && !finPromise.isDone()) {
            finPromise.tryFailure(new ClosedChannelException());
        }
        if (handoverPromise != null && !handoverPromise.isDone()) {
            handoverPromise.tryFailure(new ClosedChannelException());
        }
    }
}
