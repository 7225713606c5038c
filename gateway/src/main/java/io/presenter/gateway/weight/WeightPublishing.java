package io.presenter.gateway.weight;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.route53.Route53Client;

/**
 * This presenter's weight in DNS, kept up to date from its load until it drains.
 *
 * <p>{@link #start} samples the {@link LoadProbe} every {@code weight.interval ± jitter} on the
 * publisher's own thread, asks the {@link WeightPolicy} whether the weight should change, and
 * publishes when it should or when {@code weight.refresh-interval} has passed since the last
 * publish. {@link #disabled()} is the stand-in when {@code weight.enabled} is false.
 *
 * <p>Meters: gauge {@code presenter.weight} (the published weight; NaN before the first publish),
 * plus the publisher's {@code presenter.weight.publishes} and {@code presenter.weight.publish.latency}.
 */
public interface WeightPublishing extends AutoCloseable {

    /**
     * Starts publishing with {@code client} (see {@link Route53WeightPublisher#newClient}), which
     * the caller keeps and closes after {@link #close()}. The first sample is taken at once, so a
     * new presenter's record appears (at full weight, being idle) right away. When
     * {@code weight.enabled} is false this is {@link #disabled()} and the client is not used.
     */
    static WeightPublishing start(WeightSettings settings, String presenterId, LoadProbe probe,
            Route53Client client, MeterRegistry registry) {
        if (!settings.enabled()) {
            return disabled();
        }
        Route53WeightPublisher publisher = new Route53WeightPublisher(client, settings, presenterId, registry);
        return WeightLoop.start(settings, probe, publisher, registry, null);
    }

    /**
     * Starts publishing with a client of its own ({@link Route53WeightPublisher#newClient(WeightSettings)}:
     * the SDK's default credential chain, e.g. the instance profile), closed with this; or
     * {@link #disabled()} when {@code weight.enabled} is false.
     */
    static WeightPublishing start(WeightSettings settings, String presenterId, LoadProbe probe,
            MeterRegistry registry) {
        if (!settings.enabled()) {
            return disabled();
        }
        Route53Client client = Route53WeightPublisher.newClient(settings);
        Route53WeightPublisher publisher = new Route53WeightPublisher(client, settings, presenterId, registry);
        return WeightLoop.start(settings, probe, publisher, registry, client);
    }

    /**
     * Publishes nothing; {@link #drain()} completes at once. Logs once, at INFO, that weight
     * publishing is off, so the daemon's startup log says so.
     */
    static WeightPublishing disabled() {
        return new NoWeightPublishing();
    }

    /**
     * Sets the weight to 0 for good and publishes it at once (superseding any publish still
     * retrying). Completes when Route53 reports the change INSYNC; a failed try is repeated on the
     * next ticks until it is, so the drain controller just waits (with its own deadline). Every call
     * returns the same outcome.
     */
    CompletableFuture<Void> drain();

    /** The weight Route53 last accepted, or {@link WeightPolicy#UNPUBLISHED} (-1) before that. */
    int publishedWeight();

    /** Stops sampling and publishing; leaves the record as last published. A pending drain fails. */
    @Override
    void close();
}
