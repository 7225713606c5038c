package io.presenter.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.gateway.drain.DrainPhase;
import io.presenter.gateway.lifecycle.PresenterAdmin.DrainStatus;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class DrainStatusTest {

    @Test
    void readsTheContractAndIgnoresExtraFields() throws IOException {
        DrainStatus s = DrainStatus.parse(
                "{\"phase\":\"DRAINING\",\"connections\":123,\"secondsInPhase\":4.2,\"draining\":true,\"extra\":{\"a\":1}}");
        assertThat(s).isEqualTo(new DrainStatus("DRAINING", 123, 4.2, true));
        assertThat(s.drained()).isFalse();
        assertThat(DrainStatus.parse("{\"phase\":\"DRAINED\"}").drained()).isTrue();
    }

    @Test
    void readsWhatThePresenterWrites() throws IOException {
        String json = new io.presenter.gateway.drain.DrainStatus(DrainPhase.CLOSING, 7, 12.25).toJson();
        assertThat(DrainStatus.parse(json)).isEqualTo(new DrainStatus("CLOSING", 7, 12.3, true));
        assertThat(DrainStatus.parse(new io.presenter.gateway.drain.DrainStatus(DrainPhase.DRAINED, 0, 0).toJson())
                .drained()).isTrue();
    }

    @Test
    void refusesWhatIsNotAStatus() {
        assertThatThrownBy(() -> DrainStatus.parse("{\"connections\":1}")).isInstanceOf(IOException.class)
                .hasMessageContaining("no phase");
        assertThatThrownBy(() -> DrainStatus.parse("<html>")).isInstanceOf(IOException.class);
    }
}
