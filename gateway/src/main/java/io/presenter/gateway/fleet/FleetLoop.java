package io.presenter.gateway.fleet;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.gateway.weight.LoadProbe;
import io.presenter.gateway.weight.LoadSample;
import io.presenter.gateway.weight.Route53WeightPublisher;
import io.presenter.gateway.weight.WeightSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.route53.Route53Client;

/**
 * The one fleet loop every presenter runs, every {@code weight.interval ± weight.jitter} on its
 * own thread ({@code presenter-fleet}):
 *
 * <ol>
 *   <li>report: this presenter's state ({@link Readiness}) and load ({@link LoadProbe}) into its
 *       ephemeral node, when worth a write ({@link PresenterMembership});</li>
 *   <li>lead, only if {@link FleetLeadership} says so: read every presenter node (a Curator cache
 *       kept only while leading), and have the {@link FleetWeightWriter} write the fleet's weights
 *       to Route53 in one batch;</li>
 *   <li>drain, only while draining: wait for {@code fleet/weights} to show this presenter's zero,
 *       and write the zero itself when no leader has existed for
 *       {@code fleet.leaderless-drain-after}.</li>
 * </ol>
 * There is no per-presenter Route53 mode: with one presenter, it is the leader.
 */
public final class FleetLoop implements AutoCloseable {

    /** Gauge: this presenter's weight as applied by the leader (NaN before the first). */
    public static final String WEIGHT_GAUGE = "presenter.weight";

    private static final Logger log = LoggerFactory.getLogger(FleetLoop.class);

    private final FleetSettings fleet;
    private final WeightSettings weights;
    private final String basePath;
    private final CuratorFramework curator;
    private final Readiness readiness;
    private final LoadProbe probe;
    private final String setIdentifier;
    private final FleetLeadership leadership;
    private final PresenterMembership membership;
    private final PresenterNodeReader reader;
    private final Route53WeightPublisher publisher;
    private final FleetWeightWriter writer;
    private final ScheduledThreadPoolExecutor executor;
    private final LongSupplier nanoTime;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    private final Gauge weightGauge;
    private final MeterRegistry registry;
    /** This presenter's weight as {@code fleet/weights} last said; -1 before that. */
    private volatile long appliedWeight = -1;
    private CuratorCache presenters;
    /** While draining: when a leader was last seen (the drain's start at first); -1 before the drain. */
    private volatile long leaderSeenNanos = -1;
    private long appliedReadNanos;
    /** {@code fleet/weights} as last read; null before the first read. */
    private volatile AppliedWeights latestApplied;
    private CompletableFuture<Void> ownZero;
    private LoadSample lastSample;
    private boolean closed;

    private FleetLoop(FleetSettings fleet, WeightSettings weights, String presenterId, CuratorFramework curator,
            String basePath, Readiness readiness, LoadProbe probe, Route53Client client, MeterRegistry registry,
            LongSupplier nanoTime) {
        this.fleet = fleet;
        this.weights = weights;
        this.basePath = basePath;
        this.curator = curator;
        this.readiness = readiness;
        this.probe = probe;
        this.nanoTime = nanoTime;
        this.registry = registry;
        this.setIdentifier = weights.setIdentifierOr(presenterId);
        this.leadership = new FleetLeadership(curator, basePath, presenterId, registry);
        this.reader = new PresenterNodeReader(registry);
        this.lastSample = probe.sample();
        this.membership = new PresenterMembership(curator, basePath, presenterId, node(lastSample), fleet, registry);
        if (weights.enabled()) {
            publisher = new Route53WeightPublisher(client, weights, presenterId, registry);
            writer = new FleetWeightWriter(weights, fleet, client, publisher, presenterId, leadership::confirm,
                    leadership::isLeader, this::writeApplied, registry);
        } else {
            publisher = null;
            writer = null;
        }
        // Only with publishing on, as before: without Route53 there is no weight to show.
        weightGauge = !weights.enabled() ? null
                : Gauge.builder(WEIGHT_GAUGE, this, l -> l.appliedWeight < 0 ? Double.NaN : l.appliedWeight)
                        .description("This presenter's weight in Route53 as the fleet leader last applied it "
                                + "(0 while draining)")
                        .register(registry);
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "presenter-fleet");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        leadership.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                tickSoon();  // a new leader reconciles and writes at once, not one interval later
            }

            @Override
            public void notLeader() {
                tickSoon();
            }
        });
    }

    /**
     * Registers this presenter and starts the loop; the first tick runs at once.
     *
     * @param client the Route53 client the leader writes with (kept and closed by the caller);
     *     unused when {@code weight.enabled} is false (then the fleet has members and a leader, and
     *     nobody writes DNS)
     */
    public static FleetLoop start(FleetSettings fleet, WeightSettings weights, String presenterId,
            CuratorFramework curator, String basePath, Readiness readiness, LoadProbe probe, Route53Client client,
            MeterRegistry registry) throws Exception {
        FleetLoop loop = new FleetLoop(fleet, weights, presenterId, curator, basePath, readiness, probe, client,
                registry, System::nanoTime);
        loop.membership.start(loop.nanoTime.getAsLong());
        loop.leadership.start();
        if (weights.enabled()) {
            log.info("fleet: presenter {} (set identifier {}) in {}; the leader writes {} {} in zone {} every {} "
                            + "(±{}%), TTL {}s, records of gone presenters deleted after {}", presenterId,
                    loop.setIdentifier, FleetPaths.presenters(basePath), weights.recordName(), weights.recordTypes(),
                    weights.hostedZoneId(), weights.interval(), Math.round(weights.jitter() * 100),
                    weights.ttl().toSeconds(), fleet.recordGrace());
        } else {
            log.info("fleet: presenter {} in {}; Route53 weight publishing is off (weight.enabled is false): "
                    + "no presenter's DNS weight is managed, and a drain does not change it", presenterId,
                    FleetPaths.presenters(basePath));
        }
        loop.schedule(0);
        return loop;
    }

    public FleetLeadership leadership() {
        return leadership;
    }

    /** The set identifier of this presenter's records. */
    public String setIdentifier() {
        return setIdentifier;
    }

    /** This presenter's node as last written. */
    public PresenterNode node() {
        return membership.written();
    }

    /** Whether the node was created within {@code timeout}. */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return membership.awaitRegistered(timeout);
    }

    /**
     * The drain's DNS step: this presenter's node says DRAINING at once, and the returned future
     * completes when the leader confirms (through {@code fleet/weights}) that its weight 0 is in
     * Route53, or when this presenter wrote the zero itself after {@code fleet.leaderless-drain-after}
     * without a leader. Completes at once when weight publishing is off. Call after
     * {@link Readiness#draining()} turned true.
     */
    public CompletableFuture<Void> drain() {
        tickSoon();
        return drained.copy();
    }

    /** The weights the leader holds for Route53, by set identifier; empty unless this presenter leads. */
    public Map<String, Long> heldWeights() {
        return writer == null || !leadership.isLeader() ? Map.of() : writer.heldWeights();
    }

    synchronized void tick() {
        if (closed) {
            return;
        }
        long now = nanoTime.getAsLong();
        try {
            lastSample = probe.sample();
        } catch (RuntimeException e) {
            log.warn("load probe failed; the node keeps its last load", e);
        }
        membership.offer(node(lastSample), now);
        if (leadership.isLeader()) {
            lead(now);
        } else {
            follow();
        }
        // fleet/weights holds the whole fleet (~50 bytes a presenter): read it every tick on the
        // leader and while draining, else every fleet.node-refresh-interval, for the presenter.weight
        // gauge. In the background: a loop stuck in Curator's retries during a ZooKeeper outage could
        // not write its own zero when there is no leader.
        if (writer != null && (leadership.isLeader() || readiness.draining() || appliedReadNanos == 0
                || now - appliedReadNanos >= fleet.nodeRefreshInterval().toNanos())) {
            requestApplied();
            appliedReadNanos = now;
        }
        if (readiness.draining()) {
            checkDrain(now, Optional.ofNullable(latestApplied));
        }
    }

    private PresenterNode node(LoadSample sample) {
        List<String> addresses = weights.enabled() && !weights.addressesFromInstanceMetadata()
                ? weights.addresses() : List.of();
        return PresenterNode.of(setIdentifier, addresses, readiness.state(), sample);
    }

    private void lead(long now) {
        if (presenters == null) {
            presenters = CuratorCache.build(curator, FleetPaths.presenters(basePath));
            presenters.start();
        }
        if (writer == null) {
            return;
        }
        writer.noticeApplied(latestApplied);
        String prefix = FleetPaths.presenters(basePath) + "/";
        Map<String, PresenterNode> nodes = reader.read(presenters.stream()
                .filter(child -> child.getPath().startsWith(prefix))::iterator);
        writer.step(nodes, now);
    }

    private void follow() {
        if (presenters != null) {
            presenters.close();
            presenters = null;
        }
        if (writer != null) {
            writer.relinquish();
        }
    }

    private void checkDrain(long now, Optional<AppliedWeights> applied) {
        if (drained.isDone() || membership.written().state() != PresenterState.DRAINING) {
            return;
        }
        if (writer == null) {
            drained.complete(null);
            return;
        }
        if (applied.filter(a -> a.confirmsDrain(setIdentifier)).isPresent()) {
            log.info("drain: the fleet leader confirms weight 0 for {} in Route53", setIdentifier);
            drained.complete(null);
            return;
        }
        // The leaderless clock runs from the later of the drain's start and the last time a leader
        // was seen (asked in the background each tick, answered before the next).
        if (leaderSeenNanos < 0) {
            leaderSeenNanos = now;
        }
        leadership.whenLeaderSeen(() -> leaderSeenNanos = nanoTime.getAsLong());
        if (now - leaderSeenNanos >= fleet.leaderlessDrainAfter().toNanos() && ownZero == null) {
            log.warn("drain: no fleet leader for {} (fleet.leaderless-drain-after): writing weight 0 for {} "
                    + "myself", fleet.leaderlessDrainAfter(), setIdentifier);
            ownZero = publisher.publish(0, true);
            ownZero.whenComplete((v, failure) -> {
                if (failure == null) {
                    log.info("drain: weight 0 for {} is INSYNC (written by this presenter)", setIdentifier);
                    appliedWeight = 0;
                    drained.complete(null);
                } else {
                    synchronized (this) {
                        ownZero = null;  // the next tick tries again
                    }
                }
            });
        }
    }

    /** Reads {@code fleet/weights} in the background into {@link #latestApplied}. */
    private void requestApplied() {
        if (!curator.getZookeeperClient().isConnected()) {
            return;  // Curator would queue the read behind its reconnection attempts
        }
        try {
            curator.getData().inBackground((client, event) -> {
                if (event.getResultCode() != KeeperException.Code.OK.intValue()) {
                    return;  // no node yet (no leader has written), or ZooKeeper went away meanwhile
                }
                AppliedWeights.decode(event.getData()).ifPresent(applied -> {
                    latestApplied = applied;
                    AppliedWeights.Applied mine = applied.presenters().get(setIdentifier);
                    if (mine != null) {
                        appliedWeight = mine.weight();
                    }
                    if (applied.confirmsDrain(setIdentifier) && !drained.isDone()) {
                        tickSoon();  // confirm the drain now, not one interval later
                    }
                });
            }).forPath(FleetPaths.appliedWeights(basePath));
        } catch (Exception e) {
            log.debug("fleet weights not read: {}", e.toString());
        }
    }

    private void writeApplied(AppliedWeights applied) {
        try {
            curator.create().orSetData().creatingParentsIfNeeded()
                    .forPath(FleetPaths.appliedWeights(basePath), applied.encode());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void tickSoon() {
        try {
            executor.execute(this::safeTick);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void safeTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            log.error("fleet tick failed", e);
        }
    }

    /** Schedules the next tick after {@code delayNanos}, then every interval ± jitter. */
    private void schedule(long delayNanos) {
        try {
            executor.schedule(() -> {
                try {
                    safeTick();
                } finally {
                    schedule(jittered());
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private long jittered() {
        long interval = weights.interval().toNanos();
        double factor = 1 + weights.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        return Math.max(1, Math.round(interval * factor));
    }

    /**
     * Stops the loop, leaves the leadership (another presenter takes over at once) and deletes this
     * presenter's node (the leader zeroes its records and deletes them after the grace period).
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (presenters != null) {
            presenters.close();
        }
        if (weightGauge != null) {
            registry.remove(weightGauge);
        }
        closeQuietly(leadership);
        closeQuietly(membership);
        if (publisher != null) {
            publisher.close();
        }
        drained.completeExceptionally(new CancellationException("fleet loop closed before the drain was confirmed"));
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("while stopping the fleet loop: {}", e.toString());
        }
    }
}
