package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;

/**
 * Splits a client byte stream into packets, each passed on as a {@link ByteBuf} holding the exact
 * bytes of the packet <em>including</em> its 4-byte length prefix, so the presenter can forward
 * the auth packet byte for byte. Oversized or malformed lengths are rejected before buffering.
 */
public final class ClientPacketFrameDecoder extends LengthPrefixedDecoder {

    public static final String NAME = "client-packet-frame-decoder";

    /** Default cap for one client packet: generous for chat text, small for an attacker. */
    public static final int DEFAULT_MAX_PACKET_LENGTH = 64 * 1024;

    public ClientPacketFrameDecoder(int maxPacketLength) {
        super(maxPacketLength);
    }

    @Override
    protected Object decodeFrame(ByteBuf in, int prefixIndex, int length) {
        return in.retainedSlice(prefixIndex, Integer.BYTES + length);
    }
}
