package io.presenter.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** --workers (real worker JVMs on their own loopback source addresses), the result merge, and --html. */
class WorkersAndReportTest {

    @RegisterExtension
    static final LoopbackChatServer chat = new LoopbackChatServer("chat-w");

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void twoWorkersMergeToTheSumOfTheirCounts() throws Exception {
        CliRun run = CliRun.run(dir, chat.target(), "chat", "--workers", "2", "--connections", "12", "--rate", "60",
                "--duration", "PT1S", "--connect-rate", "100", "--source-addresses", "127.0.0.2,127.0.0.3");

        assertThat(run.exitCode()).as(run.stdout() + run.json()).isZero();
        List<Map<String, Object>> workers = (List<Map<String, Object>>) run.scenario().report.get("workers");
        assertThat(workers).hasSize(2);
        long connected = 0;
        long delivered = 0;
        List<String> sources = new ArrayList<>();
        for (Map<String, Object> w : workers) {
            assertThat(w).containsEntry("killed", false).containsEntry("process_exit", 0);
            Map<String, Object> headline = (Map<String, Object>) w.get("result");
            connected += (Long) headline.get("connect.succeeded");
            delivered += (Long) headline.get("messages.delivered");
            sources.add((String) w.get("source_addresses"));
        }
        assertThat(sources).containsExactly("127.0.0.2", "127.0.0.3");
        assertThat(connected).isEqualTo(12);
        assertThat(run.section("connect")).containsEntry("succeeded", connected).containsEntry("attempted", 12L);
        assertThat(run.section("messages")).containsEntry("delivered", delivered).containsEntry("sent", 60L)
                .containsEntry("lost", 0L);
        Map<String, Object> latency = (Map<String, Object>) run.section("latency_us").get("delivery_from_intended_send");
        assertThat(latency).containsEntry("count", delivered);
        assertThat(run.section("parameters")).containsEntry("connections", 12L).containsEntry("workers", 2);
        assertThat(run.progress()).contains("workers 2/2 running");
        assertThat(run.stdout()).contains("messages sent 60 delivered 60");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aWorkerThatOverrunsItsDeadlineIsKilledAndCounted() throws Exception {
        long started = System.nanoTime();
        CliRun run = CliRun.run(dir, chat.target(), "connect", "--workers", "1", "--connections", "2", "--hold", "PT60S",
                "--worker-deadline", "PT4S", "--quiet");

        assertThat(run.exitCode()).isEqualTo(Scenario.EXIT_FAILURES);
        assertThat((System.nanoTime() - started) / 1e9).isLessThan(30);
        List<Map<String, Object>> workers = (List<Map<String, Object>>) run.scenario().report.get("workers");
        assertThat(workers.get(0)).containsEntry("killed", true);
        assertThat((Map<String, Long>) run.scenario().report.get("errors")).containsEntry("worker_killed", 1L);
        assertThat(run.stdout()).contains("no worker produced a result");
    }

    @Test
    void theHtmlReportIsSelfContainedAndCarriesTheSeries() throws Exception {
        Path html = dir.resolve("report.html");
        CliRun run = CliRun.run(dir, chat.target(), "connect", "--connections", "20", "--connect-rate", "100",
                "--hold", "PT1.2S", "--html", html.toString(), "--quiet");

        assertThat(run.exitCode()).isZero();
        String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<svg", "</svg>", "<polyline")
                .contains("Latency percentile distribution", "waves[0].latency_us.tls_handshake",
                        "waves[0].latency_us.auth", "Connections over time", "Rate over time", "rate_per_s",
                        "99.9%", "&quot;scenario&quot;: &quot;connect&quot;");
        // nothing is fetched: no scripts, stylesheets, images or links to anywhere
        assertThat(page).doesNotContain("<script", "<link", "src=", "href=", "http://", "https://", "url(");
        assertThat(((List<?>) ((Map<?, ?>) run.scenario().report.get("timeline")).get("connections"))).isNotEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void histogramsMergeExactlyAndDerivedFiguresAreRecomputed() throws Exception {
        LatencyRecorder a = new LatencyRecorder();
        LatencyRecorder b = new LatencyRecorder();
        for (int i = 1; i <= 100; i++) {
            a.recordMicros(i * 1000L);
            b.recordMicros(1_000_000L);
        }
        Map<String, Object> ra = storm(98, 100, a);
        Map<String, Object> rb = storm(100, 100, b);
        Map<String, Object> merged = ResultMerger.merge(List.of(
                ReportJson.readObject(ReportJson.write(ra)), ReportJson.readObject(ReportJson.write(rb))));
        Map<String, Object> s = (Map<String, Object>) merged.get("storm");
        Map<String, Object> rec = (Map<String, Object>) ((Map<String, Object>) s.get("latency_us")).get("recovery_from_drop");
        assertThat(rec).containsEntry("count", 200L);
        assertThat((Long) rec.get("p50")).isBetween(99_000L, 101_000L); // the merged median, not an average of medians
        assertThat(s).containsEntry("dropped", 200L).containsEntry("back", 198L).containsEntry("time_to_all_ms", null)
                .containsEntry("target_fraction", 0.5);
        assertThat((Double) s.get("time_to_target_ms")).isBetween(99.0, 101.0);
        assertThat((Map<String, Object>) merged.get("parameters")).containsEntry("connections", 100L);
    }

    private static Map<String, Object> storm(long back, long dropped, LatencyRecorder recovery) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("scenario", "storm");
        r.put("parameters", Map.of("connections", 100));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("target_fraction", 0.5);
        s.put("dropped", dropped);
        s.put("back", back);
        s.put("latency_us", Map.of("recovery_from_drop", recovery.summary()));
        r.put("storm", s);
        return r;
    }
}
