package io.presenter.protocol.mux;

import io.netty.channel.ChannelException;
import io.presenter.protocol.wire.ResetCode;

/** {@link MuxConnection#openStream} could not open a stream; {@link #code()} says why. */
public final class MuxStreamRefusedException extends ChannelException {

    private static final long serialVersionUID = 1L;

    private final ResetCode code;

    public MuxStreamRefusedException(ResetCode code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public ResetCode code() {
        return code;
    }
}
