package io.presenter.gateway.backend;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.presenter.protocol.transport.Transport;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxInitializer;
import io.presenter.protocol.mux.MuxPeerIdentityException;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.ring.RingListener;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The presenter's long-lived mux connections to the chat servers: per chat server and per event
 * loop, {@code connectionsPerLoop} connections opened on that very loop, so a client channel, its
 * stream and the stream's connection all run on one thread and the relay needs no hand-offs.
 *
 * <p>{@link #acquire} hands out the connections of a loop round-robin. A slot whose connection is
 * closed or accepts no more streams (goaway, stream ids used up) is refilled on the next acquire;
 * the old connection drains by itself. After a failed connect the member's slots on that loop stay
 * empty for a jittered, bounded exponential backoff, and acquires fail fast with
 * {@link BackendUnavailableException} instead of queueing. Register the pool as a
 * {@link RingListener}: connections of members that left the ring are told to drain (goaway) and
 * close when their last stream ends.
 *
 * <p>State is split per event loop and touched only on its loop, so the data path takes no lock;
 * every map is bounded by ring members x event loops x {@code connectionsPerLoop}.
 */
public final class BackendPool implements RingListener, AutoCloseable {

    /** Gauge: mux connections to chat servers that are open now. */
    public static final String CONNECTIONS_GAUGE = "presenter.backend.connections";
    /** Gauge per ring member (tag {@code member}): its open mux connections; removed when it leaves the ring. */
    public static final String MEMBER_CONNECTIONS_GAUGE = "presenter.backend.member.connections";
    /** Counter: mux connections whose TLS handshake failed (chat server certificate refused, timeout...). */
    public static final String TLS_FAILURES = "presenter.backend.tls.failures";
    /**
     * Counter, tag {@code event}: {@code opened} / {@code closed} extra connections (beyond
     * {@code backend.connections-per-loop}, when the others carry their stream limit), and
     * {@code full}: acquires refused because every allowed connection carried its limit.
     */
    public static final String EXTRA_CONNECTIONS = "presenter.backend.extra.connections";
    /** Default bound on connections per chat server per event loop, extras included. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_LOOP = 16;
    /** How often empty extra connections are looked for and closed, while there are any. */
    static final long EXTRA_SWEEP_MILLIS = 1_000;
    /**
     * Counter: mux connections refused because the chat server's certificate, though from the CA,
     * does not name the member dialled (also counted in {@value #TLS_FAILURES}).
     */
    public static final String TLS_IDENTITY_REFUSED = "presenter.backend.tls.identity.refused";

    private static final Logger log = LoggerFactory.getLogger(BackendPool.class);

    private final Transport transport;
    private final MuxSettings muxSettings;
    private final int connectionsPerLoop;
    private final int maxConnectionsPerLoop;
    /** This side's stream limit per connection (the chat server's may be lower). */
    private final int maxStreamsPerConnection;
    private final Counter extrasOpened;
    private final Counter extrasClosed;
    private final Counter full;
    private final Duration connectTimeout;
    private final ConnectBackoff backoff;
    private final BackendTls tls;
    private final Counter tlsFailures;
    private final Counter identityRefused;
    /** One entry per event loop that ever acquired. */
    private final ConcurrentMap<EventLoop, LoopBackends> loops = new ConcurrentHashMap<>();
    /** Open connections per member id; an entry goes away with the member's last connection. */
    private final ConcurrentMap<String, Integer> openByMember = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    /** One gauge per ring member; bounded by the ring. */
    private final ConcurrentMap<String, Gauge> memberGauges = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    /** A pool of plaintext mux connections (the default: a private network between presenters and chat servers). */
    public BackendPool(Transport transport, MuxSettings muxSettings, int connectionsPerLoop,
            Duration connectTimeout, ConnectBackoff backoff, MeterRegistry registry) {
        this(transport, muxSettings, connectionsPerLoop, connectTimeout, backoff, BackendTls.PLAINTEXT, registry);
    }

    /**
     * A pool whose mux connections are secured by {@code tls}. With {@link BackendTls#mutual} TLS a
     * connection is handed out only after its handshake; a failed handshake counts as a failed
     * connect (backoff) and in {@value #TLS_FAILURES}.
     */
    public BackendPool(Transport transport, MuxSettings muxSettings, int connectionsPerLoop,
            Duration connectTimeout, ConnectBackoff backoff, BackendTls tls, MeterRegistry registry) {
        this(transport, muxSettings, connectionsPerLoop, Math.max(connectionsPerLoop, DEFAULT_MAX_CONNECTIONS_PER_LOOP),
                connectTimeout, backoff, tls, registry);
    }

    /**
     * As above, growing to at most {@code maxConnectionsPerLoop} connections per member per event
     * loop when the first {@code connectionsPerLoop} carry their stream limit
     * ({@code muxSettings.maxConcurrentStreams()}, or the chat server's lower one); beyond that an
     * acquire fails with {@link BackendFullException}.
     */
    public BackendPool(Transport transport, MuxSettings muxSettings, int connectionsPerLoop, int maxConnectionsPerLoop,
            Duration connectTimeout, ConnectBackoff backoff, BackendTls tls, MeterRegistry registry) {
        this.registry = registry;
        if (connectionsPerLoop < 1 || maxConnectionsPerLoop < connectionsPerLoop) {
            throw new IllegalArgumentException("connectionsPerLoop " + connectionsPerLoop + ", maxConnectionsPerLoop "
                    + maxConnectionsPerLoop);
        }
        this.transport = transport;
        this.muxSettings = muxSettings;
        this.connectionsPerLoop = connectionsPerLoop;
        this.maxConnectionsPerLoop = maxConnectionsPerLoop;
        this.maxStreamsPerConnection = muxSettings.maxConcurrentStreams();
        String description = "extra mux connections to chat servers (event=opened|closed), and acquires refused"
                + " because every allowed connection carried its stream limit (event=full)";
        this.extrasOpened = Counter.builder(EXTRA_CONNECTIONS).tag("event", "opened").description(description)
                .register(registry);
        this.extrasClosed = Counter.builder(EXTRA_CONNECTIONS).tag("event", "closed").description(description)
                .register(registry);
        this.full = Counter.builder(EXTRA_CONNECTIONS).tag("event", "full").description(description)
                .register(registry);
        this.connectTimeout = connectTimeout;
        this.backoff = backoff;
        this.tls = tls;
        this.tlsFailures = Counter.builder(TLS_FAILURES)
                .description("mux connections to chat servers whose TLS handshake failed").register(registry);
        this.identityRefused = Counter.builder(TLS_IDENTITY_REFUSED)
                .description("mux connections to chat servers whose certificate named another member").register(registry);
        Gauge.builder(CONNECTIONS_GAUGE, open, AtomicInteger::get)
                .description("mux connections from this presenter to chat servers")
                .register(registry);
    }

    /**
     * A connection to {@code member} that runs on {@code loop}; completes on {@code loop}. Fails
     * with {@link BackendUnavailableException} while the member is backing off after a failed connect.
     */
    public Future<MuxConnection> acquire(EventLoop loop, RingMember member) {
        Promise<MuxConnection> promise = loop.newPromise();
        LoopBackends backends = loops.computeIfAbsent(loop, LoopBackends::new);
        if (loop.inEventLoop()) {
            backends.acquire(member, promise);
        } else {
            loop.execute(() -> backends.acquire(member, promise));
        }
        return promise;
    }

    /** Open connections to the member {@code memberId}, over all event loops. */
    public int openConnections(String memberId) {
        return openByMember.getOrDefault(memberId, 0);
    }

    /** Open connections to all chat servers. */
    public int openConnections() {
        return open.get();
    }

    @Override
    public void ringChanged(RingSnapshot ring) {
        loops.values().forEach(backends -> backends.loop.execute(() -> backends.retireAbsent(ring)));
        memberGauges.entrySet().removeIf(entry -> {
            boolean gone = ring.member(entry.getKey()).isEmpty();
            if (gone) {
                registry.remove(entry.getValue());
            }
            return gone;
        });
        for (RingMember member : ring.members()) {
            memberGauges.computeIfAbsent(member.id(), id -> Gauge.builder(MEMBER_CONNECTIONS_GAUGE, openByMember,
                            counts -> counts.getOrDefault(id, 0))
                    .description("mux connections from this presenter to one chat server")
                    .tag("member", id).register(registry));
        }
    }

    /** Closes every connection now; their streams end, and with them their clients. */
    @Override
    public void close() {
        loops.values().forEach(backends -> backends.loop.execute(backends::closeAll));
    }

    private void opened(String memberId) {
        open.incrementAndGet();
        openByMember.merge(memberId, 1, Integer::sum);
    }

    private void closed(String memberId) {
        open.decrementAndGet();
        openByMember.computeIfPresent(memberId, (id, count) -> count == 1 ? null : count - 1);
    }

    /** The backends of one event loop; used only on that loop. */
    private final class LoopBackends {

        final EventLoop loop;
        final Map<String, MemberBackends> members = new HashMap<>();

        LoopBackends(EventLoop loop) {
            this.loop = loop;
        }

        void acquire(RingMember member, Promise<MuxConnection> promise) {
            MemberBackends backends = members.get(member.id());
            if (backends == null || !backends.reaches(member)) {
                if (backends != null) {
                    backends.retire();  // same id, new address: the old process is gone or going
                }
                backends = new MemberBackends(loop, member);
                members.put(member.id(), backends);
            }
            backends.acquire(promise);
        }

        void retireAbsent(RingSnapshot ring) {
            members.values().removeIf(backends -> {
                boolean gone = ring.member(backends.member.id()).filter(backends::reaches).isEmpty();
                if (gone) {
                    backends.retire();
                }
                return gone;
            });
        }

        void closeAll() {
            members.values().forEach(MemberBackends::close);
            members.clear();
        }
    }

    /**
     * The connections to one member on one event loop: {@code connectionsPerLoop} base slots, kept
     * open and refilled, handed out round-robin; and, when every base connection carries its
     * stream limit, extra connections opened on demand up to {@code maxConnectionsPerLoop} in all,
     * filled in order and closed when they are empty again.
     *
     * <p>A connection is handed out only once it has the chat server's preface: before it, the
     * stream limit in force is not known (the chat server's may be lower than this side's), so the
     * acquirers that picked it wait (at most this side's limit of them, and at most
     * {@code connectTimeout} for the preface) and then choose again, with the real limit.
     */
    private final class MemberBackends {

        final EventLoop loop;
        final RingMember member;
        final Backend[] slots = new Backend[connectionsPerLoop];
        /** Bounded by {@code maxConnectionsPerLoop - connectionsPerLoop}. */
        final List<Backend> extras = new ArrayList<>();
        int next;
        int failures;
        long retryAtNanos;
        Throwable lastFailure;
        ScheduledFuture<?> sweep;

        MemberBackends(EventLoop loop, RingMember member) {
            this.loop = loop;
            this.member = member;
            this.retryAtNanos = System.nanoTime();
        }

        boolean reaches(RingMember other) {
            return member.host().equals(other.host()) && member.muxPort() == other.muxPort();
        }

        void acquire(Promise<MuxConnection> promise) {
            boolean backingOff = System.nanoTime() - retryAtNanos < 0;
            for (int i = 0; i < slots.length; i++) {
                int slot = next;
                next = (next + 1) % slots.length;
                Backend backend = slots[slot];
                if (backend != null && backend.ready.isDone() && !usable(backend.ready)) {
                    slots[slot] = backend = null;  // closed or draining: it ends by itself, refill the slot
                }
                if (backend == null) {
                    if (backingOff) {
                        continue;
                    }
                    backend = connect(slot);
                }
                if (backend.hasRoom()) {
                    backend.handOut(promise);
                    return;
                }
            }
            extras.removeIf(extra -> extra.ready.isDone() && !usable(extra.ready));
            for (Backend extra : extras) {
                if (extra.hasRoom()) {
                    extra.handOut(promise);
                    return;
                }
            }
            if (backingOff) {
                promise.setFailure(new BackendUnavailableException(
                        member.id() + " is backing off after a failed connect", lastFailure));
            } else if (slots.length + extras.size() < maxConnectionsPerLoop) {
                Backend extra = connect(-1);
                extras.add(extra);
                extrasOpened.increment();
                scheduleSweep();
                extra.handOut(promise);
            } else {
                full.increment();
                promise.setFailure(new BackendFullException(member.id() + ": all " + maxConnectionsPerLoop
                        + " connections of this event loop (backend.max-connections-per-loop) carry their"
                        + " stream limit (backend.max-streams-per-connection)"));
            }
        }

        /** Sweeps empty extras every {@link #EXTRA_SWEEP_MILLIS} while there are any. */
        private void scheduleSweep() {
            if (sweep == null) {
                sweep = loop.scheduleAtFixedRate(this::closeEmptyExtras, EXTRA_SWEEP_MILLIS, EXTRA_SWEEP_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
        }

        /** Closes the extra connections that carry no stream (and none on its way). */
        void closeEmptyExtras() {
            extras.removeIf(extra -> {
                if (!extra.ready.isDone()) {
                    return false;
                }
                if (usable(extra.ready)) {
                    MuxConnection mux = MuxConnection.of(extra.ready.channel());
                    if (mux.committedStreams() > 0) {
                        return false;
                    }
                    mux.goAway(true, ResetCode.GOING_AWAY, "extra connection no longer needed");
                    extrasClosed.increment();
                }
                return true;
            });
            if (extras.isEmpty() && sweep != null) {
                sweep.cancel(false);
                sweep = null;
            }
        }

        /** Connects base slot {@code slot}, or an extra connection when {@code slot} is -1. */
        private Backend connect(int slot) {
            ChannelFuture tcp = new Bootstrap().group(loop)
                    .channel(transport.channelClass())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                    .handler(tls.handler(member, MuxInitializer.opening(muxSettings), cause -> {
                        tlsFailures.increment();
                        if (cause instanceof MuxPeerIdentityException) {
                            identityRefused.increment();
                        }
                        log.warn("mux TLS handshake with {} at {}:{} failed: {}", member.id(), member.host(),
                                member.muxPort(), cause.toString());
                    }))
                    .connect(member.host(), member.muxPort());
            Backend backend = new Backend(prefaced(tls.ready(tcp)));
            ChannelFuture ready = backend.ready;
            if (slot >= 0) {
                slots[slot] = backend;
            }
            // Registered before any acquirer's listener, so the slot state is current when they run.
            ready.addListener(done -> {
                backend.waiting = 0;
                if (done.isSuccess()) {
                    failures = 0;
                    opened(member.id());
                    ready.channel().closeFuture().addListener(closed -> {
                        closed(member.id());
                        if (slot >= 0 && slots[slot] == backend) {
                            slots[slot] = null;
                        }
                    });
                } else {
                    failures++;
                    lastFailure = done.cause();
                    retryAtNanos = System.nanoTime() + backoff.delayNanos(failures);
                    if (slot >= 0 && slots[slot] == backend) {
                        slots[slot] = null;
                    }
                    log.warn("mux connect to {} at {}:{} failed ({} in a row): {}", member.id(), member.host(),
                            member.muxPort(), failures, done.cause().toString());
                }
            });
            return backend;
        }

        /**
         * Completes once {@code connected} did and the chat server's preface arrived on it; fails,
         * closing the connection, when no preface came within {@code connectTimeout}.
         */
        private ChannelFuture prefaced(ChannelFuture connected) {
            ChannelPromise prefaced = connected.channel().newPromise();
            connected.addListener(done -> {
                if (!done.isSuccess()) {
                    prefaced.tryFailure(done.cause());
                    return;
                }
                Future<Boolean> preface = MuxConnection.of(connected.channel()).handoverNegotiated();
                ScheduledFuture<?> timeout = loop.schedule(() -> {
                    if (prefaced.tryFailure(new BackendUnavailableException(member.id() + " sent no mux preface within "
                            + connectTimeout.toMillis() + " ms", null))) {
                        connected.channel().close();
                    }
                }, connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
                preface.addListener(arrived -> {
                    timeout.cancel(false);
                    if (arrived.isSuccess()) {
                        prefaced.trySuccess();
                    } else {
                        prefaced.tryFailure(arrived.cause());
                    }
                });
            });
            return prefaced;
        }

        private boolean usable(ChannelFuture connection) {
            return connection.isSuccess() && connection.channel().isActive()
                    && MuxConnection.of(connection.channel()).isAcceptingStreams();
        }

        /** The member left the ring: open nothing more, let each connection end with its last stream. */
        void retire() {
            cancelSweep();
            for (ChannelFuture connection : connections()) {
                if (!connection.isDone() || !connection.isSuccess()) {
                    connection.channel().close();
                } else if (connection.channel().isActive()) {
                    MuxConnection mux = MuxConnection.of(connection.channel());
                    if (mux.activeStreams() == 0) {
                        connection.channel().close();
                    } else {
                        mux.goAway(true, ResetCode.GOING_AWAY, member.id() + " left the ring");
                    }
                }
            }
        }

        void close() {
            cancelSweep();
            for (ChannelFuture connection : connections()) {
                connection.channel().close();
            }
        }

        private void cancelSweep() {
            if (sweep != null) {
                sweep.cancel(false);
                sweep = null;
            }
        }

        private List<ChannelFuture> connections() {
            List<ChannelFuture> all = new ArrayList<>(slots.length + extras.size());
            for (Backend backend : slots) {
                if (backend != null) {
                    all.add(backend.ready);
                }
            }
            extras.forEach(extra -> all.add(extra.ready));
            return all;
        }

        /** One connection (base slot or extra), and the acquirers waiting for its preface. */
        private final class Backend {
            /** Connected (TLS included) and the chat server's preface received. */
            final ChannelFuture ready;
            /** Acquirers waiting for {@link #ready}; bounded by this side's stream limit. */
            int waiting;

            Backend(ChannelFuture ready) {
                this.ready = ready;
            }

            /**
             * Whether this connection takes another stream: a ready one below the limit in force,
             * or one still waiting for its preface that fewer acquirers than this side's limit wait for.
             */
            boolean hasRoom() {
                if (!ready.isDone()) {
                    return waiting < maxStreamsPerConnection;
                }
                if (!usable(ready)) {
                    return false;
                }
                MuxConnection mux = MuxConnection.of(ready.channel());
                return mux.committedStreams() < mux.maxConcurrentStreams();
            }

            void handOut(Promise<MuxConnection> promise) {
                if (ready.isDone()) {
                    succeedOrFail(promise);
                    return;
                }
                waiting++;
                // With the preface the limit is known: choose again (this connection if it has
                // room, else another), so no connection is handed more streams than its peer takes.
                ready.addListener(done -> {
                    if (usable(ready)) {
                        MemberBackends.this.acquire(promise);
                    } else {
                        succeedOrFail(promise);
                    }
                });
            }

            private void succeedOrFail(Promise<MuxConnection> promise) {
                if (usable(ready)) {
                    promise.trySuccess(MuxConnection.of(ready.channel()));
                } else {
                    promise.tryFailure(new BackendUnavailableException("no connection to " + member.id(),
                            ready.cause()));
                }
            }
        }
    }
}
