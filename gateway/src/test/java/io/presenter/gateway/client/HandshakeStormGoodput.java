package io.presenter.gateway.client;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.gateway.tls.SelfSignedCertificates;
import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.ServerTlsContextFactory;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.mux.MuxStreamChannel;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Goodput under a handshake storm, measured, not asserted (tests never assert on speed): completed
 * TLS sessions per second when clients arrive at three times the server's handshake capacity, with
 * and without {@code limits.max-handshake-rate}.
 *
 * <p>The server is the production client pipeline ({@link ClientChannelInitializer}: accept gate,
 * admission, TLS) on one event loop, with an acceptor thread of its own as in the daemon, with an RSA 2048 certificate so that the server's signature,
 * not the clients' work, is the bottleneck on a machine where clients and server share the cores.
 * Clients (two event loops, X25519 key shares, no resumption) behave like apps in a reconnect
 * storm: each gives a handshake {@link #CLIENT_TIMEOUT} and, refused or timed out, retries with
 * exponential backoff and full jitter (100 ms doubling to 5 s) until the storm ends. A session counts when its handshake completes at the client within its timeout;
 * work the server did for a client that had already given up is what a collapse is made of.
 *
 * <ol>
 *   <li>capacity: {@code CONCURRENCY} clients back to back, no cap: completed handshakes a second, C;</li>
 *   <li>storm, no cap: arrivals at 3 C a second for the storm's duration;</li>
 *   <li>storm, cap = C: the same arrivals, {@code max-handshake-rate} = C.</li>
 * </ol>
 *
 * <pre>
 * mvn -q -o -pl gateway -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/gw.cp
 * cd gateway && java -Xmx1g -cp target/test-classes:target/classes:$(cat /tmp/gw.cp) \
 *     io.presenter.gateway.client.HandshakeStormGoodput 40   # storm seconds
 * </pre>
 */
public final class HandshakeStormGoodput {

    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BACKOFF_MIN = Duration.ofMillis(100);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(5);
    private static final int CONCURRENCY = 64;
    private static final int CAPACITY_SECONDS = 15;
    /** Loopback source addresses the clients spread over, so ephemeral ports in TIME_WAIT do not run out. */
    private static final int SOURCE_ADDRESSES = 16;
    /** Clients connecting or handshaking at once, at most: beyond it an arrival is counted as not sent. */
    private static final int MAX_IN_FLIGHT = 6_000;

    public static void main(String[] args) throws Exception {
        // Longer than the clients' timeout, or a queue never grows old enough to make them give up.
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Path dir = Files.createTempDirectory("storm-goodput");
        TlsSettings.CertificateFiles rsa = SelfSignedCertificates.generate(dir, "rsa", KeyType.RSA_2048,
                List.of("localhost", "127.0.0.1"));
        // X25519 alone: the clients' key share is cheap, so the machine's cores go to the server.
        SslContext clientTls = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .option(OpenSslContextOption.GROUPS, new String[] {"X25519"})
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        EventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            try (Server warm = new Server(rsa, 0)) {
                closedLoop(warm, clientTls, clientLoop, 5);  // JIT warm-up
            }
            double capacity;
            try (Server server = new Server(rsa, 0)) {
                capacity = closedLoop(server, clientTls, clientLoop, CAPACITY_SECONDS);
            }
            System.out.printf("capacity: %.0f handshakes/s (%d clients back to back, %d s, RSA 2048, one server loop)%n",
                    capacity, CONCURRENCY, CAPACITY_SECONDS);
            int offered = (int) Math.round(3 * capacity);
            for (int cap : new int[] {0, (int) Math.round(capacity)}) {
                try (Server server = new Server(rsa, cap)) {
                    storm(server, clientTls, clientLoop, offered, seconds, cap);
                }
            }
        } finally {
            clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Completed handshakes a second with {@link #CONCURRENCY} clients back to back. */
    private static double closedLoop(Server server, SslContext tls, EventLoopGroup loop, int seconds)
            throws InterruptedException {
        Counts counts = new Counts();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (int i = 0; i < CONCURRENCY; i++) {
            new Attempt(server, tls, loop.next(), counts, end, Duration.ZERO).start();
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) + CLIENT_TIMEOUT.toMillis());
        return counts.completed.get() / (double) seconds;
    }

    private static void storm(Server server, SslContext tls, EventLoopGroup group, int perSecond, int seconds,
            int cap) throws InterruptedException {
        Counts counts = new Counts();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        EventLoop loop = group.next();
        AtomicLong due = new AtomicLong();
        Future<?> arrivals = loop.scheduleAtFixedRate(() -> {
            long target = (System.nanoTime() - start) * perSecond / TimeUnit.SECONDS.toNanos(1);
            while (due.get() < target && System.nanoTime() < end) {
                due.incrementAndGet();
                counts.arrivals.incrementAndGet();
                if (counts.inFlight.get() >= MAX_IN_FLIGHT) {
                    counts.notSent.incrementAndGet();
                } else {
                    new Attempt(server, tls, group.next(), counts, end, BACKOFF_MIN).start();
                }
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        arrivals.cancel(false);
        long completedInStorm = counts.completed.get();
        Thread.sleep(CLIENT_TIMEOUT.toMillis() + 1_000);  // let in-flight handshakes end before the server goes
        System.out.printf("storm %s: offered %d new clients/s for %d s (+ retries): %.0f sessions/s completed "
                        + "during the storm (%.0f%% of capacity run), attempts %d, refused at accept %d, "
                        + "client timeouts %d, other failures %d, arrivals not sent (in-flight cap) %d%n",
                cap == 0 ? "without a cap" : "with max-handshake-rate " + cap, perSecond, seconds,
                completedInStorm / (double) seconds, 100.0 * completedInStorm / seconds / Math.max(1, perSecond / 3.0),
                counts.attempts.get(), counts.refused.get(), counts.timeouts.get(), counts.failed.get(),
                counts.notSent.get());
    }

    private static final class Counts {
        final AtomicLong arrivals = new AtomicLong();
        final AtomicLong attempts = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong timeouts = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong notSent = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();
    }

    /** One client: connects, handshakes, and on failure retries after a pause until the end. */
    private static final class Attempt {
        private final Server server;
        private final SslContext tls;
        private final EventLoop loop;
        private final Counts counts;
        private final long endNanos;
        private final Duration minPause;
        private int failures;

        Attempt(Server server, SslContext tls, EventLoop loop, Counts counts, long endNanos, Duration minPause) {
            this.server = server;
            this.tls = tls;
            this.loop = loop;
            this.counts = counts;
            this.endNanos = endNanos;
            this.minPause = minPause;
        }

        void start() {
            if (System.nanoTime() >= endNanos) {
                return;
            }
            counts.attempts.incrementAndGet();
            counts.inFlight.incrementAndGet();
            InetSocketAddress source = new InetSocketAddress("127.0.0."
                    + (2 + ThreadLocalRandom.current().nextInt(SOURCE_ADDRESSES)), 0);
            new Bootstrap().group(loop).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler ssl = tls.newHandler(ch.alloc());
                            ssl.setHandshakeTimeout(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                            ch.pipeline().addLast(ssl, new Outcome());
                        }
                    })
                    .connect(server.address(), source).addListener(connected -> {
                        if (!connected.isSuccess()) {
                            finished(false, counts.failed);
                        }
                    });
        }

        private void finished(boolean success, AtomicLong outcome) {
            counts.inFlight.decrementAndGet();
            if (System.nanoTime() < endNanos) {
                outcome.incrementAndGet();
            }
            if (!success) {
                // Exponential backoff with full jitter, as the loadtest storm's clients (100 ms .. 5 s).
                failures++;
                long ceiling = Math.min(BACKOFF_MAX.toMillis(), minPause.toMillis() << Math.min(failures - 1, 20));
                long pauseMillis = ThreadLocalRandom.current().nextLong(Math.max(1, ceiling) + 1);
                loop.schedule(this::start, minPause.isZero() ? 0 : pauseMillis, TimeUnit.MILLISECONDS);
            } else if (minPause.isZero()) {
                start();  // closed loop: the next one at once
            }
        }

        /** Records how this attempt ended, once. */
        private final class Outcome extends ChannelInboundHandlerAdapter {
            private boolean done;

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof SslHandshakeCompletionEvent handshake && !done) {
                    done = true;
                    if (handshake.isSuccess()) {
                        finished(true, counts.completed);
                    } else if (handshake.cause() instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
                        finished(false, counts.timeouts);
                    } else {
                        finished(false, counts.refused);  // closed before or during the handshake
                    }
                    ctx.close();
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (!done) {
                    done = true;
                    finished(false, counts.refused);
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }

    /** The production client pipeline on one event loop, in front of nothing (no auth packet is sent). */
    private static final class Server implements AutoCloseable {
        private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        private final ClientMeters meters = new ClientMeters(registry);
        private final ClientConnections connections = new ClientConnections(1_000_000, 0, meters);
        private final EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final ServerTls tls;
        private final Channel listener;

        Server(TlsSettings.CertificateFiles certificate, int maxHandshakeRate) throws Exception {
            tls = new ServerTlsContextFactory().create(TlsSettings.defaults(List.of(certificate))
                    .withHandshakeTimeout(CLIENT_TIMEOUT), registry);
            ClientLimits limits = new ClientLimits(Duration.ZERO, Duration.ofSeconds(60), 4096);
            ClientChannelInitializer clients = new ClientChannelInitializer(limits,
                    EdgeSettings.DEFAULTS.withAcceptRates(maxHandshakeRate, 0), connections, tls,
                    new TlsMeters(registry), TokenVerifier.ACCEPT_ALL, new NoStreams(), meters);
            listener = new ServerBootstrap().group(acceptor, loop).channel(NioServerSocketChannel.class)
                    .option(io.netty.channel.ChannelOption.SO_BACKLOG, 4096)
                    .handler(clients.acceptGate())
                    .childHandler(clients)
                    .bind("127.0.0.1", 0).sync().channel();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) listener.localAddress();
        }

        @Override
        public void close() {
            listener.close().syncUninterruptibly();
            connections.closeAll("shutdown");
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            tls.close();
        }
    }

    private static final class NoStreams implements StreamOpener {
        @Override
        public int maxRetries() {
            return 0;
        }

        @Override
        public Future<MuxStreamChannel> open(EventLoop loop, StreamRequest request, ChannelHandler handler) {
            return loop.newFailedFuture(new IllegalStateException("the benchmark sends no auth packet"));
        }
    }
}
