package io.presenter.gateway.client;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.gateway.tls.TlsStage;
import io.presenter.protocol.auth.TokenVerifier;

/**
 * The client pipeline, top to bottom: admission (the connection limits, before any handler), the
 * idle timeout, TLS, then the auth stage, which later replaces itself with the relay. Nothing else
 * is ever added to a client pipeline.
 */
public final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {

    /** Read once per connection: a reload changes the limits of connections accepted after it. */
    private volatile ClientLimits limits;
    private final ClientConnections connections;
    private final ServerTls tls;
    private final TlsMeters tlsMeters;
    private final TokenVerifier verifier;
    private final StreamOpener opener;
    private final ClientMeters meters;

    /**
     * @param verifier checks tokens at the edge, or {@link TokenVerifier#ACCEPT_ALL} to leave that to
     *     the chat servers
     */
    public ClientChannelInitializer(ClientLimits limits, ClientConnections connections, ServerTls tls,
            TlsMeters tlsMeters, TokenVerifier verifier, StreamOpener opener, ClientMeters meters) {
        this.limits = limits;
        this.connections = connections;
        this.tls = tls;
        this.tlsMeters = tlsMeters;
        this.verifier = verifier;
        this.opener = opener;
        this.meters = meters;
    }

    /** Limits for the connections accepted from now on (a reload); open ones keep theirs. */
    public void limits(ClientLimits next) {
        limits = next;
    }

    @Override
    protected void initChannel(SocketChannel client) {
        ClientLimits limits = this.limits;
        if (!connections.admit(client)) {
            return;
        }
        if (!limits.idleTimeout().isZero()) {
            client.pipeline().addLast(IdleTimeoutHandler.NAME, new IdleTimeoutHandler(limits.idleTimeout()));
        }
        TlsStage.addTo(client, tls, tlsMeters);
        client.pipeline().addLast(AuthStage.NAME, new AuthStage(limits.authTimeout(),
                limits.maxAuthPacketBytes(), verifier, opener, meters));
    }
}
