package io.presenter.gateway.drain;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a presenter out of the fleet without cutting anyone off (DESIGN: scale-in). On
 * {@link #start()}: publish weight 0 and wait until Route53 has it, so no resolver learns this
 * presenter anew; keep accepting and serving, because resolvers and clients cache the old answer;
 * finish when no client is left and none has connected for the quiet period. Clients still here
 * after the maximum drain time are closed at a bounded rate, never all at once: a mass close is
 * the reconnect storm the presenter exists to avoid.
 *
 * <p>After {@link #start()} every step runs on the scheduler's thread, checked every {@link #TICK}.
 */
public final class DrainController {

    private static final Logger log = LoggerFactory.getLogger(DrainController.class);

    /** How often the drain looks at its clients. */
    static final Duration TICK = Duration.ofMillis(100);
    /** Close reason of the clients closed after the maximum drain time. */
    public static final String CLOSE_REASON = "drain";
    public static final String PHASE_GAUGE = "presenter.drain.phase";
    public static final String PHASE_SECONDS_GAUGE = "presenter.drain.phase.seconds";

    private volatile DrainSettings settings;
    private final DrainTarget clients;
    private final Supplier<CompletableFuture<Void>> zeroWeight;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoTime;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();

    private volatile DrainPhase phase = DrainPhase.SERVING;
    private volatile long phaseStartNanos;
    private long drainingSinceNanos;
    private double closeCredit;
    /** Closes per second after a handover (spread over its window); 0: the drain's close rate. */
    private volatile double spreadPerSecond;
    private ScheduledFuture<?> ticks;

    /**
     * @param zeroWeight publishes weight 0; its future completes once the change is in sync
     * @param scheduler runs the drain's steps; one thread is enough
     */
    public DrainController(DrainSettings settings, DrainTarget clients, Supplier<CompletableFuture<Void>> zeroWeight,
            ScheduledExecutorService scheduler, LongSupplier nanoTime, MeterRegistry registry) {
        this.settings = settings;
        this.clients = clients;
        this.zeroWeight = zeroWeight;
        this.scheduler = scheduler;
        this.nanoTime = nanoTime;
        this.phaseStartNanos = nanoTime.getAsLong();
        Gauge.builder(PHASE_GAUGE, this, c -> c.phase.ordinal())
                .description("drain phase: 0 serving, 1 zeroing weight, 2 draining, 3 closing, 4 drained")
                .register(registry);
        Gauge.builder(PHASE_SECONDS_GAUGE, this, c -> c.status().secondsInPhase()).baseUnit("seconds")
                .description("time since the drain entered its current phase").register(registry);
    }

    /** Starts the drain, once; later calls do nothing. Returns the status after the call. */
    public DrainStatus start() {
        if (!started.compareAndSet(false, true)) {
            return status();
        }
        enter(DrainPhase.ZEROING_WEIGHT);
        scheduler.execute(() -> {
            CompletableFuture<Void> zeroed;
            try {
                zeroed = zeroWeight.get();
            } catch (RuntimeException e) {
                zeroed = CompletableFuture.failedFuture(e);
            }
            // Bounded: a Route53 outage must not keep the presenter from draining at all.
            zeroed.orTimeout(settings.maxTime().toMillis(), TimeUnit.MILLISECONDS)
                    .whenCompleteAsync((ok, error) -> {
                        if (error != null) {
                            log.warn("weight 0 not confirmed in sync, draining anyway: {}", error.toString());
                        }
                        drainingSinceNanos = nanoTime.getAsLong();
                        enter(DrainPhase.DRAINING);
                        ticks = scheduler.scheduleWithFixedDelay(this::tick, 0, TICK.toNanos(), TimeUnit.NANOSECONDS);
                    }, scheduler);
        });
        return status();
    }

    /**
     * Drains after a listener handover: the successor on this host accepts the new clients and
     * publishes the host's weight, so there is no weight to zero and no quiet period to wait for.
     * The clients here are closed spread evenly over {@code window} (hours in production, so their
     * reconnects to the successor are a trickle), and the drain finishes when the last is gone.
     * Once only, like {@link #start()}; does nothing when a drain already started.
     */
    public DrainStatus handOver(Duration window) {
        if (!started.compareAndSet(false, true)) {
            return status();
        }
        int active = clients.active();
        spreadPerSecond = Math.max(active, 1) / Math.max(window.toNanos() / 1e9, 1e-3);
        log.info("drain after handover: {} clients, closed over {} ({} per second)", active, window,
                String.format(java.util.Locale.ROOT, "%.3f", spreadPerSecond));
        enter(DrainPhase.CLOSING);  // at once: not ready, no second handover, from this call on
        scheduler.execute(() ->
                ticks = scheduler.scheduleWithFixedDelay(this::tick, 0, TICK.toNanos(), TimeUnit.NANOSECONDS));
        return status();
    }

    /** One look at the clients; package-private so tests can step it. */
    void tick() {
        long now = nanoTime.getAsLong();
        int active = clients.active();
        if (phase == DrainPhase.DRAINING) {
            long quietSince = Math.max(clients.lastAdmittedNanos(), drainingSinceNanos);
            if (active == 0 && now - quietSince >= settings.quietPeriod().toNanos()) {
                finish();
            } else if (now - drainingSinceNanos >= settings.maxTime().toNanos()) {
                log.info("drain: {} clients left after {}, closing {} per second", active, settings.maxTime(),
                        settings.closeRate());
                enter(DrainPhase.CLOSING);
            }
        } else if (phase == DrainPhase.CLOSING) {
            if (active == 0) {
                finish();
                return;
            }
            double rate = spreadPerSecond > 0 ? spreadPerSecond : settings.closeRate();
            closeCredit = Math.min(closeCredit + rate * (TICK.toNanos() / 1e9), Math.max(rate, 1));
            int closed = clients.closeSome((int) closeCredit, CLOSE_REASON);
            closeCredit -= closed;
        }
    }

    private void finish() {
        enter(DrainPhase.DRAINED);
        ticks.cancel(false);
        drained.complete(null);
    }

    private void enter(DrainPhase next) {
        log.info("drain: {} -> {} ({} clients)", phase, next, clients.active());
        phase = next;
        phaseStartNanos = nanoTime.getAsLong();
    }

    /** New quiet period, maximum time and close rate (a reload); a drain under way goes on with them. */
    public void settings(DrainSettings next) {
        settings = next;
    }

    public DrainStatus status() {
        return new DrainStatus(phase, clients.active(), (nanoTime.getAsLong() - phaseStartNanos) / 1e9);
    }

    public boolean isDraining() {
        return phase != DrainPhase.SERVING;
    }

    /** Completes when the drain has finished: no clients left. */
    public CompletableFuture<Void> drained() {
        return drained;
    }
}
