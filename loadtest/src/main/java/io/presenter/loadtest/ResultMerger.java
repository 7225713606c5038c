package io.presenter.loadtest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * Merges the JSON results of several worker processes into one report, exactly where it matters:
 * counters add, latency summaries are recomputed from the sum of their HdrHistograms (never
 * averaged percentiles), time series add point by point, durations take the longest, and
 * observations of the one target process (its samples, its pid) are taken from the first worker.
 * Server cost sections ({@code cpu_us}, RSS before/after) are sampled by every worker over almost
 * the same window: the widest window is kept and its per-unit figures recomputed over the summed
 * units.
 */
final class ResultMerger {

    /** Keys whose value is the same observation in every worker: keep the first. */
    private static final Set<String> FIRST = Set.of("scenario", "target", "started_at", "transport", "client_transport", "tls_provider",
            "parameters", "target_process", "pid", "t_s", "drop", "resume", "target_fraction", "source_addresses",
            "wave", "phase");

    private ResultMerger() {}

    static Map<String, Object> merge(List<Map<String, Object>> results) {
        Map<String, Object> merged = new LinkedHashMap<>();
        for (Map<String, Object> r : results) {
            merged = mergeMaps(merged, r);
        }
        recomputeDerived(merged);
        return merged;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mergeMaps(Map<String, Object> a, Map<String, Object> b) {
        if (a.containsKey("hdr") && b.containsKey("hdr")) {
            Histogram h = decode((String) a.get("hdr"));
            h.add(decode((String) b.get("hdr")));
            return LatencyRecorder.summary(h);
        }
        Map<String, Object> m = new LinkedHashMap<>(a);
        for (Map.Entry<String, Object> e : b.entrySet()) {
            String k = e.getKey();
            Object bv = e.getValue();
            if (!m.containsKey(k)) {
                m.put(k, bv);
                continue;
            }
            m.put(k, mergeValue(k, m.get(k), bv));
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Object mergeValue(String key, Object av, Object bv) {
        if (av == null) {
            return bv;
        }
        if (bv == null || FIRST.contains(key)) {
            return av;
        }
        if (av instanceof Map && bv instanceof Map) {
            return mergeMaps((Map<String, Object>) av, (Map<String, Object>) bv);
        }
        if (av instanceof List<?> la && bv instanceof List<?> lb) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < Math.max(la.size(), lb.size()); i++) {
                Object x = i < la.size() ? la.get(i) : null;
                Object y = i < lb.size() ? lb.get(i) : null;
                out.add(x == null ? y : y == null ? x : mergeValue(key, x, y));
            }
            return out;
        }
        if (av instanceof Number x && bv instanceof Number y) {
            boolean integral = av instanceof Long || av instanceof Integer;
            double r;
            if (key.endsWith("_seconds") || key.endsWith("_ms") || key.equals("wall_us") || key.equals("cpu_us")
                    || key.equals("max") || key.equals("exit_code") || key.equals("rss_kib_after")) {
                r = Math.max(x.doubleValue(), y.doubleValue());
            } else if (key.equals("rss_kib_before") || key.equals("min")) {
                r = Math.min(x.doubleValue(), y.doubleValue());
            } else {
                r = x.doubleValue() + y.doubleValue();
            }
            return integral && (bv instanceof Long || bv instanceof Integer) ? (Object) (long) r
                    : (Object) (Math.round(r * 10) / 10.0);
        }
        if (av instanceof Boolean x && bv instanceof Boolean y) {
            return x && y;
        }
        return av;
    }

    /** Values derived from others: per-unit server costs, the storm's time to X% and to 100%. */
    @SuppressWarnings("unchecked")
    static void recomputeDerived(Object node) {
        if (node instanceof Map<?, ?> raw) {
            Map<String, Object> m = (Map<String, Object>) raw;
            if (m.containsKey("cpu_us") && m.containsKey("rss_kib_before")) {
                for (String unit : List.of("handshakes", "connections", "messages")) {
                    if (m.get(unit) instanceof Number n && n.longValue() > 0) {
                        String one = unit.substring(0, unit.length() - 1);
                        long cpu = ((Number) m.get("cpu_us")).longValue();
                        long rss = ((Number) m.get("rss_kib_after")).longValue() - ((Number) m.get("rss_kib_before")).longValue();
                        m.put("cpu_us_per_" + one, Math.round(cpu * 10.0 / n.longValue()) / 10.0);
                        m.put("rss_delta_bytes_per_" + one, Math.round(rss * 1024.0 / n.longValue()));
                    }
                }
            }
            if (m.containsKey("dropped") && m.containsKey("target_fraction") && m.containsKey("latency_us")) {
                StormScenario.putRecoveryTimes(m);
            }
            for (Object v : m.values()) {
                recomputeDerived(v);
            }
        } else if (node instanceof List<?> l) {
            for (Object v : l) {
                recomputeDerived(v);
            }
        }
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("bad hdr histogram", e);
        }
    }
}
