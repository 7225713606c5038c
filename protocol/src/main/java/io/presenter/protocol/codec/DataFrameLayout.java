package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;

/**
 * The compact-protocol bytes libthrift writes for {@code MuxFrame{data: StreamData{streamId,
 * payload}}}, spelled out so the codec can write a header in front of the payload buffer and slice
 * the payload out of the read buffer without copying it:
 *
 * <pre>
 *   0x1C                 field 1 (data), type struct
 *   0x15 zigzag-varint   field 1 (streamId), type i32
 *   0x18 varint          field 2 (payload), type binary, then the length
 *   payload bytes
 *   0x00                 end of StreamData
 *   0x00                 end of MuxFrame
 * </pre>
 */
final class DataFrameLayout {

    static final byte DATA_FIELD = 0x1C;
    static final byte STREAM_ID_FIELD = 0x15;
    static final byte PAYLOAD_FIELD = 0x18;
    static final int TRAILER_LENGTH = 2;
    /** Length prefix plus the largest header: 4 + 1 + 1 + 5 + 1 + 5. */
    static final int MAX_HEADER_LENGTH = 17;

    private DataFrameLayout() {}

    /** Frame length (after the 4-byte prefix) for a data frame carrying {@code payloadLength}. */
    static int frameLength(int streamId, int payloadLength) {
        return 1 + 1 + varintSize(zigzag(streamId)) + 1 + varintSize(payloadLength) + payloadLength
                + TRAILER_LENGTH;
    }

    /** Writes the length prefix and every byte before the payload. */
    static void writeHeader(ByteBuf out, int streamId, int payloadLength) {
        out.writeInt(frameLength(streamId, payloadLength));
        out.writeByte(DATA_FIELD);
        out.writeByte(STREAM_ID_FIELD);
        writeVarint(out, zigzag(streamId));
        out.writeByte(PAYLOAD_FIELD);
        writeVarint(out, payloadLength);
    }

    static int zigzag(int n) {
        return (n << 1) ^ (n >> 31);
    }

    static int unzigzag(int n) {
        return (n >>> 1) ^ -(n & 1);
    }

    /** Bytes an unsigned varint32 takes: 7 value bits per byte. */
    static int varintSize(int value) {
        if ((value & 0xFFFFFF80) == 0) {
            return 1;
        }
        if ((value & 0xFFFFC000) == 0) {
            return 2;
        }
        if ((value & 0xFFE00000) == 0) {
            return 3;
        }
        return (value & 0xF0000000) == 0 ? 4 : 5;
    }

    static void writeVarint(ByteBuf out, int value) {
        while ((value & ~0x7F) != 0) {
            out.writeByte((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.writeByte(value);
    }

    /**
     * Reads an unsigned varint32 at {@code index}, returning the value in the low 32 bits and the
     * number of bytes used in the high 32 bits, or -1 if the bytes up to {@code end} do not hold a
     * canonical varint32.
     */
    static long readVarint(ByteBuf in, int index, int end) {
        int value = 0;
        for (int i = 0; i < 5 && index + i < end; i++) {
            byte b = in.getByte(index + i);
            value |= (b & 0x7F) << (7 * i);
            if (b >= 0) {
                return ((long) (i + 1) << 32) | (value & 0xFFFFFFFFL);
            }
        }
        return -1;
    }
}
