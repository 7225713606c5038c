package io.presenter.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.gateway.lifecycle.PresenterAdmin.DrainStatus;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void readsShortFormsAndIso8601() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void refusesNumbersWithoutUnitsAndUnknownUnits() {
        assertThatThrownBy(() -> Durations.parse("60")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("30s");
        assertThatThrownBy(() -> Durations.parse("5d")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsTheWayItReads() {
        assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(Duration.ofMillis(40))).isEqualTo("40ms");
        assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("48h");
    }

    @Test
    void drainStatusReadsTheContractAndIgnoresExtraFields() throws IOException {
        DrainStatus s = DrainStatus.parse(
                "{\"phase\":\"DRAINING\",\"connections\":123,\"secondsInPhase\":4.2,\"draining\":true,\"extra\":{\"a\":1}}");
        assertThat(s).isEqualTo(new DrainStatus("DRAINING", 123, 4.2, true));
        assertThat(s.drained()).isFalse();
        assertThat(DrainStatus.parse("{\"phase\":\"DRAINED\"}").drained()).isTrue();
        assertThatThrownBy(() -> DrainStatus.parse("{\"connections\":1}")).isInstanceOf(IOException.class)
                .hasMessageContaining("no phase");
        assertThatThrownBy(() -> DrainStatus.parse("<html>")).isInstanceOf(IOException.class);
    }
}
