package io.presenter.gateway.fleet;

/** Where a presenter is in its life, as its fleet node says; only {@link #READY} gets a weight above 0. */
public enum PresenterState {
    /** Up, but not able to serve yet (see {@link Readiness}): weight 0. */
    STARTING,
    /** Listener bound, ring loaded, enough chat servers reachable: weight from its load. */
    READY,
    /** On its way out: weight 0 for good. */
    DRAINING
}
