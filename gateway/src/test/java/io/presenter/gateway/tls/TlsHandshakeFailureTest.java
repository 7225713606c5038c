package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.presenter.gateway.tls.TlsSettings.Engine;
import io.presenter.testing.Await;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Handshakes that must fail, be closed and be counted; and the engine choice at startup. */
class TlsHandshakeFailureTest extends AbstractTlsTest {


    @Test
    void silentClientIsClosedAfterHandshakeTimeout() throws Exception {
        TlsSettings settings = TlsSettings.defaults(List.of(cert)).withHandshakeTimeout(Duration.ofMillis(300));
        try (TlsTestServer server = new TlsTestServer(settings);
                Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout((int) TlsTestServer.TIMEOUT.toMillis());
            Channel accepted = server.nextAccepted();

            long start = System.nanoTime();
            // The server sends nothing before the ClientHello, so the first read sees the close.
            assertThat(readUntilClosed(socket.getInputStream())).isZero();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(
                    TlsTestServer.TIMEOUT.toMillis());

            assertThat(accepted.closeFuture().await(TlsTestServer.TIMEOUT.toMillis())).isTrue();
            assertThat(server.failures("timeout")).isEqualTo(1.0);
            assertThat(server.handshakes("full")).isZero();
        }
    }

    @Test
    void plainTextClientIsClosedAndCountedAsNotSsl() throws Exception {
        try (TlsTestServer server = new TlsTestServer(TlsSettings.defaults(List.of(cert)));
                Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout((int) TlsTestServer.TIMEOUT.toMillis());
            Channel accepted = server.nextAccepted();
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: presenter\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();

            readUntilClosed(socket.getInputStream());

            assertThat(accepted.closeFuture().await(TlsTestServer.TIMEOUT.toMillis())).isTrue();
            assertThat(server.failures("not_ssl")).isEqualTo(1.0);
            assertThat(server.failures("timeout")).isZero();
        }
    }

    @Test
    void clientClosingMidHandshakeIsCountedAsClosed() throws Exception {
        try (TlsTestServer server = new TlsTestServer(TlsSettings.defaults(List.of(cert)))) {
            Channel accepted;
            try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
                accepted = server.nextAccepted();
                // The start of a TLS record header, then gone.
                socket.getOutputStream().write(new byte[] {0x16, 0x03, 0x01});
                socket.getOutputStream().flush();
            }
            assertThat(accepted.closeFuture().await(TlsTestServer.TIMEOUT.toMillis())).isTrue();
            // The close future completes before channelInactive, which fires the failure event.
            Await.until(TlsTestServer.TIMEOUT, () -> server.failures("closed") == 1.0,
                    () -> "closed failures: " + server.failures("closed"));
        }
    }

    @Test
    void refusesToStartWithoutBoringSslUnlessJdkChosen() {
        UnsatisfiedLinkError cause = new UnsatisfiedLinkError("no netty_tcnative_linux_x86_64 in java.library.path");
        ServerTlsContextFactory noNative = new ServerTlsContextFactory(() -> false, () -> cause);

        assertThatThrownBy(() -> noNative.create(TlsSettings.defaults(List.of(cert)), new SimpleMeterRegistry()))
                .isInstanceOf(NativeTlsUnavailableException.class)
                .hasCause(cause)
                .hasMessageContaining("no netty_tcnative_linux_x86_64 in java.library.path")
                .hasMessageContaining("tls.engine: jdk")
                .hasMessageContaining("will not start");
    }

    @Test
    void jdkEngineWorksWhenChosenExplicitly() throws Exception {
        ServerTlsContextFactory noNative = new ServerTlsContextFactory(() -> false, () -> null);
        TlsSettings settings = TlsSettings.defaults(List.of(cert)).withEngine(Engine.JDK);
        try (TlsTestServer server = new TlsTestServer(noNative, settings)) {
            assertThat(server.tls.sslContext().isServer()).isTrue();
            assertThat(server.tls.ticketKeys()).isEmpty();

            var ctx = HandshakeClient.clientContext(cert.chain(), List.of("TLSv1.3"), null);
            assertThat(client.handshake(ctx, server.address()).protocol()).isEqualTo("TLSv1.3");
            assertThat(server.handshakes("full")).isEqualTo(1.0);
        }
    }

    /** Reads and discards until end of stream; returns the number of bytes read. */
    private static int readUntilClosed(InputStream in) throws Exception {
        int total = 0;
        byte[] buf = new byte[512];
        try {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                total += n;
            }
        } catch (java.net.SocketException reset) {
            // A reset is a close too.
        }
        return total;
    }
}
