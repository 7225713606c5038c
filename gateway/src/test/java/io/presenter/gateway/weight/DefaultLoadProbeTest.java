package io.presenter.gateway.weight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DefaultLoadProbeTest {

    @Test
    void readsTheLiveConnectionCountAndCpuAsFractions() {
        AtomicInteger connections = new AtomicInteger(42);
        DefaultLoadProbe probe = new DefaultLoadProbe(connections::get, 5000);

        LoadSample first = probe.sample();
        assertThat(first.activeConnections()).isEqualTo(42);
        assertThat(first.capacity()).isEqualTo(5000);
        assertThat(first.processCpu()).isBetween(0.0, 1.0);
        assertThat(first.systemCpu()).isBetween(0.0, 1.0);

        connections.set(7);
        assertThat(probe.sample().activeConnections()).isEqualTo(7);
    }

    @Test
    void aNegativeCountFromARacingCounterIsZero() {
        assertThat(new DefaultLoadProbe(() -> -1, 10).sample().activeConnections()).isZero();
    }

    @Test
    void needsACapacity() {
        assertThatThrownBy(() -> new DefaultLoadProbe(() -> 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSampleOutsideItsRangesIsRefused() {
        assertThatThrownBy(() -> new LoadSample(-1, 10, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoadSample(0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoadSample(0, 10, 1.5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoadSample(0, 10, 0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
