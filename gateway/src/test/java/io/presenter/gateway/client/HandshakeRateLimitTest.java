package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The handshake rate cap over real sockets: above it a new connection is closed right after
 * accept, before any TLS work (it never becomes a client), and counted; a handshake already
 * started still finishes.
 */
class HandshakeRateLimitTest {

    private static final int BURST = 30;

    @Test
    void connectionsAboveTheRateAreClosedBeforeTlsWhileAStartedHandshakeFinishes() throws Exception {
        try (EdgeServer edge = new EdgeServer(EdgeSettings.DEFAULTS.withAcceptRates(1, 0), 0, Duration.ofSeconds(30))) {
            // The one token of this second: this client's handshake starts now.
            TestChatClient started = edge.connect(new byte[0]);

            long startNanos = System.nanoTime();
            List<Socket> storm = new ArrayList<>();
            try {
                for (int i = 0; i < BURST; i++) {
                    Socket socket = new Socket();
                    storm.add(socket);
                    socket.connect(edge.address(), 5_000);
                }
                long elapsedSeconds = Duration.ofNanos(System.nanoTime() - startNanos).toSeconds();
                int refused = 0;
                for (Socket socket : storm) {
                    refused += closedByServer(socket) ? 1 : 0;
                }
                // At 1/s, at most one more connection a second went through while the storm was sent.
                assertThat(refused).as("refused at accept").isGreaterThanOrEqualTo((int) (BURST - 1 - elapsedSeconds));
                assertThat(refused).isPositive();
                edge.awaitCounter(refused, ClientMeters.CONNECTIONS_CLOSED, "reason", AcceptRates.OVER_HANDSHAKE_RATE);
                assertThat(edge.counter(ClientMeters.CONNECTIONS_OPENED)).as("the refused never became clients")
                        .isEqualTo(1 + BURST - refused);
            } finally {
                for (Socket socket : storm) {
                    socket.close();
                }
            }

            started.send(ClientPacket.auth(TestChatClient.authPacket(1, 10,
                    new AuthToken("k1", 0, ByteBuffer.allocate(32)))));
            assertThat(edge.nextOpen().coupleId()).as("the started handshake finished and the client was routed")
                    .isEqualTo(10);
            started.close();
        }
    }

    /** True if the server ended the connection (it sends nothing first to a client that has sent nothing). */
    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(3_000);
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException admitted) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
