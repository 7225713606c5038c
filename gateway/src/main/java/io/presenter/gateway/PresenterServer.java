package io.presenter.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.presenter.gateway.backend.BackendPool;
import io.presenter.gateway.backend.StreamRouter;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.mux.MuxMeters;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.transport.Transport;
import io.presenter.ring.ShardDirectory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running presenter: the client listener, its event loops (shared by client sockets and the
 * backend pool's mux connections) and the backend pool following the ring.
 */
public final class PresenterServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PresenterServer.class);

    private final ShardDirectory directory;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup loops;
    private final BackendPool backends;
    private final ClientConnections connections;
    private final Channel listener;

    private PresenterServer(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, MeterRegistry registry) throws InterruptedException {
        this.directory = directory;
        Transport transport = Transport.best();
        GatewayMeters meters = new GatewayMeters(registry);
        MuxSettings mux = MuxSettings.builder().peerId(settings.presenterId()).stats(new MuxMeters(registry)).build();
        backends = new BackendPool(transport, mux, settings.connectionsPerLoop(), settings.backendConnectTimeout(),
                settings.backendBackoff(), registry);
        directory.addListener(backends);
        StreamRouter router = new StreamRouter(directory, backends, settings.presenterId(),
                settings.wrongShardRetries(), settings.ringCatchUp());
        connections = new ClientConnections(settings.maxConnections(), settings.maxConnectionsPerAddress(), meters);
        acceptor = transport.newGroup(1);
        loops = transport.newGroup(settings.eventLoops());
        listener = new ServerBootstrap().group(acceptor, loops)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, settings.backlog())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ClientChannelInitializer(settings, connections, tls, new TlsMeters(registry),
                        verifier, router, meters))
                .bind(settings.listenAddress()).sync().channel();
        log.info("presenter {} listening on {} ({} transport, {} event loops, {} connection(s) per chat server per loop)",
                settings.presenterId(), listener.localAddress(), transport, settings.eventLoops(),
                settings.connectionsPerLoop());
    }

    /**
     * Binds the client listener; returns once clients can connect.
     *
     * @param verifier verifies tokens at the edge, or null to leave that to the chat servers
     */
    public static PresenterServer start(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, MeterRegistry registry) throws InterruptedException {
        return new PresenterServer(settings, tls, directory, verifier, registry);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    public BackendPool backends() {
        return backends;
    }

    /** The clients: how many are open, when the last one came, and closing them for a drain. */
    public ClientConnections connections() {
        return connections;
    }

    /** The ring this presenter routes on. */
    public ShardDirectory directory() {
        return directory;
    }

    /** Stops accepting, closes every client and backend connection at once: the end of a drain, or a hard stop. */
    @Override
    public void close() {
        directory.removeListener(backends);
        listener.close().syncUninterruptibly();
        connections.closeAll("shutdown");
        backends.close();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
