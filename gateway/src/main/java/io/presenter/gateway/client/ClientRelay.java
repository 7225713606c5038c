package io.presenter.gateway.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.presenter.gateway.backend.BackendFullException;
import io.presenter.gateway.backend.NoShardException;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.gateway.backend.HandoverUnsupportedException;
import io.presenter.protocol.mux.MuxHandoverEvent;
import io.presenter.protocol.mux.MuxStreamResetEvent;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.RelayStreamListener;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays one client's bytes, unparsed, between its socket and its stream to the chat server that
 * owns its couple; the last handler of the client pipeline once the auth stage has swapped itself
 * out, and the listener of the client's {@link RelayStream} (a plain object, not a channel: a
 * few dozen bytes a client instead of a pipeline's hundreds). Client, stream and the stream's
 * connection share one event loop, so the two call each other directly.
 *
 * <p><b>Backpressure.</b> The client is read only while the stream is writable (its window open),
 * and the stream only while the client socket is writable: a slow chat server stalls this one
 * client, a slow client stalls this one stream, and nothing queues without bound.
 *
 * <p><b>Wrong shard.</b> Until the chat server has answered (its first bytes are the AuthResult),
 * the relay keeps everything it sent (the auth packet and what came with it, bounded by the auth
 * packet cap and one read, since the client is not read meanwhile). A stream reset WRONG_SHARD,
 * REFUSED or GOING_AWAY in that window is opened again, up to the opener's retry limit, and the
 * kept bytes are sent again: the client only notices a delay. Where a stream goes, the first time
 * and on a retry, is the {@link StreamOpener}'s decision.
 *
 * <p><b>Handover.</b> The relay keeps the client's bytes not yet known consumed ({@link ReplayBuffer}).
 * When the chat server ends the stream with a handover, the stream has already delivered every byte
 * the old owner sent before it (the handover frame follows them on the same connection, and the
 * stream fires it only after its queue is read), and they are written to the client first. Only then
 * does the relay open the stream at the new owner, carrying the sealed state, send it the auth packet
 * and the client's bytes after the count the old owner consumed, and relay again; the new stream's
 * bytes are written to the client after the old ones whichever connection it runs on, since nothing
 * of it is read before it exists. The client's socket and TLS session are untouched. When any step
 * fails (new owner refuses or is unreachable, state too large, replay lost, timeout, ring moved
 * again) the client is closed as before and reconnects: a handover never half-happens.
 */
public final class ClientRelay extends ChannelInboundHandlerAdapter implements RelayStreamListener {

    /** Pipeline name of the relay, which replaces the auth stage. */
    public static final String NAME = "relay";
    /**
     * Close reason of a client whose stream's mux connection went away under it (chat server
     * crashed, link cut or reset), apart from a stream its chat server reset or a drain's goaway,
     * so that a crash and a drain read differently in {@code presenter.connections.closed}.
     */
    public static final String BACKEND_LOST = "backend_lost";
    /** Close reason of a client whose couple has no owner: the ring has no member. */
    public static final String NO_SHARD = "no_shard";
    /** Close reason of a client whose stream could not be opened at its couple's owner. */
    public static final String BACKEND_UNAVAILABLE = "backend_unavailable";
    /**
     * Close reason of a client whose couple's owner is reachable but every connection the pool may
     * open to it carries its stream limit ({@code backend.max-connections-per-loop} reached).
     */
    public static final String BACKEND_FULL = "backend_full";

    /** Close reason of a client whose session handover failed (the fallback: it reconnects). */
    public static final String HANDOVER_FAILED = "handover_failed";

    /** Longest wait for a closing client's last bytes to be written. */
    private static final long CLOSE_LINGER_SECONDS = 5;

    private static final Logger log = LoggerFactory.getLogger(ClientRelay.class);

    private final Channel client;
    private final StreamOpener opener;
    private final ClientMeters meters;
    private final HandoverLimits limits;
    /** What the stream was sent before the chat server answered; null once it has, or when released. */
    private ByteBuf unanswered;
    /** The live stream; null while a retry is opening the next one. */
    private RelayStream stream;
    /** The latest attempt: the first open, or the retry after the last reset. */
    private StreamRequest request;
    private boolean closing;
    /** The auth packet, kept for a handover's new stream. */
    private ByteBuf authPacket;
    private final ReplayBuffer replay;
    /** Client offset of the current stream's first byte after its auth packet. */
    private long streamBase;
    /** Whether the current stream continues a handed-over session and has not yet been answered. */
    private boolean handedOverUnanswered;

    /**
     * @param authPacket the exact auth packet bytes, length prefix included; the relay owns them
     * @param clientAddress where the client connected from (a QUIC stream's own address names no host)
     */
    ClientRelay(Channel client, java.net.SocketAddress clientAddress, long coupleId, ByteBuf authPacket,
            StreamOpener opener, ClientMeters meters) {
        this(client, clientAddress, coupleId, authPacket, opener, meters, HandoverLimits.DEFAULTS);
    }

    /** @param limits what carrying the session to a new chat server may cost (replay, wait, state size) */
    ClientRelay(Channel client, java.net.SocketAddress clientAddress, long coupleId, ByteBuf authPacket,
            StreamOpener opener, ClientMeters meters, HandoverLimits limits) {
        this.client = client;
        this.opener = opener;
        this.meters = meters;
        this.limits = limits;
        this.unanswered = authPacket;
        this.authPacket = authPacket.copy();
        this.replay = new ReplayBuffer(client.alloc(), limits.replaySlackBytes(), limits.replayMaxBytes());
        this.request = StreamRequest.first(coupleId, clientAddress);
    }

    /** Opens the first stream and sends it the auth packet. */
    Future<RelayStream> open() {
        return open(request);
    }

    /**
     * The close reason of a client whose stream could not be opened: {@value #NO_SHARD} when no
     * chat server owns its couple, {@value #BACKEND_FULL} when its connections are all full,
     * {@value #BACKEND_UNAVAILABLE} otherwise.
     */
    static String openFailureReason(Throwable cause) {
        return cause instanceof NoShardException ? NO_SHARD
                : cause instanceof BackendFullException ? BACKEND_FULL : BACKEND_UNAVAILABLE;
    }

    private Future<RelayStream> open(StreamRequest next) {
        request = next;
        Future<RelayStream> opened = opener.open(client.eventLoop(), next, this);
        opened.addListener(done -> {
            if (done.isSuccess()) {
                started(opened.getNow());
            }
        });
        return opened;
    }

    private void started(RelayStream opened) {
        if (unanswered == null) {
            opened.close();  // the client went away while the stream was opening
            return;
        }
        stream = opened;
        opened.write(unanswered.retainedDuplicate());
        opened.flush();
        opened.read();
    }

    /** The auth stage failed after building this relay, or the client left before the swap. */
    void abandon() {
        releaseUnanswered();
        releaseHandoverState();
        RelayStream abandoned = stream;
        if (abandoned != null) {
            stream = null;  // first: its close is not the client's end
            abandoned.close();
        }
    }

    // ---- client side

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf bytes = (ByteBuf) msg;
        meters.relayedToStream(bytes.readableBytes());
        replay.append(bytes);
        if (stream != null && authPacket != null) {
            replay.trimCredited(streamBase + stream.bytesCreditedByPeer() - authPacket.readableBytes());
        }
        if (unanswered != null) {
            unanswered.writeBytes(bytes, bytes.readerIndex(), bytes.readableBytes());
        }
        if (stream != null) {
            stream.write(bytes);
        } else {
            bytes.release();  // kept in unanswered: the next attempt sends it
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (stream != null) {
            stream.flush();
        }
        followStreamWritability();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (client.isWritable() && stream != null) {
            stream.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseUnanswered();
        releaseHandoverState();
        RelayStream ending = stream;
        if (ending != null) {
            // Nobody reads the stream for the client any more: let it read itself to its end (what
            // still comes is dropped in streamRead), or a chat server that half-closed first would
            // leave it open for good, its FIN queued behind a read that never comes.
            ending.readToEnd();
            // FIN after what is already queued, so a client's last messages still reach its partner.
            ending.shutdownOutput().addListener(done -> {
                if (!done.isSuccess()) {
                    ending.close();
                }
            });
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client {} failed: {}", client, cause.toString());
        ClientConnections.close(client, "client_error");
    }

    /** The client is read only once the chat server has answered, and while the stream can take more. */
    private void followStreamWritability() {
        client.config().setAutoRead(unanswered == null && stream != null && stream.isWritable());
    }

    // ---- stream side, called by the stream on the same event loop

    @Override
    public void streamRead(RelayStream from, ByteBuf bytes) {
        if (from != stream || !client.isActive()) {
            bytes.release();
            return;
        }
        if (unanswered != null) {
            releaseUnanswered();  // the chat server answered: no retry from here on
            followStreamWritability();
        }
        handedOverUnanswered = false;
        meters.relayedToClient(bytes.readableBytes());
        client.write(bytes, client.voidPromise());
    }

    @Override
    public void streamReadComplete(RelayStream from) {
        if (from != stream) {
            return;
        }
        client.flush();
        if (client.isWritable()) {
            from.read();
        }
    }

    @Override
    public void streamWritabilityChanged(RelayStream from) {
        if (from == stream) {
            followStreamWritability();
        }
    }

    @Override
    public void streamReset(RelayStream from, MuxStreamResetEvent reset) {
        if (from != stream) {
            return;
        }
        if (handedOverUnanswered && !connectionLost(from)) {
            // The new owner refused the session (forged or stale state, ring moved again, full).
            handoverFailed("refused_" + reset.code().name().toLowerCase(Locale.ROOT));
            return;
        }
        if (unanswered != null && request.attempt() < opener.maxRetries() && client.isActive() && isRetryable(reset)) {
            retry(reset);
        } else {
            closeClient(connectionLost(from) ? BACKEND_LOST : "reset_" + reset.code().name().toLowerCase(Locale.ROOT));
        }
    }

    /** The chat server sent FIN: the session is over (the stream then closes). */
    @Override
    public void streamInputEnded(RelayStream from) {
        streamEnded(from, "stream_ended");
    }

    @Override
    public void streamClosed(RelayStream from) {
        streamEnded(from, "stream_closed");
    }

    private void streamEnded(RelayStream from, String reason) {
        if (from == stream) {
            stream = null;
            closeClient(connectionLost(from) ? BACKEND_LOST : reason);
        }
    }

    /**
     * The old owner ended {@code from} with a handover; every byte it sent before has been written
     * to the client (the stream fires the event after its queue). Carries the session to the new owner.
     */
    @Override
    public void streamHandedOver(RelayStream from, MuxHandoverEvent handover) {
        if (from != stream) {
            return;
        }
        stream = null;  // its close is the handover's, not the client's end
        client.flush();
        followStreamWritability();
        if (!client.isActive() || closing || authPacket == null) {
            return;
        }
        long resumeAt = streamBase + handover.consumedBytes() - authPacket.readableBytes();
        String refusal = handover.ticket().size() > limits.maxStateBytes() ? "state_too_large"
                : unanswered != null ? "unanswered"
                : handover.consumedBytes() < authPacket.readableBytes() || resumeAt > replay.end() ? "bad_offset"
                : !replay.holdsFrom(resumeAt) ? "replay_lost"
                : null;
        if (refusal != null) {
            handoverFailed(refusal);
            return;
        }
        StreamRequest next = request.handover(handover);
        request = next;
        ScheduledFuture<?> timeout = client.eventLoop().schedule(() -> {
            if (stream == null && !closing) {
                handoverFailed("timeout");
            }
        }, limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
        long began = System.nanoTime();
        Future<RelayStream> opened = opener.open(client.eventLoop(), next, this);
        opened.addListener(done -> {
            timeout.cancel(false);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
            if (tookMillis > 1000) {
                log.info("client {}: slow handover, the stream at {} took {} ms to open", client,
                        handover.newOwner(), tookMillis);
            }
            if (!done.isSuccess()) {
                handoverFailed(done.cause() instanceof HandoverUnsupportedException ? "unsupported"
                        : done.cause() instanceof NoShardException ? "no_owner" : "unreachable");
                return;
            }
            RelayStream resumed = opened.getNow();
            if (closing || !client.isActive() || request != next || authPacket == null) {
                resumed.close();
                return;
            }
            stream = resumed;
            streamBase = resumeAt;
            handedOverUnanswered = true;
            replay.trimBefore(resumeAt);
            resumed.write(authPacket.retainedDuplicate());
            ByteBuf rest = replay.from(resumeAt);
            if (rest.isReadable()) {
                resumed.write(rest);
            } else {
                rest.release();
            }
            resumed.flush();
            resumed.read();
            meters.handover("completed");
            followStreamWritability();
        });
    }

    private void handoverFailed(String why) {
        meters.handover("fallback_" + why);
        log.debug("client {}: handover failed ({}), closing it to reconnect", client, why);
        closeClient(HANDOVER_FAILED);
    }

    private static boolean connectionLost(RelayStream stream) {
        return !stream.isConnectionActive();
    }

    private static boolean isRetryable(MuxStreamResetEvent reset) {
        return switch (reset.code()) {
            case WRONG_SHARD, REFUSED, GOING_AWAY -> true;
            default -> false;
        };
    }

    private void retry(MuxStreamResetEvent reset) {
        stream = null;
        meters.wrongShardRetry();
        StreamRequest next = request.retry(reset);
        log.debug("client {} of couple {}: stream reset {}, retry {} at {} (ring {})", client, next.coupleId(),
                reset.code(), next.attempt(), reset.ownerHint(), reset.ringVersion());
        open(next).addListener(opened -> {
            if (!opened.isSuccess()) {
                closeClient(openFailureReason(opened.cause()));
            }
        });
    }

    /**
     * Closes the client once what was written to it has been flushed (the chat server's last words,
     * an error packet say), but no later than {@link #CLOSE_LINGER_SECONDS}: a client that does not
     * read must not keep its socket and buffers.
     */
    private void closeClient(String reason) {
        releaseUnanswered();
        releaseHandoverState();
        if (closing) {
            return;
        }
        closing = true;
        ScheduledFuture<?> linger = client.eventLoop().schedule(() -> ClientConnections.close(client, reason),
                CLOSE_LINGER_SECONDS, TimeUnit.SECONDS);
        client.closeFuture().addListener(closed -> linger.cancel(false));
        client.writeAndFlush(Unpooled.EMPTY_BUFFER)
                .addListener((ChannelFutureListener) done -> ClientConnections.close(client, reason));
    }

    private void releaseHandoverState() {
        replay.release();
        if (authPacket != null) {
            authPacket.release();
            authPacket = null;
        }
    }

    private void releaseUnanswered() {
        if (unanswered != null) {
            ReferenceCountUtil.release(unanswered);
            unanswered = null;
        }
    }
}
