package io.presenter.gateway.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;

/**
 * The TLS handshake meters, registered once and shared by every connection's
 * {@link TlsHandshakeMetrics} handler (no registry lookup per handshake).
 *
 * <ul>
 *   <li>{@code presenter.tls.handshakes} counter, tags {@code result} = {@code full}, {@code resumed}
 *       or {@code failed} and {@code reason} (see {@link FailureReason}; {@code none} for a handshake
 *       that succeeded): every series has the same tag keys, as Prometheus expects of one name, and
 *       the tag set is bounded.</li>
 *   <li>{@code presenter.tls.handshake.duration} timer, tag {@code result} = {@code full} or
 *       {@code resumed}: from the connection becoming active to the handshake completing, so it
 *       includes the network round trips the client saw, not just CPU.</li>
 * </ul>
 */
public final class TlsMeters {

    /** Why a handshake failed: a closed, small set so the metric cannot explode. */
    public enum FailureReason {
        /** No handshake within {@code tls.handshake-timeout}. */
        TIMEOUT("timeout"),
        /** The first bytes were not a TLS record (plain HTTP, a port scanner, ...). */
        NOT_SSL("not_ssl"),
        /** The peer closed the connection before the handshake completed. */
        CLOSED("closed"),
        /** A TLS-level failure: no common protocol or cipher, bad message, alert from the client. */
        HANDSHAKE("handshake"),
        /** Anything else. */
        OTHER("other");

        private final String tag;

        FailureReason(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    public static final String HANDSHAKES = "presenter.tls.handshakes";
    /** The {@code reason} of a handshake that succeeded. */
    public static final String NO_FAILURE = "none";
    public static final String HANDSHAKE_DURATION = "presenter.tls.handshake.duration";

    private final Counter full;
    private final Counter resumed;
    private final Map<FailureReason, Counter> failed = new EnumMap<>(FailureReason.class);
    private final Timer fullDuration;
    private final Timer resumedDuration;

    public TlsMeters(MeterRegistry registry) {
        full = handshakes("full").tag("reason", NO_FAILURE).register(registry);
        resumed = handshakes("resumed").tag("reason", NO_FAILURE).register(registry);
        for (FailureReason reason : FailureReason.values()) {
            failed.put(reason, handshakes("failed").tag("reason", reason.tag()).register(registry));
        }
        fullDuration = duration("full").register(registry);
        resumedDuration = duration("resumed").register(registry);
    }

    private static Counter.Builder handshakes(String result) {
        return Counter.builder(HANDSHAKES).description("TLS handshakes on the client listener")
                .tag("result", result);
    }

    private static Timer.Builder duration(String result) {
        return Timer.builder(HANDSHAKE_DURATION)
                .description("From connection accepted to TLS handshake completed")
                .tag("result", result)
                .publishPercentileHistogram();
    }

    void succeeded(boolean wasResumed, long nanos) {
        if (wasResumed) {
            resumed.increment();
            resumedDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        } else {
            full.increment();
            fullDuration.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    void failed(FailureReason reason) {
        failed.get(reason).increment();
    }
}
