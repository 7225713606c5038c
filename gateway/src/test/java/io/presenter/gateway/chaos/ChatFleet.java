package io.presenter.gateway.chaos;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.presenter.gateway.PresenterCluster;
import io.presenter.protocol.codec.ClientPacketCodec;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import io.presenter.protocol.wire.SendMessage;
import io.presenter.testing.Await;
import io.presenter.loadtest.quic.QuicClientEndpoint;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Many TLS chat clients in couples, asynchronous and self-checking, for the chaos tests.
 *
 * <p>Every message id names its couple, its sender's side and a per-sender sequence
 * ({@link #messageId}); each client checks every delivery it gets: from its own couple, from its
 * partner, with a sequence higher than the last one it saw (so never twice, never out of order).
 * Anything else is a {@link #violations() violation}, reported with both members' recent history
 * (connections, logins and the server that took them, sends, deliveries with their couple
 * sequence, closes), so that one violation in a long run explains itself. A client whose connection closes, when the
 * fleet allows it, reconnects the way a phone should: after a jittered exponential backoff
 * (half fixed, half random), then authenticates again.
 */
final class ChatFleet implements AutoCloseable {

    static final Duration BACKOFF_BASE = Duration.ofMillis(200);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(3);
    private static final long COUPLE_FACTOR = 10_000_000L;
    private static final long SIDE_FACTOR = 1_000_000L;
    static final int CONNECT_WAVE_COUPLES = 100;
    private static final Duration CONNECT_WAVE_TIMEOUT = Duration.ofSeconds(60);
    /** Events each member remembers, enough to explain a violation: about 2 s of traffic and a reconnect. */
    private static final int HISTORY = 40;

    private final PresenterCluster cluster;
    /** Thread name prefix of the fleet's event loops, so a benchmark can leave the clients' CPU out. */
    static final String THREAD_PREFIX = "chat-fleet";
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2,
            new io.netty.util.concurrent.DefaultThreadFactory(THREAD_PREFIX), NioIoHandler.newFactory());
    private final SslContext tls;
    private final List<Couple> couples = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> backoffDelaysMillis = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicLong pendingWrites = new java.util.concurrent.atomic.AtomicLong();
    private final AtomicInteger skippedRounds = new AtomicInteger();
    private volatile InetSocketAddress target;
    /** Which presenter each TLS member dials; by default all dial {@link #target}. */
    private volatile java.util.function.Function<Member, InetSocketAddress> route = member -> target;
    private volatile boolean reconnect = true;
    /** Whether TLS clients offer the session of their last connection (the client caches it per host and port). */
    private volatile boolean resumeTls = true;
    private volatile boolean closing;
    /** QUIC clients (issue 19): which members dial QUIC, through which endpoint, to which address. */
    private volatile QuicClientEndpoint quic;
    private volatile InetSocketAddress quicTarget;
    private volatile java.util.function.Predicate<Member> dialsQuic = member -> false;

    ChatFleet(PresenterCluster cluster, InetSocketAddress target) throws Exception {
        this.cluster = cluster;
        this.target = target;
        this.tls = TestTls.client();
    }

    static long messageId(long couple, int side, long sequence) {
        return couple * COUPLE_FACTOR + side * SIDE_FACTOR + sequence;
    }

    /**
     * Adds and connects the couples {@code coupleIds}; returns them. Await {@link #awaitAuthenticated}.
     * More than {@value #CONNECT_WAVE_COUPLES} couples connect in waves, each wave but the last
     * awaited before the next starts: a thousand handshakes at once on a loaded 2-core machine
     * outlast the TLS and auth deadlines, and a client closed before its first login would then
     * look like one the chaos touched.
     */
    List<Couple> connect(Collection<Long> coupleIds) {
        List<Couple> added = new ArrayList<>();
        List<Couple> wave = new ArrayList<>();
        for (long id : coupleIds) {
            if (wave.size() == CONNECT_WAVE_COUPLES) {
                awaitAuthenticated(wave, CONNECT_WAVE_TIMEOUT);
                wave.clear();
            }
            Couple couple = new Couple(id);
            couples.add(couple);
            added.add(couple);
            wave.add(couple);
            couple.sides[0].connect();
            couple.sides[1].connect();
        }
        return added;
    }

    List<Couple> couples() {
        return couples;
    }

    /**
     * From now on the members {@code which} selects connect over QUIC to {@code target} through
     * {@code endpoint}, the others over TLS as before: both kinds can share a couple.
     */
    void quic(QuicClientEndpoint endpoint, InetSocketAddress target, java.util.function.Predicate<Member> which) {
        quic = endpoint;
        quicTarget = target;
        dialsQuic = which;
    }

    /** Where clients connect from now on (reconnects included). */
    void target(InetSocketAddress presenter) {
        target = presenter;
    }

    /**
     * Where each member connects from now on (reconnects included), {@code presenters} chosen per
     * member: the two partners of a couple may be on different presenters.
     */
    void route(java.util.function.Function<Member, InetSocketAddress> presenters) {
        route = presenters;
    }

    /** From now on clients offer their last TLS session when they connect again ({@code true}, the default) or never. */
    void resumeTls(boolean enabled) {
        resumeTls = enabled;
    }

    void reconnect(boolean enabled) {
        reconnect = enabled;
    }

    void awaitAuthenticated(Collection<Couple> which, Duration timeout) {
        Await.until(timeout, () -> which.stream().allMatch(Couple::online),
                () -> which.stream().filter(c -> !c.online()).count() + " of " + which.size()
                        + " couples not both online, e.g. " + which.stream().flatMap(c -> List.of(c.sides).stream())
                                .filter(m -> !m.online()).limit(3).map(m -> m + ": " + m.history())
                                .collect(Collectors.joining("; ")) + "; violations " + violations);
    }

    /**
     * Open-loop traffic that cannot overrun the test's own event loops: a round like
     * {@link #sendRound}, skipped (and counted) while the previous round's writes are not all done.
     */
    boolean sendRoundIfIdle(Collection<Couple> which) {
        if (pendingWrites.get() > 0) {
            skippedRounds.incrementAndGet();
            return false;
        }
        sendRound(which);
        return true;
    }

    int skippedRounds() {
        return skippedRounds.get();
    }

    /** Every online client of {@code which} sends one message to its partner. */
    void sendRound(Collection<Couple> which) {
        for (Couple couple : which) {
            couple.sides[0].sendNext();
            couple.sides[1].sendNext();
        }
    }

    /**
     * Waits until every client of {@code which} has received all its partner sent, in order,
     * without a gap: what a couple untouched by the chaos must see.
     */
    void awaitAllDelivered(Collection<Couple> which, Duration timeout) {
        Supplier<String> lagging = () -> which.stream().flatMap(c -> List.of(c.sides).stream())
                .filter(m -> !m.hasEverythingFromPartner()).limit(5).map(Member::toString)
                .collect(Collectors.joining("; ")) + "; violations " + violations;
        Await.until(timeout, () -> which.stream().allMatch(c -> c.sides[0].hasEverythingFromPartner()
                && c.sides[1].hasEverythingFromPartner()), lagging);
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    List<Long> backoffDelaysMillis() {
        return List.copyOf(backoffDelaysMillis);
    }

    @Override
    public void close() {
        closing = true;
        for (Couple couple : couples) {
            for (Member member : couple.sides) {
                Channel channel = member.channel;
                if (channel != null) {
                    (channel.parent() != null ? channel.parent() : channel).close();  // a QUIC stream's connection
                }
            }
        }
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Two users chatting. */
    final class Couple {
        final long id;
        final Member[] sides;

        Couple(long id) {
            this.id = id;
            sides = new Member[] {new Member(this, 0), new Member(this, 1)};
        }

        boolean online() {
            return sides[0].online() && sides[1].online();
        }

        int closes() {
            return sides[0].closes.get() + sides[1].closes.get();
        }

        int errors() {
            return sides[0].errorPackets.get() + sides[1].errorPackets.get();
        }

        Member partnerOf(Member member) {
            return sides[1 - member.side];
        }

        @Override
        public String toString() {
            return "couple " + id;
        }
    }

    /** One client of a couple; its counters are written on its event loop, read anywhere. */
    final class Member {
        final Couple couple;
        final int side;
        final long user;
        final AtomicInteger connects = new AtomicInteger();
        final AtomicInteger authenticated = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        final AtomicInteger errorPackets = new AtomicInteger();
        final AtomicInteger deliveries = new AtomicInteger();
        final AtomicInteger gaps = new AtomicInteger();
        final AtomicInteger authRefusals = new AtomicInteger();
        volatile long sent;
        volatile long lastSequenceFromPartner;
        volatile Channel channel;
        volatile boolean online;
        volatile long lastCloseNanos;
        /** When the server first closed this client (0: never). */
        volatile long firstCloseNanos;
        private int failuresInARow;
        /** The member's recent events (connects, logins, sends, deliveries, closes), to explain a violation. */
        private final ArrayDeque<String> history = new ArrayDeque<>();

        Member(Couple couple, int side) {
            this.couple = couple;
            this.side = side;
            this.user = couple.id * 2 + side;
        }

        boolean online() {
            Channel ch = channel;
            return online && ch != null && ch.isActive();
        }

        void record(String event) {
            synchronized (history) {
                if (history.size() == HISTORY) {
                    history.removeFirst();
                }
                history.addLast((System.nanoTime() / 1_000_000 % 1_000_000) + "ms " + event);
            }
        }

        String history() {
            synchronized (history) {
                return String.join(" | ", history);
            }
        }

        boolean hasEverythingFromPartner() {
            return lastSequenceFromPartner == couple.partnerOf(this).sent;
        }

        synchronized void sendNext() {
            Channel ch = channel;
            if (!online() || ch == null) {
                return;
            }
            long sequence = ++sent;
            record("send #" + sequence + " on " + ch.id());
            pendingWrites.incrementAndGet();
            ch.writeAndFlush(ClientPacket.send(new SendMessage(messageId(couple.id, side, sequence),
                    ByteBuffer.wrap(("couple " + couple.id + " side " + side + " #" + sequence)
                            .getBytes(StandardCharsets.UTF_8))))).addListener(done -> pendingWrites.decrementAndGet());
        }

        void connect() {
            if (closing) {
                return;
            }
            connects.incrementAndGet();
            if (quic != null && dialsQuic.test(this)) {
                quic.open(quicTarget, new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel stream) {
                        stream.pipeline().addLast(
                                new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH),
                                new ClientPacketCodec(), new Handler());
                    }
                }).whenComplete((session, failed) -> {
                    if (failed != null) {
                        record("QUIC connect failed: " + failed);
                        disconnected();
                    }
                });
                return;
            }
            InetSocketAddress server = route.apply(this);
            new Bootstrap().group(loops).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(resumeTls
                                            ? tls.newHandler(ch.alloc(), server.getHostString(), server.getPort())
                                            : tls.newHandler(ch.alloc()),  // no peer key: nothing to resume
                                    new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH),
                                    new ClientPacketCodec(), new Handler());
                        }
                    })
                    .connect(server).addListener(done -> {
                        if (!done.isSuccess()) {
                            disconnected();
                        }
                    });
        }

        private void disconnected() {
            online = false;
            lastCloseNanos = System.nanoTime();
            if (closing || !reconnect) {
                return;
            }
            failuresInARow++;
            long ceiling = Math.min(BACKOFF_MAX.toMillis(), BACKOFF_BASE.toMillis() << Math.min(failuresInARow - 1, 10));
            long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
            backoffDelaysMillis.add(delay);
            try {
                loops.schedule(() -> {
                    try {
                        connect();
                    } catch (RuntimeException e) {
                        violations.add("reconnect of user " + user + " failed: " + e);
                    }
                }, delay, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                violations.add("reconnect of user " + user + " not scheduled: " + e);
            }
        }

        @Override
        public String toString() {
            return "user " + user + " of couple " + couple.id + " (online " + online() + ", sent " + sent
                    + ", last from partner " + lastSequenceFromPartner + " of " + couple.partnerOf(this).sent
                    + ", closes " + closes + ", connects " + connects + ", logins " + authenticated + ", refusals " + authRefusals
                    + ", errors " + errorPackets + ")";
        }

        private final class Handler extends SimpleChannelInboundHandler<ClientPacket> {

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                channel = ctx.channel();
                record("connected " + ctx.channel());
                ctx.writeAndFlush(ClientPacket.auth(cluster.auth(user, couple.id)));
                ctx.fireChannelActive();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                record("closed " + ctx.channel().id());
                if (!closing) {
                    closes.incrementAndGet();
                    if (firstCloseNanos == 0) {
                        firstCloseNanos = System.nanoTime();
                    }
                }
                disconnected();
                ctx.fireChannelInactive();
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ClientPacket packet) {
                if (packet.isSetAuthResult()) {
                    record("auth " + packet.getAuthResult().getStatus() + " on " + ctx.channel().id() + " from "
                            + packet.getAuthResult().getServerId() + " at couple seq " + packet.getAuthResult().getCoupleSequence());
                    if (packet.getAuthResult().getStatus() == AuthStatus.OK) {
                        authenticated.incrementAndGet();
                        failuresInARow = 0;
                        online = true;
                    } else {
                        authRefusals.incrementAndGet();
                    }
                } else if (packet.isSetDelivery()) {
                    check(ctx, packet.getDelivery());
                } else if (packet.isSetError()) {
                    record("error " + packet.getError().getCode() + " on " + ctx.channel().id());
                    errorPackets.incrementAndGet();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }

            private void check(ChannelHandlerContext ctx, Delivery delivery) {
                deliveries.incrementAndGet();
                long id = delivery.getClientMessageId();
                long fromCouple = id / COUPLE_FACTOR;
                int fromSide = (int) (id % COUPLE_FACTOR / SIDE_FACTOR);
                long sequence = id % SIDE_FACTOR;
                record("got #" + sequence + " (couple seq " + delivery.getSequence() + ") on " + ctx.channel().id());
                Member partner = couple.partnerOf(Member.this);
                if (fromCouple != couple.id || fromSide != partner.side || delivery.getFromUserId() != partner.user) {
                    violations.add("user " + user + " of couple " + couple.id + " got message " + id
                            + " from user " + delivery.getFromUserId());
                } else if (sequence <= lastSequenceFromPartner) {
                    violations.add("user " + user + " of couple " + couple.id + " got sequence " + sequence
                            + " after " + lastSequenceFromPartner + " (duplicate or reordered); its history: " + history()
                            + "; partner's: " + partner.history());
                } else {
                    if (sequence != lastSequenceFromPartner + 1) {
                        gaps.incrementAndGet();
                    }
                    lastSequenceFromPartner = sequence;
                }
            }
        }
    }

    static Set<Long> ids(Collection<Couple> which) {
        return which.stream().map(c -> c.id).collect(Collectors.toSet());
    }
}
