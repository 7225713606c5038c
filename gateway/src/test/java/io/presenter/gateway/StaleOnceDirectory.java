package io.presenter.gateway;

import io.presenter.ring.RingListener;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real directory that, once {@link #serveStaleOnce() armed}, answers the next lookup with an
 * older ring: the presenter routes one client as if it had not yet heard of a membership change,
 * as happens for real in the moment between a chat server joining and ZooKeeper's watch reaching
 * this presenter. Armed by the test after the presenter has started, whose start-up reads the ring too.
 */
final class StaleOnceDirectory implements ShardDirectory {

    private final ShardDirectory current;
    private final RingSnapshot stale;
    private final AtomicBoolean staleServed = new AtomicBoolean(true);

    StaleOnceDirectory(ShardDirectory current, RingSnapshot stale) {
        this.current = current;
        this.stale = stale;
    }

    /** The next lookup gets the stale ring. */
    void serveStaleOnce() {
        staleServed.set(false);
    }

    @Override
    public RingSnapshot ring() {
        return staleServed.compareAndSet(false, true) ? stale : current.ring();
    }

    @Override
    public void addListener(RingListener listener) {
        current.addListener(listener);
    }

    @Override
    public void removeListener(RingListener listener) {
        current.removeListener(listener);
    }
}
