package io.presenter.gateway.fleet;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This presenter's ephemeral node {@code <base-path>/presenters/<id>}, kept by Curator's
 * {@link PersistentNode} (created again after a session loss, as the chat servers' ring members
 * are). Closing deletes it, so a presenter that stops cleanly leaves at once; one that dies leaves
 * when its session expires.
 *
 * <p>Writes are rationed, since the leader watches every presenter node and 500 presenters share
 * one ensemble: {@link #offer} writes only when the state or addresses changed, when
 * connections/capacity or CPU moved by more than {@code fleet.load-threshold}, or when
 * {@code fleet.node-refresh-interval} passed since the last write and anything changed at all.
 *
 * <p>Used from the fleet loop's thread only.
 */
final class PresenterMembership implements Closeable {

    static final String WRITES = "presenter.fleet.node.writes";

    private static final Logger log = LoggerFactory.getLogger(PresenterMembership.class);

    private final PersistentNode node;
    private final String path;
    private final FleetSettings settings;
    private final Counter writes;
    private PresenterNode written;
    private long writtenNanos;

    PresenterMembership(CuratorFramework client, String basePath, String presenterId, PresenterNode initial,
            FleetSettings settings, MeterRegistry registry) {
        this.path = FleetPaths.presenter(basePath, presenterId);
        this.settings = settings;
        this.node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, initial.encode());
        this.written = initial;
        this.writes = Counter.builder(WRITES)
                .description("Writes of this presenter's fleet node (state and load) to ZooKeeper")
                .register(registry);
        node.getListenable().addListener(created -> log.info("presenter node {} registered: {}", created, written));
    }

    void start(long nowNanos) {
        writtenNanos = nowNanos;
        node.start();
    }

    boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return node.waitForInitialCreate(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The node as last written (ZooKeeper gets it in the background). */
    PresenterNode written() {
        return written;
    }

    /** Writes {@code next} if it is worth a write (see above); true if it was written. */
    boolean offer(PresenterNode next, long nowNanos) {
        if (next.equals(written) || !worthWriting(next, nowNanos)) {
            return false;
        }
        try {
            node.setData(next.encode());
        } catch (IllegalStateException e) {
            return false;  // not created yet: the next tick tries again
        } catch (Exception e) {
            log.warn("presenter node {} not updated: {}", path, e.toString());
            return false;
        }
        if (next.state() != written.state()) {
            log.info("presenter node {}: {} -> {}", path, written.state(), next.state());
        }
        written = next;
        writtenNanos = nowNanos;
        writes.increment();
        return true;
    }

    private boolean worthWriting(PresenterNode next, long nowNanos) {
        if (next.state() != written.state() || !next.addresses().equals(written.addresses())
                || !next.setIdentifier().equals(written.setIdentifier())) {
            return true;
        }
        double threshold = settings.loadThreshold();
        double connectionsMove = Math.abs((double) next.connections() / next.capacity()
                - (double) written.connections() / written.capacity());
        if (connectionsMove > threshold || Math.abs(next.cpu() - written.cpu()) > threshold) {
            return true;
        }
        return nowNanos - writtenNanos >= settings.nodeRefreshInterval().toNanos();
    }

    /** Deletes the node: this presenter leaves the fleet at once. */
    @Override
    public void close() throws IOException {
        node.close();
    }
}
