package io.presenter.gateway;

import io.presenter.ring.RingListener;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real directory that answers its first lookup with an older ring: the presenter routes one
 * client as if it had not yet heard of a membership change, as happens for real in the moment
 * between a chat server joining and ZooKeeper's watch reaching this presenter.
 */
final class StaleOnceDirectory implements ShardDirectory {

    private final ShardDirectory current;
    private final RingSnapshot stale;
    private final AtomicBoolean staleServed = new AtomicBoolean();

    StaleOnceDirectory(ShardDirectory current, RingSnapshot stale) {
        this.current = current;
        this.stale = stale;
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
