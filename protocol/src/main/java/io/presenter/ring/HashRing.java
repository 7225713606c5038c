package io.presenter.ring;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Consistent-hash ring with virtual nodes, ketama style: each member has
 * {@link RingMember#POINTS_PER_WEIGHT} points per unit of weight at the positions given by
 * {@link RingHash#pointPositions}, and a couple belongs to the member of the first point at or
 * after the couple's position ({@link RingHash#couplePosition}), wrapping around past the largest
 * point to the smallest. Immutable.
 *
 * <p>Adding a member takes over only the arcs in front of its own points, so about 1/n of the
 * couples move, all of them to the new member; removing one moves only its own couples.
 */
final class HashRing {

    private static final HashRing EMPTY = new HashRing(new long[0], new RingMember[0]);

    /** Sorted ascending, without duplicates. */
    private final long[] positions;
    /** {@code owners[i]} owns the arc ending at {@code positions[i]}. */
    private final RingMember[] owners;

    private HashRing(long[] positions, RingMember[] owners) {
        this.positions = positions;
        this.owners = owners;
    }

    /**
     * Builds the ring of {@code members}, giving each {@code weightOf(member)} units of points.
     *
     * @param members distinct members, sorted by id (ties between points go to the first)
     */
    static HashRing of(List<RingMember> members, ToIntFunction<RingMember> weightOf) {
        int total = 0;
        for (RingMember member : members) {
            total += weightOf.applyAsInt(member) * RingMember.POINTS_PER_WEIGHT;
        }
        long[] positions = new long[total];
        int[] memberIndexes = new int[total];
        int next = 0;
        for (int m = 0; m < members.size(); m++) {
            RingMember member = members.get(m);
            long[] points = RingHash.pointPositions(
                    member.id(), weightOf.applyAsInt(member) * RingMember.POINTS_PER_WEIGHT);
            System.arraycopy(points, 0, positions, next, points.length);
            Arrays.fill(memberIndexes, next, next + points.length, m);
            next += points.length;
        }
        return fromPoints(positions, memberIndexes, members);
    }

    /**
     * Sorts the points by position and keeps one owner per position. Two members whose points
     * collide (odds of 2^-64 per pair, but routing must not depend on luck) are told apart by
     * member order: the earlier member, i.e. the smaller id, keeps the point.
     *
     * @param memberIndexes {@code memberIndexes[i]} is the index in {@code members} of the member
     *        whose point is at {@code positions[i]}
     */
    static HashRing fromPoints(long[] positions, int[] memberIndexes, List<RingMember> members) {
        if (positions.length == 0) {
            return EMPTY;
        }
        // Boxing is fine here: it runs when the membership changes, not per lookup.
        Integer[] order = new Integer[positions.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> positions[i])
                .thenComparingInt(i -> memberIndexes[i]));

        long[] sortedPositions = new long[positions.length];
        RingMember[] sortedOwners = new RingMember[positions.length];
        int size = 0;
        for (int i : order) {
            if (size > 0 && sortedPositions[size - 1] == positions[i]) {
                continue; // the point already there belongs to a member that sorts first
            }
            sortedPositions[size] = positions[i];
            sortedOwners[size] = members.get(memberIndexes[i]);
            size++;
        }
        return new HashRing(Arrays.copyOf(sortedPositions, size), Arrays.copyOf(sortedOwners, size));
    }

    /** The owner of {@code coupleId} in O(log points), or {@code null} if the ring has no points. */
    RingMember owner(long coupleId) {
        if (positions.length == 0) {
            return null;
        }
        int index = Arrays.binarySearch(positions, RingHash.couplePosition(coupleId));
        if (index < 0) {
            index = -index - 1; // insertion point: the first position greater than the key
            if (index == positions.length) {
                index = 0; // past the largest point: wrap around
            }
        }
        return owners[index];
    }

    /** Number of distinct points. */
    int size() {
        return positions.length;
    }
}
