package io.presenter.gateway.weight;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.route53.Route53Client;

/**
 * {@link WeightPublishing} for real: sample, decide, publish, on the publisher's thread.
 *
 * <p>At most one publish is in flight: a tick that finds one still retrying leaves it alone (the
 * next tick looks again), so a throttled fleet does not pile up requests. Only {@link #drain()}
 * publishes over one in flight, superseding it.
 *
 * <p>State is guarded by {@code this}; ticks run on the weight thread, {@link #drain()} and
 * {@link #close()} on whatever thread calls them, and tests call {@link #tick()} directly.
 */
final class WeightLoop implements WeightPublishing {

    private static final Logger log = LoggerFactory.getLogger(WeightPublishing.class);

    private final WeightSettings settings;
    private final LoadProbe probe;
    private final WeightPolicy policy;
    private final Route53WeightPublisher publisher;
    private final MeterRegistry registry;
    private final Gauge gauge;
    private final Route53Client ownedClient;
    private final LongSupplier nanoTime;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    private volatile int published = WeightPolicy.UNPUBLISHED;
    private long lastPublishNanos;
    private LoadSample lastSample;
    private CompletableFuture<Void> inFlight = CompletableFuture.completedFuture(null);
    private ScheduledFuture<?> nextTick;
    private boolean closed;

    /**
     * @param ownedClient closed with this loop, or {@code null} when the caller owns the client
     * @param nanoTime the clock for the refresh interval ({@code System::nanoTime} outside tests)
     */
    WeightLoop(WeightSettings settings, LoadProbe probe, Route53WeightPublisher publisher, MeterRegistry registry,
            Route53Client ownedClient, LongSupplier nanoTime) {
        this.settings = settings;
        this.probe = probe;
        this.policy = WeightPolicy.of(settings);
        this.publisher = publisher;
        this.registry = registry;
        this.ownedClient = ownedClient;
        this.nanoTime = nanoTime;
        this.gauge = Gauge.builder(WeightMeters.WEIGHT, () -> published < 0 ? Double.NaN : published)
                .description("This presenter's weight as last accepted by Route53 (0 while draining)")
                .register(registry);
    }

    /** A loop whose first tick runs at once on the weight thread. */
    static WeightLoop start(WeightSettings settings, LoadProbe probe, Route53WeightPublisher publisher,
            MeterRegistry registry, Route53Client ownedClient) {
        WeightLoop loop = new WeightLoop(settings, probe, publisher, registry, ownedClient, System::nanoTime);
        log.info("Route53 weight publishing on: {} {} in zone {}, set identifier {}, addresses {}, TTL {}s, "
                        + "sampled every {} (±{}%), republished every {}, threshold {}, max {}",
                settings.recordName(), settings.recordTypes(), settings.hostedZoneId(), publisher.setIdentifier(),
                settings.addresses(), settings.ttl().toSeconds(), settings.interval(),
                Math.round(settings.jitter() * 100), settings.refreshInterval(), settings.threshold(), settings.max());
        loop.schedule(0);
        return loop;
    }

    /**
     * One sample: publishes if the policy wants a new weight, the refresh interval has passed (a
     * drained presenter keeps refreshing its 0, in case the record was edited), or a drain has not
     * been confirmed INSYNC yet. Returns the publish started (or the one still in flight),
     * or a completed future when there was nothing to do.
     */
    synchronized CompletableFuture<Void> tick() {
        if (closed) {
            return CompletableFuture.completedFuture(null);
        }
        if (!inFlight.isDone()) {
            return inFlight;
        }
        LoadSample sample;
        try {
            sample = probe.sample();
        } catch (RuntimeException e) {
            log.warn("Load probe failed; weight left at {}", published, e);
            return CompletableFuture.completedFuture(null);
        }
        lastSample = sample;
        int weight = policy.next(sample, published);
        if (policy.draining() && !drained.isDone()) {
            // The drain's own publish failed: try again until 0 is INSYNC.
            return publish(0, true);
        }
        boolean refresh = published != WeightPolicy.UNPUBLISHED
                && nanoTime.getAsLong() - lastPublishNanos >= settings.refreshInterval().toNanos();
        if (weight == published && !refresh) {
            return CompletableFuture.completedFuture(null);
        }
        return publish(weight, false);
    }

    @Override
    public synchronized CompletableFuture<Void> drain() {
        if (closed) {
            return CompletableFuture.failedFuture(new CancellationException("weight publishing closed"));
        }
        if (!policy.draining()) {
            policy.drain();
            log.info("Drain: publishing weight 0 for {} (was {}) and waiting for INSYNC", publisher.setIdentifier(),
                    published == WeightPolicy.UNPUBLISHED ? "none" : published);
            publish(0, true);
        }
        return drained.copy();
    }

    @Override
    public int publishedWeight() {
        return published;
    }

    private CompletableFuture<Void> publish(int weight, boolean awaitInSync) {
        int before = published;
        LoadSample sample = lastSample;
        // The returned stage completes after the bookkeeping, so whoever waits on it sees the new
        // published weight.
        CompletableFuture<Void> publish = publisher.publish(weight, awaitInSync)
                .whenComplete((v, failure) -> published(weight, before, sample, awaitInSync, failure));
        inFlight = publish;
        return publish;
    }

    private synchronized void published(int weight, int before, LoadSample sample, boolean awaitInSync,
            Throwable failure) {
        if (failure != null) {
            // The publisher has said why at WARN; the next tick tries again.
            return;
        }
        published = weight;
        lastPublishNanos = nanoTime.getAsLong();
        if (weight != before) {
            log.info("Route53 weight {} -> {} for {} (smoothed load {}; last sample: {}/{} connections, "
                            + "process CPU {}%, system CPU {}%)",
                    before == WeightPolicy.UNPUBLISHED ? "none" : before, weight, publisher.setIdentifier(),
                    String.format("%.3f", policy.smoothedLoad()),
                    sample == null ? "-" : sample.activeConnections(), sample == null ? "-" : sample.capacity(),
                    sample == null ? "-" : Math.round(sample.processCpu() * 100),
                    sample == null ? "-" : Math.round(sample.systemCpu() * 100));
        }
        if (weight == 0 && awaitInSync && policy.draining()) {
            log.info("Drain: weight 0 for {} is INSYNC", publisher.setIdentifier());
            drained.complete(null);
        }
    }

    /** Schedules the next tick after {@code delayNanos}, then every interval ± jitter. */
    private synchronized void schedule(long delayNanos) {
        if (closed) {
            return;
        }
        try {
            nextTick = publisher.executor().schedule(() -> {
                try {
                    tick();
                } catch (RuntimeException e) {
                    log.error("Weight tick failed", e);
                } finally {
                    schedule(jittered());
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Closing: the publisher's thread is gone.
        }
    }

    /** {@code interval * (1 ± jitter)}, uniformly: presenters started together drift apart. */
    private long jittered() {
        long interval = settings.interval().toNanos();
        double factor = 1 + settings.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        return Math.max(1, Math.round(interval * factor));
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (nextTick != null) {
                nextTick.cancel(false);
            }
        }
        // Outside the lock: the weight thread may be waiting for it to record a publish.
        publisher.close();
        drained.completeExceptionally(new CancellationException("weight publishing closed before the drain was INSYNC"));
        registry.remove(gauge);
        if (ownedClient != null) {
            ownedClient.close();
        }
    }
}
