package io.presenter.gateway;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelOption;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.presenter.gateway.backend.BackendTls;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.protocol.transport.TransportChoice;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: {@code listen.transport: io_uring} runs the whole presenter on Netty's io_uring
 * transport (client listener, client sockets, the mux connections to chat servers), end to end
 * over real sockets: TLS clients authenticate and chat through a chat server, and closed clients
 * leave nothing behind. Netty's leak detector runs at paranoid, as for every test.
 */
class IoUringTransportTest extends OnePresenterTestBase {

    private static final int COUPLES = 12;
    private static final int MESSAGES = 5;
    private static final long FIRST_COUPLE = 16_000;

    @Override
    protected GatewaySettings settings() {
        return PresenterCluster.settings().toBuilder().transport(TransportChoice.IO_URING).build();
    }

    @Test
    void clientsAuthenticateAndChatThroughAPresenterOnIoUring() throws Exception {
        assertThat(presenter.transport().name()).isEqualTo("io_uring");
        assertThat(presenter.listener()).isInstanceOf(IoUringServerSocketChannel.class);
        assertThat(presenter.listener().config().getOption(ChannelOption.TCP_FASTOPEN)).as("listen.tcp-fast-open")
                .isEqualTo(GatewaySettings.DEFAULT_TCP_FAST_OPEN_QUEUE);

        List<TestChatClient[]> couples = new ArrayList<>();
        for (int c = 0; c < COUPLES; c++) {
            long couple = FIRST_COUPLE + c;
            couples.add(new TestChatClient[] {cluster.authenticated(presenter, 2 * couple, couple),
                    cluster.authenticated(presenter, 2 * couple + 1, couple)});
        }
        for (TestChatClient[] pair : couples) {
            assertChat(pair[0], pair[1], 1, MESSAGES);
            assertChat(pair[1], pair[0], 1, MESSAGES);
        }

        assertThat(presenter.backends().openConnections("chat-1")).as("mux connections, one per event loop")
                .isEqualTo(PresenterCluster.EVENT_LOOPS);
        assertThat(cluster.registry.get(ClientMeters.CONNECTIONS_ACTIVE).gauge().value()).isEqualTo(2.0 * COUPLES);
        assertThat(cluster.counter(TlsMeters.HANDSHAKES, "result", "full")
                + cluster.counter(TlsMeters.HANDSHAKES, "result", "resumed")).isEqualTo(2.0 * COUPLES);
        assertThat(cluster.counter(ClientMeters.RELAY_BYTES, "direction", "to_stream")).isPositive();

        for (TestChatClient[] pair : couples) {
            pair[0].close();
            pair[1].close();
        }
        Await.until(Duration.ofSeconds(20),
                () -> cluster.registry.get(ClientMeters.CONNECTIONS_ACTIVE).gauge().value() == 0.0,
                () -> "client connections still open: " + cluster.registry.get(ClientMeters.CONNECTIONS_ACTIVE)
                        .gauge().value());
        Await.until(Duration.ofSeconds(20), () -> cluster.chatServer("chat-1").service().sessionChannels(FIRST_COUPLE)
                .isEmpty(), () -> "the chat server still holds the first couple's sessions");
    }

    @Test
    void theListenerCannotBeHandedOverFromOrToIoUring() throws Exception {
        assertThat(presenter.listenerFd()).as("io_uring's listener is not passed to a successor").isNull();
        assertThat(presenter.transport().channelClass()).isEqualTo(IoUringSocketChannel.class);
        // A successor on io_uring refuses a listener handed to it, before it starts anything.
        ServerTls tls = cluster.newServerTls(Duration.ofSeconds(10));
        assertThatThrownBy(() -> PresenterServer.adopt(
                PresenterCluster.settings().toBuilder().transport(TransportChoice.IO_URING).build(),
                tls, cluster.directory, cluster.verifier(),
                BackendTls.PLAINTEXT, cluster.registry, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a handed-over listener needs the epoll transport, not io_uring");
    }
}
