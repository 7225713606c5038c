package io.presenter.protocol.codec.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.channel.ChannelHandler;
import io.presenter.protocol.codec.ClientPacketCodec;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import io.presenter.protocol.codec.ClientPacketFramingCodec;
import io.presenter.protocol.wire.ClientPacket;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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

    /** {@link ClientPacketFramingCodec}, framing and codec in one stage, held to the same rules. */
    private static final DecoderHarness ONE_STAGE = new DecoderHarness(
            () -> new ChannelHandler[] {new ClientPacketFramingCodec(MAX_PACKET_LENGTH)},
            error -> true,
            ClientPacketDecoderFuzzTest::assertWellFormed);

    /** Every input of {@link #decode}'s corpus through the one-stage codec. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("decodeCorpus")
    void decodeInOneStage(Path input) throws IOException {
        ONE_STAGE.run(Files.readAllBytes(input));
    }

    static Stream<Path> decodeCorpus() throws IOException, URISyntaxException {
        Path corpus = Path.of(ClientPacketDecoderFuzzTest.class.getResource("ClientPacketDecoderFuzzTestInputs/decode").toURI());
        try (Stream<Path> files = Files.list(corpus)) {
            return files.sorted().toList().stream();
        }
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
