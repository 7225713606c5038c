package io.presenter.chat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.protocol.wire.ErrorPacket;
import io.presenter.protocol.wire.ResetCode;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One authenticated member connection: a direct TLS connection or a mux stream, which look the
 * same from here. Deliveries may come from any thread (the partner may live on another event
 * loop); {@link Channel#write} queues them in call order, and the couple's lock fixes that order.
 */
final class ChatSession {

    private final long userId;
    private final Channel channel;
    private final int maxPending;
    private final Runnable onTooSlow;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicBoolean evicted = new AtomicBoolean();
    private final ChannelFutureListener written = future -> pending.decrementAndGet();

    ChatSession(long userId, Channel channel, int maxPending, Runnable onTooSlow) {
        this.userId = userId;
        this.channel = channel;
        this.maxPending = maxPending;
        this.onTooSlow = onTooSlow;
    }

    long userId() {
        return userId;
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
        channel.writeAndFlush(packet).addListener(written);
        return true;
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
