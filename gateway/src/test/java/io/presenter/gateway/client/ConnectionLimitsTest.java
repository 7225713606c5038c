package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The per-source-address connection limit and the idle timeout, over real sockets. */
class ConnectionLimitsTest {

    private PresenterCluster cluster;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cluster = PresenterCluster.withOneChatServer();
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        cluster.close();
    }

    @Test
    void oneSourceAddressGetsNoMoreThanItsShareWhileOthersStillConnect() throws Exception {
        PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings().toBuilder()
                .maxConnectionsPerAddress(3).build(), cluster.directory);
        InetAddress crowded = InetAddress.getByName("127.0.0.2");

        for (int i = 0; i < 3; i++) {
            assertThat(isOpen(connect(presenter, crowded))).as("connection %d from the crowded address", i).isTrue();
        }
        Socket fourth = connect(presenter, crowded);
        Socket elsewhere = connect(presenter, InetAddress.getByName("127.0.0.3"));

        assertThat(closedWithin(fourth, Duration.ofSeconds(10))).as("over the address limit").isTrue();
        assertThat(isOpen(elsewhere)).as("another address").isTrue();
        cluster.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", ClientConnections.OVER_ADDRESS_LIMIT);

        sockets.get(0).close();  // a slot frees up when one leaves
        Await.until(PresenterCluster.CONVERGENCE, () -> presenter.connections().active() == 3,
                () -> "active " + presenter.connections().active());
        assertThat(isOpen(connect(presenter, crowded))).isTrue();
    }

    @Test
    void oneSourceAddressConnectingTooOftenIsRefusedAtAcceptWhileOthersStillConnect() throws Exception {
        PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings().toBuilder()
                .edge(EdgeSettings.DEFAULTS.withAcceptRates(0, 2)).build(), cluster.directory);
        InetAddress hasty = InetAddress.getByName("127.0.0.4");

        // A burst of two a second; a third within the same second is over the rate.
        List<Socket> burst = new ArrayList<>();  // closed with the others by stop()
        for (int i = 0; i < 20; i++) {
            burst.add(connect(presenter, hasty));
        }
        Socket elsewhere = connect(presenter, InetAddress.getByName("127.0.0.5"));

        long refused = 0;
        for (Socket socket : burst) {
            refused += closedWithin(socket, Duration.ofSeconds(1)) ? 1 : 0;
        }
        assertThat(refused).as("refused of 20 sent at once (2 a second, plus what the seconds spent refilled)")
                .isPositive();
        cluster.awaitCounter(refused, ClientMeters.CONNECTIONS_CLOSED, "reason", AcceptRates.OVER_ADDRESS_RATE);
        assertThat(isOpen(elsewhere)).as("another address").isTrue();
    }

    @Test
    void aConnectionSilentForTheIdleTimeoutIsClosedAndCounted() throws Exception {
        PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings().toBuilder()
                .idleTimeout(Duration.ofMillis(500)).build(), cluster.directory);
        TestChatClient talkative = cluster.authenticated(presenter, 1, 5);
        TestChatClient silent = cluster.authenticated(presenter, 2, 6);

        // The talkative client keeps talking until the silent one is cut (bounded in count).
        for (int i = 0; i < 100_000 && silent.channel().isActive(); i++) {
            talkative.sendMessage(i, "ping " + i);
            talkative.next(packet -> packet.isSetSendAck());
        }
        silent.awaitClosed();

        cluster.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", IdleTimeoutHandler.REASON);
        assertThat(talkative.channel().isActive()).isTrue();
    }

    private Socket connect(PresenterServer presenter, InetAddress from) throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(presenter.address(), 5_000);
        return socket;
    }

    private static boolean closedWithin(Socket socket, Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** Open: no EOF within a short read timeout (the presenter waits for a TLS ClientHello). */
    private static boolean isOpen(Socket socket) throws IOException {
        socket.setSoTimeout(300);
        InputStream in = socket.getInputStream();
        try {
            return in.read() != -1;
        } catch (SocketTimeoutException stillOpen) {
            return true;
        } catch (IOException reset) {
            return false;
        }
    }
}
