package io.presenter.gateway.trust;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.config.ConfigException;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.daemon.PresenterDaemon;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.TimeUnit;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.ring.FleetAccessCheck;
import io.presenter.ring.FleetAccessException;
import io.presenter.ring.FleetAcl;
import io.presenter.ring.FleetRole;
import io.presenter.ring.RingMember;
import io.presenter.ring.ZooKeeperAuth;
import io.presenter.ring.ZooKeeperClients;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.ring.ZooKeeperShardDirectory;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleet ACLs on a real ZooKeeper server: presenters and chat servers with their digest
 * credentials run a chat end to end while a reader without any still sees the ring; a client
 * without credentials (or with the wrong ones) can neither add, change nor remove a member nor
 * read the ticket keys, so no rogue member ever reaches a ring; and a process that lacks its
 * credentials is refused at startup, saying why, counted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZooKeeperAclTest {

    private static final String BASE = ZooKeeperConfig.DEFAULT_BASE_PATH;
    private static final String MEMBERS = BASE + "/members";
    private static final String TICKET_KEYS = BASE + "/fleet/ticket-keys";
    private static final FleetAcl ACL = new FleetAcl(digest("presenter:presenter-secret"), digest("chat:chat-secret"));
    private static final ZooKeeperAuth PRESENTER = new ZooKeeperAuth("presenter", "presenter-secret", ACL);
    private static final ZooKeeperAuth CHAT_SERVER = new ZooKeeperAuth("chat", "chat-secret", ACL);

    private PresenterCluster cluster;
    private CuratorFramework presenterZk;
    private CuratorFramework chatZk;
    private CuratorFramework anonymous;
    private ZooKeeperShardDirectory presenterRing;
    private PresenterServer presenter;
    private final EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @BeforeAll
    void startFleetWithAcls() throws Exception {
        cluster = new PresenterCluster();  // its own directory reads the ring without credentials
        presenterZk = client(PRESENTER);
        FleetAccessCheck.verify(presenterZk, config(PRESENTER), FleetRole.PRESENTER, new SimpleMeterRegistry());
        presenterRing = new ZooKeeperShardDirectory(presenterZk, BASE, new SimpleMeterRegistry());
        presenterRing.start();
        chatZk = client(CHAT_SERVER);
        anonymous = client(ZooKeeperAuth.NONE);
        startChatServer("chat-1");
        startChatServer("chat-2");
        cluster.converged(2);
        presenter = cluster.startPresenter(PresenterCluster.settings(), presenterRing);
    }

    @AfterAll
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (presenterRing != null) {
            presenterRing.close();
        }
        Stream.of(presenterZk, chatZk, anonymous).filter(c -> c != null).forEach(CuratorFramework::close);
        clientLoops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void presentersAndChatServersWithTheirCredentialsRunAChat() throws Exception {
        Await.until(PresenterCluster.CONVERGENCE, () -> presenterRing.ring().members().size() == 2,
                () -> "the presenter's ring " + presenterRing.ring());
        TestChatClient alice = cluster.connect(presenter);
        TestChatClient bob = cluster.connect(presenter);
        assertThat(alice.authenticate(cluster.auth(1, 800))).isEqualTo(AuthStatus.OK);
        assertThat(bob.authenticate(cluster.auth(2, 800))).isEqualTo(AuthStatus.OK);
        assertChat(alice, bob, 1, 3);
        assertChat(bob, alice, 4, 3);
    }

    @Test
    void withoutCredentialsNoMemberCanBeCreatedChangedOrDeleted() {
        byte[] rogue = "{\"host\":\"203.0.113.9\"}".getBytes(StandardCharsets.UTF_8);
        for (CuratorFramework outsider : List.of(anonymous, presenterZk)) {
            assertThatThrownBy(() -> outsider.create().forPath(MEMBERS + "/rogue", rogue))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> outsider.setData().forPath(MEMBERS + "/chat-1", rogue))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> outsider.delete().forPath(MEMBERS + "/chat-1"))
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
        assertThatThrownBy(() -> anonymous.delete().forPath(MEMBERS)).isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> anonymous.create().forPath(BASE + "/elsewhere"))
                .isInstanceOf(KeeperException.NoAuthException.class);
        // Chat servers own the ring and nothing of the presenters'.
        assertThatThrownBy(() -> chatZk.create().forPath(BASE + "/presenters/rogue-presenter"))
                .isInstanceOf(KeeperException.NoAuthException.class);
    }

    @Test
    void keyMaterialIsReadableOnlyByPresenters() throws Exception {
        byte[] keys = new byte[48];
        try {
            presenterZk.create().creatingParentsIfNeeded().forPath(TICKET_KEYS, keys);
        } catch (KeeperException.NodeExistsException e) {
            presenterZk.setData().forPath(TICKET_KEYS, keys);
        }
        assertThat(presenterZk.getData().forPath(TICKET_KEYS)).isEqualTo(keys);
        for (CuratorFramework outsider : List.of(anonymous, chatZk)) {
            assertThatThrownBy(() -> outsider.getData().forPath(TICKET_KEYS))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> outsider.setData().forPath(TICKET_KEYS, new byte[48]))
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
        assertThatThrownBy(() -> anonymous.getACL().forPath(TICKET_KEYS)).isInstanceOf(KeeperException.NoAuthException.class);
        List<ACL> acl = presenterZk.getACL().forPath(TICKET_KEYS);
        assertThat(acl).extracting(entry -> entry.getId().getScheme() + ":" + entry.getId().getId())
                .containsExactly("digest:presenter:x");  // only presenters; ZooKeeper redacts the hash
    }

    @Test
    void aRogueMemberNeverAppearsInAnyRing() throws Exception {
        byte[] rogue = "{\"host\":\"203.0.113.9\",\"muxPort\":7100}".getBytes(StandardCharsets.UTF_8);
        CuratorFramework wrongPassword = client(new ZooKeeperAuth("chat", "guessed", ACL));
        try {
            for (CuratorFramework attacker : List.of(anonymous, wrongPassword)) {
                assertThatThrownBy(() -> attacker.create().forPath(MEMBERS + "/rogue", rogue))
                        .isInstanceOf(KeeperException.NoAuthException.class);
            }
        } finally {
            wrongPassword.close();
        }
        // A real member joins afterwards: every ring moves to a version that has it, and no rogue.
        ChatServer third = startChatServer("chat-3");
        try {
            cluster.converged(3);
            Await.until(PresenterCluster.CONVERGENCE, () -> presenterRing.ring().members().size() == 3,
                    () -> "the presenter's ring " + presenterRing.ring());
            Stream.concat(Stream.of(cluster.directory.ring(), presenterRing.ring()),
                            Stream.of("chat-1", "chat-2", "chat-3").map(id -> cluster.chatServer(id).ring()))
                    .forEach(ring -> assertThat(ring.members()).extracting(RingMember::id)
                            .containsExactlyInAnyOrder("chat-1", "chat-2", "chat-3"));
        } finally {
            third.close();
            cluster.converged(2);
        }
    }

    @Test
    void aChatServerWithoutItsCredentialsIsRefusedAndSaysWhy() throws Exception {
        for (ZooKeeperAuth auth : List.of(new ZooKeeperAuth("", "", ACL), new ZooKeeperAuth("chat", "guessed", ACL))) {
            MeterRegistry registry = new SimpleMeterRegistry();
            ChatServerConfig config = ChatServerConfig.loopback("chat-without")
                    .withZooKeeper(ZooKeeperConfig.of(cluster.zooKeeperConnectString()).withAuth(auth));
            assertThatThrownBy(() -> ChatServer.start(config, TestTls.server(), packet -> AuthStatus.OK, registry))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("chat server chat-without cannot join the ring")
                    .hasMessageContaining(auth.hasCredentials() ? "wrong password" : "no credentials");
            String reason = auth.hasCredentials() ? "wrong_identity" : "no_credentials";
            assertThat(registry.get(FleetAccessCheck.REFUSED).tag("reason", reason).counter().count()).isEqualTo(1);
        }
        assertThat(cluster.directory.ring().members()).extracting(RingMember::id).doesNotContain("chat-without");
    }

    @Test
    void aPresenterWithTheChatServersCredentialsIsRefused() throws Exception {
        CuratorFramework impostor = client(CHAT_SERVER);
        try {
            assertThatThrownBy(() -> FleetAccessCheck.verify(impostor, config(CHAT_SERVER), FleetRole.PRESENTER,
                    new SimpleMeterRegistry()))
                    .isInstanceOf(FleetAccessException.class).hasMessageContaining("authenticates to ZooKeeper as");
        } finally {
            impostor.close();
        }
    }

    @Test
    void nodesLeftOpenFromBeforeAclsAreReported() throws Exception {
        String oldBase = "/before-acls";
        anonymous.create().creatingParentsIfNeeded().forPath(oldBase + "/members");  // open to anyone
        ZooKeeperConfig config = config(PRESENTER).withBasePath(oldBase);
        MeterRegistry registry = new SimpleMeterRegistry();
        CuratorFramework client = ZooKeeperClients.start(config, registry);
        try {
            assertThatThrownBy(() -> FleetAccessCheck.verify(client, config, FleetRole.PRESENTER, registry))
                    .isInstanceOf(FleetAccessException.class)
                    .hasMessageContaining("the ACL of /before-acls lets world:anyone do more than read");
            assertThat(registry.get(FleetAccessCheck.REFUSED).tag("reason", "open_acl").counter().count()).isEqualTo(1);
        } finally {
            client.close();
        }
    }

    @Test
    void presenterConfigWithAclsButNoCredentialsIsRejected(@TempDir Path dir) throws Exception {
        List<String> required = List.of("tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181",
                "zookeeper.acl-presenter-id=" + ACL.presenterId(), "zookeeper.acl-chat-server-id=" + ACL.chatServerId());
        assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(), required))
                .isInstanceOf(ConfigException.class).hasMessageContaining("zookeeper.digest-file is not");

        Path credentials = Files.writeString(dir.resolve("zk.digest"), "# presenters\npresenter:presenter-secret\n");
        PresenterConfig config = PresenterConfig.load(null, Map.of(), Stream.concat(required.stream(),
                Stream.of("zookeeper.digest-file=" + credentials)).toList());
        assertThat(config.zooKeeper().auth().digestId()).isEqualTo(ACL.presenterId());
        assertThat(config.zooKeeper().auth().toString()).doesNotContain("presenter-secret");
    }

    @Test
    void thePresenterDaemonAuthenticatesFromItsConfigAndIsRefusedWithTheWrongPassword(@TempDir Path dir)
            throws Exception {
        Path good = Files.writeString(dir.resolve("good.digest"), "presenter:presenter-secret\n");
        try (PresenterDaemon daemon = PresenterDaemon.start(PresenterConfig.load(null, Map.of(), daemonSettings(good)))) {
            Await.until(PresenterCluster.CONVERGENCE, () -> daemon.server().address() != null, () -> "no address");
            TestChatClient client = TestChatClient.connect(clientLoops, daemon.server().address(), TestTls.client());
            try {
                assertThat(client.authenticate(cluster.auth(5, 801))).isEqualTo(AuthStatus.OK);
            } finally {
                client.close();
            }
        }
        Path wrong = Files.writeString(dir.resolve("wrong.digest"), "presenter:guessed\n");
        assertThatThrownBy(() -> PresenterDaemon.start(PresenterConfig.load(null, Map.of(), daemonSettings(wrong))))
                .isInstanceOf(FleetAccessException.class).hasMessageContaining("wrong password");
    }

    private List<String> daemonSettings(Path digestFile) {
        return List.of("presenter.id=acl-presenter", "listen.address=127.0.0.1", "listen.port=0",
                "listen.event-loops=1", "admin.enabled=false",
                "tls.certificates=" + TestTls.certificatePem() + ":" + TestTls.privateKeyPem(),
                "zookeeper.connect=" + cluster.zooKeeperConnectString(),
                "zookeeper.digest-file=" + digestFile,
                "zookeeper.acl-presenter-id=" + ACL.presenterId(), "zookeeper.acl-chat-server-id=" + ACL.chatServerId());
    }

    private ChatServer startChatServer(String id) throws Exception {
        return cluster.startChatServer(id, config -> config.withZooKeeper(config.zooKeeper().withAuth(CHAT_SERVER)));
    }

    private ZooKeeperConfig config(ZooKeeperAuth auth) {
        return ZooKeeperConfig.of(cluster.zooKeeperConnectString()).withAuth(auth);
    }

    private CuratorFramework client(ZooKeeperAuth auth) {
        return ZooKeeperClients.start(config(auth), new SimpleMeterRegistry());
    }

    private static String digest(String userAndPassword) {
        try {
            return DigestAuthenticationProvider.generateDigest(userAndPassword);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
