package io.presenter.chat.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.presenter.chat.Authenticator;
import io.presenter.chat.ChatService;
import io.presenter.chat.CoupleMover;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxInitializer;
import io.presenter.protocol.mux.MuxMeters;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.MuxPeerIdentityException;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.protocol.transport.Transport;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.ring.MemberRegistration;
import io.presenter.ring.MemberState;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.FleetAccessCheck;
import io.presenter.ring.FleetAccessException;
import io.presenter.ring.FleetRole;
import io.presenter.ring.ZooKeeperClients;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.ring.ZooKeeperShardDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running chat server: its listeners and event loops, its view of the ring and its own member
 * node in ZooKeeper (when configured), and every connection it accepted. {@link #drain()} moves
 * its couples elsewhere; {@link #close()} leaves the ring, closes everything and releases the
 * threads.
 */
public final class ChatServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChatServer.class);
    /** Counter: presenter connections the mux door's TLS refused (only with {@link ChatServerConfig#muxTls()}). */
    public static final String MUX_TLS_FAILURES = "chat.mux.tls.failures";
    /**
     * Counter: presenter connections refused because the certificate, though from the CA, names no
     * presenter (only with {@link MuxTls#peerNames()}; also counted in {@value #MUX_TLS_FAILURES}).
     */
    public static final String MUX_TLS_IDENTITY_REFUSED = "chat.mux.tls.identity.refused";

    /** Longest wait in {@link #close()} for drained mux connections the presenters are still reading. */
    static final java.time.Duration MUX_CLOSE_WAIT = java.time.Duration.ofSeconds(10);

    private final ChatServerConfig config;
    private final Transport transport;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ChannelGroup muxConnections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ChatService service;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private CuratorFramework zooKeeper;
    private ZooKeeperShardDirectory directory;
    private MemberRegistration registration;
    private Channel directListener;
    private Channel muxListener;
    /** The plaintext direct door, or null when {@link ChatServerConfig#plaintextPort()} is off. */
    private Channel plaintextListener;

    private ChatServer(ChatServerConfig config, SslContext sslContext, Authenticator authenticator,
            MeterRegistry registry, Transport transport) throws InterruptedException {
        this.config = config;
        this.transport = transport;
        bossGroup = transport.newGroup(1);
        workerGroup = transport.newGroup(config.eventLoopThreads());
        try {
            ShardOwnership ownership;
            if (config.zooKeeper() != null) {
                ZooKeeperConfig zk = config.zooKeeper();
                zooKeeper = ZooKeeperClients.start(zk, registry);
                requireMemberAccess(zk, registry);
                directory = new ZooKeeperShardDirectory(zooKeeper, zk.basePath(), registry);
                directory.start();
                ownership = new ShardOwnership(directory, config.serverId());
            } else {
                ownership = new ShardOwnership(new FixedShardDirectory(RingSnapshot.empty()), config.serverId());
            }
            service = new ChatService(config.serverId(), authenticator,
                    directory == null ? couple -> true : ownership::owns, config.limits(), registry,
                    config.handover());
            directListener = listen(transport, config.directPort(), channels,
                    new DirectClientInitializer(sslContext, service, config.maxPacketLength()));
            if (config.plaintextPort() != ChatServerConfig.NO_PORT) {
                plaintextListener = listen(transport, config.plaintextPort(), channels,
                        new PlaintextClientInitializer(service, config.maxPacketLength()));
            }
            MuxSettings mux = MuxSettings.builder().peerId(config.serverId())
                    .maxConcurrentStreams(config.maxStreamsPerConnection())
                    .stats(new MuxMeters(registry)).handover(config.handover().enabled()).build();
            MuxInitializer muxDoor = MuxInitializer.accepting(mux,
                    new StreamAdmission(ownership, service, config.maxPacketLength()));
            MuxTls muxTls = config.muxTls();
            Counter muxTlsFailures = Counter.builder(MUX_TLS_FAILURES)
                    .description("presenter connections refused by mux TLS (no or untrusted certificate, timeout)")
                    .register(registry);
            Counter muxIdentityRefused = Counter.builder(MUX_TLS_IDENTITY_REFUSED)
                    .description("presenter connections whose certificate names no presenter").register(registry);
            muxListener = listen(transport, config.muxPort(), muxConnections, muxTls == null ? muxDoor
                    : new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            muxTls.addTo(channel, null, 0, muxTls.peerNames()::mismatchForAny, cause -> {
                                muxTlsFailures.increment();
                                if (cause instanceof MuxPeerIdentityException) {
                                    muxIdentityRefused.increment();
                                }
                                log.warn("mux TLS handshake from {} failed: {}", channel.remoteAddress(),
                                        cause.toString());
                            });
                            channel.pipeline().addLast(muxDoor);
                        }
                    });
            if (directory != null) {
                directory.addListener(new CoupleMover(service, config.serverId(), bossGroup.next(),
                        config.moveSpread()));
                register();
            }
        } catch (InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
        log.info("chat server {} up: direct TLS on {}, plaintext direct {}, mux on {} ({} transport, {}, at most {}"
                + " streams per connection), ring {}",
                config.serverId(), directListener.localAddress(),
                plaintextListener == null ? "off" : plaintextListener.localAddress(), muxListener.localAddress(),
                transport.name(),
                config.muxTls() == null ? "plaintext" : "mutual TLS", config.maxStreamsPerConnection(),
                directory == null ? "off (owns every couple)" : "from ZooKeeper");
    }

    /**
     * With fleet ACLs on, refuses to start unless ZooKeeper takes this server's writes to the ring
     * and nobody else's (see {@link FleetAccessCheck}); the exception says why.
     */
    private void requireMemberAccess(ZooKeeperConfig zk, MeterRegistry registry) throws InterruptedException {
        try {
            FleetAccessCheck.verify(zooKeeper, zk, FleetRole.CHAT_SERVER, registry);
        } catch (FleetAccessException e) {
            throw new IllegalStateException("chat server " + config.serverId() + " cannot join the ring: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Binds the listeners and joins the ring; returns once clients can connect.
     *
     * @throws IllegalStateException if fleet ZooKeeper ACLs are on and refuse this server
     */
    public static ChatServer start(ChatServerConfig config, SslContext sslContext,
            Authenticator authenticator, MeterRegistry registry) throws InterruptedException {
        return new ChatServer(config, sslContext, authenticator, registry, Transport.best());
    }

    /** As {@link #start(ChatServerConfig, SslContext, Authenticator, MeterRegistry)}, on {@code transport}. */
    public static ChatServer start(ChatServerConfig config, SslContext sslContext, Authenticator authenticator,
            MeterRegistry registry, Transport transport) throws InterruptedException {
        return new ChatServer(config, sslContext, authenticator, registry, transport);
    }

    /** The socket transport of every listener and client socket (epoll, io_uring or NIO). */
    public Transport transport() {
        return transport;
    }

    private Channel listen(Transport transport, int port, ChannelGroup accepted,
            ChannelInitializer<? super SocketChannel> initializer) throws InterruptedException {
        Channel listener = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(transport.serverChannelClass())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        accepted.add(channel);
                        channel.pipeline().addLast(initializer);
                    }
                })
                .bind(config.bindHost(), port).sync().channel();
        channels.add(listener);
        return listener;
    }

    /** Publishes this server's member node, with the ports actually bound. */
    private void register() throws InterruptedException {
        RingMember self = new RingMember(config.serverId(), config.advertisedHost(), muxAddress().getPort(),
                directAddress().getPort(), config.weight(), MemberState.ACTIVE);
        registration = new MemberRegistration(zooKeeper, config.zooKeeper().basePath(), self);
        registration.start();
        if (!registration.awaitRegistered(config.zooKeeper().connectionTimeout())) {
            throw new IllegalStateException("could not register " + self.id() + " in ZooKeeper within "
                    + config.zooKeeper().connectionTimeout());
        }
    }

    /** Where plaintext direct clients (a TLS terminator) connect; empty when that door is off. */
    public java.util.Optional<InetSocketAddress> plaintextAddress() {
        return java.util.Optional.ofNullable(plaintextListener).map(ch -> (InetSocketAddress) ch.localAddress());
    }

    /** Where direct TLS clients connect (the bound port when configured with port 0). */
    public InetSocketAddress directAddress() {
        return (InetSocketAddress) directListener.localAddress();
    }

    /** Where presenters open mux connections (the bound port when configured with port 0). */
    public InetSocketAddress muxAddress() {
        return (InetSocketAddress) muxListener.localAddress();
    }

    public String id() {
        return config.serverId();
    }

    public ChatService service() {
        return service;
    }

    /** This server's current view of the ring; empty when it runs without ZooKeeper. */
    public RingSnapshot ring() {
        return directory == null ? RingSnapshot.empty() : directory.ring();
    }

    /**
     * Marks this server draining: the ring stops giving it new couples, presenters get a draining
     * goaway (no new streams here), the couples it has move to their new owners over the move
     * spread, and the future completes when no session is left or the drain timeout passed (then
     * with the number of sessions still open).
     */
    public CompletableFuture<Integer> drain() {
        if (registration != null) {
            registration.drain();
        }
        for (Channel connection : muxConnections) {
            MuxConnection.of(connection).goAway(true, ResetCode.GOING_AWAY, "chat server draining");
        }
        log.info("chat server {} draining: {} sessions", config.serverId(), service.sessionCount());
        CompletableFuture<Integer> drained = new CompletableFuture<>();
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        ScheduledFuture<?> check = bossGroup.next().scheduleAtFixedRate(() -> {
            int left = service.sessionCount();
            if (left == 0 || System.nanoTime() >= deadline) {
                drained.complete(left);
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        drained.whenComplete((left, error) -> check.cancel(false));
        return drained;
    }

    /**
     * This server's ZooKeeper client, whose session keeps its member node alive; null when it runs
     * without ZooKeeper. For tests and tools that must inspect or expire the session; do not close it.
     */
    public CuratorFramework zooKeeperClient() {
        return zooKeeper;
    }

    private static boolean endingGracefully(Channel connection) {
        return connection instanceof io.netty.channel.socket.DuplexChannel duplex && duplex.isOutputShutdown();
    }

    /** Completes when {@link #close()} has finished. */
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    @Override
    public void close() {
        try {
            if (registration != null) {
                registration.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (directory != null) {
                directory.close();
            }
            if (zooKeeper != null) {
                zooKeeper.close();
            }
            channels.close().awaitUninterruptibly();
            // What the streams wrote last (handovers of a drain) goes out before the close.
            muxConnections.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).awaitUninterruptibly(5, TimeUnit.SECONDS);
            // A drained connection has shut its output and waits for the presenter to read its last
            // handovers and close first: closing it now could turn its FIN into a RST that loses them.
            muxConnections.newCloseFuture(ChatServer::endingGracefully)
                    .awaitUninterruptibly(MUX_CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            muxConnections.close().awaitUninterruptibly();
            bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            workerGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            closed.complete(null);
        }
    }
}
