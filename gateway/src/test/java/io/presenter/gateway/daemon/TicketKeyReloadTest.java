package io.presenter.gateway.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.internal.tcnative.SSL;
import io.netty.util.ReferenceCountUtil;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.tls.TicketKeyRotation;
import io.presenter.gateway.tls.TicketKeys;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.SendMessage;
import io.presenter.testing.Await;
import io.presenter.testing.TestTls;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ticket key rotation under running daemons, over real sockets: two presenters started from config
 * share one {@code tls.ticket-key-file}; the test rewrites the file while they run, waits (bounded,
 * on each daemon's {@code presenter.tls.ticket.key.reloads} counter) until both re-read it, and
 * checks with a BoringSSL client whose session cache makes both presenters one service (as behind
 * one DNS name) which tickets resume where: each daemon's {@code presenter.tls.handshakes} counter
 * and the client's own session-reuse flag must agree.
 */
class TicketKeyReloadTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    /** The name and port in the client's session cache key: both presenters look like one service. */
    static final String HOST = "localhost";
    static final int LOGICAL_PORT = 443;

    @TempDir
    Path dir;

    private TestingServer zooKeeper;
    private final EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void startZooKeeper() throws Exception {
        zooKeeper = new TestingServer(true);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        zooKeeper.close();
        clientLoops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private PresenterDaemon start(String id, Path keyFile) throws Exception {
        PresenterDaemon daemon = PresenterDaemon.start(PresenterConfig.load(null, Map.of(), List.of(
                "presenter.id=" + id,
                "listen.address=127.0.0.1", "listen.port=0", "listen.event-loops=1",
                "admin.enabled=false",
                "tls.certificates=" + TestTls.certificatePem() + ":" + TestTls.privateKeyPem(),
                "tls.protocols=TLSv1.3",
                "tls.session-cache-size=0",  // so only a ticket can resume
                "tls.ticket-key-file=" + keyFile,
                "tls.ticket-key-reload-interval=100ms",
                "zookeeper.connect=" + zooKeeper.getConnectString())));
        closeables.add(daemon);
        return daemon;
    }

    @Test
    void rotatedKeysReachRunningDaemonsAndADroppedKeyNoLongerResumes() throws Exception {
        Path file = dir.resolve("ticket.keys");
        TicketKeys first = TicketKeys.generate(file, 1);
        PresenterDaemon a = start("presenter-a", file);
        PresenterDaemon b = start("presenter-b", file);

        // Two clients hold tickets under the first key only.
        SslContext early = client();
        SslContext alsoEarly = client();
        assertThat(connect(early, a)).as("first visit").isFalse();
        assertThat(connect(alsoEarly, a)).as("first visit").isFalse();
        assertThat(handshakes(a, "full")).isEqualTo(2.0);

        // Rotate: a new key encrypts, the first one only decrypts.
        TicketKeys second = TicketKeys.random(1, new SecureRandom());
        first.rotatedIn(second).write(file);
        awaitReloads(1, a, b);

        assertThat(connect(early, b)).as("a ticket from the previous key resumes after the rotation").isTrue();
        SslContext late = client();
        assertThat(connect(late, a)).as("first visit").isFalse();
        assertThat(connect(late, b)).as("a ticket issued by A under the new key resumes on B").isTrue();
        assertThat(handshakes(b, "resumed")).isEqualTo(2.0);
        assertThat(handshakes(b, "full")).isZero();

        // Retire the first key.
        second.write(file);
        awaitReloads(2, a, b);

        assertThat(connect(alsoEarly, b)).as("a ticket from the dropped key").isFalse();
        assertThat(handshakes(b, "full")).as("full handshake for the dropped key's ticket").isEqualTo(1.0);
        assertThat(connect(late, a)).as("tickets from the new key still resume").isTrue();
        assertThat(handshakes(a, "resumed")).isEqualTo(1.0);

        // A broken file keeps the keys in use, on both, and the daemons keep serving.
        Files.writeString(file, "half a key\n");
        Await.until(WAIT, () -> reloads(a, "failed") >= 1 && reloads(b, "failed") >= 1,
                () -> "failed reloads: a " + reloads(a, "failed") + ", b " + reloads(b, "failed"));
        assertThat(connect(late, b)).as("keys kept after a broken file").isTrue();
        assertThat(a.server().address()).isNotNull();
        assertThat(reloads(a, "changed")).isEqualTo(2.0);
        assertThat(reloads(b, "changed")).isEqualTo(2.0);

        // Shutting a daemon down stops its re-reads (and their thread); the other goes on.
        long threadsBefore = reloadThreads();
        a.close();
        Await.until(WAIT, () -> reloadThreads() == threadsBefore - 1,
                () -> reloadThreads() + " ticket key reload threads, expected " + (threadsBefore - 1));
        TicketKeys.generate(file, 1);
        Await.until(WAIT, () -> reloads(b, "changed") == 3.0, () -> "b changed " + reloads(b, "changed"));
        assertThat(reloads(a, "changed")).as("no re-read after shutdown").isEqualTo(2.0);
    }

    private static long reloadThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("presenter-tls-ticket-keys")).count();
    }

    /** Waits until both daemons have installed changed keys {@code changed} times in all. */
    private static void awaitReloads(double changed, PresenterDaemon a, PresenterDaemon b) {
        Await.until(WAIT, () -> reloads(a, "changed") == changed && reloads(b, "changed") == changed,
                () -> "changed reloads: a " + reloads(a, "changed") + ", b " + reloads(b, "changed")
                        + ", expected " + changed);
        assertThat(reloads(a, "failed") + reloads(b, "failed")).as("atomic writes never fail a reload").isZero();
    }

    private static double reloads(PresenterDaemon daemon, String result) {
        Counter counter = daemon.registry().find(TicketKeyRotation.RELOADS).tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    private static double handshakes(PresenterDaemon daemon, String result) {
        Counter counter = daemon.registry().find(TlsMeters.HANDSHAKES).tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    /** A TLS 1.3 BoringSSL client with its own session cache (one "device"). */
    private static SslContext client() throws Exception {
        SslContext context = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).protocols("TLSv1.3").build();
        ((OpenSslSessionContext) context.sessionContext()).setTicketKeys();
        return context;
    }

    /**
     * One connection to {@code daemon}: the handshake, then a packet that is not an auth packet, so
     * the presenter closes the connection; the client reads until then, which stores the session
     * tickets sent after the handshake. Returns whether the handshake resumed a session, as the
     * client saw it; the daemon's handshake counter must agree.
     */
    private boolean connect(SslContext context, PresenterDaemon daemon) throws Exception {
        double resumedBefore = handshakes(daemon, "resumed");
        double fullBefore = handshakes(daemon, "full");
        SslHandler[] ssl = new SslHandler[1];
        Channel channel = new Bootstrap().group(clientLoops).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ssl[0] = context.newHandler(ch.alloc(), HOST, LOGICAL_PORT);
                        ch.pipeline().addLast(ssl[0], new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                })
                .connect(daemon.server().address()).syncUninterruptibly().channel();
        try {
            assertThat(ssl[0].handshakeFuture().await(WAIT.toMillis())).as("handshake within %s", WAIT).isTrue();
            assertThat(ssl[0].handshakeFuture().isSuccess()).as("handshake: %s", ssl[0].handshakeFuture().cause())
                    .isTrue();
            boolean resumed = channel.eventLoop().submit(() -> {
                long pointer = ((ReferenceCountedOpenSslEngine) ssl[0].engine()).sslPointer();
                return pointer != 0 && SSL.isSessionReused(pointer);
            }).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            channel.writeAndFlush(ClientPackets.encode(channel.alloc(),
                    ClientPacket.send(new SendMessage(1, ByteBuffer.wrap(new byte[] {1})))));
            assertThat(channel.closeFuture().await(WAIT.toMillis())).as("presenter closed the connection").isTrue();
            double serverCounted = resumed ? resumedBefore + 1 : fullBefore + 1;
            Await.until(WAIT, () -> handshakes(daemon, resumed ? "resumed" : "full") == serverCounted,
                    () -> "the presenter counted " + handshakes(daemon, "full") + " full and "
                            + handshakes(daemon, "resumed") + " resumed handshakes; the client saw resumed="
                            + resumed);
            assertThat(handshakes(daemon, resumed ? "full" : "resumed"))
                    .as("the presenter counted the handshake as the client saw it")
                    .isEqualTo(resumed ? fullBefore : resumedBefore);
            return resumed;
        } finally {
            channel.close().syncUninterruptibly();
        }
    }
}
