package io.presenter.ring;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * One chat server as the ring sees it: where to reach it and how many couples it should own.
 *
 * @param id unique, stable name of the chat server; also its node name in ZooKeeper, so it is
 *        limited to {@code [A-Za-z0-9][A-Za-z0-9._-]*}, at most {@value #MAX_ID_LENGTH} characters
 * @param host address presenters connect to (host name or IP literal, printable ASCII)
 * @param muxPort port of the mux listener presenters connect to
 * @param directPort port of the direct TLS listener clients used before presenters existed
 * @param weight relative share of new couples, 0 to {@value #MAX_WEIGHT}; each unit is
 *        {@value #POINTS_PER_WEIGHT} points on the ring, and 0 means no new couples
 * @param state whether the member takes new couples
 */
public record RingMember(String id, String host, int muxPort, int directPort, int weight,
                         MemberState state) {

    /** Weight of a standard chat server. */
    public static final int DEFAULT_WEIGHT = 1;
    /** Caps the ring at {@code MAX_WEIGHT * POINTS_PER_WEIGHT} points per member. */
    public static final int MAX_WEIGHT = 100;
    /** Ring points per unit of weight; 160 is ketama's figure (40 MD5 digests of 4 points). */
    public static final int POINTS_PER_WEIGHT = 160;
    public static final int MAX_ID_LENGTH = 128;
    private static final int MAX_HOST_LENGTH = 255;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    public RingMember {
        requireNonNull(id, "id");
        requireNonNull(host, "host");
        requireNonNull(state, "state");
        if (id.length() > MAX_ID_LENGTH || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("member id must match " + ID + " and have at most "
                    + MAX_ID_LENGTH + " characters: '" + id + "'");
        }
        if (!isValidHost(host)) {
            throw new IllegalArgumentException("host must be 1-" + MAX_HOST_LENGTH
                    + " printable ASCII characters without '/' or '\\': '" + host + "'");
        }
        checkPort("muxPort", muxPort);
        checkPort("directPort", directPort);
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be 0-" + MAX_WEIGHT + ": " + weight);
        }
    }

    /** An {@link MemberState#ACTIVE} member of {@linkplain #DEFAULT_WEIGHT default weight}. */
    public static RingMember active(String id, String host, int muxPort, int directPort) {
        return new RingMember(id, host, muxPort, directPort, DEFAULT_WEIGHT, MemberState.ACTIVE);
    }

    public RingMember withState(MemberState newState) {
        return new RingMember(id, host, muxPort, directPort, weight, newState);
    }

    public RingMember withWeight(int newWeight) {
        return new RingMember(id, host, muxPort, directPort, newWeight, state);
    }

    /** Whether {@link RingSnapshot#owner(long)} may pick this member for a couple. */
    public boolean takesNewCouples() {
        return state == MemberState.ACTIVE && weight > 0;
    }

    private static boolean isValidHost(String host) {
        if (host.isEmpty() || host.length() > MAX_HOST_LENGTH) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            // Printable ASCII keeps the member node a plain key=value line without escapes.
            if (c <= ' ' || c > '~' || c == '/' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static void checkPort(String name, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + " must be 1-65535: " + port);
        }
    }
}
