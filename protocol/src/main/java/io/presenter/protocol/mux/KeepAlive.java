package io.presenter.protocol.mux;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Pings only after {@code interval} of inbound silence, and gives up when nothing at all arrives
 * for another {@code interval} after the ping. Any inbound frame proves liveness (Armeria
 * {@code AbstractKeepAliveHandler}), so a busy connection is never pinged and a ping answer stuck
 * behind data on a healthy connection cannot time it out (yamux PR #38, linkerd#2398).
 */
final class KeepAlive {

    /** What the session does on the connection's behalf. */
    interface Actions {
        void sendPing();

        void timedOut(long silentMillis);
    }

    private final ChannelHandlerContext ctx;
    private final long intervalNanos;
    private final Actions actions;
    private long lastInboundNanos;
    private long pingSentNanos;
    private boolean pingOutstanding;
    private Future<?> check;

    KeepAlive(ChannelHandlerContext ctx, long intervalNanos, Actions actions) {
        this.ctx = ctx;
        this.intervalNanos = intervalNanos;
        this.actions = actions;
    }

    void start() {
        lastInboundNanos = now();
        schedule(intervalNanos);
    }

    void stop() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    void inboundFrame() {
        lastInboundNanos = now();
        pingOutstanding = false;
    }

    private void check() {
        check = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = now();
        if (pingOutstanding) {
            long waited = now - pingSentNanos;
            if (waited >= intervalNanos) {
                actions.timedOut(TimeUnit.NANOSECONDS.toMillis(now - lastInboundNanos));
            } else {
                schedule(intervalNanos - waited);
            }
            return;
        }
        long silent = now - lastInboundNanos;
        if (silent >= intervalNanos) {
            pingOutstanding = true;
            pingSentNanos = now;
            actions.sendPing();
            schedule(intervalNanos);
        } else {
            schedule(intervalNanos - silent);
        }
    }

    private void schedule(long delayNanos) {
        check = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private long now() {
        return ctx.executor().ticker().nanoTime();
    }
}
