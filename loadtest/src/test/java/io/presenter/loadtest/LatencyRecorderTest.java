package io.presenter.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

    @Test
    void summarisesPercentilesAndCarriesAMergeableHistogram() throws Exception {
        LatencyRecorder r = new LatencyRecorder();
        for (int i = 1; i <= 1000; i++) {
            r.recordMicros(i);
        }
        r.recordMicros(-5); // a clock oddity is clamped to 0, not dropped
        Map<String, Object> s = r.summary();

        assertThat(s).containsEntry("count", 1001L).containsEntry("min", 0L);
        assertThat((Long) s.get("p50")).isBetween(499L, 501L);
        assertThat((Long) s.get("max")).isBetween(1000L, 1001L);
        Histogram decoded = Histogram.decodeFromCompressedByteBuffer(
                ByteBuffer.wrap(Base64.getDecoder().decode((String) s.get("hdr"))), 0);
        assertThat(decoded.getTotalCount()).isEqualTo(1001);
    }
}
