package io.presenter.ring;

/** Hears about every new ring of a {@link ShardDirectory}. */
@FunctionalInterface
public interface RingListener {

    /**
     * Called with a ring of a higher version than the one before. Should be quick: it delays the
     * rings after it. An exception is logged and does not stop other listeners.
     */
    void ringChanged(RingSnapshot ring);
}
