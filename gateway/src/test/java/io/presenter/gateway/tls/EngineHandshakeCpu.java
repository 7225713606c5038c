package io.presenter.gateway.tls;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * Server-side TLS CPU per handshake without sockets: a client and a server engine (the production
 * {@link ServerTlsContextFactory} context) hand records to each other in memory on one thread, and
 * only the server's calls are timed (thread CPU time): engine creation, every wrap/unwrap and
 * delegated task, release. This is the TLS cost alone; {@link HandshakeCpuMeasurement} adds the
 * socket and pipeline cost. Run after {@code mvn -pl gateway -am verify}:
 *
 * <pre>
 * mvn -q -o -pl gateway -am verify -DskipTests dependency:build-classpath -Dmdep.outputFile=/tmp/gw.cp
 * cd gateway && java -cp target/test-classes:target/classes:$(cat /tmp/gw.cp) \
 *     io.presenter.gateway.tls.EngineHandshakeCpu 5000
 * </pre>
 *
 * <p>{@code -Dgroups=X25519,P-256} sets the server's {@code tls.groups} (default: BoringSSL's,
 * post-quantum hybrid first). {@code -Dbio=1024,256} measures each of these non-application BIO
 * buffer sizes in turn on the same context (default: the factory's
 * {@link ServerTlsContextFactory#BIO_NON_APPLICATION_BUFFER_SIZE} only), {@code -Drounds=3} repeats
 * the whole comparison, interleaved, so that a loaded machine's drift falls on every size alike.
 */
public final class EngineHandshakeCpu {

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static long serverNanos;
    private static final ByteBuffer C2S = ByteBuffer.allocateDirect(1 << 16);
    private static final ByteBuffer S2C = ByteBuffer.allocateDirect(1 << 16);
    private static final ByteBuffer APP = ByteBuffer.allocateDirect(1 << 17);
    private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0);
    private static final boolean DEBUG = Boolean.getBoolean("debug");
    private static final List<String> GROUPS = System.getProperty("groups", "").isEmpty() ? List.of()
            : List.of(System.getProperty("groups").split(","));
    private static final List<Integer> BIO_SIZES = System.getProperty("bio", "").isEmpty()
            ? List.of(ServerTlsContextFactory.BIO_NON_APPLICATION_BUFFER_SIZE)
            : java.util.Arrays.stream(System.getProperty("bio").split(",")).map(Integer::valueOf).toList();

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        MeasurementFiles files = MeasurementFiles.create("tls-engine-cpu");
        System.out.printf("%d handshakes each after %d warm-up; server engine CPU only, in memory%n", n, n / 2);
        for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
            for (CertificateFiles cert : files.certificates()) {
                TlsSettings settings = TlsSettings.defaults(List.of(cert)).withProtocols(List.of(protocol))
                        .withTicketKeyFile(files.ticketKeys()).withGroups(GROUPS);
                try (ServerTls tls = new ServerTlsContextFactory().create(settings, new SimpleMeterRegistry())) {
                    for (int round = 0; round < Integer.getInteger("rounds", 1); round++) {
                        for (int bio : BIO_SIZES) {
                            ((ReferenceCountedOpenSslContext) tls.sslContext()).setBioNonApplicationBufferSize(bio);
                            run(tls.sslContext(), cert, protocol, false, n / 2);
                            double full = run(tls.sslContext(), cert, protocol, false, n);
                            run(tls.sslContext(), cert, protocol, true, n / 2);
                            double resumed = run(tls.sslContext(), cert, protocol, true, n);
                            System.out.printf("%s %-5s BIO buffer %5d: full %6.1f us   resumed %6.1f us%n", protocol,
                                    files.kind(cert), bio, full, resumed);
                        }
                    }
                }
            }
        }
    }

    private static double run(SslContext server, CertificateFiles cert, String protocol, boolean resume, int n)
            throws Exception {
        SslContext shared = HandshakeClient.clientContext(cert.chain(), List.of(protocol), null);
        if (resume) {
            handshake(server, shared);
        }
        serverNanos = 0;
        int resumed = 0;
        for (int i = 0; i < n; i++) {
            SslContext client = resume ? shared : HandshakeClient.clientContext(cert.chain(), List.of(protocol), null);
            resumed += handshake(server, client) ? 1 : 0;
        }
        if (resumed != (resume ? n : 0)) {
            throw new IllegalStateException("expected " + (resume ? n : 0) + " resumptions, got " + resumed);
        }
        return serverNanos / 1000.0 / n;
    }

    /** One handshake (plus TLS 1.3 tickets); returns whether the server resumed. */
    private static boolean handshake(SslContext serverContext, SslContext clientContext) throws Exception {
        SSLEngine server = handshake(serverContext, clientContext, false);
        return server == null;
    }

    /**
     * One handshake; returns the still-open server engine when {@code keepServer} (the caller
     * releases it), else {@code null} when the server resumed and a dummy non-null when it did not.
     */
    static SSLEngine handshake(SslContext serverContext, SslContext clientContext, boolean keepServer)
            throws Exception {
        SSLEngine client = clientContext.newEngine(ByteBufAllocator.DEFAULT, HandshakeClient.HOST,
                HandshakeClient.LOGICAL_PORT);
        long t = MX.getCurrentThreadCpuTime();
        SSLEngine server = serverContext.newEngine(ByteBufAllocator.DEFAULT);
        serverNanos += MX.getCurrentThreadCpuTime() - t;
        // Reused: direct buffers per handshake would grow the process by their size until a GC.
        ByteBuffer c2s = C2S.clear();
        ByteBuffer s2c = S2C.clear();
        ByteBuffer app = APP.clear();
        ByteBuffer empty = EMPTY;
        // Like the socket server, the server writes one byte once the handshake is done; that wrap
        // also flushes the TLS 1.3 session tickets BoringSSL queued at the end of the handshake.
        ByteBuffer ready = ByteBuffer.allocateDirect(1).put(TlsTestServer.READY).flip();
        try {
            client.beginHandshake();
            t = MX.getCurrentThreadCpuTime();
            server.beginHandshake();
            serverNanos += MX.getCurrentThreadCpuTime() - t;
            for (int round = 0; round < 50; round++) {
                int moved = wrapAll(client, empty, c2s);
                moved += unwrapAll(server, c2s, app, true);
                moved += wrapAll(server, ready, s2c, true);
                moved += unwrapAll(client, s2c, app, false);
                if (DEBUG) {
                    System.out.println("round " + round + " moved " + moved + " c=" + client.getHandshakeStatus()
                            + " s=" + server.getHandshakeStatus() + " c2s=" + c2s.position() + " s2c=" + s2c.position());
                }
                if (moved == 0 && !ready.hasRemaining() && client.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                        && server.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING) {
                    if (keepServer) {
                        return server;
                    }
                    return TlsHandshakeMetrics.isResumed(server, 0) ? null : client;
                }
            }
            throw new IllegalStateException("handshake did not finish: client " + client.getHandshakeStatus()
                    + ", server " + server.getHandshakeStatus());
        } finally {
            ReferenceCountUtil.release(client);
            if (!keepServer) {
                t = MX.getCurrentThreadCpuTime();
                ReferenceCountUtil.release(server);
                serverNanos += MX.getCurrentThreadCpuTime() - t;
            }
        }
    }

    private static int wrapAll(SSLEngine engine, ByteBuffer src, ByteBuffer dst) throws Exception {
        return wrapAll(engine, src, dst, false);
    }

    private static int wrapAll(SSLEngine engine, ByteBuffer src, ByteBuffer dst, boolean timed) throws Exception {
        int produced = 0;
        while (true) {
            long t = timed ? MX.getCurrentThreadCpuTime() : 0;
            SSLEngineResult r = engine.wrap(src, dst);
            runTasks(engine);
            if (timed) {
                serverNanos += MX.getCurrentThreadCpuTime() - t;
            }
            produced += r.bytesProduced();
            if (r.bytesProduced() == 0 || r.getStatus() != SSLEngineResult.Status.OK) {
                return produced;
            }
        }
    }

    private static int unwrapAll(SSLEngine engine, ByteBuffer src, ByteBuffer app, boolean timed) throws Exception {
        src.flip();
        int consumed = 0;
        try {
            while (src.hasRemaining()) {
                app.clear();
                long t = timed ? MX.getCurrentThreadCpuTime() : 0;
                SSLEngineResult r = engine.unwrap(src, app);
                runTasks(engine);
                if (timed) {
                    serverNanos += MX.getCurrentThreadCpuTime() - t;
                }
                consumed += r.bytesConsumed();
                if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                    break;
                }
            }
        } finally {
            src.compact();
        }
        return consumed;
    }

    private static void runTasks(SSLEngine engine) {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
            task.run();
        }
    }
}
