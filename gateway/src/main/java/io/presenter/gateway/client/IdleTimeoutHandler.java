package io.presenter.gateway.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection that moved no bytes either way for the idle timeout: a dead peer
 * whose TCP connection never broke, or a client holding a slot without talking. Sits below TLS,
 * so TLS records count, whatever their content. Closes with reason {@value #REASON}.
 */
final class IdleTimeoutHandler extends IdleStateHandler {

    static final String NAME = "idle-timeout";
    static final String REASON = "idle";

    IdleTimeoutHandler(Duration timeout) {
        super(0, 0, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        ClientConnections.close(ctx.channel(), REASON);
    }
}
