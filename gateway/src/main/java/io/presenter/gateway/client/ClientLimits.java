package io.presenter.gateway.client;

import java.time.Duration;

/**
 * The per-connection limits of the client pipeline (the connection counts are
 * {@link ClientConnections}'); checked where they are configured.
 *
 * @param idleTimeout a client with no bytes either way for this long is closed; zero disables it
 * @param authTimeout time from accept to a routed auth packet, TLS handshake included
 * @param maxAuthPacketBytes cap on the auth packet, length prefix included
 * @param handover what carrying a session to a new chat server may cost
 */
public record ClientLimits(Duration idleTimeout, Duration authTimeout, int maxAuthPacketBytes, HandoverLimits handover) {

    /** With the default {@link HandoverLimits}. */
    public ClientLimits(Duration idleTimeout, Duration authTimeout, int maxAuthPacketBytes) {
        this(idleTimeout, authTimeout, maxAuthPacketBytes, HandoverLimits.DEFAULTS);
    }
}
