package io.presenter.loadtest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.chat.Authenticator;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.testing.TestTls;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the harness's tests aim at: a real chat-server stub in this JVM, direct TLS on loopback with
 * the test certificate, accepting any token unless given an authenticator. Either one per test
 * class ({@code @RegisterExtension static}) or one per test ({@link #start()} in try-with-resources).
 */
final class LoopbackChatServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private final String id;
    private final Authenticator authenticator;
    private ChatServer server;

    LoopbackChatServer(String id) {
        this(id, auth -> AuthStatus.OK);
    }

    LoopbackChatServer(String id, Authenticator authenticator) {
        this.id = id;
        this.authenticator = authenticator;
    }

    LoopbackChatServer start() throws Exception {
        server = ChatServer.start(ChatServerConfig.loopback(id), TestTls.server(), authenticator,
                new SimpleMeterRegistry());
        return this;
    }

    ChatServer server() {
        return server;
    }

    /** {@code 127.0.0.1:<direct port>}, for {@code --target}. */
    String target() {
        return "127.0.0.1:" + server.directAddress().getPort();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
