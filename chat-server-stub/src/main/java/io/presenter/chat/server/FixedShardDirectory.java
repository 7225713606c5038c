package io.presenter.chat.server;

import io.presenter.ring.RingListener;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;

/** A ring that never changes: a chat server running alone, without ZooKeeper, owns everything. */
record FixedShardDirectory(RingSnapshot ring) implements ShardDirectory {

    @Override
    public void addListener(RingListener listener) {}

    @Override
    public void removeListener(RingListener listener) {}
}
