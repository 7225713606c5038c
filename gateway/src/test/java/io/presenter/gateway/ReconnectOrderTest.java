package io.presenter.gateway;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static io.presenter.gateway.PresenterCluster.assertDelivered;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.testing.TestChatClient;
import org.junit.jupiter.api.Test;

/**
 * The race the ten-minute soak found (issue 21), end to end: a device reconnects while bytes of its
 * old connection are still on their way through the presenter, and the chat server sequenced those
 * late bytes after the new session's messages, so the partner saw older messages after newer ones.
 * A device has one live session: the new login ends the old one first.
 */
class ReconnectOrderTest extends OnePresenterTestBase {

    private static final long COUPLE = 900;
    private static final long ALICE = 1_800;
    private static final long BOB = 1_801;

    @Test
    void theOldConnectionsLateBytesAreNeverDeliveredAfterTheNewSessionsMessages() throws Exception {
        TestChatClient alice = cluster.authenticated(presenter, ALICE, COUPLE);
        TestChatClient bobBefore = cluster.authenticated(presenter, BOB, COUPLE);
        assertChat(bobBefore, alice, 1, 3);

        // Bob's phone logs in again while its old connection is still open through the presenter,
        // then the old connection's last bytes arrive, after the new session has spoken.
        TestChatClient bobAfter = cluster.authenticated(presenter, BOB, COUPLE);
        assertChat(bobAfter, alice, 5, 1);
        bobBefore.sendMessage(4, "late bytes of the old connection");

        assertThat(bobBefore.next(ClientPacket::isSetError).getError().getCode()).isEqualTo(ErrorCode.SESSION_REPLACED);
        bobBefore.awaitClosed();
        bobAfter.sendMessage(6, "after the old connection closed");
        assertDelivered(alice, 6, 1);
        assertThat(cluster.chatRegistry("chat-1").counter("chat.sessions.replaced").count()).isEqualTo(1);
        assertThat(bobAfter.channel().isActive()).isTrue();
        assertThat(alice.channel().isActive()).isTrue();
    }
}
