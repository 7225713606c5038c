package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.presenter.gateway.OnePresenterTestBase;
import io.presenter.gateway.PresenterCluster;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.transport.TransportChoice;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: a client that keeps Nagle's algorithm on waited ~40 ms per connection, because after
 * its TLS 1.3 Finished the presenter sent nothing (BoringSSL defers the session tickets to the next
 * application write), so the client's auth packet waited behind Nagle for an ACK that the
 * presenter's kernel delays. The presenter now sends its tickets as soon as the handshake is done.
 *
 * <p>Shown at the socket level, with no timing: a plain blocking socket with Nagle on does the
 * handshake with the JDK's own TLS engine and then sends nothing; the presenter's post-handshake
 * bytes must still arrive (they carry the ACK the client's next packet waits for), and they must
 * be TLS handshake records (tickets), not application data. The presenter's auth deadline is set
 * far beyond the read's bound so that its timeout (which writes an error and closes) cannot be
 * what makes bytes arrive.
 */
class PostHandshakeFlightTest extends OnePresenterTestBase {

    private static final Duration READ_BOUND = Duration.ofSeconds(10);
    private static final long COUPLE = 1_600;

    private SSLContext clientTls;

    @BeforeEach
    @Override
    protected void startOnePresenter() throws Exception {
        cluster = PresenterCluster.withOneChatServer();
        presenter = cluster.startPresenter(PresenterCluster.settings().withAuthTimeout(Duration.ofMinutes(2))
                .toBuilder().transport(transport()).build(), cluster.directory);
    }

    /** The presenter's transport: the default here; {@link PostHandshakeFlightOnIoUringTest} runs all of it on io_uring. */
    protected TransportChoice transport() {
        return TransportChoice.AUTO;
    }

    @BeforeEach
    void clientTls() throws Exception {
        clientTls = SSLContext.getInstance("TLSv1.3");
        clientTls.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
    }

    @Test
    void serverSendsItsTicketsBeforeTheNagleClientSendsAnyData() throws Exception {
        try (RawTlsClient client = new RawTlsClient(clientTls, presenter.address())) {
            client.handshake();
            assertThat(client.engine.getSession().getProtocol()).isEqualTo("TLSv1.3");

            // Nothing sent since our Finished. The presenter must speak anyway.
            int appBytes = client.readPostHandshakeRecords();
            assertThat(client.postHandshakeBytes)
                    .as("bytes the presenter sent after our Finished, before we sent any data")
                    .isPositive();
            assertThat(appBytes).as("those bytes are handshake messages (tickets), not application data").isZero();

            // And the Nagle-on client then completes its login as usual.
            ClientPacket answer = client.exchange(ClientPacket.auth(cluster.auth(2 * COUPLE, COUPLE)));
            assertThat(answer.getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
        }
    }

    @Test
    void aClientThatNeverGotAnAnswerStillResumes() throws Exception {
        double resumedBefore = cluster.counter(TlsMeters.HANDSHAKES, "result", "resumed");
        try (RawTlsClient first = new RawTlsClient(clientTls, presenter.address())) {
            first.handshake();
            first.readPostHandshakeRecords();
        }
        try (RawTlsClient second = new RawTlsClient(clientTls, presenter.address())) {
            second.handshake();
        }
        cluster.awaitCounter(resumedBefore + 1, TlsMeters.HANDSHAKES, "result", "resumed");
    }

    /**
     * A resumed TLS 1.2 handshake ends with the client's Finished, and the server has no ticket
     * flight to send; a Nagle-on client's auth packet then waits for the ACK of that Finished, and
     * Linux delays an ACK by at least 40 ms ({@code TCP_DELACK_MIN}). That floor is a property of
     * the kernel, not of the machine's speed: if the presenter leaves the ACK delayed, no login can
     * be answered sooner than 40 ms after the Finished, however fast the machine. The presenter
     * asks for the ACK at once ({@code TCP_QUICKACK}), so some login among a few must beat it.
     */
    @Test
    void aResumedTls12ClientsAuthPacketIsNotHeldBehindADelayedAck() throws Exception {
        SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
        tls12.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        try (RawTlsClient first = new RawTlsClient(tls12, presenter.address())) {
            first.handshake();
            assertThat(first.engine.getSession().getProtocol()).isEqualTo("TLSv1.2");
            first.exchange(ClientPacket.auth(cluster.auth(2 * COUPLE + 2, COUPLE + 1)));
        }
        long fastestMillis = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 20 && fastestMillis >= DELAYED_ACK_FLOOR_MILLIS; attempt++) {
            double resumedBefore = cluster.counter(TlsMeters.HANDSHAKES, "result", "resumed");
            try (RawTlsClient client = new RawTlsClient(tls12, presenter.address())) {
                client.handshake();
                long finishedSent = System.nanoTime();
                ClientPacket answer = client.exchange(ClientPacket.auth(cluster.auth(2 * COUPLE + 2, COUPLE + 1)));
                fastestMillis = Math.min(fastestMillis, (System.nanoTime() - finishedSent) / 1_000_000);
                assertThat(answer.getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
            }
            cluster.awaitCounter(resumedBefore + 1, TlsMeters.HANDSHAKES, "result", "resumed");
        }
        assertThat(fastestMillis).as("fastest answer after a resumed TLS 1.2 Finished, in 20 logins")
                .isLessThan(DELAYED_ACK_FLOOR_MILLIS);
    }

    /** Linux's minimum delayed-ACK time ({@code TCP_DELACK_MIN}, HZ/25). */
    private static final long DELAYED_ACK_FLOOR_MILLIS = 40;

    /** A blocking socket with Nagle on (the JDK default) and a JDK client engine, driven by hand. */
    private static final class RawTlsClient implements AutoCloseable {

        final SSLEngine engine;
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final ByteBuffer inNet;
        final ByteArrayOutputStream flight = new ByteArrayOutputStream();
        ByteBuffer app;
        int postHandshakeBytes;

        RawTlsClient(SSLContext tls, InetSocketAddress server) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(false);
            socket.setSoTimeout((int) READ_BOUND.toMillis());
            socket.connect(server, (int) READ_BOUND.toMillis());
            assertThat(socket.getTcpNoDelay()).as("Nagle on").isFalse();
            in = socket.getInputStream();
            out = socket.getOutputStream();
            engine = tls.createSSLEngine("localhost", server.getPort());
            engine.setUseClientMode(true);
            inNet = ByteBuffer.allocate(engine.getSession().getPacketBufferSize() * 2);
            inNet.flip();
            app = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        }

        /** Runs the handshake until this side has sent its Finished. */
        void handshake() throws IOException {
            engine.beginHandshake();
            HandshakeStatus status = engine.getHandshakeStatus();
            while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
                switch (status) {
                    case NEED_WRAP -> status = wrap(ByteBuffer.allocate(0));
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        send();
                        SSLEngineResult result = unwrap();
                        status = result.getHandshakeStatus();
                    }
                    case NEED_TASK -> {
                        for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                            task.run();
                        }
                        status = engine.getHandshakeStatus();
                    }
                    default -> throw new AssertionError(status);
                }
            }
            send();
            assertThat(inNet.hasRemaining()).as("the server sent nothing beyond its handshake flight yet").isFalse();
        }

        /**
         * Reads what the server sends without being asked, until at least one whole record came and
         * was processed; returns the application bytes it held.
         */
        int readPostHandshakeRecords() throws IOException {
            int appBytes = 0;
            do {
                SSLEngineResult result = unwrap();
                postHandshakeBytes += result.bytesConsumed();
                appBytes += result.bytesProduced();
            } while (inNet.hasRemaining());
            return appBytes;
        }

        ClientPacket exchange(ClientPacket packet) throws IOException {
            ByteBuf encoded = ClientPackets.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, packet);
            try {
                wrap(encoded.nioBuffer());
                send();
            } finally {
                encoded.release();
            }
            app.clear();
            while (true) {
                unwrap();
                if (app.position() >= Integer.BYTES && app.position() >= Integer.BYTES + app.getInt(0)) {
                    int length = app.getInt(0);
                    return ClientPackets.decode(Unpooled.wrappedBuffer(Arrays.copyOf(app.array(),
                            Integer.BYTES + length)));
                }
            }
        }

        private HandshakeStatus wrap(ByteBuffer plaintext) throws IOException {
            ByteBuffer outNet = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            SSLEngineResult result;
            do {
                result = engine.wrap(plaintext, outNet);
            } while (plaintext.hasRemaining() && result.getStatus() == SSLEngineResult.Status.OK);
            flight.write(outNet.array(), 0, outNet.position());
            return result.getHandshakeStatus();
        }

        /**
         * Writes the records wrapped since the last send in one write, as TLS stacks send a flight
         * (the JDK engine wraps ChangeCipherSpec and Finished separately, and two writes would put
         * the Finished itself behind Nagle).
         */
        private void send() throws IOException {
            if (flight.size() > 0) {
                out.write(flight.toByteArray());
                out.flush();
                flight.reset();
            }
        }

        /** Unwraps one record, reading from the socket (bounded by the socket timeout) as needed. */
        private SSLEngineResult unwrap() throws IOException {
            while (true) {
                SSLEngineResult result = engine.unwrap(inNet, app);
                switch (result.getStatus()) {
                    case OK, CLOSED -> {
                        return result;
                    }
                    case BUFFER_OVERFLOW -> app = ByteBuffer.allocate(app.capacity() * 2).put(app.flip());
                    case BUFFER_UNDERFLOW -> fill();
                    default -> throw new AssertionError(result);
                }
            }
        }

        private void fill() throws IOException {
            inNet.compact();
            int read = in.read(inNet.array(), inNet.position(), inNet.remaining());
            if (read < 0) {
                throw new IOException("the presenter closed the connection");
            }
            inNet.position(inNet.position() + read);
            inNet.flip();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
