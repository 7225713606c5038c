package io.presenter.protocol.mux;

import java.util.Arrays;
import java.util.Objects;

/**
 * A chat server's sealed session state as the mux carries it: in a handover frame from the old
 * owner to the presenter, then in the open-stream the presenter sends the new owner. Opaque to the
 * presenter; only chat servers can read or forge it (they authenticate {@code state} with
 * {@code mac}). {@link #NONE} marks a stream that does not continue a handed-over session.
 *
 * @param state the chat server's session state
 * @param mac its authentication code among chat servers
 */
public record SessionHandover(byte[] state, byte[] mac) {

    /** Not a handed-over stream. */
    public static final SessionHandover NONE = new SessionHandover(new byte[0], new byte[0]);

    public SessionHandover {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(mac, "mac");
    }

    public boolean isPresent() {
        return this != NONE;
    }

    /** Bytes the ticket takes in a frame, roughly: what size caps are held against. */
    public int size() {
        return state.length + mac.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionHandover other && Arrays.equals(state, other.state) && Arrays.equals(mac, other.mac);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(state) + Arrays.hashCode(mac);
    }

    @Override
    public String toString() {
        return isPresent() ? "SessionHandover(" + state.length + " state bytes)" : "SessionHandover.NONE";
    }
}
