package io.presenter.protocol.mux;

import javax.net.ssl.SSLException;

/** The mux peer's certificate chains to the CA but does not name the peer expected; the link is closed. */
public final class MuxPeerIdentityException extends SSLException {

    public MuxPeerIdentityException(String message) {
        super(message);
    }
}
