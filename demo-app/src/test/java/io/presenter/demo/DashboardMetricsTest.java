package io.presenter.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.gateway.client.ClientMeters;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.presenter.testing.Await;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Grafana dashboard and the code cannot drift: every metric a PromQL expression of
 * {@code deploy/grafana/presenter-dashboard.json} uses must appear in a real {@code /metrics}
 * scrape of the running demo, after a burst and one rejected auth packet (tagged counters appear
 * with their first event). Only {@code presenter_weight*} is exempt: it exists only with Route53
 * weight publishing on, which the demo keeps off.
 */
@Timeout(180)
class DashboardMetricsTest {

    static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "presenter-dashboard.json");
    static final Pattern EXEMPT = Pattern.compile("presenter_weight.*");

    private static Demo demo;
    private static Set<String> scraped;

    @BeforeAll
    static void runTheDemoAndScrape() throws Exception {
        demo = Demo.start(new Demo.Settings(0, 0, 3, List.of()));
        Burst.Result burst = Burst.run(demo, 10, 50, Duration.ofSeconds(1), true);
        assertThat(burst.exactlyOnce()).as(burst.harnessSummary()).isTrue();
        sendAnOversizedAuthPacket();
        Await.until(Duration.ofSeconds(20),
                () -> demo.presenterCount(ClientMeters.AUTH_REJECTED, "reason", "auth_too_large") == 1,
                () -> "no auth_too_large rejection counted");
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(demo.metricsUrl())).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        scraped = metricNamesOfScrape(metrics.body());
    }

    @AfterAll
    static void stop() {
        if (demo != null) {
            demo.close();
        }
    }

    /** TLS with the demo's certificate, then a length prefix far above the auth packet cap. */
    private static void sendAnOversizedAuthPacket() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream pem = Files.newInputStream(demo.certificate().chain())) {
            trust.setCertificateEntry("demo", CertificateFactory.getInstance("X.509").generateCertificate(pem));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1",
                demo.presenterAddress().getPort())) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
            out.flush();
            assertThat(socket.getInputStream().read()).as("the presenter hangs up").isEqualTo(-1);
        }
    }

    @Test
    void everyMetricTheDashboardQueriesIsExportedByThePresenter() throws Exception {
        List<String> queries = queries(new ObjectMapper().readTree(DASHBOARD.toFile()));
        Set<String> used = new TreeSet<>();
        for (String query : queries) {
            used.addAll(metricNames(query));
        }

        assertThat(queries).hasSizeGreaterThan(20);
        assertThat(used).as("the dashboard covers what the issue lists").contains(
                "presenter_connections_active", "presenter_connections_opened_total",
                "presenter_connections_closed_total", "presenter_tls_handshakes_total",
                "presenter_tls_handshake_duration_seconds_bucket", "presenter_auth_rejected_total",
                "presenter_relay_bytes_total", "presenter_backend_connections", "presenter_wrong_shard_retries_total",
                "presenter_ring_version", "presenter_ring_members", "presenter_drain_phase", "presenter_weight",
                "jvm_memory_used_bytes", "process_cpu_usage");
        Set<String> missing = new TreeSet<>();
        for (String name : used) {
            if (!scraped.contains(name) && !EXEMPT.matcher(name).matches()) {
                missing.add(name);
            }
        }
        assertThat(missing).as("metrics the dashboard uses that the presenter does not export; scraped: %s", scraped)
                .isEmpty();
    }

    @Test
    void theDashboardIsWellFormed() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        for (String field : List.of("title", "uid", "schemaVersion", "panels", "templating", "time")) {
            assertThat(dashboard.has(field)).as("dashboard has %s", field).isTrue();
        }
        Set<JsonNode> ids = new HashSet<>();
        for (JsonNode panel : dashboard.required("panels")) {
            assertThat(ids.add(panel.get("id"))).as("unique panel id %s", panel.get("id")).isTrue();
            for (String field : List.of("type", "title", "gridPos")) {
                assertThat(panel.has(field)).as("panel %s has %s", panel.get("id"), field).isTrue();
            }
            if (!"row".equals(panel.path("type").asText())) {
                String title = panel.path("title").asText();
                assertThat(panel.path("targets").isEmpty()).as(title + " has targets").isFalse();
                assertThat(panel.hasNonNull("description")).as(title + " has a description").isTrue();
            }
        }
    }

    @Test
    void promQlMetricNamesAreFoundAndFunctionsLabelsAndDurationsAreNot() {
        assertThat(metricNames("histogram_quantile(0.99, sum by (le, result) (rate("
                + "presenter_tls_handshake_duration_seconds_bucket{instance=~\"$instance\", result!=\"x\"}[$__rate_interval])))"))
                .containsExactly("presenter_tls_handshake_duration_seconds_bucket");
        assertThat(metricNames("max by (instance) (process_files_open_files{a=\"b\"} / process_files_max_files offset 5m) > 1e3"))
                .containsExactly("process_files_open_files", "process_files_max_files");
        assertThat(metricNames("label_values(presenter_connections_active, instance)"))
                .containsExactly("presenter_connections_active");
    }

    /** Every PromQL query of the dashboard: panel targets and query variables. */
    static List<String> queries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.required("panels")) {
            for (JsonNode target : panel.path("targets")) {
                if (target.path("expr").isTextual()) {
                    queries.add(target.get("expr").asText());
                }
            }
        }
        for (JsonNode variable : dashboard.requiredAt("/templating/list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode q = variable.required("query");
                // Grafana writes a query variable's query either as a string or as {"query": "..."}.
                queries.add(q.isTextual() ? q.asText() : q.required("query").asText());
            }
        }
        return queries;
    }

    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([^,)]+)\\s*,[^)]*\\)");
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2");

    /** The metric names a PromQL expression reads (not functions, labels, keywords or durations). */
    static Set<String> metricNames(String expr) {
        String e = LABEL_VALUES.matcher(expr).replaceAll("$1");
        e = STRINGS.matcher(e).replaceAll("\"\"");
        e = e.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
        e = GROUPING.matcher(e).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(e);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The sample names of a Prometheus text exposition. */
    static Set<String> metricNamesOfScrape(String body) {
        Set<String> names = new TreeSet<>();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
