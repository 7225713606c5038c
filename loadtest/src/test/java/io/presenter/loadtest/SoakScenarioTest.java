package io.presenter.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak scenario: churn plus chat against the stub over real TLS, sampling /proc and a Prometheus endpoint. */
class SoakScenarioTest {

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void churnAndChatDeliverEverythingWhileTheTargetIsSampled() throws Exception {
        // Stands in for the target's /metrics: a constant heap, and a session gauge at 0.
        String metrics = "# TYPE jvm_memory_used_bytes gauge\n"
                + "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"} 1000.0\n"
                + "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"} 24.0\n"
                + "jvm_memory_used_bytes{area=\"nonheap\",id=\"Metaspace\"} 5.0E7\n"
                + "chat_sessions 0.0\n";
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/metrics", ex -> {
            byte[] body = metrics.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        http.start();
        try (LoopbackChatServer server = new LoopbackChatServer("chat-soak").start()) {
            CliRun run = CliRun.run(dir, server.target(), "soak",
                    "--connections", "20", "--rate", "100", "--churn-rate", "4", "--duration", "PT3S",
                    "--sample-interval", "PT0.5S", "--warmup", "PT1S",
                    "--target-pid", Long.toString(ProcessHandle.current().pid()),
                    "--metrics-url", "http://127.0.0.1:" + http.getAddress().getPort() + "/metrics", "--quiet");

            assertThat(run.exitCode()).as(run.stdout()).isZero();
            Map<String, Object> soak = run.section("soak");
            assertThat(soak).containsEntry("undelivered", 0L).containsEntry("stuck_couples", 0L)
                    .containsEntry("duplicates", 0L).containsEntry("gaps", 0L).containsEntry("reconnect_failures", 0L);
            assertThat((Long) soak.get("churns")).isGreaterThanOrEqualTo(10);
            assertThat((Long) soak.get("delivered")).isEqualTo((Long) soak.get("sent")).isGreaterThan(200);
            Map<String, Object> target = run.section("target_process");
            List<Map<String, Object>> samples = (List<Map<String, Object>>) target.get("samples");
            assertThat(samples).hasSizeGreaterThanOrEqualTo(6);
            for (Map<String, Object> s : samples) {
                assertThat(s).containsEntry("heap_bytes", 1024L);
                assertThat((Long) s.get("rss_bytes")).isPositive();
            }
            assertThat(target).containsEntry("heap_slope_bytes_per_min", 0L).containsEntry("gauges_settled_to_zero", true);
            assertThat(target.get("rss_slope_bytes_per_min")).isInstanceOf(Long.class);
            assertThat(run.stdout()).contains("slope after warm-up");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void slopeIsLeastSquaresOverTheSamplesAfterWarmup() {
        List<Map<String, Object>> samples = List.of(Map.of("t_s", 0.0, "rss_bytes", 999_999L),
                Map.of("t_s", 60.0, "rss_bytes", 1000L), Map.of("t_s", 120.0, "rss_bytes", 2000L),
                Map.of("t_s", 180.0, "rss_bytes", 3000L));
        assertThat(SoakScenario.slopePerMinute(samples, "rss_bytes", 60)).isEqualTo(1000L);
        assertThat(SoakScenario.slopePerMinute(samples, "heap_bytes", 0)).isNull();
    }
}
