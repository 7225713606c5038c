package io.presenter.protocol.codec.fuzz;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayList;
import java.util.List;

/**
 * Last handler of a fuzzed pipeline: keeps every exception exactly as the pipeline delivers it.
 *
 * <p>Without it {@link io.netty.channel.embedded.EmbeddedChannel} rethrows only the first
 * exception of a read from {@code checkException} (as is: a {@code MalformedFrameException} is a
 * {@code DecoderException}, so the decoders pass it on unwrapped, while anything else arrives as a
 * {@code DecoderException} with the real cause inside) and logs the others, which would hide a
 * second, worse exception and flood the log of a fuzzing run.
 */
final class ErrorRecorder extends ChannelInboundHandlerAdapter {

    private final List<Throwable> errors = new ArrayList<>();

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errors.add(cause);
    }

    /** The exceptions since the last call. */
    List<Throwable> take() {
        List<Throwable> taken = List.copyOf(errors);
        errors.clear();
        return taken;
    }
}
