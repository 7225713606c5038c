package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.presenter.protocol.wire.MuxFrame;

/**
 * Encodes mux frames: a {@link DataFrame} becomes a small header, its payload buffer as is, and a
 * two-byte trailer in one composite buffer (no payload copy); any other {@link MuxFrame} is written
 * by libthrift's generated code. Both produce exactly the bytes libthrift writes for the frame.
 */
@Sharable
public final class MuxFrameEncoder extends ChannelOutboundHandlerAdapter {

    public static final String NAME = "mux-frame-encoder";

    public static final MuxFrameEncoder INSTANCE = new MuxFrameEncoder();

    private static final ByteBuf TRAILER = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(DataFrameLayout.TRAILER_LENGTH, DataFrameLayout.TRAILER_LENGTH)
                    .writeZero(DataFrameLayout.TRAILER_LENGTH)).asReadOnly();

    private MuxFrameEncoder() {}

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof DataFrame data) {
            ctx.write(encodeData(ctx.alloc(), data), promise);
        } else if (msg instanceof MuxFrame frame) {
            ctx.write(encodeControl(ctx.alloc(), frame), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    /** Encodes a data frame, taking over the caller's reference to it. */
    public static ByteBuf encodeData(ByteBufAllocator alloc, DataFrame data) {
        ByteBuf payload = data.content();
        ByteBuf header = alloc.ioBuffer(DataFrameLayout.MAX_HEADER_LENGTH);
        DataFrameLayout.writeHeader(header, data.streamId(), payload.readableBytes());
        CompositeByteBuf frame = alloc.compositeBuffer(3);
        frame.addComponents(true, header, payload, TRAILER.duplicate());
        return frame;
    }

    /** Encodes any frame with libthrift's generated code, behind its 4-byte length. */
    public static ByteBuf encodeControl(ByteBufAllocator alloc, MuxFrame frame) {
        ByteBuf out = alloc.ioBuffer(64);
        try {
            out.writeInt(0);
            ThriftStructs.write(frame, out);
            out.setInt(0, out.readableBytes() - Integer.BYTES);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
