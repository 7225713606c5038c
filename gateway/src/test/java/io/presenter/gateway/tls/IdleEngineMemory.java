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
 * cd gateway && java -cp target/test-classes:target/classes:$(cat /tmp/gw.cp) \
 *     io.presenter.gateway.tls.IdleEngineMemory 5000
 * </pre>
 */
public final class IdleEngineMemory {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        Path dir = Files.createTempDirectory("tls-idle-memory");
        CertificateFiles ec = SelfSignedCertificates.generate(dir, "ec", KeyType.ECDSA_P256, TlsHandshakeTest.NAMES);
        List<String> protocols = args.length > 1 ? List.of(args[1].split(",")) : List.of("TLSv1.3", "TLSv1.2");
        for (String protocol : protocols) {
            TlsSettings settings = TlsSettings.defaults(List.of(ec)).withProtocols(List.of(protocol));
            try (ServerTls tls = new ServerTlsContextFactory().create(settings, new SimpleMeterRegistry())) {
                SslContext client = HandshakeClient.clientContext(ec.chain(), List.of(protocol), null);
                // Warm up (JIT, allocator arenas, session cache) and release.
                for (int i = 0; i < 1000; i++) {
                    ReferenceCountUtil.release(EngineHandshakeCpu.handshake(tls.sslContext(), client, true));
                }
                long heapBefore = heapAfterGc();
                long rssBefore = rss();
                List<SSLEngine> idle = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    idle.add(EngineHandshakeCpu.handshake(tls.sslContext(), client, true));
                }
                long heap = heapAfterGc() - heapBefore;
                long rss = rss() - rssBefore;
                System.out.printf("%s: %d idle server engines: heap %.1f KiB each, process RSS %.1f KiB each"
                        + " (native + heap growth)%n", protocol, n, heap / 1024.0 / n, rss / 1024.0 / n);
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
