package io.presenter.gateway.fleet;

/**
 * Whether this presenter can serve: the one answer that both {@code GET /ready} and its fleet
 * node's state come from, so the two never disagree. {@link PresenterReadiness} is the real one;
 * the scale test's node-only presenters are always ready.
 */
public interface Readiness {

    /** Null when ready for clients, else why not ("draining" while draining). */
    String notReadyReason();

    /** Whether the drain has started: no way back to READY. */
    boolean draining();

    /** The state for the fleet node, from the same answers as {@link #notReadyReason()}. */
    default PresenterState state() {
        if (draining()) {
            return PresenterState.DRAINING;
        }
        return notReadyReason() == null ? PresenterState.READY : PresenterState.STARTING;
    }
}
