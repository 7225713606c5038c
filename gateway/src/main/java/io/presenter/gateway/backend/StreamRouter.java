package io.presenter.gateway.backend;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.RelayStreamListener;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where a couple's stream goes: the ring, the pooled connection to the owner, the open-stream. The
 * {@link StreamOpener} of the client path, for a client's first stream and its wrong-shard retries.
 */
public final class StreamRouter implements StreamOpener {

    /** How often a retry waiting for a newer ring looks at the directory again. */
    private static final long RING_POLL_MILLIS = 10;

    private final ShardDirectory directory;
    private final BackendPool pool;
    private final String presenterId;
    private final int maxRetries;
    private final Duration ringCatchUp;

    /**
     * @param maxRetries how many times a client's stream is opened again after a wrong-shard,
     *     refused or going-away reset that came before any answer
     * @param ringCatchUp how long a retry waits for this presenter's ring to reach the version the
     *     chat server decided on, before it routes on the ring it has
     */
    public StreamRouter(ShardDirectory directory, BackendPool pool, String presenterId, int maxRetries,
            Duration ringCatchUp) {
        this.directory = directory;
        this.pool = pool;
        this.presenterId = presenterId;
        this.maxRetries = maxRetries;
        this.ringCatchUp = ringCatchUp;
    }

    @Override
    public int maxRetries() {
        return maxRetries;
    }

    @Override
    public Future<RelayStream> open(EventLoop loop, StreamRequest request, RelayStreamListener listener) {
        Promise<RelayStream> opened = loop.newPromise();
        ringAtLeast(loop, request.minRingVersion()).addListener((Future<RingSnapshot> caughtUp) -> {
            RingSnapshot ring = caughtUp.getNow();
            if (request.handover().isPresent() && ring.member(request.ownerHint()).isEmpty()) {
                // A handed-over session goes to the member that took it in, or nowhere.
                opened.tryFailure(new NoShardException(request.coupleId(), ring.version()));
                return;
            }
            Optional<RingMember> owner = ring.member(request.ownerHint()).or(() -> ring.owner(request.coupleId()));
            if (owner.isEmpty()) {
                opened.tryFailure(new NoShardException(request.coupleId(), ring.version()));
                return;
            }
            openAt(loop, owner.get(), metadata(request, ring.version()), listener, opened);
        });
        return opened;
    }

    private StreamMetadata metadata(StreamRequest request, long ringVersion) {
        StreamMetadata metadata = StreamMetadata.of(request.coupleId(), ringVersion, request.clientAddress(),
                presenterId).withAttempt(request.attempt());
        // A handover names the ring version the new owner owns the couple under: the open says at
        // least that, so the new owner does not mistake a presenter still catching up for a stale one.
        return request.handover().isPresent()
                ? new StreamMetadata(metadata.shardKey(), Math.max(ringVersion, request.minRingVersion()),
                        metadata.clientAddress(), presenterId, 0, request.handover())
                : metadata;
    }

    /** Opens a stream to {@code owner} on a pooled connection of {@code loop}. */
    private void openAt(EventLoop loop, RingMember owner, StreamMetadata metadata, RelayStreamListener listener,
            Promise<RelayStream> opened) {
        pool.acquire(loop, owner).addListener((Future<MuxConnection> acquired) -> {
            if (!acquired.isSuccess()) {
                opened.tryFailure(acquired.cause());
                return;
            }
            MuxConnection connection = acquired.getNow();
            if (!metadata.handover().isPresent()) {
                open(connection, metadata, listener, opened);
                return;
            }
            // Never send a ticket to a peer that did not announce handover: it would take the
            // stream for a new session and answer the client a second AuthResult. A connection
            // the pool just made may not have the peer's preface yet.
            connection.handoverNegotiated().addListener((Future<Boolean> negotiated) -> {
                if (!negotiated.isSuccess()) {
                    opened.tryFailure(negotiated.cause());
                } else if (!negotiated.getNow()) {
                    opened.tryFailure(new HandoverUnsupportedException(owner.id()));
                } else {
                    open(connection, metadata, listener, opened);
                }
            });
        });
    }

    private static void open(MuxConnection connection, StreamMetadata metadata, RelayStreamListener listener,
            Promise<RelayStream> opened) {
        connection.openRelayStream(metadata, listener).addListener((Future<RelayStream> open) -> {
            if (open.isSuccess()) {
                opened.trySuccess(open.getNow());
            } else {
                opened.tryFailure(open.cause());
            }
        });
    }

    /**
     * The ring once its version reaches {@code version}, or the current one after the catch-up
     * time: a chat server that answered wrong-shard saw a membership change this presenter may
     * hear about a moment later. At once when the current ring is new enough (a first open).
     */
    private Future<RingSnapshot> ringAtLeast(EventLoop loop, long version) {
        Promise<RingSnapshot> ring = loop.newPromise();
        awaitRing(loop, version, System.nanoTime() + ringCatchUp.toNanos(), ring);
        return ring;
    }

    private void awaitRing(EventLoop loop, long version, long deadlineNanos, Promise<RingSnapshot> ring) {
        RingSnapshot current = directory.ring();
        if (current.version() >= version || System.nanoTime() - deadlineNanos >= 0) {
            ring.trySuccess(current);
        } else {
            loop.schedule(() -> awaitRing(loop, version, deadlineNanos, ring), RING_POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
