package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.StreamData;

/**
 * Splits the mux byte stream into frames: a {@link DataFrame} whose content is a retained slice of
 * the read buffer for data, or the generated {@link MuxFrame} for everything else. Framing limits
 * and failure handling are {@link LengthPrefixedDecoder}'s; the session answers a
 * {@link MalformedFrameException} with a goaway and closes.
 */
public final class MuxFrameDecoder extends LengthPrefixedDecoder {

    public static final String NAME = "mux-frame-decoder";

    public MuxFrameDecoder(int maxFrameLength) {
        super(maxFrameLength);
    }

    @Override
    protected Object decodeFrame(ByteBuf in, int prefixIndex, int length) {
        return decode(in, prefixIndex + Integer.BYTES, length);
    }

    /** Decodes the frame in {@code in[start, start + length)}, without moving indexes. */
    static Object decode(ByteBuf in, int start, int length) {
        DataFrame data = sliceDataFrame(in, start, length);
        if (data != null) {
            return data;
        }
        MuxFrame frame = ThriftStructs.readUnion(new MuxFrame(), in.slice(start, length));
        if (frame.isSetData()) {
            // Valid but not in the canonical layout (e.g. a long varint): copy, correctness first.
            StreamData streamData = frame.getData();
            return new DataFrame(streamData.getStreamId(), Unpooled.wrappedBuffer(streamData.bufferForPayload()));
        }
        return frame;
    }

    /** The fast path: the canonical data layout, payload as a retained slice; null otherwise. */
    private static DataFrame sliceDataFrame(ByteBuf in, int start, int length) {
        int end = start + length;
        if (length < 6 || in.getByte(start) != DataFrameLayout.DATA_FIELD
                || in.getByte(start + 1) != DataFrameLayout.STREAM_ID_FIELD) {
            return null;
        }
        long streamIdVarint = DataFrameLayout.readVarint(in, start + 2, end);
        if (streamIdVarint < 0) {
            return null;
        }
        int index = start + 2 + (int) (streamIdVarint >>> 32);
        if (index >= end || in.getByte(index) != DataFrameLayout.PAYLOAD_FIELD) {
            return null;
        }
        long payloadVarint = DataFrameLayout.readVarint(in, index + 1, end);
        if (payloadVarint < 0) {
            return null;
        }
        int payloadStart = index + 1 + (int) (payloadVarint >>> 32);
        int payloadLength = (int) payloadVarint;
        if (payloadLength < 0 || payloadStart + payloadLength + DataFrameLayout.TRAILER_LENGTH != end
                || in.getByte(end - 2) != 0 || in.getByte(end - 1) != 0) {
            return null;
        }
        int streamId = DataFrameLayout.unzigzag((int) streamIdVarint);
        return new DataFrame(streamId, in.retainedSlice(payloadStart, payloadLength));
    }
}
