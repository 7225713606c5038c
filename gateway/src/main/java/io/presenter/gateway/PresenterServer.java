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
import io.presenter.gateway.client.ProxyProtocol;
import io.presenter.gateway.client.ClientSessions;
import io.presenter.gateway.quic.QuicListener;
import io.presenter.gateway.quic.QuicMeters;
import io.presenter.gateway.quic.QuicSettings;
import io.netty.channel.epoll.EpollChannelOption;
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
    private final Transport transport;
    private final MeterRegistry registry;
    private final ClientSessions sessions;
    /** The QUIC listener once {@link #startQuic} ran; closed after the clients. */
    private volatile QuicListener quic;

    private PresenterServer(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, BackendTls backendTls, MeterRegistry registry) throws InterruptedException {
        this.directory = directory;
        this.connectionsPerLoop = settings.connectionsPerLoop();
        Transport transport = Transport.best();
        this.transport = transport;
        this.registry = registry;
        ClientMeters meters = new ClientMeters(registry);
        MuxSettings mux = MuxSettings.builder().peerId(settings.presenterId())
                .maxConcurrentStreams(settings.maxStreamsPerConnection()).stats(new MuxMeters(registry)).build();
        backends = new BackendPool(transport, mux, settings.connectionsPerLoop(), settings.maxConnectionsPerLoop(),
                settings.backendConnectTimeout(),
                settings.backendBackoff(), backendTls, registry);
        directory.addListener(backends);
        backends.ringChanged(directory.ring());
        StreamRouter router = new StreamRouter(directory, backends, settings.presenterId(),
                settings.wrongShardRetries(), settings.ringCatchUp());
        connections = new ClientConnections(settings.maxConnections(), settings.maxConnectionsPerAddress(), meters);
        sessions = new ClientSessions(settings.clientLimits(), connections, verifier, router);
        acceptor = transport.newGroup(1);
        loops = transport.newGroup(settings.eventLoops());
        ClientChannelInitializer clients = new ClientChannelInitializer(settings.clientLimits(), settings.edge(),
                connections, tls, new TlsMeters(registry), verifier, router, meters);
        ServerBootstrap bootstrap = new ServerBootstrap().group(acceptor, loops)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, settings.backlog());
        if (settings.tcpFastOpenQueue() > 0 && "epoll".equals(transport.name())) {
            // TFO: a returning client's first flight (its TLS ClientHello) rides in the SYN; the
            // kernel must allow it too (net.ipv4.tcp_fastopen bit 2, deploy/sysctl).
            bootstrap.option(EpollChannelOption.TCP_FASTOPEN, settings.tcpFastOpenQueue());
        }
        listener = bootstrap
                .childOption(ChannelOption.TCP_NODELAY, true)
                .handler(clients.acceptGate())
                .childHandler(clients)
                .bind(settings.listenAddress()).sync().channel();
        directory.addListener(warmUp);
        connectAll(directory.ring());
        log.info("presenter {} listening on {} ({} transport, {} event loops, {} connection(s) per chat server per loop)",
                settings.presenterId(), listener.localAddress(), transport, settings.eventLoops(),
                settings.connectionsPerLoop());
        if (settings.edge().proxyProtocol() == ProxyProtocol.OPTIONAL) {
            log.warn("listen.proxy-protocol is optional: any client reaching {} directly can claim any address "
                    + "in a PROXY header; use required once every client comes through the balancer",
                    listener.localAddress());
        }
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

    /**
     * Starts the QUIC listener beside the TCP one ({@code quic.enabled}), sharing its event loops,
     * client connections (limits, drain, load), auth stage, ring and backend pool; its connections
     * count in {@link #connections()} like TCP ones, its meters carry {@code transport=quic}.
     */
    public synchronized QuicListener startQuic(QuicSettings settings) throws java.io.IOException, InterruptedException {
        if (quic != null) {
            throw new IllegalStateException("QUIC already listening on " + quic.address());
        }
        quic = QuicListener.start(settings, address().getAddress(), address().getPort(), loops, transport, sessions,
                new QuicMeters(registry));
        return quic;
    }

    /** The QUIC listener's address, if {@link #startQuic} ran. */
    public java.util.Optional<InetSocketAddress> quicAddress() {
        return java.util.Optional.ofNullable(quic).map(QuicListener::address);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Whether the client listener is bound and open. */
    public boolean listening() {
        return listener.isActive();
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
        if (quic != null) {
            quic.close();  // after the clients: their connections close over this socket
        }
        backends.close();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
