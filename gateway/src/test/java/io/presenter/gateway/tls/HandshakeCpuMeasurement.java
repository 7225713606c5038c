package io.presenter.gateway.tls;

import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * Server-side CPU per TLS handshake, measured, not asserted (tests never assert on speed).
 *
 * <p>One server event-loop thread (it accepts too) runs the production TLS stage; a client on
 * another thread does handshakes one after another over loopback. The number is that thread's CPU
 * time (ThreadMXBean) divided by the handshakes: accept, TLS, the one-byte ready write, close. GC
 * and JIT threads are not included. Run after {@code mvn -pl gateway -am verify}:
 *
 * <pre>
 * mvn -q -o -pl gateway -am verify -DskipTests dependency:build-classpath -Dmdep.outputFile=/tmp/gw.cp
 * cd gateway && java -cp target/test-classes:target/classes:$(cat /tmp/gw.cp) \
 *     io.presenter.gateway.tls.HandshakeCpuMeasurement 2000
 * </pre>
 *
 * <p>Add {@code -Djdk.tls.namedGroups=x25519,secp256r1} to both to see the cost of the default
 * hybrid post-quantum key exchange (X25519MLKEM768) that Netty puts first with BoringSSL.
 * {@code -Dbio=1024,256 -Drounds=3} compares non-application BIO buffer sizes on the same server,
 * interleaved (as {@link EngineHandshakeCpu} does).
 */
public final class HandshakeCpuMeasurement {

    private static final List<Integer> BIO_SIZES = System.getProperty("bio", "").isEmpty()
            ? List.of(ServerTlsContextFactory.BIO_NON_APPLICATION_BUFFER_SIZE)
            : java.util.Arrays.stream(System.getProperty("bio").split(",")).map(Integer::valueOf).toList();

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        MeasurementFiles files = MeasurementFiles.create("tls-cpu");
        System.out.printf("%d handshakes each, after %d warm-up; server event-loop thread CPU%n", n, n / 2);
        plainTcpBaseline(n / 2);
        double plain = plainTcpBaseline(n);
        System.out.printf("baseline: plain TCP accept + 1-byte write + close: %6.1f us per connection%n", plain);
        try (HandshakeClient client = new HandshakeClient()) {
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                for (CertificateFiles cert : files.certificates()) {
                    String kind = files.kind(cert);
                    TlsSettings settings = TlsSettings.defaults(List.of(cert)).withProtocols(List.of(protocol))
                            .withTicketKeyFile(files.ticketKeys());
                    try (TlsTestServer server = new TlsTestServer(settings)) {
                        long thread = serverThread(server);
                        for (int round = 0; round < Integer.getInteger("rounds", 1); round++) {
                            for (int bio : BIO_SIZES) {
                                ((ReferenceCountedOpenSslContext) server.tls.sslContext())
                                        .setBioNonApplicationBufferSize(bio);
                                measure(client, server, thread, cert, protocol, false, n / 2);
                                double full = measure(client, server, thread, cert, protocol, false, n);
                                measure(client, server, thread, cert, protocol, true, n / 2);
                                double resumed = measure(client, server, thread, cert, protocol, true, n);
                                System.out.printf("%s %-11s BIO buffer %5d: full %6.1f us   resumed %6.1f us"
                                        + "   (server counted full=%.0f resumed=%.0f)%n", protocol, kind, bio, full,
                                        resumed, server.handshakes("full"), server.handshakes("resumed"));
                            }
                        }
                    }
                }
            }
        }
    }

    /** Mean server-thread CPU microseconds per handshake. */
    private static double measure(HandshakeClient client, TlsTestServer server, long thread, CertificateFiles cert,
            String protocol, boolean resume, int n) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        SslContext shared = HandshakeClient.clientContext(cert.chain(), List.of(protocol), null);
        if (resume) {
            client.handshake(shared, server.address());
        }
        double resumedBefore = server.handshakes("resumed");
        long before = mx.getThreadCpuTime(thread);
        for (int i = 0; i < n; i++) {
            // A fresh client context has no session: a full handshake. The shared one resumes.
            SslContext ctx = resume ? shared : HandshakeClient.clientContext(cert.chain(), List.of(protocol), null);
            client.handshake(ctx, server.address());
        }
        long cpu = mx.getThreadCpuTime(thread) - before;
        if (resume && server.handshakes("resumed") - resumedBefore != n) {
            throw new IllegalStateException("expected " + n + " resumptions, server counted "
                    + (server.handshakes("resumed") - resumedBefore));
        }
        return cpu / 1000.0 / n;
    }

    /** The same connection life without TLS, to tell TLS cost from connection cost. */
    private static double plainTcpBaseline(int n) throws Exception {
        var group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                io.netty.channel.epoll.EpollIoHandler.newFactory());
        try {
            var listener = new io.netty.bootstrap.ServerBootstrap().group(group)
                    .channel(io.netty.channel.epoll.EpollServerSocketChannel.class)
                    .childHandler(new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
                        @Override
                        protected void initChannel(io.netty.channel.Channel ch) {
                            ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                                    ctx.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(
                                            new byte[] {TlsTestServer.READY}));
                                }
                            });
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            long thread = listener.eventLoop().submit(() -> Thread.currentThread().getId()).get();
            var address = (java.net.InetSocketAddress) listener.localAddress();
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long before = mx.getThreadCpuTime(thread);
            for (int i = 0; i < n; i++) {
                try (java.net.Socket s = new java.net.Socket(address.getAddress(), address.getPort())) {
                    s.setSoTimeout((int) TlsTestServer.TIMEOUT.toMillis());
                    if (s.getInputStream().read() != TlsTestServer.READY) {
                        throw new IllegalStateException("no ready byte");
                    }
                }
            }
            long cpu = mx.getThreadCpuTime(thread) - before;
            listener.close().sync();
            return cpu / 1000.0 / n;
        } finally {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    private static long serverThread(TlsTestServer server) throws Exception {
        return server.eventLoop().submit(() -> Thread.currentThread().getId()).get();
    }
}
