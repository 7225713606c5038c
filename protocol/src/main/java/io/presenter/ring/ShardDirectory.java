package io.presenter.ring;

/**
 * Tells presenters and chat servers who owns which couple.
 *
 * <p>A presenter routes a new client with {@code ring().owner(coupleId)} and names
 * {@code ring().version()} in its open-stream frame; a chat server compares that version and the
 * owner with its own {@link #ring()} to answer wrong-shard. Every implementation keeps answering
 * from the last ring it knows while its source of membership is unreachable.
 */
public interface ShardDirectory {

    /** The current ring; never null, {@link RingSnapshot#empty()} until a membership is known. */
    RingSnapshot ring();

    /**
     * Calls {@code listener} with every later ring, in version order, one call at a time. The
     * thread it runs on is the implementation's (see there), never one that blocks the source of
     * membership; a listener that wants the current ring too reads {@link #ring()} after adding
     * itself.
     */
    void addListener(RingListener listener);

    void removeListener(RingListener listener);
}
