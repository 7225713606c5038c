package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TProtocol;

/** Reads and writes generated Thrift structs with the compact protocol, straight on ByteBufs. */
final class ThriftStructs {

    private ThriftStructs() {}

    static void write(TBase<?, ?> struct, ByteBuf out) {
        try {
            struct.write(new TCompactProtocol(new ByteBufTransport(out)));
        } catch (TException e) {
            // Only a struct missing a required field gets here: a bug in the caller, not input.
            throw new IllegalArgumentException("cannot encode " + struct.getClass().getSimpleName()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code struct} from exactly the readable bytes of {@code frame}.
     *
     * @throws MalformedFrameException if the bytes are not one valid struct, or leave bytes over
     */
    static void read(TBase<?, ?> struct, ByteBuf frame) {
        int length = frame.readableBytes();
        TProtocol protocol = new TCompactProtocol(new ByteBufTransport(frame), length, length);
        try {
            struct.read(protocol); // generated read() validates required fields itself
        } catch (TException | RuntimeException e) {
            // libthrift throws runtime exceptions too (e.g. on unknown enum values in unions).
            throw new MalformedFrameException(MalformedFrameException.Reason.INVALID_STRUCT,
                    struct.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
        if (frame.isReadable()) {
            throw new MalformedFrameException(MalformedFrameException.Reason.INVALID_STRUCT,
                    frame.readableBytes() + " bytes left after " + struct.getClass().getSimpleName());
        }
    }
}
