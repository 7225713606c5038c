package io.presenter.gateway.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.gateway.HonestCoupleTestBase;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A QUIC connection counts as a client (connection limits, load, drain) from its first Initial.
 * One whose handshake never finishes (the client vanished, or its Finished never arrives) is
 * closed at {@code tls.handshake-timeout}, as a TCP client's handshake is, and counted; before,
 * it stayed counted until quiche's idle backstop (the idle timeout plus 30 s, or an hour).
 */
class QuicHandshakeTimeoutTest extends HonestCoupleTestBase {

    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration SETTLE = Duration.ofSeconds(30);

    private final EventLoopGroup relayLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private QuicClients clients;

    QuicHandshakeTimeoutTest() {
        super(Duration.ofSeconds(10), HANDSHAKE_TIMEOUT);
    }

    @BeforeAll
    void startQuic() throws Exception {
        presenter.startQuic(QuicClients.settings());
        clients = new QuicClients(false);
    }

    @AfterAll
    void stopQuic() {
        if (clients != null) {
            clients.close();
        }
        relayLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aHandshakeThatNeverFinishesIsClosedAtTheHandshakeTimeoutAndCounted() throws Exception {
        int activeBefore = presenter.connections().active();
        double timeoutsBefore = cluster.counter(QuicMeters.HANDSHAKE_TIMEOUTS);
        double closedBefore = cluster.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", "tls_handshake_failed",
                ClientMeters.TRANSPORT, ClientMeters.QUIC);
        try (FinishedHoldingRelay relay = new FinishedHoldingRelay(relayLoops, presenter.quicAddress().orElseThrow(), 0)) {
            relay.hold();  // the client's Finished never reaches the presenter
            clients.endpoint().open(relay.address(), new io.netty.channel.ChannelInboundHandlerAdapter());

            Await.until(SETTLE, () -> presenter.connections().active() == activeBefore + 1,
                    () -> "admitted: " + presenter.connections().active());
            Await.until(SETTLE, () -> cluster.counter(QuicMeters.HANDSHAKE_TIMEOUTS) == timeoutsBefore + 1,
                    () -> "handshake timeouts: " + cluster.counter(QuicMeters.HANDSHAKE_TIMEOUTS));
            Await.until(SETTLE, () -> presenter.connections().active() == activeBefore,
                    () -> "still counted: " + presenter.connections().active());
        }
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", "tls_handshake_failed",
                ClientMeters.TRANSPORT, ClientMeters.QUIC)).isEqualTo(closedBefore + 1);
    }
}
