package io.presenter.protocol.codec.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MuxFrameDecoder;
import io.presenter.protocol.codec.MuxFrameEncoder;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.WindowUpdate;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Mux frame encode and decode throughput (one op = one frame) and allocation per frame, with
 * pooled direct buffers as on a real connection.
 *
 * <p>Encoding calls {@link MuxFrameEncoder}'s static entry points, which is all its handler does.
 * Decoding goes through a {@link MuxFrameDecoder} in an {@link EmbeddedChannel}, the only public
 * way in, so decode numbers include {@code ByteToMessageDecoder}'s per-read bookkeeping, as in
 * production. Run (from the repository root, after {@code mvn -pl protocol test-compile}):
 *
 * <pre>
 * mvn -q -pl protocol dependency:build-classpath -Dmdep.outputFile=target/bench.cp
 * java -cp protocol/target/test-classes:protocol/target/classes:$(cat protocol/target/bench.cp) \
 *     org.openjdk.jmh.Main CodecBenchmark -f 1 -wi 3 -w 1 -i 5 -r 1 -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CodecBenchmark {

    /** A typical client stream id: a two-byte zigzag varint. */
    private static final int STREAM_ID = 1001;
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** A data payload and its encoded frame; only the data benchmarks pay for its sizes. */
    @State(Scope.Thread)
    public static class Data {

        @Param({"64", "1024", "16384"})
        int payloadSize;

        ByteBuf payload;
        ByteBuf encoded;

        @Setup(Level.Trial)
        public void setUp() {
            byte[] bytes = new byte[payloadSize];
            ThreadLocalRandom.current().nextBytes(bytes);
            payload = ALLOC.directBuffer(payloadSize).writeBytes(bytes);
            encoded = contiguous(MuxFrameEncoder.encodeData(ALLOC, new DataFrame(STREAM_ID, payload.retain())));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            payload.release();
            encoded.release();
        }
    }

    private final EmbeddedChannel channel = new EmbeddedChannel(new MuxFrameDecoder(1 << 20));
    private final MuxFrame windowUpdate = MuxFrame.windowUpdate(new WindowUpdate(STREAM_ID, 65_536));
    private ByteBuf encodedWindowUpdate;

    @Setup(Level.Trial)
    public void setUp() {
        encodedWindowUpdate = MuxFrameEncoder.encodeControl(ALLOC, windowUpdate);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        encodedWindowUpdate.release();
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public int encodeData(Data data) {
        ByteBuf frame = MuxFrameEncoder.encodeData(ALLOC, new DataFrame(STREAM_ID, data.payload.retainedDuplicate()));
        int length = frame.readableBytes();
        frame.release();
        return length;
    }

    @Benchmark
    public int decodeData(Data data) {
        return decode(data.encoded);
    }

    /** Control frames go through libthrift's generated code. */
    @Benchmark
    public int encodeWindowUpdate() {
        ByteBuf frame = MuxFrameEncoder.encodeControl(ALLOC, windowUpdate);
        int length = frame.readableBytes();
        frame.release();
        return length;
    }

    @Benchmark
    public int decodeWindowUpdate() {
        return decode(encodedWindowUpdate);
    }

    private int decode(ByteBuf encoded) {
        channel.writeInbound(encoded.retainedDuplicate());
        Object frame = channel.readInbound();
        int hash = System.identityHashCode(frame);
        ReferenceCountUtil.release(frame);
        return hash;
    }

    /** One contiguous read buffer, as the socket would deliver it. */
    private static ByteBuf contiguous(ByteBuf frame) {
        try {
            return ALLOC.directBuffer(frame.readableBytes()).writeBytes(frame);
        } finally {
            frame.release();
        }
    }
}
