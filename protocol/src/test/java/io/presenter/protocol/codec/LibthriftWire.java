package io.presenter.protocol.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TMemoryBuffer;

/**
 * The reference the codec is held to: bytes written by libthrift itself ({@link TCompactProtocol}
 * over a {@link TMemoryBuffer}) behind Thrift framed transport's 4-byte big-endian length.
 */
public final class LibthriftWire {

    /** Writes one struct's fields with libthrift's protocol calls. */
    @FunctionalInterface
    public interface StructWriter {
        void write(TProtocol protocol) throws TException;
    }

    private LibthriftWire() {}

    /** What libthrift's generated code writes for {@code struct}, length prefix included. */
    public static byte[] framed(TBase<?, ?> struct) {
        return framed(struct::write);
    }

    /** What {@code writer} writes through libthrift's compact protocol, length prefix included. */
    public static byte[] framed(StructWriter writer) {
        try {
            TMemoryBuffer buffer = new TMemoryBuffer(64);
            writer.write(new TCompactProtocol(buffer));
            return withLengthPrefix(Arrays.copyOf(buffer.getArray(), buffer.length()));
        } catch (TException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads {@code struct} from framed bytes with libthrift alone. */
    public static <T extends TBase<?, ?>> T read(T struct, byte[] framed) {
        try {
            TMemoryBuffer buffer = new TMemoryBuffer(framed.length);
            buffer.write(framed, Integer.BYTES, framed.length - Integer.BYTES);
            struct.read(new TCompactProtocol(buffer));
            return struct;
        } catch (TException e) {
            throw new AssertionError(e);
        }
    }

    public static byte[] withLengthPrefix(byte[] frame) {
        return ByteBuffer.allocate(Integer.BYTES + frame.length).putInt(frame.length).put(frame).array();
    }
}
