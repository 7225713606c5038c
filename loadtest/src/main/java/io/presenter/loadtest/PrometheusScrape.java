package io.presenter.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The target's Prometheus endpoint as the soak reads it: the heap it uses, and the gauges that must
 * fall to 0 once every client is gone. A failed scrape is reported as an error reason and reads as
 * null: the soak goes on without that sample.
 */
final class PrometheusScrape {

    /** Gauges that count what a client holds on the target: sessions, streams, connections. */
    private static final String HELD_BY_CLIENTS = "(?i).*(session|stream|connection).*";

    private final URI url;
    private final Consumer<String> error;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    PrometheusScrape(URI url, Consumer<String> error) {
        this.url = url;
        this.error = error;
    }

    /** The heap in use, {@code jvm_memory_used_bytes{area="heap"}} summed over pools, or null. */
    Double heapBytes() {
        String text = scrape();
        if (text == null) {
            return null;
        }
        Map<String, Double> values = metricValues(text, "jvm_memory_used_bytes");
        double sum = 0;
        boolean any = false;
        for (Map.Entry<String, Double> e : values.entrySet()) {
            if (e.getKey().contains("area=\"heap\"")) {
                sum += e.getValue();
                any = true;
            }
        }
        return any ? sum : null;
    }

    /**
     * The gauges that name sessions, streams or connections (counters, timers and sizes left out),
     * series to value, or null when the scrape failed.
     */
    Map<String, Double> clientGauges() {
        String text = scrape();
        if (text == null) {
            return null;
        }
        Map<String, Double> g = metricValues(text, HELD_BY_CLIENTS);
        g.keySet().removeIf(k -> k.contains("_total") || k.contains("_created") || k.contains("_seconds")
                || k.contains("_bytes") || k.contains("_count") || k.contains("_sum") || k.contains("_max"));
        return g;
    }

    private String scrape() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                error.accept("metrics_http_" + r.statusCode());
                return null;
            }
            return r.body();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            error.accept("metrics_unreachable");
            return null;
        }
    }

    /** Prometheus text lines whose metric name matches: series (name{labels}) to value. */
    static Map<String, Double> metricValues(String text, String namePattern) {
        Map<String, Double> m = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf('}') >= 0 ? line.indexOf(' ', line.lastIndexOf('}')) : line.indexOf(' ');
            if (space < 0) {
                continue;
            }
            String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
            if (!name.matches(namePattern)) {
                continue;
            }
            try {
                m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1).trim().split("\\s+")[0]));
            } catch (NumberFormatException e) {
                // NaN spelled oddly, or a timestamp-only line: skip
            }
        }
        return m;
    }
}
