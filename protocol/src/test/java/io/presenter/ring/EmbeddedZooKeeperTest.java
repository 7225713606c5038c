package io.presenter.ring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedZooKeeperTest {

    @Test
    void servesTheRingOnAFreeLoopbackPortAndReleasesItOnClose() throws Exception {
        int port;
        Path dataDir;
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(0)) {
            port = zooKeeper.port();
            dataDir = zooKeeper.dataDir();
            assertThat(zooKeeper.connectString()).isEqualTo("127.0.0.1:" + port);

            try (RingRig rig = new RingRig(ZooKeeperConfig.of(zooKeeper.connectString()))) {
                rig.observer();
                rig.join("chat-1");
                rig.awaitSameRing("chat-1");
            }
        }

        assertThat(dataDir).doesNotExist();
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void keepsItsDataInAGivenDirectoryAcrossRestarts(@TempDir Path dataDir) throws Exception {
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(0, dataDir);
             CuratorFramework client = clientOf(zooKeeper)) {
            client.create().forPath("/kept", new byte[] {42});
        }
        try (Stream<Path> files = Files.list(dataDir)) {
            assertThat(files).isNotEmpty();
        }

        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(0, dataDir);
             CuratorFramework client = clientOf(zooKeeper)) {
            assertThat(client.getData().forPath("/kept")).containsExactly(42);
        }
    }

    private static CuratorFramework clientOf(EmbeddedZooKeeper zooKeeper) {
        return ZooKeeperClients.start(ZooKeeperConfig.of(zooKeeper.connectString()), new SimpleMeterRegistry());
    }
}
