package io.presenter.ring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/** Members, bounded waits and meter reads shared by the ring tests. */
final class RingTestSupport {

    /** Long enough for a loaded two-core machine, short enough to fail a hung test quickly. */
    static final Duration CONVERGENCE = Duration.ofSeconds(20);

    private RingTestSupport() {
    }

    /** An active member of default weight named {@code id}. */
    static RingMember member(String id) {
        return RingMember.active(id, "127.0.0.1", 7100, 7443);
    }

    static void await(Duration timeout, BooleanSupplier condition, Supplier<String> description) {
        Await.until(timeout, condition, description);
    }

    /**
     * Expires the session of {@code client} on the server, as ZooKeeper does when a client stays
     * silent past its session timeout. Curator's {@link KillSession} alone only makes the client
     * believe its session expired: the server would keep the session, and its ephemeral nodes,
     * until the timeout. Closing a second handle on the same session ends it on the server at once.
     */
    static void expireSession(CuratorFramework client, String connectString) throws Exception {
        ZooKeeper zooKeeper = client.getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(connectString, (int) CONVERGENCE.toMillis(), event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, zooKeeper.getSessionId(), zooKeeper.getSessionPasswd());
        try {
            assertThat(connected.await(CONVERGENCE.toMillis(), TimeUnit.MILLISECONDS))
                    .as("second handle on the session connected").isTrue();
        } finally {
            twin.close();
        }
        KillSession.kill(zooKeeper);
    }

    /** Value of counter {@code name} tagged {@code tag=value}, 0 if it does not exist. */
    static double count(MeterRegistry registry, String name, String tag, String value) {
        var counter = registry.find(name).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }
}
