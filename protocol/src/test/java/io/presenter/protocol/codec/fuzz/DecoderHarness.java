package io.presenter.protocol.codec.fuzz;

import com.sun.management.ThreadMXBean;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.codec.MalformedFrameException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs one fuzz input through a decoding pipeline in an {@link EmbeddedChannel} and enforces what
 * every decoder owes hostile input:
 *
 * <ul>
 *   <li>the only exception it raises is {@link MalformedFrameException} (anything else: an
 *       IndexOutOfBounds, NPE, ClassCast, an IllegalArgument or OutOfMemoryError from libthrift,
 *       is a finding);
 *   <li>once it has raised an error that ends decoding, later reads produce nothing, not even
 *       another error;
 *   <li>one decode allocates at most {@value #ALLOCATION_PER_INPUT_BYTE} bytes per input byte,
 *       {@value #ALLOCATION_PER_ERROR} bytes per error raised, plus {@value #ALLOCATION_SLACK}
 *       bytes, whatever lengths the input claims;
 *   <li>after {@code finishAndReleaseAll()} nothing is left over and every buffer is released.
 * </ul>
 *
 * Each decoded message goes to the target's {@link MessageCheck}, which owns (and releases) it.
 */
final class DecoderHarness {

    /** Checks one decoded message; must release it if it is reference-counted. */
    @FunctionalInterface
    interface MessageCheck {
        void check(Object decoded, FuzzInput input);
    }

    static final long ALLOCATION_PER_INPUT_BYTE = 64;
    /**
     * An exception with its stack trace through the pipeline costs a few KB. The client codec
     * raises one per undecodable packet, and a packet can be 7 bytes, so without this allowance
     * a few hundred bad packets exceed the per-byte bound while allocating nothing a forged
     * length could inflate (the fuzzer found exactly that input: many-undecodable-packets).
     */
    static final long ALLOCATION_PER_ERROR = 16 * 1024;
    static final long ALLOCATION_SLACK = 1 << 20;

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final Supplier<ChannelHandler[]> pipeline;
    private final Predicate<MalformedFrameException> endsDecoding;
    private final MessageCheck check;

    /**
     * @param pipeline fresh decoding handlers for each input
     * @param endsDecoding which errors leave the byte stream unusable (framing errors do; an
     *     undecodable packet inside intact framing need not)
     * @param check what each decoded message must satisfy
     */
    DecoderHarness(Supplier<ChannelHandler[]> pipeline, Predicate<MalformedFrameException> endsDecoding,
            MessageCheck check) {
        this.pipeline = pipeline;
        this.endsDecoding = endsDecoding;
        this.check = check;
    }

    void run(byte[] fuzzBytes) {
        FuzzInput input = FuzzInput.parse(fuzzBytes);
        Decoding decoding = decode(input);
        if (decoding.allocated() > decoding.allocationBound()) {
            // The JVM counts loading (and Jazzer's instrumenting) classes a path needs for the
            // first time as this thread's allocation; a second run of the same input does not.
            decoding = decode(input);
        }
        if (decoding.allocated() > decoding.allocationBound()) {
            throw new AssertionError("decoding " + input.wire().length + " bytes with " + decoding.errors()
                    + " error(s) allocated " + decoding.allocated() + " bytes, more than "
                    + decoding.allocationBound());
        }
    }

    /** What one decode of an input cost. */
    private record Decoding(int inputLength, int errors, long allocated) {
        long allocationBound() {
            return ALLOCATION_PER_INPUT_BYTE * inputLength + ALLOCATION_PER_ERROR * errors + ALLOCATION_SLACK;
        }
    }

    /** Decodes {@code input} with fresh handlers and checks everything but allocation. */
    private Decoding decode(FuzzInput input) {
        TrackingAllocator alloc = new TrackingAllocator();
        ErrorRecorder errors = new ErrorRecorder();
        EmbeddedChannel channel = new EmbeddedChannel(pipeline.get());
        channel.pipeline().addLast(errors);
        channel.config().setAllocator(alloc);

        List<Object> decoded = new ArrayList<>();
        long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        boolean ended = false;
        int errorCount = 0;
        for (byte[] read : input.reads()) {
            channel.writeInbound(alloc.buffer(read.length).writeBytes(read));
            List<Throwable> raised = errors.take();
            if (ended && (!raised.isEmpty() || !channel.inboundMessages().isEmpty())) {
                throw new AssertionError("decoder went on after an error that ended decoding: "
                        + raised + ", " + channel.inboundMessages().size() + " message(s)");
            }
            ended |= classify(raised);
            errorCount += raised.size();
            drainInto(channel, decoded);
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;

        for (Object message : decoded) {
            check.check(message, input);
        }
        if (channel.finishAndReleaseAll()) {
            throw new AssertionError("messages appeared when the channel closed");
        }
        if (!errors.take().isEmpty()) {
            throw new AssertionError("closing the channel raised an error");
        }
        alloc.assertAllReleased();
        return new Decoding(input.wire().length, errorCount, allocated);
    }

    /** Whether {@code raised} ends decoding; throws if any of it is not a rejection. */
    private boolean classify(List<Throwable> raised) {
        boolean ends = false;
        for (Throwable error : raised) {
            if (!(error instanceof MalformedFrameException malformed)) {
                throw new AssertionError("decoder raised something other than MalformedFrameException", error);
            }
            ends |= endsDecoding.test(malformed);
        }
        return ends;
    }

    private static void drainInto(EmbeddedChannel channel, List<Object> decoded) {
        for (Object message; (message = channel.readInbound()) != null; ) {
            decoded.add(message);
        }
    }
}
