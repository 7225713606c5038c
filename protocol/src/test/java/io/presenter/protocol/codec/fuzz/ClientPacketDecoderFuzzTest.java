package io.presenter.protocol.codec.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.channel.ChannelHandler;
import io.presenter.protocol.codec.ClientPacketCodec;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import io.presenter.protocol.codec.MalformedFrameException;
import io.presenter.protocol.codec.MalformedFrameException.Reason;
import io.presenter.protocol.wire.ClientPacket;

/**
 * The chat server's client pipeline ({@link ClientPacketFrameDecoder} then
 * {@link ClientPacketCodec}) against arbitrary bytes, split into reads anywhere. Plain test runs
 * replay {@code ClientPacketDecoderFuzzTestInputs/decode/}; see {@code src/test/fuzz/run-fuzz.sh}.
 */
class ClientPacketDecoderFuzzTest {

    static final int MAX_PACKET_LENGTH = 1024;

    private static final DecoderHarness HARNESS = new DecoderHarness(
            () -> new ChannelHandler[] {new ClientPacketFrameDecoder(MAX_PACKET_LENGTH), new ClientPacketCodec()},
            ClientPacketDecoderFuzzTest::isFramingError,
            ClientPacketDecoderFuzzTest::assertWellFormed);

    @FuzzTest
    void decode(byte[] input) {
        HARNESS.run(input);
    }

    /**
     * Only a bad length prefix makes the frame decoder discard the rest of the stream. A packet the
     * codec cannot read sits inside intact framing, and the stateless codec reads the next one;
     * stopping there is the job of the handler behind it, which closes the connection.
     */
    private static boolean isFramingError(MalformedFrameException error) {
        return error.reason() == Reason.BAD_LENGTH || error.reason() == Reason.TOO_LONG;
    }

    private static void assertWellFormed(Object decoded, FuzzInput input) {
        if (!(decoded instanceof ClientPacket packet)) {
            throw new AssertionError("codec produced " + decoded.getClass().getName());
        }
        if (packet.getSetField() == null || packet.getFieldValue() == null) {
            throw new AssertionError("packet without exactly one member: " + packet);
        }
    }
}
