package io.presenter.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plaintext direct door (issue 16): the client protocol without TLS, for a TLS terminator such
 * as HAProxy in front of the chat server. Off unless configured.
 */
class PlaintextDoorTest {

    private static final AuthToken VALID = new AuthToken("test", 4_000_000_000L, ByteBuffer.allocate(32));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private EventLoopGroup clients;
    private ChatServer server;

    @BeforeEach
    void clients() {
        clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        clients.shutdownGracefully().syncUninterruptibly();
    }

    private ChatServer start(ChatServerConfig config) throws Exception {
        server = ChatServer.start(config, TestTls.server(),
                auth -> auth.getToken().getKeyId().equals("test") ? AuthStatus.OK : AuthStatus.UNKNOWN_KEY, registry);
        return server;
    }

    @Test
    void offByDefault() throws Exception {
        assertThat(start(ChatServerConfig.loopback("chat-1")).plaintextAddress()).isEmpty();
    }

    @Test
    void aPlainTcpClientChatsWithATlsClient() throws Exception {
        start(ChatServerConfig.loopback("chat-1").withPlaintextPort(0));
        try (TestChatClient plain = TestChatClient.connect(clients, server.plaintextAddress().orElseThrow(), null);
                TestChatClient tls = TestChatClient.connect(clients, server.directAddress(), TestTls.client())) {
            assertThat(plain.authenticate(TestChatClient.authPacket(1, 700, VALID))).isEqualTo(AuthStatus.OK);
            assertThat(tls.authenticate(TestChatClient.authPacket(2, 700, VALID))).isEqualTo(AuthStatus.OK);
            plain.sendMessage(1, "over plain TCP");
            assertThat(tls.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(1);
            tls.sendMessage(2, "over TLS");
            assertThat(plain.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(2);
        }
    }
}
