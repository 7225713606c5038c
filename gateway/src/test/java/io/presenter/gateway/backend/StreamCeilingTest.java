package io.presenter.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.Future;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.transport.Transport;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.ring.RingMember;
import io.presenter.testing.Await;
import io.presenter.testing.IdleRelayListener;
import io.presenter.testing.TestTls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: no hidden ceiling on streams. The chat server's stream limit per connection (its
 * preface) is small here, so that three connections' worth of streams fit in a test: the pool opens
 * extra connections on the loop when the ones it has are full, refuses with a counted reason only
 * at {@code maxConnectionsPerLoop}, and closes the extras once they are empty.
 * {@code FiftyThousandStreamsTest} (profile {@code scale}) does the same at 50,000 streams.
 */
class StreamCeilingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The chat server's limit, lower than the presenter's own: the lower one must win. */
    private static final int CHAT_LIMIT = 200;
    private static final int PRESENTER_LIMIT = 1_000;
    private static final int MAX_CONNECTIONS_PER_LOOP = 3;

    private final Transport transport = Transport.best();
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** A stream as the presenter's relay holds it, and the connection it was opened on. */
    private record Opened(RelayStream stream, MuxConnection connection) {
        void close() {
            stream.eventLoop().submit(stream::close).syncUninterruptibly();
        }
    }

    private ChatServer chatServer;
    private RingMember member;
    private BackendPool pool;

    @BeforeEach
    void start() throws Exception {
        chatServer = ChatServer.start(ChatServerConfig.loopback("chat-1").withMaxStreamsPerConnection(CHAT_LIMIT),
                TestTls.server(), auth -> AuthStatus.OK, new SimpleMeterRegistry());
        member = RingMember.active("chat-1", "127.0.0.1", chatServer.muxAddress().getPort(),
                chatServer.directAddress().getPort());
        // The presenter's own limit is higher: the chat server's (in its preface) must win, also for
        // the streams asked for before that preface arrived on a fresh connection.
        pool = new BackendPool(transport, MuxSettings.builder().peerId("ceiling-test").maxConcurrentStreams(PRESENTER_LIMIT)
                .build(), 1, MAX_CONNECTIONS_PER_LOOP, Duration.ofSeconds(5),
                new ConnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60)), BackendTls.PLAINTEXT, registry);
    }

    @AfterEach
    void stop() {
        pool.close();
        chatServer.close();
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void fullConnectionsGrowThePoolUpToItsBoundThenOpensAreRefusedAndEmptyExtrasClose() throws Exception {
        EventLoop loop = loops.next();
        int streams = CHAT_LIMIT * MAX_CONNECTIONS_PER_LOOP;
        List<Opened> open = openStreams(loop, streams);

        Set<MuxConnection> connections = new HashSet<>();
        open.forEach(opened -> connections.add(opened.connection()));
        assertThat(connections).as("three connections' worth of streams on three connections").hasSize(3);
        assertThat(pool.openConnections("chat-1")).isEqualTo(3);
        assertThat(extra("opened")).isEqualTo(2.0);
        for (MuxConnection connection : connections) {
            assertThat(connection.activeStreams()).isEqualTo(CHAT_LIMIT);
        }

        // The bound is reached: the next one is refused, counted, and nothing else is disturbed.
        Future<MuxConnection> refused = pool.acquire(loop, member);
        assertThat(refused.await(WAIT.toMillis())).isTrue();
        assertThat(refused.cause()).isInstanceOf(BackendFullException.class)
                .hasMessageContaining("backend.max-connections-per-loop");
        assertThat(extra("full")).isEqualTo(1.0);
        assertThat(open).allMatch(opened -> opened.stream().isOpen());

        // Clients leave: the extras empty and close; the base connection stays.
        open.forEach(Opened::close);
        Await.until(WAIT, () -> pool.openConnections("chat-1") == 1,
                () -> pool.openConnections("chat-1") + " connections open, 1 expected");
        assertThat(extra("closed")).isEqualTo(2.0);

        // And the pool grows again when needed.
        List<Opened> again = openStreams(loop, CHAT_LIMIT + 1);
        assertThat(pool.openConnections("chat-1")).isEqualTo(2);
        again.forEach(Opened::close);
    }

    @Test
    void streamsAskedForBeforeTheChatServersPrefaceGoWhereItsLowerLimitHasRoom() throws Exception {
        EventLoop loop = loops.next();
        int streams = CHAT_LIMIT * MAX_CONNECTIONS_PER_LOOP;
        // A burst of clients in one loop task, before any connection exists: every acquire is
        // decided before the chat server's preface (its limit, 200) could arrive.
        List<Future<Opened>> opening = loop.submit(() -> {
            List<Future<Opened>> all = new ArrayList<>(streams);
            for (int i = 0; i < streams; i++) {
                StreamMetadata metadata = StreamMetadata.of(20_000 + i, 0, null, "ceiling-test");
                io.netty.util.concurrent.Promise<Opened> opened = loop.newPromise();
                pool.acquire(loop, member).addListener((Future<MuxConnection> acquired) -> {
                    if (!acquired.isSuccess()) {
                        opened.tryFailure(acquired.cause());
                    } else {
                        acquired.getNow().openRelayStream(metadata, IdleRelayListener.INSTANCE)
                                .addListener((Future<RelayStream> open) -> {
                                    if (open.isSuccess()) {
                                        opened.trySuccess(new Opened(open.getNow(), acquired.getNow()));
                                    } else {
                                        opened.tryFailure(open.cause());
                                    }
                                });
                    }
                });
                all.add(opened);
            }
            return all;
        }).get();
        List<Opened> open = new ArrayList<>(streams);
        for (Future<Opened> future : opening) {
            assertThat(future.await(WAIT.toMillis())).as("stream opened within %s, none waits for a slot", WAIT)
                    .isTrue();
            assertThat(future.cause()).isNull();
            open.add(future.getNow());
        }
        Set<MuxConnection> connections = new HashSet<>();
        open.forEach(opened -> connections.add(opened.connection()));
        assertThat(connections).hasSize(MAX_CONNECTIONS_PER_LOOP);
        for (MuxConnection mux : connections) {
            assertThat(mux.maxConcurrentStreams()).isEqualTo(CHAT_LIMIT);
            assertThat(mux.activeStreams()).isEqualTo(CHAT_LIMIT);
        }
        assertThat(extra("opened")).isEqualTo(2.0);
        assertThat(extra("full")).isZero();
        open.forEach(Opened::close);
    }

    private List<Opened> openStreams(EventLoop loop, int count) throws Exception {
        List<MuxConnection> on = new ArrayList<>(count);
        List<Future<RelayStream>> opening = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StreamMetadata metadata = StreamMetadata.of(10_000 + i, 0, null, "ceiling-test");
            // One acquire + open at a time on the loop, as a presenter's clients do.
            MuxConnection connection = loop.submit(() -> pool.acquire(loop, member)).get().await().getNow();
            on.add(connection);
            opening.add(connection.openRelayStream(metadata, IdleRelayListener.INSTANCE));
        }
        List<Opened> open = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Future<RelayStream> future = opening.get(i);
            assertThat(future.await(WAIT.toMillis())).as("stream opened within %s", WAIT).isTrue();
            assertThat(future.cause()).isNull();
            open.add(new Opened(future.getNow(), on.get(i)));
        }
        return open;
    }

    private double extra(String event) {
        return registry.get(BackendPool.EXTRA_CONNECTIONS).tag("event", event).counter().count();
    }
}
