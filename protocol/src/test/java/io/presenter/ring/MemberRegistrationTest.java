package io.presenter.ring;

import static io.presenter.ring.RingTestSupport.CONVERGENCE;
import static io.presenter.ring.RingTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.Watcher.WatcherType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A chat server's membership node against a real ZooKeeper server. */
class MemberRegistrationTest {

    private TestingServer zooKeeper;
    private RingRig rig;

    @BeforeEach
    void start() throws Exception {
        zooKeeper = new TestingServer();
        rig = new RingRig(ZooKeeperConfig.of(zooKeeper.getConnectString()).withBasePath("/registration"));
    }

    @AfterEach
    void stop() throws Exception {
        rig.close();
        zooKeeper.close();
    }

    /**
     * Curator's PersistentNode re-creates a deleted node only while it watches it; when it stops
     * watching (its background check failed, see the class javadoc of MemberRegistration), the
     * registration's own look for the node brings the member back, with its latest data.
     */
    @Test
    void aNodeCuratorStoppedWatchingIsRegisteredAgain() throws Exception {
        CuratorFramework client = rig.client(new SimpleMeterRegistry());
        String path = MemberPaths.member(rig.config().basePath(), "chat-1");
        try (MemberRegistration registration = new MemberRegistration(client, rig.config().basePath(),
                RingTestSupport.member("chat-1"), Duration.ofMillis(100))) {
            registration.start();
            assertThat(registration.awaitRegistered(CONVERGENCE)).isTrue();
            registration.drain();
            await(CONVERGENCE, () -> memberAt(client, path) != null
                    && memberAt(client, path).state() == MemberState.DRAINING, () -> "drained member published");

            // What a failed background check leaves: no watch on the node. Then it goes.
            client.watches().removeAll().ofType(WatcherType.Any).forPath(path);
            client.delete().forPath(path);

            await(CONVERGENCE, () -> memberAt(client, path) != null, () -> "chat-1 registered again");
            assertThat(memberAt(client, path).state()).as("the latest data, not the first").isEqualTo(MemberState.DRAINING);
        }
        assertThat(client.checkExists().forPath(path)).as("closed: left the ring").isNull();
    }

    private static RingMember memberAt(CuratorFramework client, String path) {
        try {
            return client.checkExists().forPath(path) == null ? null
                    : MemberData.decode("chat-1", client.getData().forPath(path));
        } catch (Exception e) {
            return null;  // went between the two reads
        }
    }
}
