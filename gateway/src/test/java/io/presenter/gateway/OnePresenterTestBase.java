package io.presenter.gateway;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A presenter with one chat server ({@code chat-1}) behind it, new for every test. */
public abstract class OnePresenterTestBase {

    protected PresenterCluster cluster;
    protected PresenterServer presenter;

    @BeforeEach
    protected void startOnePresenter() throws Exception {
        cluster = PresenterCluster.withOneChatServer();
        presenter = cluster.startPresenter(settings(), cluster.directory);
    }

    /** The presenter's settings: the cluster's defaults, unless a test needs others. */
    protected GatewaySettings settings() {
        return PresenterCluster.settings();
    }

    @AfterEach
    protected void stopOnePresenter() throws Exception {
        cluster.close();
    }
}
