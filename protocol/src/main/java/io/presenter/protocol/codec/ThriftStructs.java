package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;
import io.presenter.protocol.codec.MalformedFrameException.Reason;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.TUnion;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TProtocol;

/**
 * Reads and writes generated Thrift structs with the compact protocol, on ByteBufs.
 *
 * <p>Each thread keeps one protocol for reading and one for writing, pointed at the frame of the
 * moment: a new {@code TCompactProtocol} costs about 400 bytes (a 256-byte skip buffer, a field
 * stack), and every mux frame and client packet went through one. Allocation stays bounded without
 * per-frame length limits: libthrift asks the transport before it allocates a string, binary or
 * container, and {@link ByteBufTransport} answers with the bytes left in the frame.
 *
 * <p>The compact protocol goes through its transport a field, and often a byte, at a time. On a
 * pooled buffer under Netty's leak detection (paranoid in every test JVM) each of those calls
 * records a stack trace: dozens per client packet, which made the chat server of
 * ListenerHandoverTest (in the test JVM with a thousand chatting clients) fall seconds to tens of
 * seconds behind on its event loops on the loaded machine, so that a new presenter's mux
 * connection waited that long for its preface (RELIABILITY.md, handover note). So a struct is
 * decoded through one untracked view of its frame and encoded into the thread's heap scratch
 * buffer, then written out whole: one access of the pooled buffer each way (70 to 25 us of CPU per
 * encode plus decode at paranoid level; about 0.4-0.5 us either way without it).
 */
final class ThriftStructs {

    private static final FastThreadLocal<Codec> READER = new FastThreadLocal<>() {
        @Override
        protected Codec initialValue() {
            return new Codec();
        }
    };
    private static final FastThreadLocal<Codec> WRITER = new FastThreadLocal<>() {
        @Override
        protected Codec initialValue() {
            return new Codec();
        }
    };

    private static final int SCRATCH_BYTES = 256;
    private static final int MAX_KEPT_SCRATCH_BYTES = 64 * 1024;

    private ThriftStructs() {}

    /** A protocol on a retargetable transport, and whether a call on this thread is using it. */
    private static final class Codec {
        final ByteBufTransport transport = new ByteBufTransport(null);
        final TCompactProtocol protocol = new TCompactProtocol(transport);
        boolean busy;
        private ByteBuf scratch = Unpooled.buffer(SCRATCH_BYTES);

        /**
         * This thread's heap buffer to encode into, emptied; a fresh one if a call further up uses
         * it, or if the last struct grew it past {@link #MAX_KEPT_SCRATCH_BYTES} (not kept forever).
         */
        ByteBuf scratch() {
            if (busy) {
                return Unpooled.buffer(SCRATCH_BYTES);
            }
            if (scratch.capacity() > MAX_KEPT_SCRATCH_BYTES) {
                scratch = Unpooled.buffer(SCRATCH_BYTES);
            }
            return scratch.clear();
        }

        /** This thread's protocol on {@code buf}, or a fresh one if a call further up uses it. */
        TCompactProtocol on(ByteBuf buf) {
            if (busy) {
                return new TCompactProtocol(new ByteBufTransport(buf));
            }
            busy = true;
            transport.target(buf);
            protocol.reset();
            return protocol;
        }

        void done(TCompactProtocol used) {
            if (used == protocol) {
                transport.target(null);  // hold no frame between calls
                busy = false;
            }
        }
    }

    static void write(TBase<?, ?> struct, ByteBuf out) {
        Codec codec = WRITER.get();
        ByteBuf heap = codec.scratch();
        TCompactProtocol protocol = codec.on(heap);
        try {
            struct.write(protocol);
            out.writeBytes(heap);
        } catch (TException e) {
            WRITER.remove();
            // Only a struct missing a required field gets here: a bug in the caller, not input.
            throw new IllegalArgumentException("cannot encode " + struct.getClass().getSimpleName()
                    + ": " + e.getMessage(), e);
        } finally {
            codec.done(protocol);
        }
    }

    /**
     * Reads {@code union} from exactly the readable bytes of {@code frame} and insists that it
     * names a member this version knows.
     *
     * @throws MalformedFrameException if the bytes are not one valid struct, leave bytes over, or
     *     name an unknown member
     */
    static <T extends TUnion<?, ?>> T readUnion(T union, ByteBuf frame) {
        // libthrift skips a member it does not know (or one with the wrong wire type) and leaves
        // the union empty; only the field header says which member it was, so keep a view of it.
        ByteBuf header = frame.duplicate();
        read(union, frame);
        if (union.getSetField() == null) {
            throw new MalformedFrameException(Reason.UNKNOWN_TYPE, union.getClass().getSimpleName()
                    + " has no member " + describeFirstField(header));
        }
        return union;
    }

    /**
     * Reads {@code struct} from exactly the readable bytes of {@code frame}.
     *
     * @throws MalformedFrameException if the bytes are not one valid struct, or leave bytes over
     */
    static void read(TBase<?, ?> struct, ByteBuf frame) {
        int length = frame.readableBytes();
        // One view of the frame's bytes (no copy unless the frame is a composite); the transport
        // copies what a struct keeps (binary fields), so nothing decoded aliases pooled memory.
        ByteBuf view = Unpooled.wrappedBuffer(frame.nioBuffer());
        Codec codec = READER.get();
        TCompactProtocol protocol = codec.on(view);
        try {
            struct.read(protocol); // generated read() validates required fields itself
        } catch (TException | RuntimeException e) {
            // A read that failed half-way may leave state behind in the protocol (field stack,
            // recursion depth): the next frame gets a fresh one.
            READER.remove();
            // libthrift throws runtime exceptions too (e.g. on unknown enum values in unions).
            throw new MalformedFrameException(Reason.INVALID_STRUCT,
                    struct.getClass().getSimpleName() + ": " + e.getMessage(), e);
        } finally {
            codec.done(protocol);
            frame.skipBytes(length - view.readableBytes());
        }
        if (frame.isReadable()) {
            throw new MalformedFrameException(Reason.INVALID_STRUCT,
                    frame.readableBytes() + " bytes left after " + struct.getClass().getSimpleName());
        }
    }

    /** "with field id N and wire type T" for the first field header of an already valid struct. */
    private static String describeFirstField(ByteBuf struct) {
        TProtocol protocol = new TCompactProtocol(new ByteBufTransport(struct));
        try {
            protocol.readStructBegin();
            TField field = protocol.readFieldBegin();
            return "with field id " + field.id + " and wire type " + field.type;
        } catch (TException e) {
            throw new IllegalStateException("struct was valid a moment ago", e);
        }
    }
}
