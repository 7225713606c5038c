package io.presenter.gateway.fleet;

import io.presenter.gateway.backend.BackendPool;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * READY means: the client listener is bound, the first ring was read, and this presenter holds an
 * open mux connection to <em>enough</em> of the chat servers it routes to. Enough is at least
 * {@code fleet.ready-reachable-fraction} (default one half) of the ring's members that take new
 * couples, and never fewer than one. Half, not all: a chat server down for the whole fleet must not
 * zero every presenter's weight at once (Route53 would then treat all of them as equal, dead
 * addresses included), while a presenter cut off from most of the chat servers leaves DNS.
 *
 * <p>Cheap and thread-safe: it reads counters, so the admin thread and the fleet loop may both ask.
 */
public final class PresenterReadiness implements Readiness {

    private final BooleanSupplier listening;
    private final BooleanSupplier ringLoaded;
    private final ShardDirectory directory;
    private final BackendPool backends;
    private final BooleanSupplier draining;
    private final double reachableFraction;

    /**
     * @param listening whether the client listener is bound
     * @param ringLoaded whether the first ring has been read from ZooKeeper
     */
    public PresenterReadiness(BooleanSupplier listening, BooleanSupplier ringLoaded, ShardDirectory directory,
            BackendPool backends, BooleanSupplier draining, double reachableFraction) {
        this.listening = listening;
        this.ringLoaded = ringLoaded;
        this.directory = directory;
        this.backends = backends;
        this.draining = draining;
        this.reachableFraction = reachableFraction;
    }

    @Override
    public boolean draining() {
        return draining.getAsBoolean();
    }

    @Override
    public String notReadyReason() {
        if (draining()) {
            return "draining";
        }
        if (!listening.getAsBoolean()) {
            return "client listener not bound";
        }
        if (!ringLoaded.getAsBoolean()) {
            return "ring unknown: nothing read from ZooKeeper yet";
        }
        RingSnapshot ring = directory.ring();
        List<RingMember> routed = ring.members().stream().filter(RingMember::takesNewCouples).toList();
        if (routed.isEmpty()) {
            return "ring unknown: no chat server registered in ZooKeeper";
        }
        long reachable = routed.stream().filter(m -> backends.openConnections(m.id()) > 0).count();
        long needed = needed(routed.size(), reachableFraction);
        if (reachable < needed) {
            return reachable == 0 ? "no chat server reachable"
                    : "only " + reachable + " of " + routed.size() + " chat servers reachable, " + needed + " needed";
        }
        return null;
    }

    /** {@code ceil(fraction * members)}, at least 1. */
    static long needed(int members, double fraction) {
        return Math.max(1, (long) Math.ceil(fraction * members - 1e-9));
    }
}
