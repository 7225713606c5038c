package io.presenter.gateway.client;

import io.netty.channel.Channel;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.protocol.auth.TokenVerifier;
import java.net.SocketAddress;

/**
 * The seam through which another transport (QUIC, {@code io.presenter.gateway.quic}) hands its
 * clients to the client path: admission into the same {@link ClientConnections} (one limit, one
 * drain, one load figure for every transport), then, on the channel that carries the client's
 * bytes, the same idle timeout and {@link AuthStage}, which later swaps itself for the same
 * {@link ClientRelay}. The transport owns everything below that channel (its own TLS, framing of
 * its own); from the auth stage on a client is a client.
 */
public final class ClientSessions {

    private final ClientLimits limits;
    private final ClientConnections connections;
    private final TokenVerifier verifier;
    private final StreamOpener opener;

    public ClientSessions(ClientLimits limits, ClientConnections connections, TokenVerifier verifier,
            StreamOpener opener) {
        this.limits = limits;
        this.connections = connections;
        this.verifier = verifier;
        this.opener = opener;
    }

    public ClientLimits limits() {
        return limits;
    }

    /**
     * Counts {@code connection} in (limits in total and per source address, read once, now), or
     * closes it counted as {@value ClientConnections#OVER_LIMIT} / {@value ClientConnections#OVER_ADDRESS_LIMIT}.
     */
    public boolean admit(Channel connection, ClientMeters meters) {
        return connections.admit(connection, meters);
    }

    /**
     * Puts the idle timeout and the auth stage at the end of {@code session}'s pipeline: the channel
     * whose inbound bytes are exactly the client protocol's. {@code clientAddress} is the client's
     * source address at accept, which the chat server sees in the stream's metadata.
     */
    public void addSessionStages(Channel session, SocketAddress clientAddress, ClientMeters meters) {
        if (!limits.idleTimeout().isZero()) {
            session.pipeline().addLast(IdleTimeoutHandler.NAME, new IdleTimeoutHandler(limits.idleTimeout()));
        }
        session.pipeline().addLast(AuthStage.NAME, new AuthStage(limits.authTimeout(), limits.maxAuthPacketBytes(),
                verifier, opener, meters, clientAddress, limits.handover()));
    }
}
