package io.presenter.gateway.weight;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The publisher's meters, registered once.
 *
 * <ul>
 *   <li>{@code presenter.weight.publishes} counter, one per {@code ChangeResourceRecordSets} call,
 *       tag {@code result} = {@code ok}, {@code throttled}, {@code prior_request_not_complete} or
 *       {@code error}: retries show up here, since the SDK's own retries are off.</li>
 *   <li>{@code presenter.weight.publish.latency} timer: from asking for a weight to Route53
 *       accepting it (and, for a drain, reporting it INSYNC), retries and backoff included; successful
 *       publishes only.</li>
 * </ul>
 * The {@code presenter.weight} gauge (this presenter's applied weight) belongs to the fleet loop.
 */
final class WeightMeters {

    static final String WEIGHT = "presenter.weight";
    static final String PUBLISHES = "presenter.weight.publishes";
    static final String PUBLISH_LATENCY = "presenter.weight.publish.latency";

    private final Map<PublishOutcome, Counter> publishes = new EnumMap<>(PublishOutcome.class);
    private final Timer latency;

    WeightMeters(MeterRegistry registry) {
        for (PublishOutcome outcome : PublishOutcome.values()) {
            publishes.put(outcome, Counter.builder(PUBLISHES)
                    .description("Route53 ChangeResourceRecordSets calls for this presenter's weight")
                    .tag("result", outcome.tag())
                    .register(registry));
        }
        latency = Timer.builder(PUBLISH_LATENCY)
                .description("From a weight change to Route53 accepting it (INSYNC for drains), retries included")
                .register(registry);
    }

    void count(PublishOutcome outcome) {
        publishes.get(outcome).increment();
    }

    void published(long nanos) {
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }
}
