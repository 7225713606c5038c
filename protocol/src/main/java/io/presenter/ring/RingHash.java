package io.presenter.ring;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The two hash functions that place members and couples on the ring. Both are fixed forever:
 * every presenter and chat server, whatever its JVM or version, must compute the same positions,
 * or they disagree about owners. {@code RingHashTest} pins them with known outputs.
 *
 * <p>Positions are 64-bit values compared as <em>signed</em> longs.
 */
final class RingHash {

    private RingHash() {
    }

    /**
     * Positions of the points of member {@code memberId}: point {@code i} (0-based) is the first
     * 8 bytes, big-endian, of SHA-256 over the UTF-8 bytes of {@code memberId + "#" + i}, where
     * {@code i} is written in decimal.
     *
     * <p>SHA-256 because it is in every JDK and defined by a standard, not by an implementation;
     * its cost is paid only when the membership changes.
     */
    static long[] pointPositions(String memberId, int count) {
        MessageDigest sha256 = sha256();
        long[] positions = new long[count];
        for (int i = 0; i < count; i++) {
            byte[] digest = sha256.digest((memberId + '#' + i).getBytes(UTF_8));
            positions[i] = firstLongBigEndian(digest);
        }
        return positions;
    }

    /**
     * Position of couple {@code coupleId}: SplitMix64's output function (Steele, Lea and Flood,
     * "Fast splittable pseudorandom number generators", OOPSLA 2014; Vigna's {@code splitmix64.c})
     * applied to the couple id:
     *
     * <pre>{@code
     * z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
     * z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
     * return z ^ (z >>> 31);
     * }</pre>
     *
     * <p>Not SHA-256 like the points: this runs once per client connection, and it allocates
     * nothing. It is a bijection, so distinct couples never share a position, and it spreads
     * sequential couple ids evenly over the ring.
     */
    static long couplePosition(long coupleId) {
        long z = coupleId;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static long firstLongBigEndian(byte[] bytes) {
        long value = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            value = (value << 8) | (bytes[i] & 0xFF);
        }
        return value;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest's javadoc).
            throw new IllegalStateException(e);
        }
    }
}
