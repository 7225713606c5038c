package io.presenter.ring;

/**
 * Whether a chat server takes new couples.
 *
 * <p>Written as its {@link #name()} in the member node (see the package documentation).
 */
public enum MemberState {
    /** Takes new couples in proportion to its weight. */
    ACTIVE,
    /**
     * Keeps serving the streams it has, and stays in the ring's member list so that they keep
     * resolving, but is given no new couples.
     */
    DRAINING
}
