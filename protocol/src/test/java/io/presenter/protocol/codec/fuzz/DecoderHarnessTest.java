package io.presenter.protocol.codec.fuzz;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.presenter.protocol.codec.GoldenFiles;
import io.presenter.protocol.codec.MalformedFrameException;
import io.presenter.protocol.codec.MalformedFrameException.Reason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness catches each way a decoder can misbehave, so a quiet fuzz run means something. */
class DecoderHarnessTest {

    private static final byte[] TWO_READS = FuzzInput.encode(new byte[] {1, 2, 3, 4}, 2);

    /** Keeps what a deliberately wasteful decoder allocates reachable, so the JIT cannot drop it. */
    private static volatile byte[] sink;

    @Test
    void passesTheRealMuxDecoderOnAGoldenFrame() {
        byte[] input = FuzzInput.encode(GoldenFiles.read("mux/settings.bin"), 3);
        assertThatCode(() -> new MuxFrameDecoderFuzzTest().decode(input)).doesNotThrowAnyException();
    }

    @Test
    void rejectsAnExceptionOtherThanMalformedFrame() {
        DecoderHarness harness = harness((in, out) -> in.getByte(in.writerIndex()));

        assertThatThrownBy(() -> harness.run(TWO_READS))
                .hasMessageContaining("other than MalformedFrameException")
                .hasRootCauseInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void rejectsOutputAfterAnErrorThatEndedDecoding() {
        boolean[] failed = {false};
        DecoderHarness harness = harness((in, out) -> {
            in.skipBytes(in.readableBytes());
            if (!failed[0]) {
                failed[0] = true;
                throw new MalformedFrameException(Reason.BAD_LENGTH, "first read");
            }
            out.add("frame after the error");
        });

        assertThatThrownBy(() -> harness.run(TWO_READS)).hasMessageContaining("went on after an error");
    }

    @Test
    void rejectsABufferNeverReleased() {
        List<ByteBuf> kept = new ArrayList<>();
        DecoderHarness harness = harness((in, out) -> kept.add(in.readRetainedSlice(in.readableBytes())));

        try {
            assertThatThrownBy(() -> harness.run(TWO_READS)).hasMessageContaining("never released");
        } finally {
            kept.forEach(ReferenceCountUtil::release); // or the leak check fails this class too
        }
    }

    @Test
    void rejectsAllocationOutOfProportionToTheInput() {
        DecoderHarness harness = harness((in, out) -> {
            in.skipBytes(in.readableBytes());
            sink = new byte[4 << 20];
        });

        assertThatThrownBy(() -> harness.run(TWO_READS)).hasMessageContaining("allocated");
    }

    private static DecoderHarness harness(DecodeStep step) {
        return new DecoderHarness(() -> new ChannelHandler[] {new Decoder(step)}, error -> true,
                (decoded, input) -> ReferenceCountUtil.release(decoded));
    }

    @FunctionalInterface
    private interface DecodeStep {
        void decode(ByteBuf in, List<Object> out);
    }

    /** A decoder made of one step. */
    private static final class Decoder extends ByteToMessageDecoder {
        private final DecodeStep step;

        Decoder(DecodeStep step) {
            this.step = step;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            step.decode(in, out);
        }
    }
}
