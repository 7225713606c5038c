package io.presenter.ring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints how evenly the ring spreads couples and how many move when the membership changes:
 *
 * <pre>{@code mvn -q -pl protocol exec:java -Dexec.mainClass=io.presenter.ring.RingReport}</pre>
 *
 * <p>Couple ids are 0 to {@value #COUPLES} - 1; members are {@code chat-1} to {@code chat-n} of
 * equal weight. The figures are deterministic: the same on every run and every JVM.
 */
public final class RingReport {

    static final int COUPLES = 1_000_000;

    private RingReport() {
    }

    public static void main(String[] args) {
        System.out.printf("Balance: %,d couples over equal-weight members (%d points each)%n",
                COUPLES, RingMember.POINTS_PER_WEIGHT * RingMember.DEFAULT_WEIGHT);
        System.out.println("  members  max/mean  min/mean");
        for (int members : new int[] {3, 10, 50}) {
            Balance balance = balance(equalRing(members), COUPLES);
            System.out.printf("  %7d  %8.3f  %8.3f%n", members, balance.maxOverMean(), balance.minOverMean());
        }

        RingSnapshot ten = equalRing(10);
        RingSnapshot joined = equalRing(11);
        List<RingMember> nine = new ArrayList<>(ten.members());
        nine.remove(nine.size() - 1);
        RingSnapshot left = RingSnapshot.of(0, nine);
        System.out.printf("Movement: share of %,d couples whose owner changes%n", COUPLES);
        System.out.printf("  one member joins 10:  %6.2f%%  (ideal 1/11 = %.2f%%)%n",
                100 * movedShare(ten, joined, COUPLES), 100.0 / 11);
        System.out.printf("  one member leaves 10: %6.2f%%  (ideal 1/10 = %.2f%%)%n",
                100 * movedShare(ten, left, COUPLES), 100.0 / 10);
    }

    /** Members {@code chat-1} to {@code chat-<members>}, active, of default weight. */
    static RingSnapshot equalRing(int members) {
        List<RingMember> list = new ArrayList<>(members);
        for (int i = 1; i <= members; i++) {
            list.add(RingMember.active("chat-" + i, "10.0.0." + i, 7100, 7443));
        }
        return RingSnapshot.of(0, list);
    }

    /** Most and least loaded members' couple counts, each divided by the mean count. */
    record Balance(double maxOverMean, double minOverMean) {
    }

    static Balance balance(RingSnapshot ring, int couples) {
        Map<String, Integer> load = new HashMap<>();
        for (long couple = 0; couple < couples; couple++) {
            load.merge(ring.owner(couple).orElseThrow().id(), 1, Integer::sum);
        }
        double mean = (double) couples / ring.members().size();
        int max = 0;
        int min = Integer.MAX_VALUE;
        for (RingMember member : ring.members()) {
            int count = load.getOrDefault(member.id(), 0);
            max = Math.max(max, count);
            min = Math.min(min, count);
        }
        return new Balance(max / mean, min / mean);
    }

    /** Share of couples 0 to {@code couples - 1} whose owner differs between the two rings. */
    static double movedShare(RingSnapshot before, RingSnapshot after, int couples) {
        int moved = 0;
        for (long couple = 0; couple < couples; couple++) {
            if (!before.owner(couple).orElseThrow().id().equals(after.owner(couple).orElseThrow().id())) {
                moved++;
            }
        }
        return (double) moved / couples;
    }
}
