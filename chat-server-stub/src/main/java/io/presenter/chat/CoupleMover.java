package io.presenter.chat;

import io.presenter.ring.RingListener;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a ring change, hands over (or, where it cannot, ends) the sessions of every couple this
 * server no longer owns ({@link CoupleHandover}), a batch
 * every tick, spread over {@code spread}: a member joining moves ~1/n of the couples, and
 * thousands of clients told to reconnect in the same instant would be the storm presenters exist
 * to avoid. A newer ring replaces the pending sweep. The queue holds at most the live couples.
 */
public final class CoupleMover implements RingListener {

    private static final Logger log = LoggerFactory.getLogger(CoupleMover.class);
    private static final long TICK_MILLIS = 10;

    private final ChatService service;
    private final String selfId;
    private final ScheduledExecutorService scheduler;
    private final Duration spread;
    private final CoupleHandover handover;
    private Sweep sweep;

    public CoupleMover(ChatService service, String selfId, ScheduledExecutorService scheduler,
            Duration spread) {
        this.service = service;
        this.selfId = selfId;
        this.scheduler = scheduler;
        this.spread = spread;
        this.handover = new CoupleHandover(service, selfId);
    }

    @Override
    public synchronized void ringChanged(RingSnapshot ring) {
        if (sweep != null) {
            sweep.cancel();
        }
        Queue<Couple> leaving = new ArrayDeque<>();
        for (Couple couple : service.hub().couples()) {
            if (ownerElsewhere(ring, couple.coupleId()).isPresent()) {
                leaving.add(couple);
            }
        }
        sweep = leaving.isEmpty() ? null : new Sweep(ring, leaving);
    }

    private Optional<RingMember> ownerElsewhere(RingSnapshot ring, long coupleId) {
        return ring.owner(coupleId).filter(owner -> !owner.id().equals(selfId));
    }

    /** One pass over the couples that left with one ring version; reschedules itself per tick. */
    private final class Sweep implements Runnable {
        private final RingSnapshot ring;
        private final Queue<Couple> leaving;
        private final int perTick;
        private volatile boolean cancelled;

        Sweep(RingSnapshot ring, Queue<Couple> leaving) {
            this.ring = ring;
            this.leaving = leaving;
            long ticks = Math.max(1, spread.toMillis() / TICK_MILLIS);
            this.perTick = (int) Math.max(1, (leaving.size() + ticks - 1) / ticks);
            log.info("ring {}: moving {} couples to their new owners over {}", ring.version(),
                    leaving.size(), spread);
            scheduler.execute(this);
        }

        @Override
        public void run() {
            for (int i = 0; i < perTick && !leaving.isEmpty() && !cancelled; i++) {
                Couple couple = leaving.poll();
                ownerElsewhere(ring, couple.coupleId()).ifPresent(owner -> {
                    handover.move(couple, owner.id(), ring.version());
                    service.metrics().coupleMoved();
                });
            }
            if (!leaving.isEmpty() && !cancelled) {
                scheduler.schedule(this, TICK_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        void cancel() {
            cancelled = true;
        }
    }
}
