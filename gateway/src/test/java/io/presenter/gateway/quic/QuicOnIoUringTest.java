package io.presenter.gateway.quic;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.uring.IoUringDatagramChannel;
import io.presenter.gateway.OnePresenterTestBase;
import io.presenter.gateway.GatewaySettings;
import io.presenter.gateway.PresenterCluster;
import io.presenter.protocol.transport.TransportChoice;
import io.presenter.testing.TestChatClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The QUIC listener on a presenter whose transport is io_uring ({@code listen.transport: io_uring})
 * binds its UDP socket with io_uring's datagram channel, and QUIC clients log in and chat over it.
 */
class QuicOnIoUringTest extends OnePresenterTestBase {

    private static final long COUPLE = 17_000;

    private QuicClients clients;

    @Override
    protected GatewaySettings settings() {
        return PresenterCluster.settings().toBuilder().transport(TransportChoice.IO_URING).build();
    }

    @BeforeEach
    void startClients() throws Exception {
        clients = new QuicClients(false);
    }

    @AfterEach
    void stopClients() {
        if (clients != null) {
            clients.close();
        }
    }

    @Test
    void quicClientsChatThroughAPresenterOnIoUring() throws Exception {
        QuicListener listener = presenter.startQuic(QuicClients.settings());
        assertThat(listener.socket()).isInstanceOf(IoUringDatagramChannel.class);

        TestChatClient first = clients.authenticated(cluster, listener.address(), 2 * COUPLE, COUPLE);
        TestChatClient second = clients.authenticated(cluster, listener.address(), 2 * COUPLE + 1, COUPLE);
        assertChat(first, second, 1, 5);
        assertChat(second, first, 1, 5);
    }
}
