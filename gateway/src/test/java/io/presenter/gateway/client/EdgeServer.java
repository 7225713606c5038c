package io.presenter.gateway.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.Future;
import io.presenter.gateway.backend.NoShardException;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.ServerTlsContextFactory;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.RelayStreamListener;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The real client pipeline ({@link ClientChannelInitializer}, its accept gate on an acceptor thread
 * of its own, as in the daemon) on a loopback listener with real TLS,
 * in front of no chat server: each stream open is recorded ({@link #nextOpen()}) and then fails as
 * {@code no_shard}. For tests of what happens before routing (PROXY header, admission), without
 * ZooKeeper.
 */
final class EdgeServer implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ClientMeters meters = new ClientMeters(registry);
    final ClientConnections connections;
    private final BlockingQueue<StreamRequest> opens = new LinkedBlockingQueue<>();
    private final ServerTls tls;
    private final EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel listener;

    /**
     * @param maxPerAddress connections allowed per (end client) address, 0 for no limit
     */
    EdgeServer(EdgeSettings edge, int maxPerAddress, Duration authTimeout) throws Exception {
        connections = new ClientConnections(1_000, maxPerAddress, meters);
        tls = new ServerTlsContextFactory().create(TlsSettings.defaults(List.of(new CertificateFiles(
                TestTls.certificatePem().toPath(), TestTls.privateKeyPem().toPath()))), registry);
        ClientLimits limits = new ClientLimits(Duration.ZERO, authTimeout, AuthStage.DEFAULT_MAX_AUTH_PACKET_BYTES);
        ClientChannelInitializer clients = new ClientChannelInitializer(limits, edge, connections, tls,
                new TlsMeters(registry), TokenVerifier.ACCEPT_ALL, new RecordingOpener(), meters);
        listener = new ServerBootstrap().group(acceptor, loops).channel(NioServerSocketChannel.class)
                .handler(clients.acceptGate())
                .childHandler(clients)
                .bind("127.0.0.1", 0).sync().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** A TLS client that sends {@code preface} (a PROXY header, or nothing) first. */
    TestChatClient connect(byte[] preface) throws Exception {
        return TestChatClient.connect(clientLoops, address(), TestTls.client(), preface);
    }

    /** The next stream open the pipeline asked for; fails after {@link #TIMEOUT}. */
    StreamRequest nextOpen() throws InterruptedException {
        StreamRequest open = opens.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (open == null) {
            throw new AssertionError("no stream opened within " + TIMEOUT);
        }
        return open;
    }

    double counter(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    void awaitCounter(double expected, String name, String... tags) {
        Await.until(TIMEOUT, () -> counter(name, tags) == expected,
                () -> name + " " + List.of(tags) + " is " + counter(name, tags) + ", expected " + expected);
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        connections.closeAll("shutdown");
        clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        tls.close();
    }

    /** Records each open, then refuses it as if the ring were empty. */
    private final class RecordingOpener implements StreamOpener {

        @Override
        public int maxRetries() {
            return 0;
        }

        @Override
        public Future<RelayStream> open(EventLoop loop, StreamRequest request, RelayStreamListener listener) {
            opens.add(request);
            return loop.newFailedFuture(new NoShardException(request.coupleId(), 0));
        }
    }
}
