package io.presenter.ring;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.Closeable;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheAccessor;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ShardDirectory} that reads the members under {@code <basePath>/members} with a
 * {@link CuratorCache}.
 *
 * <h2>Version</h2>
 * The ring version is {@code max(pzxid of the members node, max mzxid of the member nodes)}.
 * ZooKeeper's transaction ids are global and increasing: a join creates a node with a new mzxid,
 * a drain or weight change rewrites one, and a leave raises the parent's pzxid. So the version is
 * the id of the last transaction that changed the membership, which every observer computes alike.
 * It may also rise with the members unchanged: Curator's {@code PersistentNode} rewrites a member
 * node when its chat server reconnects.
 *
 * <p>CuratorCache watches with a persistent recursive watch, which never fires on the parent when
 * a child goes away, so its copy of the parent's stat keeps a stale pzxid (a test shows it). Each
 * rebuild therefore reads the child names together with the parent's stat in one background
 * {@code getChildren}, and builds a ring only when those names are exactly the cache's: otherwise
 * the cache is still catching up and its next event causes another read. A ring of a lower
 * version than the current one is dropped, so versions never go down.
 *
 * <p>One race is repaired rather than prevented: when a member node is deleted and created again
 * (a chat server's session expired) between two reads, the cache may still hold the old node when
 * the names already match, giving the new version with the old node's data. The cache's next
 * event brings the new data, and the ring is published again under the same version.
 *
 * <h2>Threads</h2>
 * Rings are built, and {@link RingListener}s called, on this directory's single notifier thread
 * (named {@code presenter-ring-<n>}): never on ZooKeeper's event thread, so a listener may call
 * ZooKeeper, block briefly, or {@link #close()} without deadlocking Curator. Reads of
 * {@link #ring()} never block.
 *
 * <h2>ZooKeeper outages</h2>
 * While the connection is SUSPENDED or LOST the ring stays as it was; on RECONNECTED the directory
 * reads the members again, and the cache reports what changed meanwhile.
 *
 * <h2>Meters</h2>
 * Gauges {@code presenter.ring.version} and {@code presenter.ring.members} (tagged
 * {@code state=active|draining}); counter {@code presenter.ring.member.rejected} (tagged
 * {@code reason}) for member nodes skipped as malformed.
 */
public final class ZooKeeperShardDirectory implements ShardDirectory, Closeable {

    static final String VERSION_GAUGE = "presenter.ring.version";
    /** Pause before reading again while the member cache lags the members node. */
    private static final Duration CATCH_UP_RETRY = Duration.ofMillis(200);
    static final String MEMBERS_GAUGE = "presenter.ring.members";

    private static final Logger logger = LoggerFactory.getLogger(ZooKeeperShardDirectory.class);
    private static final AtomicInteger threadIds = new AtomicInteger();
    /** Reads are coalesced (see {@link #requestRefresh()}), so only one or two are ever queued. */
    private static final int NOTIFIER_QUEUE_CAPACITY = 16;

    private final CuratorFramework client;
    private final String membersPath;
    private final CuratorCache cache;
    private final ThreadPoolExecutor notifier;
    private final MemberNodeReader reader;
    private final MeterRegistry registry;
    private final List<Meter> gauges;
    private final List<RingListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<RingSnapshot> firstRing = new CompletableFuture<>();
    private final ConnectionStateListener refreshOnReconnect = this::connectionStateChanged;
    /** Refreshes asked for since the last read was sent; 0 when no read is in flight. */
    private final AtomicInteger refreshRequests = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile RingSnapshot ring = RingSnapshot.empty();

    /**
     * @param client a client that is or will be started; the directory does not close it
     * @param basePath the {@link ZooKeeperConfig#basePath()} shared with the chat servers
     */
    public ZooKeeperShardDirectory(CuratorFramework client, String basePath, MeterRegistry registry) {
        this.client = client;
        this.registry = registry;
        membersPath = MemberPaths.members(basePath);
        cache = CuratorCache.build(client, membersPath);
        notifier = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(NOTIFIER_QUEUE_CAPACITY), task -> {
                    Thread thread = new Thread(task, "presenter-ring-" + threadIds.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, (task, executor) -> {
                    // After close() a late read has nothing left to update. Before, a full queue
                    // cannot happen with coalesced reads, but if it did, the next event reads again.
                    if (!executor.isShutdown()) {
                        logger.warn("Ring notifier queue full; dropping one read of {}", membersPath);
                        refreshRequests.set(0);
                    }
                });
        reader = new MemberNodeReader(registry);
        gauges = List.of(
                Gauge.builder(VERSION_GAUGE, this, d -> d.ring.version())
                        .description("Version of the ring routing uses (a ZooKeeper zxid)")
                        .register(registry),
                membersGauge(MemberState.ACTIVE),
                membersGauge(MemberState.DRAINING));
    }

    /** Starts watching the members; the first ring follows shortly (see {@link #firstRing()}). */
    public void start() {
        client.getConnectionStateListenable().addListener(refreshOnReconnect);
        cache.listenable().addListener((type, oldNode, node) -> requestRefresh());
        cache.start();
        requestRefresh();
    }

    @Override
    public RingSnapshot ring() {
        return ring;
    }

    /**
     * Completes with the first ring read from ZooKeeper, once the members node exists, on the
     * notifier thread. The presenter daemon waits on it, for {@code zookeeper.first-ring-timeout}
     * at most, before it accepts clients; then it starts anyway and is not ready until this completes.
     */
    public CompletionStage<RingSnapshot> firstRing() {
        return firstRing.minimalCompletionStage();
    }

    @Override
    public void addListener(RingListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(RingListener listener) {
        listeners.remove(listener);
    }

    /** Stops watching; {@link #ring()} keeps answering with the last ring. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        client.getConnectionStateListenable().removeListener(refreshOnReconnect);
        cache.close();
        notifier.shutdown();
        gauges.forEach(registry::remove);
    }

    private void connectionStateChanged(CuratorFramework source, ConnectionState state) {
        if (state == ConnectionState.RECONNECTED) {
            // Also restarts reading if a read failed while the connection was down.
            refreshRequests.set(0);
            requestRefresh();
        }
    }

    /**
     * Asks for the members to be read again. Called from Curator's threads, so it only sends a
     * background read. Requests that arrive while a read is in flight are coalesced into one more
     * read after it, which sees everything they were about.
     */
    private void requestRefresh() {
        if (refreshRequests.getAndIncrement() == 0) {
            readMembers();
        }
    }

    private void readMembers() {
        if (closed.get()) {
            return;
        }
        int requests = refreshRequests.get();
        try {
            client.getChildren()
                    .inBackground((c, event) -> membersRead(event, requests), notifier)
                    .forPath(membersPath);
        } catch (Exception e) {
            logger.warn("Cannot read ring members at {}; waiting for a reconnection", membersPath, e);
            refreshRequests.set(0);
        }
    }

    /** Runs on the notifier thread. */
    private void membersRead(CuratorEvent event, int requests) {
        try {
            KeeperException.Code result = KeeperException.Code.get(event.getResultCode());
            if (result == KeeperException.Code.OK) {
                rebuild(event.getChildren(), event.getStat().getPzxid());
            } else if (result == KeeperException.Code.NONODE) {
                logger.debug("No ring members node at {} yet", membersPath);
            } else {
                // Curator has retried already; RECONNECTED will ask again.
                logger.debug("Reading ring members at {} failed: {}", membersPath, result);
            }
        } finally {
            // Even after a bug in rebuild(): a stuck request count would stop all later reads.
            if (!refreshRequests.compareAndSet(requests, 0)) {
                readMembers();
            }
        }
    }

    private void rebuild(List<String> childNames, long membersPzxid) {
        List<ChildData> nodes = cache.stream()
                .filter(CuratorCacheAccessor.parentPathFilter(membersPath))
                .collect(Collectors.toList());
        Set<String> cachedNames = nodes.stream()
                .map(node -> ZKPaths.getNodeFromPath(node.getPath()))
                .collect(Collectors.toSet());
        if (!cachedNames.equals(new HashSet<>(childNames))) {
            logger.debug("Ring members cache is catching up ({} cached, {} in ZooKeeper)",
                    cachedNames.size(), childNames.size());
            // Normally the cache's own event asks again; after a session expiry that event can be
            // the one that raced this read, so look again shortly rather than wait for the next change.
            CompletableFuture.delayedExecutor(CATCH_UP_RETRY.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(this::requestRefresh);
            return;
        }
        long version = membersPzxid;
        for (ChildData node : nodes) {
            version = Math.max(version, node.getStat().getMzxid());
        }
        List<RingMember> members = reader.read(nodes);
        RingSnapshot current = ring;
        if (version < current.version()
                || version == current.version() && members.equals(current.members())) {
            return;
        }
        publish(RingSnapshot.of(version, members));
    }

    private void publish(RingSnapshot next) {
        ring = next;
        logger.info("Ring version {}: {} member(s), {} taking new couples: {}", next.version(),
                next.members().size(), next.members().stream().filter(RingMember::takesNewCouples).count(),
                next);
        firstRing.complete(next);
        for (RingListener listener : listeners) {
            try {
                listener.ringChanged(next);
            } catch (RuntimeException e) {
                logger.warn("Ring listener {} failed on ring version {}", listener, next.version(), e);
            }
        }
    }

    private Gauge membersGauge(MemberState state) {
        return Gauge.builder(MEMBERS_GAUGE, this, d -> d.ring.members().stream()
                        .filter(member -> member.state() == state)
                        .count())
                .description("Members of the ring routing uses, by state")
                .tag("state", state.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }
}
