package io.presenter.ring;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chat server's membership of the ring: its ephemeral node
 * {@code <basePath>/members/<memberId>}, kept by Curator's {@link PersistentNode}, which creates
 * it again after a session loss or a deletion. Closing the registration deletes the node, so the
 * chat server leaves the ring at once instead of after its session times out.
 *
 * <p>The registration also looks for its node every {@link #AUDIT_INTERVAL} and registers again,
 * with a fresh {@code PersistentNode}, when the node is missing at two looks in a row while the
 * client is connected. Why: Curator 5.9's {@code PersistentNode} stops looking after its node when
 * the existence check it runs in the background ends in anything but "no node" (its callback reads
 * the {@code Stat} of a connection-loss result, which is null, and throws; no watch is left). Seen
 * in {@code ZooKeeperChaosTest}: after a session expiry the server's old node went with the old
 * session, a check failed with a connection loss, and the server never came back into the ring.
 *
 * <p>To leave politely, {@link #drain()} first: the server stays a member (streams open on it keep
 * resolving) but gets no new couples; close once its streams are gone.
 */
public final class MemberRegistration implements Closeable {

    /** How often the registration checks that its node exists. */
    public static final Duration AUDIT_INTERVAL = Duration.ofSeconds(5);

    private static final Logger logger = LoggerFactory.getLogger(MemberRegistration.class);

    private final CuratorFramework client;
    private final String path;
    private final Duration auditInterval;
    private final ScheduledExecutorService auditor;
    private volatile RingMember member;
    /** Guarded by {@code this}: replaced when the audit registers again. */
    private PersistentNode node;
    /** Guarded by {@code this}: audits in a row that found no node. */
    private int missingAudits;
    private volatile boolean closed;

    public MemberRegistration(CuratorFramework client, String basePath, RingMember member) {
        this(client, basePath, member, AUDIT_INTERVAL);
    }

    /** As above, looking for the node every {@code auditInterval}. */
    public MemberRegistration(CuratorFramework client, String basePath, RingMember member, Duration auditInterval) {
        this.client = requireNonNull(client, "client");
        this.member = requireNonNull(member, "member");
        this.auditInterval = requireNonNull(auditInterval, "auditInterval");
        path = MemberPaths.member(basePath, member.id());
        node = newNode();
        auditor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ring-member-audit-" + member.id());
            thread.setDaemon(true);
            return thread;
        });
    }

    private PersistentNode newNode() {
        PersistentNode created = new PersistentNode(client, CreateMode.EPHEMERAL, false, path,
                MemberData.encode(member));
        created.getListenable().addListener(createdPath -> logger.info(
                "Ring member {} registered at {} as {}", member.id(), createdPath, member));
        return created;
    }

    /** Starts creating the node in the background; see {@link #awaitRegistered(Duration)}. */
    public synchronized void start() {
        node.start();
        long millis = auditInterval.toMillis();
        auditor.scheduleWithFixedDelay(this::audit, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Waits until the node has been created once; false if {@code timeout} passed first. */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        PersistentNode first;
        synchronized (this) {
            first = node;
        }
        return first.waitForInitialCreate(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The member as this registration last wrote it; ZooKeeper gets the write in the background. */
    public RingMember member() {
        return member;
    }

    /** Stops taking new couples; existing streams keep resolving to this member. */
    public void drain() {
        update(current -> current.withState(MemberState.DRAINING));
    }

    /** Takes new couples again after {@link #drain()}. */
    public void activate() {
        update(current -> current.withState(MemberState.ACTIVE));
    }

    /** Changes this member's share of new couples; 0 takes none, like draining. */
    public void setWeight(int weight) {
        update(current -> current.withWeight(weight));
    }

    /**
     * Publishes the changed member in the background. The node keeps it when Curator creates it
     * again.
     *
     * @throws IllegalStateException if the node was never created (see {@link #awaitRegistered})
     */
    private synchronized void update(UnaryOperator<RingMember> change) {
        RingMember next = change.apply(member);
        try {
            node.setData(MemberData.encode(next));
        } catch (IllegalStateException e) {
            throw new IllegalStateException("ring member " + next.id() + " is not registered yet", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot update ring member " + next.id(), e);
        }
        logger.info("Ring member {} updated: {}", next.id(), next);
        member = next;
    }

    /** One look for the node (class javadoc); a failed look is retried at the next. */
    private void audit() {
        try {
            if (closed || !client.getZookeeperClient().isConnected()) {
                return;
            }
            boolean missing = client.checkExists().forPath(path) == null;
            synchronized (this) {
                missingAudits = missing ? missingAudits + 1 : 0;
                if (missingAudits < 2 || closed) {
                    return;
                }
                missingAudits = 0;
                logger.warn("Ring member {}: its node {} has been missing for {} while connected; registering again",
                        member.id(), path, auditInterval);
                node.close();
                node = newNode();
                node.start();
            }
        } catch (Exception e) {
            logger.debug("Ring member {}: looking for {} failed: {}", member.id(), path, e.toString());
        }
    }

    /** Deletes the node, leaving the ring. */
    @Override
    public void close() throws IOException {
        closed = true;
        auditor.shutdownNow();
        synchronized (this) {
            node.close();
        }
        logger.info("Ring member {} left the ring ({})", member.id(), path);
    }
}
