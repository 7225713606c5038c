package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.presenter.protocol.codec.MalformedFrameException.Reason;
import io.presenter.protocol.wire.ClientPacket;

/** Encodes and decodes whole client packets (4-byte length prefix + compact ClientPacket). */
public final class ClientPackets {

    private ClientPackets() {}

    /** Writes {@code packet} with its length prefix into a new buffer. */
    public static ByteBuf encode(ByteBufAllocator alloc, ClientPacket packet) {
        ByteBuf out = alloc.buffer(64);
        try {
            encode(packet, out);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /** Appends {@code packet} with its length prefix to {@code out}. */
    public static void encode(ClientPacket packet, ByteBuf out) {
        int prefix = out.writerIndex();
        out.writeInt(0);
        ThriftStructs.write(packet, out);
        out.setInt(prefix, out.writerIndex() - prefix - Integer.BYTES);
    }

    /**
     * Decodes one framed packet as produced by {@link ClientPacketFrameDecoder} (prefix included),
     * without consuming {@code frame}.
     *
     * @throws MalformedFrameException if the bytes are not one known client packet
     */
    public static ClientPacket decode(ByteBuf frame) {
        if (frame.readableBytes() < Integer.BYTES) {
            throw new MalformedFrameException(Reason.BAD_LENGTH,
                    "packet of " + frame.readableBytes() + " bytes has no length prefix");
        }
        int length = frame.getInt(frame.readerIndex());
        if (length != frame.readableBytes() - Integer.BYTES) {
            throw new MalformedFrameException(Reason.BAD_LENGTH, "prefix says " + length
                    + " bytes, frame has " + (frame.readableBytes() - Integer.BYTES));
        }
        return ThriftStructs.readUnion(new ClientPacket(),
                frame.slice(frame.readerIndex() + Integer.BYTES, length));
    }
}
