package io.presenter.gateway.client;

import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection once it reaches its {@link ConnectionAging age} (reason
 * {@value #REASON}), when the shared close budget allows; otherwise it asks again a little later.
 * Handles no events (a plain {@link ChannelHandlerAdapter}, which Netty skips for reads and
 * writes): it only owns the timer, cancelled when the connection goes.
 */
final class MaxConnectionAgeHandler extends ChannelHandlerAdapter {

    static final String NAME = "max-age";
    static final String REASON = "max_age";

    private final ConnectionAging aging;
    private ScheduledFuture<?> timer;
    private boolean waiting;

    MaxConnectionAgeHandler(ConnectionAging aging) {
        this.aging = aging;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        schedule(ctx, aging.ageNanos());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.cancel(false);
        stopWaiting();
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> due(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void due(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (aging.mayClose()) {
            stopWaiting();
            ClientConnections.close(ctx.channel(), REASON);
            return;
        }
        if (!waiting) {
            waiting = true;
            aging.startedWaiting();
        }
        schedule(ctx, aging.retryNanos());
    }

    private void stopWaiting() {
        if (waiting) {
            waiting = false;
            aging.stoppedWaiting();
        }
    }
}
