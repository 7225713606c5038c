package io.presenter.gateway.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import io.presenter.gateway.GatewaySettings;
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
import io.presenter.protocol.transport.Transport;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server side of the handshake-storm benchmark ({@code loadtest/bench/storm-goodput.sh}): the
 * production client pipeline ({@link ClientChannelInitializer} with its accept gate, production
 * defaults for every limit and timeout, the daemon's transport, one acceptor thread and one event
 * loop per available processor) in a process of its own, in front of no chat server (the storm's
 * clients stop at the TLS handshake). Measured from outside: the script pins it with
 * {@code taskset} and the clients run in another process on another core.
 *
 * <p>It prints {@code listening <port>} once bound; on SIGTERM it prints one {@code server ...}
 * line of counters (key=value) and exits. {@code flights} counts connections to which the server
 * sent its first TLS flight, i.e. for which it made the certificate signature: the work that is
 * wasted when the client has already given up.
 *
 * <pre>
 * java -cp ... io.presenter.gateway.client.StormServer CERT.pem KEY.pem MAX_HANDSHAKE_RATE(0 = no cap)
 * </pre>
 */
public final class StormServer {

    private StormServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: StormServer CERT.pem KEY.pem MAX_HANDSHAKE_RATE");
            System.exit(2);
        }
        int maxHandshakeRate = Integer.parseInt(args[2]);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ClientMeters meters = new ClientMeters(registry);
        ClientConnections connections = new ClientConnections(GatewaySettings.DEFAULT_MAX_CONNECTIONS, 0, meters);
        ServerTls tls = new ServerTlsContextFactory().create(TlsSettings.defaults(
                List.of(new CertificateFiles(Path.of(args[0]), Path.of(args[1])))), registry);
        ClientLimits limits = new ClientLimits(GatewaySettings.DEFAULT_IDLE_TIMEOUT, AuthStage.DEFAULT_AUTH_TIMEOUT,
                AuthStage.DEFAULT_MAX_AUTH_PACKET_BYTES);
        ClientChannelInitializer clients = new ClientChannelInitializer(limits,
                EdgeSettings.DEFAULTS.withAcceptRates(maxHandshakeRate, 0), connections, tls,
                new TlsMeters(registry), TokenVerifier.ACCEPT_ALL, new NoStreams(), meters);
        LongAdder flights = new LongAdder();
        Transport transport = Transport.best();
        int loopCount = Runtime.getRuntime().availableProcessors();
        EventLoopGroup acceptor = transport.newGroup(1);
        EventLoopGroup loops = transport.newGroup(loopCount);
        Channel listener = new ServerBootstrap().group(acceptor, loops).channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 4096)  // listen.backlog's default
                .childOption(ChannelOption.TCP_NODELAY, true)
                .handler(clients.acceptGate())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FirstFlight(flights), clients);
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        long startCpu = processCpuNanos();
        long startNanos = System.nanoTime();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double cpu = (processCpuNanos() - startCpu) / 1e9;
            System.out.printf("server transport=%s loops=%d cap=%d flights=%d full=%d resumed=%d "
                            + "failed_closed=%d failed_timeout=%d failed_other=%d refused_at_accept=%d "
                            + "cpu_s=%.1f wall_s=%.1f%n",
                    transport.name(), loopCount, maxHandshakeRate, flights.sum(),
                    count(registry, TlsMeters.HANDSHAKES, "result", "full"),
                    count(registry, TlsMeters.HANDSHAKES, "result", "resumed"),
                    count(registry, TlsMeters.HANDSHAKES, "reason", "closed"),
                    count(registry, TlsMeters.HANDSHAKES, "reason", "timeout"),
                    count(registry, TlsMeters.HANDSHAKES, "reason", "handshake")
                            + count(registry, TlsMeters.HANDSHAKES, "reason", "other")
                            + count(registry, TlsMeters.HANDSHAKES, "reason", "not_ssl"),
                    count(registry, ClientMeters.CONNECTIONS_CLOSED, "reason", AcceptRates.OVER_HANDSHAKE_RATE),
                    cpu, seconds);
            System.out.flush();
            stopped.countDown();
        }, "storm-server-stats"));
        System.out.println("listening " + ((java.net.InetSocketAddress) listener.localAddress()).getPort());
        System.out.flush();
        stopped.await();
    }

    private static long count(SimpleMeterRegistry registry, String name, String tag, String value) {
        return Math.round(registry.find(name).tag(tag, value).counters().stream().mapToDouble(Counter::count).sum());
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Counts the connection once, at the server's first write: its first TLS flight, signed. */
    private static final class FirstFlight extends ChannelOutboundHandlerAdapter {
        private final LongAdder flights;

        FirstFlight(LongAdder flights) {
            this.flights = flights;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            flights.increment();
            ctx.pipeline().remove(this);
            ctx.write(msg, promise);
        }
    }

    private static final class NoStreams implements StreamOpener {
        @Override
        public int maxRetries() {
            return 0;
        }

        @Override
        public Future<RelayStream> open(EventLoop loop, StreamRequest request, RelayStreamListener listener) {
            return loop.newFailedFuture(new IllegalStateException("the storm's clients send no auth packet"));
        }
    }
}
