package io.presenter.gateway.weight;

/**
 * Where the weight loop gets this presenter's load. Called on the weight thread only, every
 * {@code weight.interval}; it must be cheap and must not block.
 */
@FunctionalInterface
public interface LoadProbe {

    LoadSample sample();
}
