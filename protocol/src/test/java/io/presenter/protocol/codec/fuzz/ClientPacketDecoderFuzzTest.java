package io.presenter.protocol.codec.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.channel.ChannelHandler;
import io.presenter.protocol.codec.ClientPacketCodec;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
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
            // Every client error ends decoding too: a bad length prefix stops the frame decoder, an
            // unreadable packet stops the codec (one exception per connection, not per packet).
            error -> true,
            ClientPacketDecoderFuzzTest::assertWellFormed);

    @FuzzTest
    void decode(byte[] input) {
        HARNESS.run(input);
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
