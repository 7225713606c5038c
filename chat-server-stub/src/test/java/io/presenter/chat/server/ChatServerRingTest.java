package io.presenter.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Chat servers registered in a real ZooKeeper agree on who owns a couple and hand couples over. */
class ChatServerRingTest {

    private static final AuthToken VALID = new AuthToken("test", 4_000_000_000L, ByteBuffer.allocate(32));
    private static final Duration CONVERGENCE = Duration.ofSeconds(20);
    private static final AtomicInteger BASE_PATHS = new AtomicInteger();

    private static TestingServer zooKeeper;
    private static EventLoopGroup clientLoops;

    private final List<ChatServer> servers = new ArrayList<>();
    private final List<TestChatClient> clients = new ArrayList<>();
    private final ZooKeeperConfig zk = ZooKeeperConfig.of(zooKeeper.getConnectString())
            .withBasePath("/chat-ring-test-" + BASE_PATHS.incrementAndGet());

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zooKeeper = new TestingServer(true);
        clientLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        clientLoops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        zooKeeper.close();
    }

    @AfterEach
    void stop() {
        clients.forEach(TestChatClient::close);
        servers.forEach(ChatServer::close);
    }

    private ChatServer start(String id) throws Exception {
        ChatServer server = ChatServer.start(ChatServerConfig.loopback(id).withZooKeeper(zk)
                        .withMoveSpread(Duration.ofMillis(200)), TestTls.server(),
                auth -> AuthStatus.OK, new SimpleMeterRegistry());
        servers.add(server);
        return server;
    }

    /** Waits until every server sees {@code members} members at one common version, and returns that ring. */
    private RingSnapshot converged(int members) {
        Await.until(CONVERGENCE, () -> servers.stream().allMatch(s -> s.ring().members().size() == members)
                        && servers.stream().map(s -> s.ring().version()).distinct().count() == 1,
                () -> "rings: " + servers.stream().map(ChatServer::ring).toList());
        return servers.get(0).ring();
    }

    private ChatServer serverOf(RingMember member) {
        return servers.stream().filter(s -> s.id().equals(member.id())).findFirst().orElseThrow();
    }

    private TestChatClient join(ChatServer server, long couple, AuthStatus expected) throws Exception {
        TestChatClient client = TestChatClient.connect(clientLoops, server.directAddress(), TestTls.client());
        clients.add(client);
        assertThat(client.authenticate(TestChatClient.authPacket(1, couple, VALID))).isEqualTo(expected);
        return client;
    }

    @Test
    void aCoupleIsServedOnlyByTheServerThatOwnsIt() throws Exception {
        start("chat-a");
        start("chat-b");
        RingSnapshot ring = converged(2);
        for (long couple = 0; couple < 20; couple++) {
            ChatServer owner = serverOf(ring.owner(couple).orElseThrow());
            ChatServer other = servers.stream().filter(s -> s != owner).findFirst().orElseThrow();
            join(owner, couple, AuthStatus.OK);
            join(other, couple, AuthStatus.WRONG_SHARD).awaitClosed();
        }
    }

    @Test
    void aJoiningServerTakesOverItsCouplesAndNoOthers() throws Exception {
        start("chat-a");
        RingSnapshot before = converged(1);
        Map<Long, TestChatClient> members = new LinkedHashMap<>();
        for (long couple = 0; couple < 40; couple++) {
            members.put(couple, join(serverOf(before.owner(couple).orElseThrow()), couple, AuthStatus.OK));
        }

        start("chat-b");
        RingSnapshot after = converged(2);

        for (Map.Entry<Long, TestChatClient> entry : members.entrySet()) {
            boolean moved = after.owner(entry.getKey()).orElseThrow().id().equals("chat-b");
            if (moved) {
                ClientPacket error = entry.getValue().next(ClientPacket::isSetError);
                assertThat(error.getError().getCode()).isEqualTo(ErrorCode.SHARD_MOVED);
                entry.getValue().awaitClosed();
            }
        }
        long stayed = members.keySet().stream()
                .filter(c -> after.owner(c).orElseThrow().id().equals("chat-a")).count();
        assertThat(Stream.of(servers.get(0)).mapToInt(s -> s.service().sessionCount()).sum())
                .as("chat-a keeps exactly the couples it still owns").isEqualTo((int) stayed);
        assertThat(stayed).isBetween(1L, 39L);
    }

    @Test
    void aDrainedServerHandsEveryCoupleToTheOthers() throws Exception {
        ChatServer a = start("chat-a");
        ChatServer b = start("chat-b");
        RingSnapshot ring = converged(2);
        for (long couple = 0; couple < 20; couple++) {
            join(serverOf(ring.owner(couple).orElseThrow()), couple, AuthStatus.OK);
        }
        assertThat(b.service().sessionCount()).isPositive();

        Integer left = b.drain().get(CONVERGENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(left).as("sessions left on the drained server").isZero();
        assertThat(a.ring().member("chat-b")).hasValueSatisfying(m -> assertThat(m.takesNewCouples()).isFalse());
        for (long couple = 0; couple < 20; couple++) {
            assertThat(a.ring().owner(couple)).hasValueSatisfying(m -> assertThat(m.id()).isEqualTo("chat-a"));
        }
    }
}
