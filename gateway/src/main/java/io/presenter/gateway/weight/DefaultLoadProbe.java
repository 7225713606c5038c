package io.presenter.gateway.weight;

import java.lang.management.ManagementFactory;
import java.util.function.IntSupplier;

/**
 * The production probe: connections from the server's live count, CPU from the JVM's
 * {@link com.sun.management.OperatingSystemMXBean} (process and system CPU as a share of all cores,
 * averaged since the previous call, which is what one sample per interval wants).
 */
public final class DefaultLoadProbe implements LoadProbe {

    private final IntSupplier activeConnections;
    private final int capacity;
    private final com.sun.management.OperatingSystemMXBean os;

    /**
     * @param activeConnections the number of open client connections (read on the weight thread,
     *     so it must be thread-safe, e.g. an atomic counter)
     * @param capacity see {@link WeightSettings#capacityOr(int)}
     */
    public DefaultLoadProbe(IntSupplier activeConnections, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.activeConnections = activeConnections;
        this.capacity = capacity;
        this.os = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);
    }

    @Override
    public LoadSample sample() {
        return new LoadSample(Math.max(0, activeConnections.getAsInt()), capacity,
                fraction(os.getProcessCpuLoad()), fraction(os.getCpuLoad()));
    }

    /**
     * The bean answers a negative value when it cannot tell (first call, no cgroup data); that
     * counts as no CPU load, so the connection term alone decides rather than the weight dropping.
     */
    private static double fraction(double load) {
        return load >= 0 && load <= 1 ? load : load > 1 ? 1 : 0;
    }
}
