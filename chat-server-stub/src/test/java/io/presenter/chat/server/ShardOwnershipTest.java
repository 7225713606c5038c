package io.presenter.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ShardOwnershipTest {

    private static final RingMember A = RingMember.active("chat-a", "127.0.0.1", 7100, 7443);
    private static final RingMember B = RingMember.active("chat-b", "127.0.0.1", 7101, 7444);
    private static final RingSnapshot RING = RingSnapshot.of(42, List.of(A, B));

    private static ShardDirectory fixed(RingSnapshot ring) {
        return new FixedShardDirectory(ring);
    }

    private static long aCoupleOwnedBy(RingMember member) {
        return LongStream.range(0, 1000).filter(c -> RING.owner(c).orElseThrow().equals(member))
                .findFirst().orElseThrow();
    }

    @Test
    void ownsExactlyTheCouplesTheRingGivesIt() {
        ShardOwnership ownership = new ShardOwnership(fixed(RING), A.id());
        assertThat(LongStream.range(0, 10_000).filter(ownership::owns).count())
                .isEqualTo(LongStream.range(0, 10_000).filter(c -> RING.owner(c).orElseThrow() == A).count())
                .isPositive();
        assertThat(new ShardOwnership(fixed(RingSnapshot.empty()), A.id()).owns(1)).isFalse();
    }

    @Test
    void namesTheOwnerOnlyWhenItsRingIsNewerThanThePresenters() {
        ShardOwnership ownership = new ShardOwnership(fixed(RING), A.id());
        long bCouple = aCoupleOwnedBy(B);
        long aCouple = aCoupleOwnedBy(A);

        assertThat(ownership.newerOwnerElsewhere(bCouple, 41)).contains(B);
        assertThat(ownership.newerOwnerElsewhere(bCouple, 42)).as("same ring: trust the presenter").isEmpty();
        assertThat(ownership.newerOwnerElsewhere(bCouple, 43)).as("presenter is ahead").isEmpty();
        assertThat(ownership.newerOwnerElsewhere(aCouple, 41)).as("ours").isEmpty();
    }

    @Test
    void aHandedOverSessionIsNamedAwayOnTheSameRingToo() {
        ShardOwnership ownership = new ShardOwnership(fixed(RING), A.id());
        long bCouple = aCoupleOwnedBy(B);
        long aCouple = aCoupleOwnedBy(A);

        assertThat(ownership.ownerElsewhereForHandover(bCouple, 41)).contains(B);
        assertThat(ownership.ownerElsewhereForHandover(bCouple, 42)).as("same ring: the target was stale").contains(B);
        assertThat(ownership.ownerElsewhereForHandover(bCouple, 43)).as("presenter is ahead").isEmpty();
        assertThat(ownership.ownerElsewhereForHandover(aCouple, 42)).as("ours").isEmpty();
    }
}
