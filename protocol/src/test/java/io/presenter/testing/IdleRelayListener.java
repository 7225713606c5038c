package io.presenter.testing;

import io.netty.buffer.ByteBuf;
import io.presenter.protocol.mux.MuxHandoverEvent;
import io.presenter.protocol.mux.MuxStreamResetEvent;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.RelayStreamListener;

/** A relay stream's listener that does nothing (bytes read are released): for streams held open and idle. */
public final class IdleRelayListener implements RelayStreamListener {

    public static final IdleRelayListener INSTANCE = new IdleRelayListener();

    private IdleRelayListener() {
    }

    @Override
    public void streamRead(RelayStream stream, ByteBuf data) {
        data.release();
    }

    @Override
    public void streamReadComplete(RelayStream stream) {
    }

    @Override
    public void streamWritabilityChanged(RelayStream stream) {
    }

    @Override
    public void streamHandedOver(RelayStream stream, MuxHandoverEvent handover) {
    }

    @Override
    public void streamReset(RelayStream stream, MuxStreamResetEvent reset) {
    }

    @Override
    public void streamInputEnded(RelayStream stream) {
    }

    @Override
    public void streamClosed(RelayStream stream) {
    }
}
