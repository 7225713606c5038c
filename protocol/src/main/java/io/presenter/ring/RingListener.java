package io.presenter.ring;

/** Hears about every new ring of a {@link ShardDirectory}. */
@FunctionalInterface
public interface RingListener {

    /**
     * Called with each new ring, in version order; a version repeats only when an implementation
     * corrects the members it published under it (see {@link ZooKeeperShardDirectory}). Should
     * be quick: it delays the rings after it. An exception is logged and does not stop other
     * listeners.
     */
    void ringChanged(RingSnapshot ring);
}
