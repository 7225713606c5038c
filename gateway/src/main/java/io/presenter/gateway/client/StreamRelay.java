package io.presenter.gateway.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.presenter.protocol.mux.MuxHandoverEvent;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.mux.MuxStreamResetEvent;

/**
 * The stream-side half of a {@link ClientRelay}: the only handler of the client's stream. It reads
 * only on demand (autoRead off) so the client's socket writability paces the chat server.
 */
final class StreamRelay extends ChannelInboundHandlerAdapter {

    private final ClientRelay relay;

    StreamRelay(ClientRelay relay) {
        this.relay = relay;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        relay.streamRead(stream(ctx), (ByteBuf) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        relay.streamReadComplete(stream(ctx));
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        relay.streamWritabilityChanged(stream(ctx));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof MuxHandoverEvent handover) {
            relay.streamHandedOver(stream(ctx), handover);
        } else if (event instanceof MuxStreamResetEvent reset) {
            relay.streamReset(stream(ctx), reset);
        } else if (event instanceof ChannelInputShutdownEvent) {
            relay.streamClosed(stream(ctx), "stream_ended");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        relay.streamClosed(stream(ctx), "stream_closed");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();  // resets the stream; channelInactive then closes the client
    }

    private static MuxStreamChannel stream(ChannelHandlerContext ctx) {
        return (MuxStreamChannel) ctx.channel();
    }
}
