package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TlsMetersTest {

    @Test
    void everyHandshakeSeriesHasTheSameTagKeys() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TlsMeters meters = new TlsMeters(registry);
        meters.succeeded(false, 1_000);
        meters.succeeded(true, 1_000);
        meters.failed(TlsMeters.FailureReason.TIMEOUT);

        Set<Set<String>> keySets = registry.find(TlsMeters.HANDSHAKES).counters().stream()
                .map(counter -> counter.getId().getTags().stream().map(Tag::getKey).collect(Collectors.toSet()))
                .collect(Collectors.toSet());
        assertThat(keySets).containsExactly(Set.of("result", "reason"));
        assertThat(registry.scrape())
                .contains("presenter_tls_handshakes_total{reason=\"none\",result=\"full\"} 1.0")
                .contains("presenter_tls_handshakes_total{reason=\"none\",result=\"resumed\"} 1.0")
                .contains("presenter_tls_handshakes_total{reason=\"timeout\",result=\"failed\"} 1.0");
        assertThat(registry.find(TlsMeters.HANDSHAKES).meters()).extracting(Meter::getId).hasSize(7);
    }
}
