package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;

/**
 * What happens on a {@link RelayStream}, in the order a stream channel's pipeline would see it;
 * called on the stream's event loop. A stream closes after {@link #streamReset},
 * {@link #streamHandedOver} and {@link #streamInputEnded}, and {@link #streamClosed} comes last
 * in every case, also when this side closed it.
 */
public interface RelayStreamListener {

    /** Bytes from the peer, owned by the listener from here. */
    void streamRead(RelayStream stream, ByteBuf data);

    /** The end of what one {@link RelayStream#read()} delivered. */
    void streamReadComplete(RelayStream stream);

    /** {@link RelayStream#isWritable()} changed. */
    void streamWritabilityChanged(RelayStream stream);

    /** The peer ended the stream with a handover, after every byte it sent before it was read. */
    void streamHandedOver(RelayStream stream, MuxHandoverEvent handover);

    /**
     * The stream ends abruptly: the peer reset it, this side did for a stream error, or the
     * connection ended. Comes even while the listener does not read.
     */
    void streamReset(RelayStream stream, MuxStreamResetEvent reset);

    /** The peer's FIN, after every byte before it was read. */
    void streamInputEnded(RelayStream stream);

    /** The stream has closed, for whatever reason; the last event. */
    void streamClosed(RelayStream stream);

    /** The peer sent a goaway that lets this stream go on ({@code drain}), or ends it soon. */
    default void streamGoAway(RelayStream stream, MuxGoAwayEvent goAway) {
    }
}
