package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MuxSettingsTest {

    @Test
    void defaultsAreTheDocumentedSafeLimits() {
        MuxSettings settings = MuxSettings.defaults();
        assertThat(settings.initialStreamWindow()).isEqualTo(64 * 1024);
        assertThat(settings.maxFramePayload()).isEqualTo(16 * 1024);
        assertThat(settings.maxStreamId()).isEqualTo(Integer.MAX_VALUE);
        assertThat(settings.maxFrameLength()).isEqualTo(16 * 1024 + MuxSettings.FRAME_OVERHEAD);
        assertThat(settings.toBuilder().build()).isEqualTo(settings);
    }

    @Test
    void rejectsLimitsThatCannotWork() {
        assertThatThrownBy(() -> MuxSettings.builder().initialStreamWindow(10).build())
                .hasMessage("initialStreamWindow 10 < 1024");
        assertThatThrownBy(() -> MuxSettings.builder().maxFramePayload(4096).initialConnectionWindow(2048).build())
                .hasMessage("initialConnectionWindow 2048 < 4096");
        assertThatThrownBy(() -> MuxSettings.builder().keepaliveInterval(Duration.ZERO).build())
                .hasMessage("keepaliveInterval PT0S");
        assertThatThrownBy(() -> MuxSettings.builder().maxStreamId(0).build()).hasMessage("maxStreamId 0 < 1");
    }

    @Test
    void streamMetadataKeepsTheClientAddressForRemoteAddress() {
        StreamMetadata v6 = StreamMetadata.of(1, 2, new InetSocketAddress("::1", 443), "p");
        assertThat(v6.clientAddress()).isEqualTo("[::1]:443");
        assertThat(v6.clientSocketAddress()).isEqualTo(InetSocketAddress.createUnresolved("::1", 443));
        assertThat(new StreamMetadata(1, 2, "", "", 0).clientSocketAddress()).isNull();
    }
}
