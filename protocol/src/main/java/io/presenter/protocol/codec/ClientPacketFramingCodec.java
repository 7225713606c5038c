package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.presenter.protocol.wire.ClientPacket;
import java.net.SocketAddress;

/**
 * {@link ClientPacketFrameDecoder} and {@link ClientPacketCodec} in one pipeline stage: splits a
 * client byte stream into packets, decodes each to a {@link ClientPacket}, and encodes outbound
 * packets. For a chat server that holds many idle streams: one stage instead of two is a handler
 * context and a codec less per stream (~90 bytes).
 *
 * <p>As the pair does: a length above the cap is rejected as soon as its prefix arrives; after the
 * first packet it cannot frame or decode it raises one {@link MalformedFrameException} and drops
 * everything after it. One instance per channel.
 *
 * <p>It counts the bytes of the packets it decoded and passed on ({@link #decodedBytes()}): read
 * between two reads, a packet boundary, which is what a chat server tells the presenter when it
 * hands a stream's session over.
 */
public final class ClientPacketFramingCodec extends LengthPrefixedDecoder implements ChannelOutboundHandler {

    public static final String NAME = "client-packet-framing-codec";

    private long decodedBytes;

    public ClientPacketFramingCodec(int maxPacketLength) {
        super(maxPacketLength);
    }

    /** Bytes (length prefixes included) of the packets passed on so far; read on the channel's event loop. */
    public long decodedBytes() {
        return decodedBytes;
    }

    @Override
    protected Object decodeFrame(ByteBuf in, int prefixIndex, int length) {
        // ClientPackets.decode copies what it keeps, so a slice of the cumulation is enough.
        ClientPacket packet = ClientPackets.decode(in.slice(prefixIndex, Integer.BYTES + length));
        decodedBytes += Integer.BYTES + length;
        return packet;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ClientPacketCodec.encodeAndWrite(ctx, msg, promise);
    }

    // ---- the rest of the outbound side passes through ----

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress,
            ChannelPromise promise) {
        ctx.connect(remoteAddress, localAddress, promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.disconnect(promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.close(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        ctx.flush();
    }
}
