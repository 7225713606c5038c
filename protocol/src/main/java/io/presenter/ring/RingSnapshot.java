package io.presenter.ring;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The ring as of one membership version: who the members are and who owns each couple.
 * Immutable; a new membership gives a new snapshot.
 *
 * <h2>Who owns a couple</h2>
 * <ul>
 *   <li>New couples go only to members that {@linkplain RingMember#takesNewCouples() take new
 *       couples}: {@link MemberState#ACTIVE} with a weight above 0.</li>
 *   <li>A {@link MemberState#DRAINING} member (or one of weight 0) stays in {@link #members()}, so
 *       streams already open on it keep resolving through {@link #member(String)}.</li>
 *   <li>If no member takes new couples, every member does, each with at least one unit of
 *       weight: routing to a draining server beats not routing at all while any server exists.</li>
 *   <li>A snapshot without members has no owner: {@link #owner(long)} returns empty.</li>
 * </ul>
 *
 * <p>Equal member lists give equal owners on every JVM: see the package documentation for the
 * hash functions.
 */
public final class RingSnapshot {

    private static final Comparator<RingMember> BY_ID = Comparator.comparing(RingMember::id);
    private static final RingSnapshot EMPTY = new RingSnapshot(0, List.of());

    private final long version;
    private final List<RingMember> members;
    private final Map<String, RingMember> membersById;
    private final HashRing ring;

    private RingSnapshot(long version, List<RingMember> members) {
        this.version = version;
        this.members = members;
        membersById = new HashMap<>();
        for (RingMember member : members) {
            if (membersById.put(member.id(), member) != null) {
                throw new IllegalArgumentException("duplicate member id: " + member.id());
            }
        }
        List<RingMember> takingNewCouples = members.stream()
                .filter(RingMember::takesNewCouples)
                .collect(Collectors.toList());
        ring = takingNewCouples.isEmpty()
                ? HashRing.of(members, member -> Math.max(member.weight(), 1))
                : HashRing.of(takingNewCouples, RingMember::weight);
    }

    /**
     * A snapshot of {@code members} at {@code version}.
     *
     * @throws IllegalArgumentException if two members have the same id
     */
    public static RingSnapshot of(long version, Collection<RingMember> members) {
        List<RingMember> sorted = new ArrayList<>(members);
        sorted.sort(BY_ID);
        return new RingSnapshot(version, List.copyOf(sorted));
    }

    /** The snapshot before any membership was read: version 0, no members. */
    public static RingSnapshot empty() {
        return EMPTY;
    }

    /**
     * The membership version this snapshot was built from. With ZooKeeper it is the highest
     * transaction id that changed the membership (see the package documentation): every observer
     * of the same membership has the same version, and a later membership has a higher one.
     */
    public long version() {
        return version;
    }

    /** Every member, draining ones included, sorted by id. */
    public List<RingMember> members() {
        return members;
    }

    /** The member named {@code id}, whatever its state. */
    public Optional<RingMember> member(String id) {
        return Optional.ofNullable(membersById.get(id));
    }

    /**
     * The member a new stream of {@code coupleId} should open on, following the rules in the class
     * documentation; empty only if there are no members. O(log points), no allocation beyond the
     * {@link Optional}.
     */
    public Optional<RingMember> owner(long coupleId) {
        return Optional.ofNullable(ring.owner(coupleId));
    }

    public boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public String toString() {
        return "RingSnapshot(version=" + version + ", members=" + members.stream()
                .map(m -> m.id() + '/' + m.state() + '/' + m.weight())
                .collect(Collectors.joining(", ", "[", "]")) + ')';
    }
}
