package io.presenter.gateway.client;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.gateway.OnePresenterTestBase;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.StalledClient;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading must push back through the presenter to the chat server: the relay
 * stops reading the stream, the stream's window closes, the chat server's writes stall and it
 * evicts the session as too slow (it allows 1024 unwritten deliveries). A presenter that buffered
 * for the client instead would keep the session alive, and this test would time out.
 */
class RelayBackpressureTest extends OnePresenterTestBase {

    /** Far more than the socket buffers, the relay's water marks and the stream window hold. */
    private static final int MESSAGES = 3_000;
    private static final String BODY = "x".repeat(8 * 1024);

    @Test
    void aClientThatStopsReadingIsSeenAsSlowByItsChatServer() throws Exception {
        try (SSLSocket stalled = StalledClient.open(presenter.address(), cluster.auth(1, 900))) {
            TestChatClient sender = cluster.authenticated(presenter, 2, 900);
            TestChatClient bystander = cluster.authenticated(presenter, 3, 901);
            TestChatClient bystanderPartner = cluster.authenticated(presenter, 4, 901);

            for (int i = 1; i <= MESSAGES; i++) {
                sender.sendMessage(i, BODY);
            }

            Await.until(PresenterCluster.CONVERGENCE, () -> activeClients() == 3,
                    () -> "active clients " + activeClients() + ", expected the stalled one gone");
            assertChat(bystander, bystanderPartner, 1, 3);
            assertThat(sender.channel().isActive()).isTrue();
        }
    }

    private double activeClients() {
        return cluster.registry.get(ClientMeters.CONNECTIONS_ACTIVE).gauge().value();
    }
}
