package io.presenter.chat.server;

import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import java.util.Optional;

/** Who owns a couple, from this chat server's point of view on its current ring. */
final class ShardOwnership {

    private final ShardDirectory directory;
    private final String selfId;

    ShardOwnership(ShardDirectory directory, String selfId) {
        this.directory = directory;
        this.selfId = selfId;
    }

    String selfId() {
        return selfId;
    }

    RingSnapshot ring() {
        return directory.ring();
    }

    /** Whether a direct client of {@code coupleId} belongs here under the current ring. */
    boolean owns(long coupleId) {
        return directory.ring().owner(coupleId).map(m -> m.id().equals(selfId)).orElse(false);
    }

    /**
     * The member that owns {@code coupleId} when this server's ring is newer than the one the
     * presenter routed on and names someone else; empty when the stream belongs here, or when the
     * presenter knows a newer ring than ours (then it is right and we are catching up).
     */
    Optional<RingMember> newerOwnerElsewhere(long coupleId, long presenterRingVersion) {
        RingSnapshot ring = directory.ring();
        if (ring.version() <= presenterRingVersion) {
            return Optional.empty();
        }
        return ring.owner(coupleId).filter(owner -> !owner.id().equals(selfId));
    }

    /**
     * For a handed-over session: the member that owns {@code coupleId} when this server's ring is
     * at least as new as the one the stream names and it is someone else. A handover is routed to
     * the member the old owner named, possibly under a ring that moved again since: taking the
     * session here would leave it on a server whose sweep for the newer ring has already run.
     */
    Optional<RingMember> ownerElsewhereForHandover(long coupleId, long streamRingVersion) {
        RingSnapshot ring = directory.ring();
        if (ring.version() < streamRingVersion) {
            return Optional.empty();
        }
        return ring.owner(coupleId).filter(owner -> !owner.id().equals(selfId));
    }
}
