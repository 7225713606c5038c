package io.presenter.gateway.weight;

import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link WeightPublishing#disabled()}: DNS weights are someone else's business (or there is no DNS). */
final class NoWeightPublishing implements WeightPublishing {

    private static final Logger log = LoggerFactory.getLogger(WeightPublishing.class);

    NoWeightPublishing() {
        log.info("Route53 weight publishing is off (weight.enabled is false): this presenter's DNS weight "
                + "is not managed, and a drain does not change it");
    }

    @Override
    public CompletableFuture<Void> drain() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public int publishedWeight() {
        return WeightPolicy.UNPUBLISHED;
    }

    @Override
    public void close() {
    }
}
