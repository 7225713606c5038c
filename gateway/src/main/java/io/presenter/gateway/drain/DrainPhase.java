package io.presenter.gateway.drain;

/** Where a presenter is on its way out of the fleet, in order. */
public enum DrainPhase {
    /** Not draining. */
    SERVING,
    /** Publishing weight 0 and waiting for Route53 to report it INSYNC. */
    ZEROING_WEIGHT,
    /** Still accepting and serving (resolvers cache the old answer) until the clients have left. */
    DRAINING,
    /** The maximum drain time passed: closing the remaining clients at a bounded rate. */
    CLOSING,
    /** No client left and none arriving: the process may exit. */
    DRAINED
}
