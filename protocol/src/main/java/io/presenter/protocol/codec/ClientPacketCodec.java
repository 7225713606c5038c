package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.presenter.protocol.wire.ClientPacket;
import java.util.List;

/**
 * Turns framed packets from {@link ClientPacketFrameDecoder} into {@link ClientPacket}s and
 * outbound {@link ClientPacket}s into framed bytes. Used by chat servers and clients; the
 * presenter never decodes past the auth packet.
 *
 * <p>After the first packet it cannot decode it drops every later one: the handler behind it
 * closes the connection on that error, and one 64 KiB read of tiny bad packets would otherwise
 * raise thousands of exceptions first (a CPU amplification fuzzing found). So: one instance per
 * channel.
 */
public final class ClientPacketCodec extends MessageToMessageCodec<ByteBuf, ClientPacket> {

    public static final String NAME = "client-packet-codec";

    private boolean failed;

    @Override
    protected void encode(ChannelHandlerContext ctx, ClientPacket packet, List<Object> out) {
        out.add(ClientPackets.encode(ctx.alloc(), packet));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        if (failed) {
            return; // the frame is released by MessageToMessageDecoder
        }
        try {
            out.add(ClientPackets.decode(frame));
        } catch (MalformedFrameException e) {
            failed = true;
            throw e;
        }
    }
}
