package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.protocol.wire.ResetCode;
import org.junit.jupiter.api.Test;

class MuxMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MuxMeters meters = new MuxMeters(registry);

    @Test
    void countsStreamsFramesAndResetsByDirectionAndCode() {
        meters.streamOpened();
        meters.streamOpened();
        meters.streamClosed();
        meters.frameRead(100);
        meters.frameWritten(0);
        meters.resetSent(ResetCode.WRONG_SHARD);
        meters.resetReceived(ResetCode.CANCEL);

        assertThat(registry.get("mux.streams.active").gauge().value()).isEqualTo(1);
        assertThat(registry.get("mux.streams.opened").counter().count()).isEqualTo(2);
        assertThat(registry.get("mux.payload").tag("direction", "read").counter().count()).isEqualTo(100);
        assertThat(registry.get("mux.frames").tag("direction", "written").counter().count()).isEqualTo(1);
        assertThat(registry.get("mux.resets").tags("direction", "sent", "code", "wrong_shard").counter().count())
                .isEqualTo(1);
        assertThat(registry.get("mux.resets").tags("direction", "sent", "code", "cancel").counter().count())
                .as("registered up front, still zero").isZero();
    }
}
