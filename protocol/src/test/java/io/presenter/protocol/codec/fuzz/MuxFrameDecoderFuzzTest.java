package io.presenter.protocol.codec.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.channel.ChannelHandler;
import io.netty.util.ReferenceCountUtil;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MuxFrameDecoder;
import io.presenter.protocol.wire.MuxFrame;

/**
 * The chat server's and presenter's mux frame decoder against arbitrary bytes, split into reads
 * anywhere. Plain test runs replay {@code MuxFrameDecoderFuzzTestInputs/decode/}; see
 * {@code src/test/fuzz/run-fuzz.sh} for fuzzing.
 */
class MuxFrameDecoderFuzzTest {

    /** Small, so the fuzzer reaches both sides of the cap with inputs of a few KB. */
    static final int MAX_FRAME_LENGTH = 1024;

    private static final DecoderHarness HARNESS = new DecoderHarness(
            () -> new ChannelHandler[] {new MuxFrameDecoder(MAX_FRAME_LENGTH)},
            // Every mux error ends decoding: the session answers it with a goaway and closes.
            error -> true,
            (decoded, input) -> {
                try {
                    assertWellFormed(decoded, input);
                } finally {
                    ReferenceCountUtil.release(decoded);
                }
            });

    @FuzzTest
    void decode(byte[] input) {
        HARNESS.run(input);
    }

    /**
     * A decoded mux message is a {@link DataFrame} whose payload fits in the frame it came from,
     * or a control {@link MuxFrame} with exactly one member (data always comes as a DataFrame).
     */
    static void assertWellFormed(Object decoded, FuzzInput input) {
        if (decoded instanceof DataFrame data) {
            int payload = data.content().readableBytes();
            if (payload > MAX_FRAME_LENGTH || payload > input.wire().length) {
                throw new AssertionError(data + " has a payload longer than its frame");
            }
        } else if (decoded instanceof MuxFrame frame) {
            if (frame.getSetField() == null || frame.getFieldValue() == null || frame.isSetData()) {
                throw new AssertionError("control frame without exactly one non-data member: " + frame);
            }
        } else {
            throw new AssertionError("decoder produced " + decoded.getClass().getName());
        }
    }
}
