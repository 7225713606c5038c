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
 */
public final class ClientPacketCodec extends MessageToMessageCodec<ByteBuf, ClientPacket> {

    public static final String NAME = "client-packet-codec";

    @Override
    protected void encode(ChannelHandlerContext ctx, ClientPacket packet, List<Object> out) {
        out.add(ClientPackets.encode(ctx.alloc(), packet));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        out.add(ClientPackets.decode(frame));
    }

    @Override
    public boolean isSharable() {
        return true;
    }
}
