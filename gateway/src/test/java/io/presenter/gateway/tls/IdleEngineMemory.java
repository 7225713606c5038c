package io.presenter.gateway.tls;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;

/**
 * Memory held by idle server TLS engines: N handshakes completed in memory (see
 * {@link EngineHandshakeCpu}), the server engines kept open with nothing pending, then heap (after
 * GC) and process RSS compared with before. Only the TLS engine's share of an idle connection:
 * channel, pipeline and socket buffers come on top. Run like {@link EngineHandshakeCpu}:
 *
 * <pre>
 * cd gateway && java -Xint -Xms512m -Xmx512m -XX:+AlwaysPreTouch \
 *     -cp target/test-classes:target/classes:$(cat /tmp/gw.cp) \
 *     io.presenter.gateway.tls.IdleEngineMemory 8000 TLSv1.3      # -Dbio=2048 for Netty's default buffer
 * </pre>
 *
 * <p>{@code -Xint} keeps the JIT out of the RSS figure: without it, code compiled while the
 * engines are made lands in the same growth and the per-engine figure moved by up to 1.1 KiB between
 * runs of one build; with it, repeated runs agree to 0.1 KiB (the engines' native memory is
 * BoringSSL's and does not depend on the JIT).
 */
public final class IdleEngineMemory {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        Path dir = Files.createTempDirectory("tls-idle-memory");
        CertificateFiles ec = SelfSignedCertificates.generate(dir, "ec", KeyType.ECDSA_P256, AbstractTlsTest.NAMES);
        List<String> protocols = args.length > 1 ? List.of(args[1].split(",")) : List.of("TLSv1.3", "TLSv1.2");
        for (String protocol : protocols) {
            TlsSettings settings = TlsSettings.defaults(List.of(ec)).withProtocols(List.of(protocol));
            try (ServerTls tls = new ServerTlsContextFactory().create(settings, new SimpleMeterRegistry())) {
                SslContext client = HandshakeClient.clientContext(ec.chain(), List.of(protocol), null);
                Integer bio = Integer.getInteger("bio");
                if (bio != null) {
                    ((io.netty.handler.ssl.ReferenceCountedOpenSslContext) tls.sslContext())
                            .setBioNonApplicationBufferSize(bio);
                }
                // Warm up (JIT, allocator arenas, session cache) and release.
                for (int i = 0; i < 1000; i++) {
                    ReferenceCountUtil.release(EngineHandshakeCpu.handshake(tls.sslContext(), client, true));
                }
                long heapBefore = heapAfterGc();
                long rssBefore = rss();
                List<SSLEngine> idle = new ArrayList<>(n);
                long rssQuarter = 0;
                for (int i = 0; i < n; i++) {
                    idle.add(EngineHandshakeCpu.handshake(tls.sslContext(), client, true));
                    if (i == n / 4) {
                        rssQuarter = rss();
                    }
                }
                long rssEnd = rss();
                long heap = heapAfterGc() - heapBefore;
                // The slope over the last three quarters leaves out one-off growth (malloc arenas,
                // JIT code) that lands on the first engines.
                double slope = (rssEnd - rssQuarter) / 1024.0 / (n - 1 - n / 4);
                System.out.printf("%s, BIO non-application buffer %d: %d idle server engines: heap %.1f KiB each,"
                        + " process RSS %.1f KiB each (slope over the last 3/4: %.1f KiB)%n", protocol,
                        ((io.netty.handler.ssl.ReferenceCountedOpenSslContext) tls.sslContext())
                                .getBioNonApplicationBufferSize(),
                        n, heap / 1024.0 / n, (rssEnd - rssBefore) / 1024.0 / n, slope);
                idle.forEach(ReferenceCountUtil::release);
            }
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100); // measurement pause, not synchronisation
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
