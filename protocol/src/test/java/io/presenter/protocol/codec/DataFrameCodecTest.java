package io.presenter.protocol.codec;

import static io.presenter.protocol.codec.Bytes.drain;
import static io.presenter.protocol.codec.LibthriftWire.framed;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.Ping;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hand-written data frame path against libthrift: same bytes out, same frames in, at every
 * varint width boundary of the stream id (zigzag) and payload length, without copying payloads.
 */
class DataFrameCodecTest {

    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    private static final int MAX_LENGTH = 1 << 20;
    /** Zigzag varint widths 1..5 bytes, positive and negative. */
    private static final int[] STREAM_IDS = {1, 63, 64, 8191, 8192, Integer.MAX_VALUE, -1, -64, -65,
            Integer.MIN_VALUE};
    /** Varint widths 1..3 bytes for the payload length, each side of the boundary. */
    private static final int[] PAYLOAD_SIZES = {0, 1, 127, 128, 16383, 16384, 65536};

    private final EmbeddedChannel channel = new EmbeddedChannel(new MuxFrameDecoder(MAX_LENGTH));

    @AfterEach
    void noFrameLeftBehind() {
        assertThat(channel.finishAndReleaseAll()).as("unread frames").isFalse();
    }

    static Stream<Arguments> streamIdsAndSizes() {
        return Arrays.stream(STREAM_IDS).boxed().flatMap(streamId ->
                Arrays.stream(PAYLOAD_SIZES).mapToObj(size -> Arguments.of(streamId, size)));
    }

    /**
     * Every stream id with the short payloads, the long ones with one stream id: feeding 64 KiB a
     * byte at a time takes seconds, and past the header a longer payload exercises nothing new.
     */
    static Stream<Arguments> streamIdsAndSizesForByteAtATime() {
        return streamIdsAndSizes().filter(arguments ->
                (int) arguments.get()[1] <= 128 || (int) arguments.get()[0] == 8192);
    }

    static IntStream nonEmptySizes() {
        return Arrays.stream(PAYLOAD_SIZES).filter(size -> size > 0);
    }

    @ParameterizedTest(name = "stream {0}, {1} bytes")
    @MethodSource("streamIdsAndSizes")
    void encoderWritesLibthriftsBytes(int streamId, int size) {
        byte[] payload = payload(size);
        ByteBuf encoded = MuxFrameEncoder.encodeData(ALLOC, new DataFrame(streamId, pooled(payload)));
        assertThat(drain(encoded)).isEqualTo(framed(MuxFrames.data(streamId, payload)));
    }

    @ParameterizedTest(name = "stream {0}, {1} bytes")
    @MethodSource("streamIdsAndSizes")
    void decoderReadsLibthriftsBytes(int streamId, int size) {
        byte[] payload = payload(size);
        channel.writeInbound(pooled(framed(MuxFrames.data(streamId, payload))));
        assertDataFrame(channel.readInbound(), streamId, payload);
    }

    @ParameterizedTest(name = "stream {0}, {1} bytes")
    @MethodSource("streamIdsAndSizesForByteAtATime")
    void decoderReassemblesAFrameReadOneByteAtATime(int streamId, int size) {
        byte[] payload = payload(size);
        byte[] framed = framed(MuxFrames.data(streamId, payload));
        for (int i = 0; i < framed.length - 1; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(framed, i, 1));
            assertThat((Object) channel.readInbound()).as("frame before its last byte").isNull();
        }
        channel.writeInbound(Unpooled.wrappedBuffer(framed, framed.length - 1, 1));
        assertDataFrame(channel.readInbound(), streamId, payload);
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("nonEmptySizes")
    void decodedPayloadSharesMemoryWithTheReadBuffer(int size) {
        byte[] payload = payload(size);
        ByteBuf read = pooled(framed(MuxFrames.data(3, payload)));
        int payloadIndex = read.writerIndex() - DataFrameLayout.TRAILER_LENGTH - size;
        channel.writeInbound(read.retain()); // our reference lets us write to it afterwards
        DataFrame frame = channel.readInbound();
        try {
            read.setByte(payloadIndex, ~payload[0]);
            assertThat(frame.content().getByte(frame.content().readerIndex())).isEqualTo((byte) ~payload[0]);
        } finally {
            frame.release();
            read.release();
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("nonEmptySizes")
    void encodedFrameSharesMemoryWithThePayload(int size) {
        byte[] payload = payload(size);
        ByteBuf content = pooled(payload);
        ByteBuf encoded = MuxFrameEncoder.encodeData(ALLOC, new DataFrame(5, content.retain()));
        try {
            content.setByte(0, ~payload[0]);
            int payloadIndex = encoded.writerIndex() - DataFrameLayout.TRAILER_LENGTH - size;
            assertThat(encoded.getByte(payloadIndex)).isEqualTo((byte) ~payload[0]);
        } finally {
            encoded.release();
            content.release();
        }
    }

    @Test
    void decoderSplitsBackToBackFramesFromOneRead() {
        byte[] first = payload(300);
        byte[] second = payload(0);
        MuxFrame ping = MuxFrame.ping(new Ping(9L, false));
        channel.writeInbound(pooled(Bytes.concat(framed(MuxFrames.data(1, first)), framed(ping),
                framed(MuxFrames.data(3, second)))));

        assertDataFrame(channel.readInbound(), 1, first);
        assertThat((Object) channel.readInbound()).isEqualTo(ping);
        assertDataFrame(channel.readInbound(), 3, second);
    }

    /**
     * Valid libthrift encodings the fast path does not recognise still decode, through libthrift:
     * fields out of id order, and a field a newer peer added to {@code StreamData}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nonCanonicalDataFrames")
    void decoderAcceptsNonCanonicalDataFrames(String description, byte[] framed) {
        byte[] payload = {7, 8, 9};
        assertThat(framed).isNotEqualTo(framed(MuxFrames.data(77, payload)));
        channel.writeInbound(pooled(framed));
        assertDataFrame(channel.readInbound(), 77, payload);
    }

    static Stream<Arguments> nonCanonicalDataFrames() {
        ByteBuffer payload = ByteBuffer.wrap(new byte[] {7, 8, 9});
        TField streamId = new TField("streamId", TType.I32, (short) 1);
        TField payloadField = new TField("payload", TType.STRING, (short) 2);
        return Stream.of(
                Arguments.of("payload before streamId", dataFrame(protocol -> {
                    protocol.writeFieldBegin(payloadField);
                    protocol.writeBinary(payload.duplicate());
                    protocol.writeFieldEnd();
                    protocol.writeFieldBegin(streamId);
                    protocol.writeI32(77);
                    protocol.writeFieldEnd();
                })),
                Arguments.of("unknown field 3 after payload", dataFrame(protocol -> {
                    protocol.writeFieldBegin(streamId);
                    protocol.writeI32(77);
                    protocol.writeFieldEnd();
                    protocol.writeFieldBegin(payloadField);
                    protocol.writeBinary(payload.duplicate());
                    protocol.writeFieldEnd();
                    protocol.writeFieldBegin(new TField("priority", TType.STRING, (short) 3));
                    protocol.writeString("high");
                    protocol.writeFieldEnd();
                })));
    }

    /** A {@code MuxFrame{data: StreamData{...}}} whose StreamData fields {@code fields} writes. */
    private static byte[] dataFrame(LibthriftWire.StructWriter fields) {
        return framed(protocol -> {
            protocol.writeStructBegin(new TStruct("MuxFrame"));
            protocol.writeFieldBegin(new TField("data", TType.STRUCT, (short) 1));
            protocol.writeStructBegin(new TStruct("StreamData"));
            fields.write(protocol);
            protocol.writeFieldStop();
            protocol.writeStructEnd();
            protocol.writeFieldEnd();
            protocol.writeFieldStop();
            protocol.writeStructEnd();
        });
    }

    private static void assertDataFrame(Object decoded, int streamId, byte[] payload) {
        assertThat(decoded).isInstanceOf(DataFrame.class);
        DataFrame frame = (DataFrame) decoded;
        assertThat(frame.streamId()).isEqualTo(streamId);
        assertThat(drain(frame.content())).isEqualTo(payload);
    }

    /** Bytes that differ from their neighbours, so a shifted slice cannot pass for the payload. */
    private static byte[] payload(int size) {
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) (i * 31 + 7);
        }
        return payload;
    }

    private static ByteBuf pooled(byte[] bytes) {
        return ALLOC.directBuffer(bytes.length).writeBytes(bytes);
    }
}
