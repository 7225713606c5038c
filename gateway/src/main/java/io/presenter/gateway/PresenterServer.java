package io.presenter.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.presenter.gateway.backend.BackendPool;
import io.presenter.gateway.backend.BackendTls;
import io.presenter.gateway.backend.StreamRouter;
import io.presenter.gateway.client.ClientChannelInitializer;
import io.presenter.gateway.client.ClientConnections;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.mux.MuxMeters;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.transport.Transport;
import io.presenter.ring.RingListener;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
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
    private final int connectionsPerLoop;
    private final Channel listener;
    private final RingListener warmUp = this::connectAll;

    private PresenterServer(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, BackendTls backendTls, MeterRegistry registry) throws InterruptedException {
        this.directory = directory;
        this.connectionsPerLoop = settings.connectionsPerLoop();
        Transport transport = Transport.best();
        ClientMeters meters = new ClientMeters(registry);
        MuxSettings mux = MuxSettings.builder().peerId(settings.presenterId()).stats(new MuxMeters(registry))
                .handover(true).build();
        backends = new BackendPool(transport, mux, settings.connectionsPerLoop(), settings.backendConnectTimeout(),
                settings.backendBackoff(), backendTls, registry);
        directory.addListener(backends);
        backends.ringChanged(directory.ring());
        StreamRouter router = new StreamRouter(directory, backends, settings.presenterId(),
                settings.wrongShardRetries(), settings.ringCatchUp());
        connections = new ClientConnections(settings.maxConnections(), settings.maxConnectionsPerAddress(), meters);
        acceptor = transport.newGroup(1);
        loops = transport.newGroup(settings.eventLoops());
        listener = new ServerBootstrap().group(acceptor, loops)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, settings.backlog())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ClientChannelInitializer(settings.clientLimits(), connections, tls,
                        new TlsMeters(registry), verifier, router, meters))
                .bind(settings.listenAddress()).sync().channel();
        directory.addListener(warmUp);
        connectAll(directory.ring());
        log.info("presenter {} listening on {} ({} transport, {} event loops, {} connection(s) per chat server per loop)",
                settings.presenterId(), listener.localAddress(), transport, settings.eventLoops(),
                settings.connectionsPerLoop());
    }

    /**
     * Opens the pool's connections to every member on every event loop as soon as the ring names
     * it: the first clients after a start or a scale-out pay no connect, internal connections are
     * pool size x event loops per chat server whatever the client count, and readiness means a
     * chat server really answered. A member that cannot be reached backs off in the pool.
     */
    private void connectAll(RingSnapshot ring) {
        for (EventExecutor executor : loops) {
            for (RingMember member : ring.members()) {
                for (int i = 0; i < connectionsPerLoop; i++) {
                    backends.acquire((EventLoop) executor, member);
                }
            }
        }
    }

    /**
     * Binds the client listener, with plaintext mux links to the chat servers; returns once clients
     * can connect.
     *
     * @param verifier verifies tokens at the edge, or {@link TokenVerifier#ACCEPT_ALL} to leave that to
     *     the chat servers
     */
    public static PresenterServer start(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, MeterRegistry registry) throws InterruptedException {
        return new PresenterServer(settings, tls, directory, verifier, BackendTls.PLAINTEXT, registry);
    }

    /**
     * As {@link #start(GatewaySettings, ServerTls, ShardDirectory, TokenVerifier, MeterRegistry)},
     * with the mux connections to chat servers secured by {@code backendTls}.
     */
    public static PresenterServer start(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, BackendTls backendTls, MeterRegistry registry) throws InterruptedException {
        return new PresenterServer(settings, tls, directory, verifier, backendTls, registry);
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
        directory.removeListener(warmUp);
        directory.removeListener(backends);
        listener.close().syncUninterruptibly();
        connections.closeAll("shutdown");
        backends.close();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
