package io.presenter.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * {@code --html}: one self-contained HTML file (inline SVG and CSS, no script, nothing fetched):
 * the latency percentile distribution of every latency summary in the report (from its
 * HdrHistogram, x axis in "nines" as HdrHistogram's own plots), connections over time, rate over
 * time, the target's RSS/heap samples when there are any, and the whole JSON report.
 */
final class HtmlReport {

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

    private HtmlReport() {}

    record Series(String name, double[] x, double[] y) {}

    static String render(Map<String, Object> report) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>loadtest ")
                .append(esc(String.valueOf(report.get("scenario")))).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1000px}svg{background:#fff;border:1px solid #ccc}")
                .append("text{font-size:11px}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:11px}")
                .append("</style></head><body>\n");
        h.append("<h1>loadtest ").append(esc(String.valueOf(report.get("scenario")))).append(" against ")
                .append(esc(String.valueOf(report.get("target")))).append("</h1>\n");
        h.append("<p>started ").append(esc(String.valueOf(report.get("started_at")))).append(", exit code ")
                .append(esc(String.valueOf(report.get("exit_code")))).append(", errors ")
                .append(esc(String.valueOf(report.get("errors")))).append("</p>\n");

        List<Series> latency = new ArrayList<>();
        collectLatencies("", report, latency);
        h.append("<h2>Latency percentile distribution</h2>\n");
        h.append(chart("latency by percentile (µs)", "percentile", "µs", latency, true));

        if (report.get("timeline") instanceof Map<?, ?> t && t.get("t_s") instanceof List<?> ts) {
            double[] x = numbers(ts);
            h.append("<h2>Connections over time</h2>\n");
            h.append(chart("open connections", "seconds", "connections",
                    List.of(new Series("connections", x, numbers((List<?>) t.get("connections")))), false));
            h.append("<h2>Rate over time</h2>\n");
            h.append(chart("completed handshakes + delivered messages per second", "seconds", "per second",
                    List.of(new Series("rate_per_s", x, numbers((List<?>) t.get("rate_per_s")))), false));
        }
        if (report.get("target_process") instanceof Map<?, ?> tp && tp.get("samples") instanceof List<?> samples
                && !samples.isEmpty()) {
            List<Series> mem = new ArrayList<>();
            for (String key : List.of("rss_bytes", "heap_bytes")) {
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (Object o : samples) {
                    Map<?, ?> s = (Map<?, ?>) o;
                    if (s.get(key) instanceof Number n) {
                        xs.add(((Number) s.get("t_s")).doubleValue());
                        ys.add(n.doubleValue() / (1024 * 1024));
                    }
                }
                if (!xs.isEmpty()) {
                    mem.add(new Series(key.replace("_bytes", "_mib"), xs.stream().mapToDouble(d -> d).toArray(),
                            ys.stream().mapToDouble(d -> d).toArray()));
                }
            }
            if (!mem.isEmpty()) {
                h.append("<h2>Target memory over time</h2>\n");
                h.append(chart("target RSS and heap (MiB)", "seconds", "MiB", mem, false));
            }
        }
        h.append("<h2>Report (JSON)</h2>\n<pre>").append(esc(ReportJson.write(report))).append("</pre>\n</body></html>\n");
        return h.toString();
    }

    /** Every latency summary (a map with an "hdr" histogram), named by its path in the report. */
    private static void collectLatencies(String path, Object node, List<Series> out) {
        if (node instanceof Map<?, ?> m) {
            if (m.get("hdr") instanceof String hdr) {
                Histogram hist = ResultMerger.decode(hdr);
                if (hist.getTotalCount() == 0) {
                    return;
                }
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (double p : new double[] {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999,
                        100}) {
                    // x = log10(1 / (1 - p)): 0 at p0, 1 at p90, 2 at p99, ...; the max is drawn at 6 nines
                    xs.add(p >= 100 ? 6 : Math.log10(100 / (100 - p)));
                    ys.add((double) hist.getValueAtPercentile(p));
                }
                out.add(new Series(path.isEmpty() ? "latency" : path, xs.stream().mapToDouble(d -> d).toArray(),
                        ys.stream().mapToDouble(d -> d).toArray()));
                return;
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!"timeline".equals(e.getKey()) && !"workers".equals(e.getKey())) {
                    collectLatencies(path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey(), e.getValue(), out);
                }
            }
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                collectLatencies(path + "[" + i + "]", l.get(i), out);
            }
        }
    }

    private static double[] numbers(List<?> l) {
        double[] d = new double[l.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = l.get(i) instanceof Number n ? n.doubleValue() : 0;
        }
        return d;
    }

    /** A line chart as inline SVG; with {@code nines} the x axis is labelled as percentiles. */
    static String chart(String title, String xLabel, String yLabel, List<Series> series, boolean nines) {
        int w = 900;
        int hgt = 340;
        int left = 70;
        int right = 220;
        int top = 30;
        int bottom = 40;
        double xMin = Double.MAX_VALUE;
        double xMax = -Double.MAX_VALUE;
        double yMax = 0;
        for (Series s : series) {
            for (double v : s.x()) {
                xMin = Math.min(xMin, v);
                xMax = Math.max(xMax, v);
            }
            for (double v : s.y()) {
                yMax = Math.max(yMax, v);
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", w, hgt, w, hgt));
        b.append("<text x=\"").append(left).append("\" y=\"18\" font-weight=\"bold\">").append(esc(title)).append("</text>");
        if (series.isEmpty() || xMin == Double.MAX_VALUE) {
            b.append("<text x=\"").append(left).append("\" y=\"60\">no data</text></svg>\n");
            return b.toString();
        }
        if (xMax <= xMin) {
            xMax = xMin + 1;
        }
        if (yMax <= 0) {
            yMax = 1;
        }
        yMax = niceCeiling(yMax);
        int pw = w - left - right;
        int ph = hgt - top - bottom;
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
                left, top, pw, ph));
        for (int i = 0; i <= 5; i++) {
            double v = yMax * i / 5;
            double y = top + ph - ph * i / 5.0;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", left, left + pw, y, y, left - 5, y + 4, label(v)));
        }
        for (int i = 0; i <= 6; i++) {
            double v = xMin + (xMax - xMin) * i / 6;
            double x = left + pw * i / 6.0;
            String text = nines ? percentileLabel(v) : label(v);
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", x, top + ph + 15, text));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", left + pw / 2,
                hgt - 5, esc(xLabel)));
        b.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>",
                top + ph / 2, top + ph / 2, esc(yLabel)));
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            String color = COLORS[s % COLORS.length];
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < ser.x().length; i++) {
                double x = left + pw * (ser.x()[i] - xMin) / (xMax - xMin);
                double y = top + ph - ph * Math.min(ser.y()[i], yMax) / yMax;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            b.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.5\" points=\"")
                    .append(pts.toString().trim()).append("\"><title>").append(esc(ser.name())).append("</title></polyline>");
            int ly = top + 12 + s * 16;
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" class=\"series\">%s</text>", left + pw + 10, ly - 9, color, left + pw + 25, ly,
                    esc(ser.name())));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String label(double v) {
        if (v >= 1e9) {
            return String.format(Locale.ROOT, "%.1fG", v / 1e9);
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 1e4) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String percentileLabel(double nines) {
        double p = 100 - 100 / Math.pow(10, nines);
        return p >= 99.9999 ? "max" : String.format(Locale.ROOT, "%s%%", new java.math.BigDecimal(p)
                .round(new java.math.MathContext(Math.max(2, (int) Math.ceil(nines) + 1))).stripTrailingZeros().toPlainString());
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
