package io.presenter.gateway.chaos;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.TreeMap;

/** Prints what a chaos test observed, so RELIABILITY.md quotes real runs (one line per test, grep "CHAOS"). */
final class ChaosReport {

    private ChaosReport() {}

    /** Every counter named {@code name}, by the value of {@code tag}. */
    static Map<String, Double> byTag(MeterRegistry registry, String name, String tag) {
        Map<String, Double> counts = new TreeMap<>();
        for (Counter counter : registry.find(name).counters()) {
            counts.merge(String.valueOf(counter.getId().getTag(tag)), counter.count(), Double::sum);
        }
        return counts;
    }

    static void print(String test, Object... keyValues) {
        StringBuilder line = new StringBuilder("CHAOS ").append(test);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            line.append(' ').append(keyValues[i]).append('=').append(keyValues[i + 1]);
        }
        System.out.println(line);
    }
}
