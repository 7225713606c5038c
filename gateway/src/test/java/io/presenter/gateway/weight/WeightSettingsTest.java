package io.presenter.gateway.weight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WeightSettingsTest {

    private static final WeightSettings ON =
            WeightSettings.defaults().enabledFor("Z123", "chat.example.com.", List.of("192.0.2.10"));

    private static WeightSettings with(List<RecordType> types, List<String> addresses) {
        return new WeightSettings(true, "Z123", "chat.example.com.", types, addresses, null, Duration.ofSeconds(60),
                Duration.ofSeconds(10), Duration.ofMinutes(5), 0.2, 8, 200, 0, 0.8, 0.3, null, "aws-global");
    }

    @Test
    void defaultsAreOffAndDocumented() {
        WeightSettings d = WeightSettings.defaults();
        assertThat(d.enabled()).isFalse();
        assertThat(d.recordTypes()).containsExactly(RecordType.A);
        assertThat(d.ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.refreshInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.jitter()).isEqualTo(0.2);
        assertThat(d.threshold()).isEqualTo(8);
        assertThat(d.max()).isEqualTo(200);
        assertThat(d.capacity()).isZero();
        assertThat(d.cpuTarget()).isEqualTo(0.8);
        assertThat(d.smoothing()).isEqualTo(0.3);
        assertThat(d.endpoint()).isNull();
        assertThat(d.region()).isEqualTo("aws-global");
        assertThat(d.setIdentifier()).isNull();
    }

    @Test
    void enabledNeedsZoneNameAndAddresses() {
        assertThatThrownBy(() -> WeightSettings.defaults().enabledFor(null, "chat.example.com.", List.of("192.0.2.1")))
                .hasMessageContaining("weight.hosted-zone-id");
        assertThatThrownBy(() -> WeightSettings.defaults().enabledFor("Z1", " ", List.of("192.0.2.1")))
                .hasMessageContaining("weight.record-name");
        assertThatThrownBy(() -> WeightSettings.defaults().enabledFor("Z1", "chat.example.com.", List.of()))
                .hasMessageContaining("weight.addresses");
    }

    @Test
    void everyRecordTypeNeedsAnAddressOfItsFamilyAndViceVersa() {
        assertThatThrownBy(() -> with(List.of(RecordType.A, RecordType.AAAA), List.of("192.0.2.1")))
                .hasMessageContaining("AAAA");
        assertThatThrownBy(() -> with(List.of(RecordType.A), List.of("192.0.2.1", "2001:db8::1")))
                .hasMessageContaining("AAAA");
        assertThatThrownBy(() -> with(List.of(RecordType.A, RecordType.A), List.of("192.0.2.1")))
                .hasMessageContaining("twice");
        WeightSettings both = with(List.of(RecordType.A, RecordType.AAAA),
                List.of("192.0.2.1", "2001:db8::1", "192.0.2.2"));
        assertThat(both.addresses(RecordType.A)).containsExactly("192.0.2.1", "192.0.2.2");
        assertThat(both.addresses(RecordType.AAAA)).containsExactly("2001:db8::1");
    }

    @Test
    void addressesAreIpLiterals() {
        assertThatThrownBy(() -> with(List.of(RecordType.A), List.of("chat.example.com")))
                .hasMessageContaining("IPv4 or IPv6 literals");
        assertThatThrownBy(() -> with(List.of(RecordType.A), List.of("192.0.2.300")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> with(List.of(RecordType.AAAA), List.of("[2001:db8::1]")))
                .hasMessageContaining("literals");
        assertThatThrownBy(() -> with(List.of(RecordType.AAAA), List.of("fe80::1%eth0")))
                .hasMessageContaining("literals");
    }

    @Test
    void enabledForDerivesTheTypesFromTheAddresses() {
        WeightSettings s = WeightSettings.defaults()
                .enabledFor("Z1", "chat.example.com", List.of("2001:db8::1", "192.0.2.1"));
        assertThat(s.recordTypes()).containsExactly(RecordType.A, RecordType.AAAA);
        assertThat(s.recordName()).isEqualTo("chat.example.com.");
    }

    @Test
    void theApisZoneIdFormIsAccepted() {
        assertThat(WeightSettings.defaults().enabledFor("/hostedzone/Z1", "a.b.", List.of("192.0.2.1")).hostedZoneId())
                .isEqualTo("Z1");
    }

    @Test
    void setIdentifierAndCapacityFallBack() {
        assertThat(ON.setIdentifierOr("presenter-7")).isEqualTo("presenter-7");
        assertThat(ON.withSetIdentifier("eu-1a").setIdentifierOr("presenter-7")).isEqualTo("eu-1a");
        assertThat(ON.capacityOr(100_000)).isEqualTo(100_000);
        assertThat(ON.withCapacity(5000).capacityOr(100_000)).isEqualTo(5000);
        assertThatThrownBy(() -> ON.withSetIdentifier("x".repeat(129))).hasMessageContaining("weight.set-identifier");
        assertThatThrownBy(() -> ON.withCapacity(-1)).hasMessageContaining("weight.capacity");
    }

    @Test
    void knobsOutsideTheirRangesAreRejectedWithTheirKey() {
        assertThatThrownBy(() -> ON.withPolicy(8, 256, 0.8, 0.3)).hasMessageContaining("weight.max");
        assertThatThrownBy(() -> ON.withPolicy(0, 200, 0.8, 0.3)).hasMessageContaining("weight.threshold");
        assertThatThrownBy(() -> ON.withPolicy(201, 200, 0.8, 0.3)).hasMessageContaining("weight.threshold");
        assertThatThrownBy(() -> ON.withPolicy(8, 200, 1.2, 0.3)).hasMessageContaining("weight.cpu-target");
        assertThatThrownBy(() -> ON.withPolicy(8, 200, 0.8, 0)).hasMessageContaining("weight.smoothing");
        assertThatThrownBy(() -> ON.withPolicy(8, 200, 0.8, Double.NaN)).hasMessageContaining("weight.smoothing");
        assertThatThrownBy(() -> ON.withSchedule(Duration.ZERO, Duration.ofMinutes(5), 0.2))
                .hasMessageContaining("weight.interval");
        assertThatThrownBy(() -> ON.withSchedule(Duration.ofSeconds(10), Duration.ofSeconds(5), 0.2))
                .hasMessageContaining("weight.refresh-interval");
        assertThatThrownBy(() -> ON.withSchedule(Duration.ofSeconds(10), Duration.ofMinutes(5), 1.5))
                .hasMessageContaining("weight.jitter");
        assertThatThrownBy(() -> ON.withTtl(Duration.ofMillis(500))).hasMessageContaining("weight.ttl");
        assertThatThrownBy(() -> ON.withEndpoint(URI.create("ftp://moto"))).hasMessageContaining("weight.endpoint");
        assertThat(ON.withEndpoint(URI.create("http://127.0.0.1:5000")).endpoint().getPort()).isEqualTo(5000);
    }

    @Test
    void recordTypesParseFromConfig() {
        assertThat(RecordType.fromConfig(" aaaa ")).isEqualTo(RecordType.AAAA);
        assertThat(RecordType.fromConfig("A")).isEqualTo(RecordType.A);
        assertThatThrownBy(() -> RecordType.fromConfig("CNAME")).hasMessageContaining("weight.record-types");
    }
}
