package io.presenter.chat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.protocol.wire.ErrorPacket;
import io.presenter.protocol.wire.ResetCode;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One authenticated device connection: a direct TLS connection or a mux stream, which look the
 * same from here.
 *
 * <p><b>Order.</b> Deliveries come from any thread (the sender may live on another event loop),
 * always under the couple's lock, which fixes their order. {@link Channel#write} alone would not
 * keep it: a write from outside the channel's event loop becomes a task, a write from inside runs
 * at once and overtakes the tasks still queued. So every packet goes through this session's
 * outbox, in lock order, and only the channel's own event loop takes it out and writes it.
 */
final class ChatSession {

    private final long userId;
    private final String deviceId;
    private final Channel channel;
    private final int maxPending;
    private final Runnable onTooSlow;
    /** Packets queued, not yet written; at most {@code maxPending} with {@link #pending}. */
    private final Queue<ClientPacket> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drainOutbox;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicBoolean evicted = new AtomicBoolean();
    private final ChannelFutureListener written = future -> pending.decrementAndGet();

    ChatSession(long userId, String deviceId, Channel channel, int maxPending, Runnable onTooSlow) {
        this.userId = userId;
        this.deviceId = deviceId;
        this.channel = channel;
        this.maxPending = maxPending;
        this.onTooSlow = onTooSlow;
    }

    long userId() {
        return userId;
    }

    String deviceId() {
        return deviceId;
    }

    /** This session's device as {@link HandoverState#sessionKey}. */
    String key() {
        return HandoverState.sessionKey(userId, deviceId);
    }

    /** Writes what is queued now; on the channel's event loop, before a handover ends the stream. */
    void flushOutbox() {
        drainOutbox();
    }

    /** Whether {@code other} is a session of the same device (a reconnect, not a second device). */
    boolean sameDevice(ChatSession other) {
        return userId == other.userId && deviceId.equals(other.deviceId);
    }

    Channel channel() {
        return channel;
    }

    /**
     * Queues {@code packet} to this session. Returns false, and closes the session, when it already
     * has {@code maxPending} packets unwritten: a reader that slow would otherwise hold the
     * server's memory hostage. The client reconnects and resumes from its last seen sequence.
     */
    boolean deliver(ClientPacket packet) {
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            if (evicted.compareAndSet(false, true)) {
                onTooSlow.run();
                // Not inline: we hold the couple's lock, and close() would re-enter it via leave().
                channel.eventLoop().execute(channel::close);
            }
            return false;
        }
        outbox.add(packet);
        if (channel.eventLoop().inEventLoop()) {
            drainOutbox();  // writes what other threads queued first, then this packet
        } else if (drainScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drainTask);
        }
        return true;
    }

    private void drainOutbox() {
        drainScheduled.set(false);  // before polling: a packet added from now on schedules a drain
        boolean wrote = false;
        for (ClientPacket packet; (packet = outbox.poll()) != null; ) {
            channel.write(packet).addListener(written);
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    /**
     * Ends this session because a newer one of the same device took its place (called under the
     * couple's lock, which already removed it): the client is told why, after what was queued to
     * it. A direct connection closes; a stream half-closes, since a reset would discard the
     * notice wherever the presenter had not read it yet, and closes when the presenter answers.
     */
    void replaced() {
        ClientPacket notice = ClientPacket.error(new ErrorPacket(ErrorCode.SESSION_REPLACED)
                .setReason("a newer session of this device logged in"));
        channel.eventLoop().execute(() -> {
            drainOutbox();
            ChannelFuture told = channel.writeAndFlush(notice);
            if (channel instanceof MuxStreamChannel stream) {
                stream.shutdownOutput();
            } else {
                told.addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    void sendError(ErrorCode code, String reason) {
        channel.writeAndFlush(ClientPacket.error(new ErrorPacket(code).setReason(reason)));
    }

    /**
     * Ends this session because its couple now belongs to {@code ownerId}. A mux stream is reset
     * {@code SHARD_MOVED} naming the owner, so the presenter can reconnect the client there; a
     * direct client is told why and closed.
     */
    void moveTo(String ownerId, long ringVersion) {
        String reason = "couple moved to " + ownerId + " at ring version " + ringVersion;
        if (channel instanceof MuxStreamChannel stream) {
            stream.reset(ResetCode.SHARD_MOVED, reason, ownerId, ringVersion);
            return;
        }
        channel.writeAndFlush(ClientPacket.error(new ErrorPacket(ErrorCode.SHARD_MOVED).setReason(reason)))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
