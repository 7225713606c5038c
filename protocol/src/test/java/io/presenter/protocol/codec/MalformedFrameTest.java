package io.presenter.protocol.codec;

import static io.presenter.protocol.codec.LibthriftWire.framed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.ThreadMXBean;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.codec.MalformedFrameException.Reason;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.Ping;
import io.presenter.protocol.wire.WindowUpdate;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way a frame can be malformed gets its own {@link Reason} and a message that says what was
 * wrong; after a framing error nothing more is decoded or buffered, and nothing leaks.
 */
class MalformedFrameTest {

    private static final int MAX_LENGTH = 1024;

    /** The two length-prefixed wires, each with a frame that would decode fine on its own. */
    enum Wire {
        MUX(() -> new EmbeddedChannel(new MuxFrameDecoder(MAX_LENGTH)),
                framed(MuxFrame.ping(new Ping(1L, false)))),
        CLIENT(() -> new EmbeddedChannel(new ClientPacketFrameDecoder(MAX_LENGTH), new ClientPacketCodec()),
                framed(ClientPacket.ping(new Heartbeat(1L)))),
        /** The same wire through the one-stage {@link ClientPacketFramingCodec}. */
        CLIENT_ONE_STAGE(() -> new EmbeddedChannel(new ClientPacketFramingCodec(MAX_LENGTH)),
                framed(ClientPacket.ping(new Heartbeat(1L))));

        private final Supplier<EmbeddedChannel> channel;
        private final byte[] validFrame;

        Wire(Supplier<EmbeddedChannel> channel, byte[] validFrame) {
            this.channel = channel;
            this.validFrame = validFrame;
        }
    }

    static Stream<Arguments> badLengths() {
        return Stream.of(
                Arguments.of("zero length", prefix(0), Reason.BAD_LENGTH, "frame length 0 outside [2, 1024]"),
                Arguments.of("length 1", bytes(0, 0, 0, 1, 0), Reason.BAD_LENGTH, "frame length 1 outside"),
                Arguments.of("negative length", prefix(-1), Reason.BAD_LENGTH, "frame length -1 outside"),
                Arguments.of("one byte too long", prefix(MAX_LENGTH + 1), Reason.TOO_LONG,
                        "frame length 1025 outside [2, 1024]"));
    }

    static Stream<Arguments> badMuxFrames() {
        byte[] windowUpdate = framed(MuxFrame.windowUpdate(new WindowUpdate(0, 65_536)));
        return Stream.of(
                Arguments.of("unknown frame type", unionWithStruct(11), Reason.UNKNOWN_TYPE,
                        "MuxFrame has no member with field id 11 and wire type 12"),
                Arguments.of("unknown frame type, long field header", unionWithStruct(300), Reason.UNKNOWN_TYPE,
                        "MuxFrame has no member with field id 300 and wire type 12"),
                Arguments.of("known frame type with the wrong wire type",
                        unionWith((short) 6, TType.I32, protocol -> protocol.writeI32(5)),
                        Reason.UNKNOWN_TYPE, "MuxFrame has no member with field id 6 and wire type 8"),
                Arguments.of("truncated struct", truncated(windowUpdate, 3), Reason.INVALID_STRUCT,
                        "MuxFrame: truncated struct"),
                Arguments.of("binary longer than the frame", dataFrameDeclaring(2_000_000_000),
                        Reason.INVALID_STRUCT, "declared length 2000000000 exceeds the 3 bytes left in the frame"),
                Arguments.of("negative binary length", dataFrameDeclaring(-5), Reason.INVALID_STRUCT,
                        "Negative length: -5"),
                Arguments.of("extra bytes after the struct", withExtraByte(windowUpdate), Reason.INVALID_STRUCT,
                        "1 bytes left after MuxFrame"),
                Arguments.of("unknown frame type nested deeper than libthrift skips", deeplyNestedUnknownMember(),
                        Reason.INVALID_STRUCT, "Maximum skip depth exceeded"),
                Arguments.of("missing required field", unionWithStruct(6), Reason.INVALID_STRUCT,
                        "Required field 'increment' was not found"));
    }

    static Stream<Arguments> badClientPackets() {
        byte[] ping = framed(ClientPacket.ping(new Heartbeat(3L)));
        return Stream.of(
                Arguments.of("unknown packet type", unionWithStruct(12), Reason.UNKNOWN_TYPE,
                        "ClientPacket has no member with field id 12 and wire type 12"),
                Arguments.of("auth packet without its token",
                        unionWith((short) 1, TType.STRUCT, MalformedFrameTest::authWithoutToken),
                        Reason.INVALID_STRUCT, "Required field 'token'"),
                Arguments.of("truncated struct", truncated(ping, 2), Reason.INVALID_STRUCT,
                        "ClientPacket: truncated struct"),
                Arguments.of("extra bytes after the struct", withExtraByte(ping), Reason.INVALID_STRUCT,
                        "1 bytes left after ClientPacket"));
    }

    static Stream<Arguments> badLengthsOnEachWire() {
        return Arrays.stream(Wire.values()).flatMap(wire -> badLengths().map(arguments ->
                Arguments.of(Stream.concat(Stream.of(wire), Arrays.stream(arguments.get())).toArray())));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badLengthsOnEachWire")
    void badLengthIsRejectedAndTheRestDiscarded(
            Wire wire, String description, byte[] bytes, Reason reason, String message) {
        assertRejectedThenDiscarding(wire, bytes, reason, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badMuxFrames")
    void badMuxFrameIsRejectedAndTheRestDiscarded(String description, byte[] bytes, Reason reason, String message) {
        assertRejectedThenDiscarding(Wire.MUX, bytes, reason, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badClientPackets")
    void badClientPacketIsRejectedAndTheRestDiscarded(
            String description, byte[] bytes, Reason reason, String message) {
        assertRejectedThenDiscarding(Wire.CLIENT, bytes, reason, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badClientPackets")
    void badClientPacketIsRejectedAndTheRestDiscardedInOneStage(
            String description, byte[] bytes, Reason reason, String message) {
        assertRejectedThenDiscarding(Wire.CLIENT_ONE_STAGE, bytes, reason, message);
    }

    /** The cap holds before any of the frame arrives: only the prefix is ever looked at. */
    @ParameterizedTest
    @EnumSource(Wire.class)
    void tooLongIsRejectedOnTheLengthPrefixAlone(Wire wire) {
        EmbeddedChannel channel = wire.channel.get();
        assertRejected(channel, Unpooled.wrappedBuffer(prefix(Integer.MAX_VALUE)), Reason.TOO_LONG,
                "frame length 2147483647 outside [2, 1024]");
        assertDiscards(channel, Unpooled.wrappedBuffer(new byte[64 * 1024]));
    }

    /** The generic path asks the transport before allocating, so a forged length allocates nothing. */
    @Test
    void forgedBinaryLengthAllocatesNothingNearIt() {
        EmbeddedChannel channel = Wire.MUX.channel.get();
        ByteBuf forged = Unpooled.wrappedBuffer(dataFrameDeclaring(Integer.MAX_VALUE - 8));
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();

        assertThatThrownBy(() -> channel.writeInbound(forged)).isInstanceOf(MalformedFrameException.class);

        assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(1 << 20);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    /** Rejects {@code bytes} followed, in the same read, by a valid frame; then discards a later read. */
    private static void assertRejectedThenDiscarding(Wire wire, byte[] bytes, Reason reason, String message) {
        EmbeddedChannel channel = wire.channel.get();
        assertRejected(channel, Unpooled.wrappedBuffer(bytes, wire.validFrame), reason, message);
        assertDiscards(channel, Unpooled.wrappedBuffer(wire.validFrame));
    }

    private static void assertRejected(EmbeddedChannel channel, ByteBuf read, Reason reason, String message) {
        assertThatThrownBy(() -> channel.writeInbound(read))
                .isInstanceOfSatisfying(MalformedFrameException.class,
                        e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(reason.tag() + ": ")
                .hasMessageContaining(message);
        assertThat(read.refCnt()).as("rejected read released").isZero();
        assertThat((Object) channel.readInbound()).as("nothing decoded").isNull();
    }

    /** After an error the decoder neither decodes nor keeps what arrives. */
    private static void assertDiscards(EmbeddedChannel channel, ByteBuf read) {
        assertThat(channel.writeInbound(read)).isFalse();
        assertThat(read.refCnt()).as("later read released, not buffered").isZero();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    /** What libthrift's generated code refuses to write: an auth packet without field 3. */
    private static void authWithoutToken(TProtocol protocol) throws TException {
        protocol.writeStructBegin(new TStruct("AuthPacket"));
        protocol.writeFieldBegin(new TField("userId", TType.I64, (short) 1));
        protocol.writeI64(1L);
        protocol.writeFieldEnd();
        protocol.writeFieldBegin(new TField("coupleId", TType.I64, (short) 2));
        protocol.writeI64(2L);
        protocol.writeFieldEnd();
        protocol.writeFieldBegin(new TField("clientVersion", TType.STRING, (short) 4));
        protocol.writeString("v");
        protocol.writeFieldEnd();
        protocol.writeFieldStop();
        protocol.writeStructEnd();
    }

    private static void oneI32Field(TProtocol protocol) throws TException {
        protocol.writeStructBegin(new TStruct("Unknown"));
        protocol.writeFieldBegin(new TField("streamId", TType.I32, (short) 1));
        protocol.writeI32(7);
        protocol.writeFieldEnd();
        protocol.writeFieldStop();
        protocol.writeStructEnd();
    }

    /** A union whose only member, field {@code id}, is a struct with one i32 field 1. */
    private static byte[] unionWithStruct(int id) {
        return unionWith((short) id, TType.STRUCT, MalformedFrameTest::oneI32Field);
    }

    /** A union whose only member has field id {@code id} and wire type {@code type}. */
    private static byte[] unionWith(short id, byte type, LibthriftWire.StructWriter value) {
        return framed(protocol -> {
            protocol.writeStructBegin(new TStruct("Union"));
            protocol.writeFieldBegin(new TField("member", type, id));
            value.write(protocol);
            protocol.writeFieldEnd();
            protocol.writeFieldStop();
            protocol.writeStructEnd();
        });
    }

    /** Member 10 holding a struct in a struct in a struct...: skipping it must not exhaust the stack. */
    private static byte[] deeplyNestedUnknownMember() {
        byte[] frame = new byte[500];
        Arrays.fill(frame, (byte) 0x1C); // field delta 1, type struct
        frame[0] = (byte) 0xAC; // field 10, type struct
        return LibthriftWire.withLengthPrefix(frame);
    }

    /** A data frame whose payload claims {@code declaredLength} bytes but carries three. */
    private static byte[] dataFrameDeclaring(int declaredLength) {
        ByteBuf frame = Unpooled.buffer()
                .writeByte(DataFrameLayout.DATA_FIELD)
                .writeByte(DataFrameLayout.STREAM_ID_FIELD)
                .writeByte(DataFrameLayout.zigzag(1))
                .writeByte(DataFrameLayout.PAYLOAD_FIELD);
        DataFrameLayout.writeVarint(frame, declaredLength);
        frame.writeBytes(new byte[] {1, 2, 3});
        return LibthriftWire.withLengthPrefix(Bytes.drain(frame));
    }

    /** {@code framed} without its last {@code cut} bytes, the prefix saying so. */
    private static byte[] truncated(byte[] framed, int cut) {
        return LibthriftWire.withLengthPrefix(Arrays.copyOfRange(framed, Integer.BYTES, framed.length - cut));
    }

    private static byte[] withExtraByte(byte[] framed) {
        byte[] frame = Arrays.copyOfRange(framed, Integer.BYTES, framed.length + 1);
        frame[frame.length - 1] = 0x2A;
        return LibthriftWire.withLengthPrefix(frame);
    }

    private static byte[] prefix(int length) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(length).array();
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }
}
