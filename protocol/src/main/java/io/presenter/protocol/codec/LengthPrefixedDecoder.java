package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.presenter.protocol.codec.MalformedFrameException.Reason;
import java.util.List;

/**
 * Thrift framed-transport framing (4-byte big-endian length, then the frame) with a hard cap.
 *
 * <p>A length above the cap is rejected as soon as the prefix arrives, before any of the frame is
 * buffered. After the first malformed frame the byte stream's framing cannot be trusted, so the
 * decoder raises one {@link MalformedFrameException} and silently discards everything after it;
 * the handler behind it reports the reason and closes.
 */
abstract class LengthPrefixedDecoder extends ByteToMessageDecoder {

    /** Shortest possible frame: a union field header plus a struct stop byte. */
    private static final int MIN_FRAME_LENGTH = 2;

    private final int maxFrameLength;
    private boolean failed;

    LengthPrefixedDecoder(int maxFrameLength) {
        if (maxFrameLength < MIN_FRAME_LENGTH) {
            throw new IllegalArgumentException("maxFrameLength " + maxFrameLength);
        }
        this.maxFrameLength = maxFrameLength;
    }

    /** Largest frame length (not counting the 4-byte prefix) this decoder accepts. */
    public final int maxFrameLength() {
        return maxFrameLength;
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.readableBytes() >= Integer.BYTES) {
            int length = in.getInt(in.readerIndex());
            if (length < MIN_FRAME_LENGTH || length > maxFrameLength) {
                throw fail(in, new MalformedFrameException(
                        length < MIN_FRAME_LENGTH ? Reason.BAD_LENGTH : Reason.TOO_LONG,
                        "frame length " + length + " outside [" + MIN_FRAME_LENGTH + ", "
                                + maxFrameLength + "]"));
            }
            if (in.readableBytes() < Integer.BYTES + length) {
                return;
            }
            int prefix = in.readerIndex();
            in.skipBytes(Integer.BYTES + length);
            try {
                out.add(decodeFrame(in, prefix, length));
            } catch (MalformedFrameException e) {
                throw fail(in, e);
            }
            if (isSingleDecode()) {
                return;
            }
        }
    }

    private MalformedFrameException fail(ByteBuf in, MalformedFrameException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return e;
    }

    /**
     * Decodes the frame whose length prefix starts at {@code prefixIndex} in {@code in}; the reader
     * index is already past the frame. Returns the message to pass on.
     *
     * @throws MalformedFrameException if the frame is not acceptable
     */
    protected abstract Object decodeFrame(ByteBuf in, int prefixIndex, int length);
}
