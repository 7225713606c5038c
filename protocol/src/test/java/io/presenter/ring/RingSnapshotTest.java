package io.presenter.ring;

import static io.presenter.ring.RingTestSupport.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RingSnapshotTest {

    private static final List<RingMember> THREE = List.of(member("chat-1"), member("chat-2"), member("chat-3"));

    @Test
    void knownCouplesHaveKnownOwners() {
        // Test vectors: every JVM and every version must give these owners for these members.
        RingSnapshot ring = RingSnapshot.of(7, THREE);
        Map<Long, String> expected = Map.of(
                0L, "chat-2", 3L, "chat-1", 42L, "chat-2", 1000L, "chat-3", 123456789L, "chat-1",
                -5L, "chat-2", Long.MIN_VALUE, "chat-1", Long.MAX_VALUE, "chat-2");
        expected.forEach((couple, owner) ->
                assertThat(ring.owner(couple)).as("owner of %d", couple).map(RingMember::id).contains(owner));
    }

    @Test
    void ownersDoNotDependOnMemberOrder() {
        RingSnapshot forward = RingSnapshot.of(1, THREE);
        RingSnapshot backward = RingSnapshot.of(1, List.of(THREE.get(2), THREE.get(1), THREE.get(0)));
        for (long couple = 0; couple < 10_000; couple++) {
            assertThat(backward.owner(couple)).isEqualTo(forward.owner(couple));
        }
        assertThat(backward.members()).isEqualTo(forward.members());
    }

    @Test
    void binarySearchAgreesWithScanningEveryPoint() {
        List<RingMember> members = List.of(member("a"), member("b").withWeight(3), member("c"));
        RingSnapshot ring = RingSnapshot.of(1, members);
        Map<String, long[]> points = new HashMap<>();
        for (RingMember m : members) {
            points.put(m.id(), RingHash.pointPositions(m.id(), m.weight() * RingMember.POINTS_PER_WEIGHT));
        }
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 20_000; i++) {
            long couple = random.nextLong();
            assertThat(ring.owner(couple)).map(RingMember::id).contains(scanForOwner(points, couple));
        }
    }

    @Test
    void sharesFollowWeights() {
        RingSnapshot ring = RingSnapshot.of(1, List.of(
                member("light").withWeight(1), member("medium").withWeight(2), member("heavy").withWeight(4)));
        Map<String, Double> shares = shares(ring, 700_000);
        assertThat(shares.get("light")).isCloseTo(1 / 7.0, within(0.03));
        assertThat(shares.get("medium")).isCloseTo(2 / 7.0, within(0.04));
        assertThat(shares.get("heavy")).isCloseTo(4 / 7.0, within(0.05));
    }

    @Test
    void drainingMemberStaysListedButGetsNoNewCouples() {
        RingSnapshot ring = RingSnapshot.of(1, List.of(
                member("chat-1"), member("chat-2").withState(MemberState.DRAINING), member("chat-3").withWeight(0)));
        assertThat(ring.member("chat-2")).map(RingMember::state).contains(MemberState.DRAINING);
        assertThat(ring.member("chat-3")).isPresent();
        assertThat(shares(ring, 100_000)).containsOnlyKeys("chat-1");
    }

    @Test
    void drainingMovesOnlyTheDrainedMembersCouples() {
        RingSnapshot before = RingSnapshot.of(1, THREE);
        RingSnapshot drained = RingSnapshot.of(2, List.of(
                THREE.get(0), THREE.get(1).withState(MemberState.DRAINING), THREE.get(2)));
        for (long couple = 0; couple < 100_000; couple++) {
            String owner = before.owner(couple).orElseThrow().id();
            if (!owner.equals("chat-2")) {
                assertThat(drained.owner(couple)).map(RingMember::id).contains(owner);
            }
        }
    }

    @Test
    void whenNoMemberTakesNewCouplesAllMembersDo() {
        RingSnapshot ring = RingSnapshot.of(1, List.of(
                member("chat-1").withState(MemberState.DRAINING), member("chat-2").withWeight(0)));
        assertThat(shares(ring, 100_000)).containsOnlyKeys("chat-1", "chat-2");
    }

    @Test
    void emptyRingHasNoOwner() {
        assertThat(RingSnapshot.empty().owner(42)).isEmpty();
        assertThat(RingSnapshot.empty().version()).isZero();
        assertThat(RingSnapshot.of(5, List.of()).owner(42)).isEmpty();
        assertThat(RingSnapshot.of(5, List.of()).member("chat-1")).isEmpty();
    }

    @Test
    void duplicateMemberIdsAreRejected() {
        assertThatThrownBy(() -> RingSnapshot.of(1, List.of(member("chat-1"), member("chat-1").withWeight(2))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chat-1");
    }

    @Test
    void collidingPointsGoToTheMemberWithTheSmallerId() {
        List<RingMember> members = List.of(member("a"), member("b"));
        // b's point at 100 is listed first: the order of the input must not matter.
        HashRing ring = HashRing.fromPoints(new long[] {100, 100, -100}, new int[] {1, 0, 1}, members);
        assertThat(ring.size()).isEqualTo(2);
        assertThat(RingHash.couplePosition(0)).isZero();
        assertThat(ring.owner(0).id()).as("owner of the point at 100").isEqualTo("a");
        assertThat(RingHash.couplePosition(1)).isGreaterThan(100);
        assertThat(ring.owner(1).id()).as("past the largest point, wraps to -100").isEqualTo("b");
    }

    @Test
    void aJoinOrALeaveMovesAboutOneCoupleInN() {
        RingSnapshot ten = RingReport.equalRing(10);
        assertThat(RingReport.movedShare(ten, RingReport.equalRing(11), 200_000)).isBetween(0.06, 0.13);
        assertThat(RingReport.movedShare(RingReport.equalRing(11), ten, 200_000)).isBetween(0.06, 0.13);
        assertThat(RingReport.balance(ten, 200_000).maxOverMean()).isLessThan(1.3);
    }

    /** The owner found the slow way: the member of the smallest point at or after the couple. */
    private static String scanForOwner(Map<String, long[]> pointsByMember, long couple) {
        long key = RingHash.couplePosition(couple);
        String best = null;
        long bestPoint = 0;
        String lowest = null;
        long lowestPoint = 0;
        for (Map.Entry<String, long[]> member : pointsByMember.entrySet()) {
            for (long point : member.getValue()) {
                if (point >= key && (best == null || point < bestPoint)) {
                    best = member.getKey();
                    bestPoint = point;
                }
                if (lowest == null || point < lowestPoint) {
                    lowest = member.getKey();
                    lowestPoint = point;
                }
            }
        }
        return best != null ? best : lowest;
    }

    private static Map<String, Double> shares(RingSnapshot ring, int couples) {
        Map<String, Integer> counts = new HashMap<>();
        for (long couple = 0; couple < couples; couple++) {
            counts.merge(ring.owner(couple).orElseThrow().id(), 1, Integer::sum);
        }
        Map<String, Double> shares = new HashMap<>();
        counts.forEach((id, count) -> shares.put(id, count / (double) couples));
        return shares;
    }
}
