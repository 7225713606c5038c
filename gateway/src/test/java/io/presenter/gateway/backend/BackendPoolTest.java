package io.presenter.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.Future;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.protocol.transport.Transport;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import io.presenter.testing.TestTls;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backend pool against a real chat server's mux port (no ZooKeeper: members are given directly). */
class BackendPoolTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int LOOPS = 2;
    private static final int PER_LOOP = 2;

    private final Transport transport = Transport.best();
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(LOOPS, transport.ioHandlerFactory());
    private ChatServer chatServer;
    private RingMember member;
    private BackendPool pool;

    @BeforeEach
    void start() throws Exception {
        chatServer = ChatServer.start(ChatServerConfig.loopback("chat-1"), TestTls.server(), auth -> AuthStatus.OK,
                new SimpleMeterRegistry());
        member = RingMember.active("chat-1", "127.0.0.1", chatServer.muxAddress().getPort(),
                chatServer.directAddress().getPort());
        pool = new BackendPool(transport, MuxSettings.builder().peerId("pool-test").build(), PER_LOOP,
                Duration.ofSeconds(2), new ConnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60)),
                new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        pool.close();
        chatServer.close();
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void eachLoopGetsItsOwnFixedSetOfConnectionsOnThatLoop() throws Exception {
        Set<MuxConnection> seen = new HashSet<>();
        for (int round = 0; round < 10; round++) {
            for (int l = 0; l < LOOPS; l++) {
                EventLoop loop = loops.next();
                MuxConnection connection = acquire(loop, member);
                assertThat(connection.channel().eventLoop()).isSameAs(loop);
                seen.add(connection);
            }
        }
        assertThat(seen).hasSize(LOOPS * PER_LOOP);
        assertThat(pool.openConnections("chat-1")).isEqualTo(LOOPS * PER_LOOP);
        assertThat(pool.openConnections()).isEqualTo(LOOPS * PER_LOOP);
    }

    @Test
    void aConnectionThatWentAwayIsReplaced() throws Exception {
        EventLoop loop = loops.next();
        MuxConnection first = acquire(loop, member);
        first.goAway(false, ResetCode.GOING_AWAY, "test").sync();
        Set<MuxConnection> next = new HashSet<>();
        for (int i = 0; i < PER_LOOP; i++) {
            next.add(acquire(loop, member));
        }
        assertThat(next).doesNotContain(first).allMatch(MuxConnection::isAcceptingStreams);
    }

    @Test
    void aMemberThatLeftTheRingLosesItsIdleConnections() throws Exception {
        acquire(loops.next(), member);
        acquire(loops.next(), member);
        pool.ringChanged(RingSnapshot.of(1, List.of()));
        Await.until(WAIT, () -> pool.openConnections("chat-1") == 0,
                () -> "still open: " + pool.openConnections("chat-1"));
    }

    @Test
    void anUnreachableMemberFailsFastDuringItsBackoff() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        RingMember gone = RingMember.active("chat-gone", "127.0.0.1", closedPort, closedPort);
        EventLoop loop = loops.next();

        Future<MuxConnection> firstTry = pool.acquire(loop, gone).await();
        Future<MuxConnection> duringBackoff = pool.acquire(loop, gone).await();

        assertThat(firstTry.cause()).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("no connection");
        assertThat(duringBackoff.cause()).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("backing off");
        assertThat(pool.openConnections("chat-gone")).isZero();
    }

    private MuxConnection acquire(EventLoop loop, RingMember target) throws InterruptedException, ExecutionException {
        Future<MuxConnection> acquired = pool.acquire(loop, target);
        assertThat(acquired.await(WAIT.toMillis())).as("acquired within %s", WAIT).isTrue();
        return acquired.get();
    }
}
