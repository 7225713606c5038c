package io.presenter.loadtest;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One latency distribution in microseconds, recorded from any thread (HdrHistogram's
 * {@link Recorder} is wait-free for writers), summarised as the percentiles capacity planners ask
 * for. Values above the histogram's range are clamped rather than dropped, so a pathological
 * outlier still shows up as the max instead of vanishing from the count.
 */
final class LatencyRecorder {

    /** One hour in µs: anything slower is a failure, not a latency. */
    static final long MAX_MICROS = 3_600_000_000L;

    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    private final Histogram total = new Histogram(MAX_MICROS, 3);

    void recordMicros(long micros) {
        recorder.recordValue(Math.max(0, Math.min(micros, MAX_MICROS)));
    }

    void recordNanos(long nanos) {
        recordMicros(nanos / 1_000);
    }

    /** Everything recorded so far (later recordings keep accumulating). Not for concurrent callers. */
    synchronized Histogram snapshot() {
        total.add(recorder.getIntervalHistogram());
        return total.copy();
    }

    /** count, min, mean, p50, p90, p99, p99.9, max in µs; zeros when nothing was recorded. */
    static Map<String, Object> summary(Histogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        long count = h.getTotalCount();
        m.put("count", count);
        m.put("min", count == 0 ? 0 : h.getMinValue());
        m.put("mean", count == 0 ? 0.0 : Math.round(h.getMean() * 10) / 10.0);
        m.put("p50", h.getValueAtPercentile(50));
        m.put("p90", h.getValueAtPercentile(90));
        m.put("p99", h.getValueAtPercentile(99));
        m.put("p99_9", h.getValueAtPercentile(99.9));
        m.put("max", h.getMaxValue());
        // The whole histogram (HdrHistogram's compressed encoding, base64): results of several
        // worker processes merge exactly by decoding and adding these, never by averaging percentiles.
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int length = h.encodeIntoCompressedByteBuffer(buffer);
        m.put("hdr", Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length)));
        return m;
    }

    Map<String, Object> summary() {
        return summary(snapshot());
    }
}
