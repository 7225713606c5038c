package io.presenter.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.FileDescriptor;
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
    /** Netty's default receive-buffer sizing, one instance shared by every client channel. */
    private static final RecvByteBufAllocator SHARED_RECV_ALLOCATOR = new AdaptiveRecvByteBufAllocator();

    private final ShardDirectory directory;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup loops;
    private final BackendPool backends;
    private final ClientConnections connections;
    private final int connectionsPerLoop;
    private final ClientChannelInitializer clients;
    private final Channel listener;
    /** Kept: a listener closed by {@link #stopAccepting} no longer tells its address. */
    private final InetSocketAddress address;
    private final RingListener warmUp = this::connectAll;
    private final Transport transport;
    private final MeterRegistry registry;
    private final ClientSessions sessions;
    /** The QUIC listener once {@link #startQuic} ran; closed after the clients. */
    private volatile QuicListener quic;
    /** The TLS listener's context: QUIC follows its ticket keys. */
    private final ServerTls tls;

    private PresenterServer(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, BackendTls backendTls, MeterRegistry registry, int adoptedListenerFd)
            throws InterruptedException {
        this.directory = directory;
        this.tls = tls;
        this.connectionsPerLoop = settings.connectionsPerLoop();
        Transport transport = Transport.of(settings.transport());
        if (adoptedListenerFd >= 0 && !transport.handsOverListeners()) {
            // Checked before any event loop or pool exists, so the refusal leaves nothing running.
            throw new IllegalStateException("a handed-over listener needs the epoll transport, not " + transport);
        }
        this.transport = transport;
        this.registry = registry;
        ClientMeters meters = new ClientMeters(registry);
        MuxSettings mux = MuxSettings.builder().peerId(settings.presenterId())
                .maxConcurrentStreams(settings.maxStreamsPerConnection()).stats(new MuxMeters(registry))
                .handover(true).build();
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
        clients = new ClientChannelInitializer(settings.clientLimits(), settings.edge(),
                connections, tls, new TlsMeters(registry), verifier, router, meters);
        ServerBootstrap bootstrap = new ServerBootstrap().group(acceptor, loops)
                .option(ChannelOption.SO_BACKLOG, settings.backlog())
                .childOption(ChannelOption.TCP_NODELAY, true)
                // One allocator for all clients (it keeps no per-channel state; each channel's
                // handle does): a channel's own copy is 64 bytes per idle client.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, SHARED_RECV_ALLOCATOR)
                .handler(clients.acceptGate())
                .childHandler(clients);
        if (adoptedListenerFd < 0) {
            if (settings.tcpFastOpenQueue() > 0 && transport.tcpFastOpen().isPresent()) {
                // TFO (epoll, io_uring): a returning client's first flight (its TLS ClientHello) rides
                // in the SYN; the kernel must allow it too (net.ipv4.tcp_fastopen bit 2, deploy/sysctl).
                bootstrap.option(transport.tcpFastOpen().get(), settings.tcpFastOpenQueue());
            }
            listener = bootstrap.channel(transport.serverChannelClass()).bind(settings.listenAddress()).sync().channel();
        } else {
            // A listener handed over by the process before this one: already bound and listening
            // (with the socket options its first owner set), with connections maybe queued;
            // registering it starts accepting them.
            // It is active from the start: accepting must wait until the ServerBootstrap has put its
            // acceptor in the pipeline (a task queued on the listener's loop at registration), or a
            // child accepted before that would be dropped unregistered. A task queued after it
            // turns reading on.
            listener = bootstrap.channelFactory(() -> new EpollServerSocketChannel(adoptedListenerFd))
                    .option(ChannelOption.AUTO_READ, false).register().sync().channel();
            listener.eventLoop().submit(() -> listener.config().setAutoRead(true)).sync();
        }
        address = (InetSocketAddress) listener.localAddress();
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
        return new PresenterServer(settings, tls, directory, verifier, BackendTls.PLAINTEXT, registry, -1);
    }

    /**
     * As {@link #start(GatewaySettings, ServerTls, ShardDirectory, TokenVerifier, MeterRegistry)},
     * with the mux connections to chat servers secured by {@code backendTls}.
     */
    public static PresenterServer start(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, BackendTls backendTls, MeterRegistry registry) throws InterruptedException {
        return new PresenterServer(settings, tls, directory, verifier, backendTls, registry, -1);
    }

    /**
     * As {@link #start(GatewaySettings, ServerTls, ShardDirectory, TokenVerifier, BackendTls, MeterRegistry)},
     * accepting on {@code listenerFd}, a listening socket handed over by the presenter process this
     * one replaces, instead of binding {@code settings.listenAddress()}. Needs the epoll transport.
     */
    public static PresenterServer adopt(GatewaySettings settings, ServerTls tls, ShardDirectory directory,
            TokenVerifier verifier, BackendTls backendTls, MeterRegistry registry, int listenerFd)
            throws InterruptedException {
        return new PresenterServer(settings, tls, directory, verifier, backendTls, registry, listenerFd);
    }

    /** The client listener's descriptor, to hand it to a successor; null on a transport other than epoll. */
    public FileDescriptor listenerFd() {
        return listener instanceof EpollServerSocketChannel epoll ? epoll.fd() : null;
    }

    /** The client listener's channel (tests read its options). */
    Channel listener() {
        return listener;
    }

    /** The socket transport of the listener and the backend pool ({@code listen.transport}, resolved). */
    public Transport transport() {
        return transport;
    }

    /** The event loops of the listener (epoll, io_uring or NIO, as the transport). */
    public EventLoopGroup acceptorGroup() {
        return acceptor;
    }

    /**
     * Stops accepting clients by closing this process's descriptor of the listener; clients already
     * here stay. After a handover the successor holds the same socket, so it stays open and nothing
     * in its accept queue is reset.
     */
    public void stopAccepting() {
        listener.close().syncUninterruptibly();
        log.info("stopped accepting on {}", address);
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
                new QuicMeters(registry), tls::handshakeTimeout);
        // The same ticket keys as TLS (key file or fleet schedule): QUIC tickets resume fleet-wide.
        tls.ticketKeyInstaller().ifPresent(installer -> installer.follow(quic::installTicketKeys));
        return quic;
    }

    /** The QUIC listener's address, if {@link #startQuic} ran. */
    public java.util.Optional<InetSocketAddress> quicAddress() {
        return java.util.Optional.ofNullable(quic).map(QuicListener::address);
    }

    public InetSocketAddress address() {
        return address;
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

    /**
     * Applies the settings a reload may change to connections accepted from now on: the connection
     * limits, the auth deadline and size cap, the idle timeout. Open connections keep theirs.
     */
    public void applyLive(GatewaySettings settings) {
        connections.limits(settings.maxConnections(), settings.maxConnectionsPerAddress());
        clients.limits(settings.clientLimits());
        clients.acceptRates(settings.edge().maxHandshakeRate(), settings.edge().maxConnectionRatePerAddress());
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
