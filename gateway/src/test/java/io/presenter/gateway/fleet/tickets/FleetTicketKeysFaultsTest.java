package io.presenter.gateway.fleet.tickets;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.ServerTlsContextFactory;
import io.presenter.gateway.tls.TicketKeyInstaller;
import io.presenter.gateway.tls.TicketKeys;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.gateway.tls.TlsSettings.TicketKeySource;
import io.presenter.ring.ZooKeeperClients;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.testing.Await;
import io.presenter.testing.TestLogExtension;
import io.presenter.testing.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input on the schedule node: damaged, sealed under another key-encryption key, deleted. Each
 * is rejected and counted by every presenter, the keys in use stay, the leader never overwrites a
 * node it cannot open, and a deleted node gets a fresh schedule. Key bytes never reach the log.
 */
class FleetTicketKeysFaultsTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final Duration ROTATION = Duration.ofHours(1);
    static final String BASE = "/presenter";

    @TempDir
    Path dir;

    private TestingServer zooKeeper;
    private CuratorFramework curator;
    private ServerTls tls;
    private FleetTicketKeys keys;
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final SecureRandom random = new SecureRandom();

    @BeforeEach
    void start() throws Exception {
        zooKeeper = new TestingServer(true);
        curator = ZooKeeperClients.start(ZooKeeperConfig.of(zooKeeper.getConnectString()), new SimpleMeterRegistry());
        Path kekFile = dir.resolve("kek");
        Files.writeString(kekFile, Base64.getEncoder().encodeToString(bytes(32)), StandardCharsets.UTF_8);
        tls = new ServerTlsContextFactory().create(TlsSettings.defaults(List.of(new CertificateFiles(
                        TestTls.certificatePem().toPath(), TestTls.privateKeyPem().toPath())))
                .withTicketKeySource(TicketKeySource.ZOOKEEPER, ROTATION, kekFile), registry);
    }

    @AfterEach
    void stop() throws Exception {
        if (keys != null) {
            keys.close();
        }
        tls.close();
        curator.close();
        zooKeeper.close();
    }

    @Test
    void badNodesAreRejectedCountedAndTheKeysInUseStay() throws Exception {
        byte[] kekBytes = bytes(32);
        TicketKeyInstaller installer = tls.ticketKeyInstaller().orElseThrow();
        keys = new FleetTicketKeys(curator, BASE, KeyEncryptionKey.of(kekBytes), ROTATION, TlsSettings.DEFAULT_SESSION_TIMEOUT,
                installer, () -> true, Clock.systemUTC(), registry);
        keys.start();
        String path = FleetTicketKeys.path(BASE);
        assertThat(path).isEqualTo("/presenter/fleet/ticket-keys");
        Await.until(WAIT, () -> keys.currentSerial() == 1, () -> "first schedule not installed");
        TicketKeys inUse = installer.current().orElseThrow();
        assertThat(inUse.size()).as("#1 encrypts, #2 decrypts").isEqualTo(2);
        assertThat(count(TicketKeyScheduleWriter.WRITES, "result", "written")).isEqualTo(1);

        // Damaged (one bit of the ciphertext): rejected by the presenter, not overwritten by the leader.
        byte[] garbage = curator.getData().forPath(path);
        garbage[garbage.length / 2] ^= 1;
        curator.setData().forPath(path, garbage);
        Await.until(WAIT, () -> count(FleetTicketKeys.UPDATES, "result", "rejected", "reason", "malformed") == 1
                        && count(TicketKeyScheduleWriter.WRITES, "result", "unreadable") >= 2,
                () -> "damaged node not rejected");
        assertThat(installer.current()).contains(inUse);
        assertThat(curator.getData().forPath(path)).as("the leader left it alone").isEqualTo(garbage);

        // Sealed under another key-encryption key: rejected as wrong_key.
        KeyEncryptionKey other = KeyEncryptionKey.of(bytes(32));
        TicketKeySchedule foreign = TicketKeySchedule.empty(ROTATION).advance(Instant.now(), ROTATION,
                Duration.ofHours(24), random);
        curator.setData().forPath(path, other.seal(foreign.encode()));
        Await.until(WAIT, () -> count(FleetTicketKeys.UPDATES, "result", "rejected", "reason", "wrong_key") == 1,
                () -> "foreign node not rejected");
        assertThat(installer.current()).contains(inUse);

        // Deleted: the keys stay until the leader writes a fresh schedule, which is installed.
        curator.delete().forPath(path);
        Await.until(WAIT, () -> count(TicketKeyScheduleWriter.WRITES, "result", "written") == 2
                        && count(FleetTicketKeys.UPDATES, "result", "accepted") == 2
                        && !installer.current().orElseThrow().equals(inUse),
                () -> "no fresh schedule after the delete");
        assertThat(count(FleetTicketKeys.INSTALLS)).isEqualTo(2);

        // The log names fingerprints, never a key (nor the key-encryption key).
        String log = Files.readString(TestLogExtension.file(getClass()), StandardCharsets.UTF_8);
        assertThat(log).contains("fingerprint " + inUse.fingerprint());
        assertThat(log).doesNotContain(Base64.getEncoder().encodeToString(kekBytes));
        byte[] plaintext = KeyEncryptionKey.of(kekBytes).open(curator.getData().forPath(path));
        for (int at = 13 + 16; at + 16 <= plaintext.length; at += 64) {
            String keyPart = Base64.getEncoder().encodeToString(Arrays.copyOfRange(plaintext, at, at + 15));
            assertThat(log).doesNotContain(keyPart);
        }
    }

    private double count(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
