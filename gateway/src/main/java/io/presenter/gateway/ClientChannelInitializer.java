package io.presenter.gateway;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.presenter.gateway.auth.AuthStage;
import io.presenter.gateway.backend.StreamRouter;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.gateway.tls.TlsStage;
import io.presenter.protocol.auth.TokenVerifier;

/**
 * The client pipeline, top to bottom: admission (the connection limits, before any handler), the
 * idle timeout, TLS, then the auth stage, which later replaces itself with the relay. Nothing else
 * is ever added to a client pipeline.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {

    private final GatewaySettings settings;
    private final ClientConnections connections;
    private final ServerTls tls;
    private final TlsMeters tlsMeters;
    private final TokenVerifier verifier;
    private final StreamRouter router;
    private final GatewayMeters meters;

    ClientChannelInitializer(GatewaySettings settings, ClientConnections connections, ServerTls tls,
            TlsMeters tlsMeters, TokenVerifier verifier, StreamRouter router, GatewayMeters meters) {
        this.settings = settings;
        this.connections = connections;
        this.tls = tls;
        this.tlsMeters = tlsMeters;
        this.verifier = verifier;
        this.router = router;
        this.meters = meters;
    }

    @Override
    protected void initChannel(SocketChannel client) {
        if (!connections.admit(client)) {
            return;
        }
        if (!settings.idleTimeout().isZero()) {
            client.pipeline().addLast(IdleTimeoutHandler.NAME, new IdleTimeoutHandler(settings.idleTimeout()));
        }
        TlsStage.addTo(client, tls, tlsMeters);
        client.pipeline().addLast(AuthStage.NAME, new AuthStage(settings.authTimeout(),
                settings.maxAuthPacketBytes(), verifier, router, meters));
    }
}
