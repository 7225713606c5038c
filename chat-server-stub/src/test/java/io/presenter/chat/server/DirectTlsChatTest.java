package io.presenter.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real TLS clients on loopback talking through the chat server's direct front door. */
class DirectTlsChatTest {

    private static final AuthToken VALID = new AuthToken("test", 4_000_000_000L, ByteBuffer.allocate(32));

    private static final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private static EventLoopGroup clients;
    private static ChatServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ChatServer.start(ChatServerConfig.loopback("chat-1"), TestTls.server(),
                auth -> auth.getToken().getKeyId().equals("test") ? AuthStatus.OK : AuthStatus.UNKNOWN_KEY,
                registry);
        clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        server.close();
        clients.shutdownGracefully().syncUninterruptibly();
    }

    private static TestChatClient connect() throws Exception {
        return TestChatClient.connect(clients, server.directAddress(), TestTls.client());
    }

    @Test
    void aCoupleChatsBothWaysExactlyOnceInOrder() throws Exception {
        try (TestChatClient alice = connect(); TestChatClient bob = connect()) {
            assertThat(alice.authenticate(TestChatClient.authPacket(1, 500, VALID))).isEqualTo(AuthStatus.OK);
            assertThat(bob.authenticate(TestChatClient.authPacket(2, 500, VALID))).isEqualTo(AuthStatus.OK);

            int messages = 200;
            for (int i = 0; i < messages; i++) {
                alice.sendMessage(i, "a" + i);
                bob.sendMessage(1000 + i, "b" + i);
            }

            long lastSequence = 0;
            for (int i = 0; i < messages; i++) {
                Delivery toBob = bob.next(ClientPacket::isSetDelivery).getDelivery();
                assertThat(toBob.getClientMessageId()).isEqualTo(i);
                assertThat(StandardCharsets.UTF_8.decode(toBob.bufferForBody()).toString()).isEqualTo("a" + i);
                assertThat(toBob.getSequence()).isGreaterThan(lastSequence);
                lastSequence = toBob.getSequence();
            }
            for (int i = 0; i < messages; i++) {
                assertThat(alice.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId())
                        .isEqualTo(1000 + i);
            }
        }
    }

    @Test
    void garbageInsteadOfAnAuthPacketIsCountedAndClosed() throws Exception {
        // "GET " read as a length prefix is 1.2 GB: refused on the prefix alone, nothing buffered.
        double before = registry.counter("chat.rejections", "reason", "malformed_too_long").count();
        try (TestChatClient intruder = connect()) {
            intruder.channel().writeAndFlush(Unpooled.wrappedBuffer(
                    "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            intruder.awaitClosed();
        }
        assertThat(registry.counter("chat.rejections", "reason", "malformed_too_long").count())
                .isEqualTo(before + 1);
    }
}
