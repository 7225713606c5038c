package io.presenter.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessSamplerTest {

    @Test
    void readsPlausibleCpuAndRssOfThisJvm() throws Exception {
        ProcessSampler sampler = new ProcessSampler(ProcessHandle.current().pid());
        ProcessSampler.Sample first = sampler.sample();

        // A JVM that got this far has used well over one clock tick of CPU and megabytes of memory.
        assertThat(first.cpuMicros()).isPositive();
        assertThat(first.rssKib()).isGreaterThan(1024).isLessThan(64L * 1024 * 1024);
        ProcessSampler.Sample second = sampler.sample();
        assertThat(second.cpuMicros()).isGreaterThanOrEqualTo(first.cpuMicros());
        assertThat(ProcessSampler.cost(first, second, 4, "handshakes"))
                .containsKeys("cpu_us", "cpu_us_per_handshake", "rss_delta_bytes_per_handshake");
    }
}
