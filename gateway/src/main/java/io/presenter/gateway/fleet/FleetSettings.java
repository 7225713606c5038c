package io.presenter.gateway.fleet;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code fleet.*} settings: how a presenter reports itself in ZooKeeper, and how the leader
 * treats presenters that are gone. The loop's pace and the Route53 record are the {@code weight.*}
 * settings (see {@code deploy/route53.md}).
 *
 * @param loadThreshold {@code fleet.load-threshold}, default {@code 0.05}: the presenter node is
 *     rewritten when connections/capacity or CPU moved by more than this since the last write
 * @param nodeRefreshInterval {@code fleet.node-refresh-interval}, default {@code 60s}: a smaller
 *     change is written after this long; a node with no change at all is never rewritten
 * @param readyReachableFraction {@code fleet.ready-reachable-fraction}, default {@code 0.5}: the
 *     share of the ring's chat servers this presenter must hold a mux connection to to be READY
 *     (at least one); 0 to 1
 * @param recordGrace {@code fleet.record-grace}, default {@code 5m}: the leader deletes the records
 *     of a presenter whose node is gone this long after it zeroed them; longer than {@code weight.ttl}
 * @param leaderlessDrainAfter {@code fleet.leaderless-drain-after}, default {@code 30s}: a draining
 *     presenter that has seen no leader for this long writes its own zero
 */
public record FleetSettings(double loadThreshold, Duration nodeRefreshInterval, double readyReachableFraction,
        Duration recordGrace, Duration leaderlessDrainAfter) {

    public static final double DEFAULT_LOAD_THRESHOLD = 0.05;
    public static final Duration DEFAULT_NODE_REFRESH_INTERVAL = Duration.ofSeconds(60);
    public static final double DEFAULT_READY_REACHABLE_FRACTION = 0.5;
    public static final Duration DEFAULT_RECORD_GRACE = Duration.ofMinutes(5);
    public static final Duration DEFAULT_LEADERLESS_DRAIN_AFTER = Duration.ofSeconds(30);

    public FleetSettings {
        if (!(loadThreshold >= 0 && loadThreshold <= 1)) {
            throw new IllegalArgumentException("fleet.load-threshold must be 0 to 1, got " + loadThreshold);
        }
        if (!(readyReachableFraction >= 0 && readyReachableFraction <= 1)) {
            throw new IllegalArgumentException("fleet.ready-reachable-fraction must be 0 to 1, got "
                    + readyReachableFraction);
        }
        positive(nodeRefreshInterval, "fleet.node-refresh-interval");
        positive(recordGrace, "fleet.record-grace");
        positive(leaderlessDrainAfter, "fleet.leaderless-drain-after");
    }

    public static FleetSettings defaults() {
        return new FleetSettings(DEFAULT_LOAD_THRESHOLD, DEFAULT_NODE_REFRESH_INTERVAL,
                DEFAULT_READY_REACHABLE_FRACTION, DEFAULT_RECORD_GRACE, DEFAULT_LEADERLESS_DRAIN_AFTER);
    }

    /**
     * Checks the grace period against the record TTL: a record deleted while resolvers may still
     * hold it at its last weight would be answered from their caches with an address that is gone,
     * and deleting before the zero had time to reach them makes the zero pointless.
     */
    public FleetSettings checkedAgainst(Duration recordTtl) {
        if (recordGrace.compareTo(recordTtl) <= 0) {
            throw new IllegalArgumentException("fleet.record-grace (" + recordGrace
                    + ") must be longer than weight.ttl (" + recordTtl + ")");
        }
        return this;
    }

    public FleetSettings withRecordGrace(Duration value) {
        return new FleetSettings(loadThreshold, nodeRefreshInterval, readyReachableFraction, value,
                leaderlessDrainAfter);
    }

    public FleetSettings withLeaderlessDrainAfter(Duration value) {
        return new FleetSettings(loadThreshold, nodeRefreshInterval, readyReachableFraction, recordGrace, value);
    }

    public FleetSettings withNodeUpdates(double threshold, Duration refresh) {
        return new FleetSettings(threshold, refresh, readyReachableFraction, recordGrace, leaderlessDrainAfter);
    }

    private static void positive(Duration value, String key) {
        Objects.requireNonNull(value, key);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }
}
