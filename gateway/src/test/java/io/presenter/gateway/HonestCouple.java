package io.presenter.gateway;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.testing.TestChatClient;
import java.time.Duration;

/**
 * A presenter with one chat server behind it and an honest couple chatting through it: the
 * bystander every bad-client test checks after each bad client, which must not notice them.
 */
public final class HonestCouple implements AutoCloseable {

    public final PresenterCluster cluster;
    public final PresenterServer presenter;
    private final TestChatClient alice;
    private final TestChatClient bob;
    private long nextMessageId = 1;

    private HonestCouple(PresenterCluster cluster, PresenterServer presenter) throws Exception {
        this.cluster = cluster;
        this.presenter = presenter;
        this.alice = cluster.authenticated(presenter, 1, 500);
        this.bob = cluster.authenticated(presenter, 2, 500);
    }

    /** A new cluster whose presenter has these auth and TLS handshake timeouts, and the couple on it. */
    public static HonestCouple start(Duration authTimeout, Duration handshakeTimeout) throws Exception {
        PresenterCluster cluster = new PresenterCluster();
        try {
            cluster.startChatServer("chat-1");
            cluster.converged(1);
            return new HonestCouple(cluster, cluster.startPresenter(PresenterCluster.settings()
                    .withAuthTimeout(authTimeout), cluster.directory, cluster.newServerTls(handshakeTimeout)));
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The couple is still connected. */
    public void assertConnected() {
        assertThat(alice.channel().isActive()).as("the honest couple's connection").isTrue();
        assertThat(bob.channel().isActive()).as("the honest couple's connection").isTrue();
    }

    /** Three more messages each way arrive exactly once and in order. */
    public void assertStillChatting() throws InterruptedException {
        assertChat(alice, bob, nextMessageId, 3);
        assertChat(bob, alice, nextMessageId, 3);
        nextMessageId += 3;
        assertConnected();
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
