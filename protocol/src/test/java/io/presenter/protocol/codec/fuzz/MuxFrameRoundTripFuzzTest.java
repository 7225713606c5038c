package io.presenter.protocol.codec.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MuxFrameDecoder;
import io.presenter.protocol.codec.MuxFrameEncoder;
import io.presenter.protocol.codec.MuxFrames;
import io.presenter.protocol.wire.MuxFrame;

/**
 * Whatever mux frame decodes re-encodes, through {@link MuxFrameEncoder}, to bytes that decode to
 * an equal frame. The re-encoded bytes are the canonical form and may differ from the input (long
 * varints, long-form field ids, unknown fields and invalid UTF-8 do not survive), so the check
 * compares frames, not bytes.
 */
class MuxFrameRoundTripFuzzTest {

    private static final DecoderHarness HARNESS = new DecoderHarness(
            () -> new ChannelHandler[] {new MuxFrameDecoder(MuxFrameDecoderFuzzTest.MAX_FRAME_LENGTH)},
            error -> true,
            MuxFrameRoundTripFuzzTest::assertRoundTrips);

    @FuzzTest
    void roundTrip(byte[] input) {
        HARNESS.run(input);
    }

    private static void assertRoundTrips(Object decoded, FuzzInput input) {
        MuxFrameDecoderFuzzTest.assertWellFormed(decoded, input);
        MuxFrame expected = MuxFrames.fromDecoded(decoded);
        TrackingAllocator alloc = new TrackingAllocator();
        MuxFrame actual = MuxFrames.fromDecoded(decodeOne(reencode(alloc, MuxFrames.toMessage(expected))));
        if (!expected.equals(actual)) {
            throw new AssertionError("decoded " + expected + " but its re-encoding decodes to " + actual);
        }
        alloc.assertAllReleased();
    }

    private static ByteBuf reencode(TrackingAllocator alloc, Object message) {
        return message instanceof DataFrame data
                ? MuxFrameEncoder.encodeData(alloc, data)
                : MuxFrameEncoder.encodeControl(alloc, (MuxFrame) message);
    }

    /**
     * Decodes exactly one frame. No cap: canonical UTF-8 can be longer than the input's (each
     * invalid byte becomes a three-byte U+FFFD), and the size cap is not what is tested here.
     */
    private static Object decodeOne(ByteBuf encoded) {
        EmbeddedChannel channel = new EmbeddedChannel(new MuxFrameDecoder(Integer.MAX_VALUE));
        channel.writeInbound(encoded);
        Object decoded = channel.readInbound();
        if (decoded == null || channel.finishAndReleaseAll()) {
            throw new AssertionError("re-encoded frame did not decode to exactly one frame");
        }
        return decoded;
    }
}
