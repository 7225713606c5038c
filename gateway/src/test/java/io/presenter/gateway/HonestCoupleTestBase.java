package io.presenter.gateway;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.testing.TestChatClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * For test classes of bad clients: a presenter with one chat server behind it and an honest couple
 * chatting through it, which after every test must still chat, exactly once and in order, as if no
 * bad client had been there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HonestCoupleTestBase {

    private final Duration authTimeout;
    private final Duration handshakeTimeout;
    protected PresenterCluster cluster;
    protected PresenterServer presenter;
    private TestChatClient alice;
    private TestChatClient bob;
    private long nextMessageId = 1;

    /** The presenter's auth and TLS handshake timeouts. */
    protected HonestCoupleTestBase(Duration authTimeout, Duration handshakeTimeout) {
        this.authTimeout = authTimeout;
        this.handshakeTimeout = handshakeTimeout;
    }

    @BeforeAll
    protected void startHonestCouple() throws Exception {
        cluster = PresenterCluster.withOneChatServer();
        presenter = cluster.startPresenter(PresenterCluster.settings().withAuthTimeout(authTimeout),
                cluster.directory, cluster.newServerTls(handshakeTimeout));
        alice = cluster.authenticated(presenter, 1, 500);
        bob = cluster.authenticated(presenter, 2, 500);
    }

    @AfterEach
    protected void honestCoupleStillChats() throws InterruptedException {
        assertChat(alice, bob, nextMessageId, 3);
        assertChat(bob, alice, nextMessageId, 3);
        nextMessageId += 3;
        assertHonestCoupleConnected();
    }

    @AfterAll
    protected void stopHonestCouple() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The honest couple is still connected. */
    protected void assertHonestCoupleConnected() {
        assertThat(alice.channel().isActive()).as("the honest couple's connection").isTrue();
        assertThat(bob.channel().isActive()).as("the honest couple's connection").isTrue();
    }
}
