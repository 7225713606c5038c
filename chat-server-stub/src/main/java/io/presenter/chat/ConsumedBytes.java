package io.presenter.chat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Counts the stream bytes of the whole client packets that went on to the session, between the
 * frame decoder and the codec: at any moment between two reads, exactly the bytes this server has
 * consumed, always a packet boundary. A handover tells the presenter this count, and the presenter
 * replays the client's bytes after it to the new owner.
 */
public final class ConsumedBytes extends ChannelInboundHandlerAdapter {

    public static final String NAME = "consumed-bytes";

    private long consumed;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf packet) {
            consumed += packet.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    /** Bytes of whole packets passed on; read on the channel's event loop. */
    long consumed() {
        return consumed;
    }
}
