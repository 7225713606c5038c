package io.presenter.gateway.fleet.tickets;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.gateway.tls.TicketKeyInstaller;
import io.presenter.gateway.tls.TicketKeys;
import io.presenter.gateway.tls.TlsSettings;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.utils.ZKPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet-wide TLS session ticket keys ({@code tls.ticket-key-source: zookeeper}): every presenter
 * watches the sealed schedule at {@code <zookeeper.base-path>/fleet/ticket-keys} (a Curator cache)
 * and installs, through the same {@link TicketKeyInstaller} as the key file, the keys the schedule
 * says are in use by its own clock: the encrypting key first, the coming and the still-valid
 * previous keys decrypt only. The presenter that leads ({@code isLeader}) also writes the
 * schedule ({@link TicketKeyScheduleWriter}). So a ticket issued by any presenter resumes on any
 * other, across rotations, and on presenters started later.
 *
 * <p>Faults: a node that cannot be opened or parsed is rejected (counted, one log line) and the
 * keys in use stay; a deleted node changes nothing until the leader writes a new one. While
 * ZooKeeper is unreachable nothing changes either: the local clock keeps moving through the
 * schedule it has, and when it runs out the last key keeps encrypting past its rotation, counted,
 * rather than resumption being lost. Keys live only in memory: never on disk, never in a log line
 * (fingerprints only).
 *
 * <p>Meters: {@value #UPDATES} {@code result=accepted} ({@code reason=none}), or {@code rejected}
 * with {@code reason} {@code wrong_key|malformed} (one tag set for the name, as Prometheus wants);
 * {@value #INSTALLS} (key sets installed); {@value #OVERDUE} (rotations missed: each rotation
 * interval the encrypting key runs past its end with no successor);
 * {@value #CURRENT} gauge (serial of the encrypting key, 0 before the first schedule; equal on
 * every presenter of a healthy fleet); and the leader's {@value TicketKeyScheduleWriter#WRITES}.
 */
public final class FleetTicketKeys implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FleetTicketKeys.class);

    public static final String UPDATES = "presenter.tls.fleet.ticket.keys.updates";
    public static final String INSTALLS = "presenter.tls.fleet.ticket.keys.installs";
    public static final String OVERDUE = "presenter.tls.fleet.ticket.keys.overdue";
    public static final String CURRENT = "presenter.tls.fleet.ticket.keys.current";

    private final String path;
    private final KeyEncryptionKey kek;
    private final TicketKeyInstaller installer;
    private final Duration lifetime;
    private final Clock clock;
    private final CuratorCache cache;
    private final TicketKeyScheduleWriter writer;
    /** Applies node changes and the clock's progress, one at a time. */
    private final ScheduledExecutorService presenter = daemonThread("presenter-fleet-ticket-keys");
    /** The leader's writes, which may block on ZooKeeper for long, apart from installing. */
    private final ScheduledExecutorService leader = daemonThread("presenter-fleet-ticket-keys-leader");
    private final Duration applyPeriod;
    private final Duration writePeriod;
    private final Counter accepted;
    private final Counter rejectedWrongKey;
    private final Counter rejectedMalformed;
    private final Counter installs;
    private final Counter overdue;
    private final AtomicLong currentSerial = new AtomicLong();
    // Confined to the presenter thread:
    private TicketKeySchedule schedule;
    private long overdueSerial = -1;
    private long overdueCounted;

    FleetTicketKeys(CuratorFramework curator, String basePath, KeyEncryptionKey kek, Duration rotation,
            Duration lifetime, TicketKeyInstaller installer, BooleanSupplier isLeader, Clock clock,
            MeterRegistry registry) {
        this.path = path(basePath);
        this.kek = kek;
        this.installer = installer;
        this.lifetime = lifetime;
        this.clock = clock;
        cache = CuratorCache.build(curator, path, CuratorCache.Options.SINGLE_NODE_CACHE);
        writer = new TicketKeyScheduleWriter(curator, path, kek, rotation, lifetime, isLeader, this::node, clock,
                registry);
        // A tenth of a rotation, at most a second: a new key starts encrypting at most that late here
        // (every presenter can already decrypt it), and the leader writes the next one at most that
        // late. Both ticks are cheap: the leader reads the node from the watch, not from ZooKeeper,
        // and writes only when the schedule changes (once per rotation).
        applyPeriod = clamp(rotation.dividedBy(10), Duration.ofMillis(50), Duration.ofSeconds(1));
        writePeriod = clamp(rotation.dividedBy(10), Duration.ofMillis(100), Duration.ofSeconds(1));
        accepted = Counter.builder(UPDATES).description("Fleet TLS ticket key schedules read from ZooKeeper")
                .tag("result", "accepted").tag("reason", "none").register(registry);
        rejectedWrongKey = rejected(registry, "wrong_key");
        rejectedMalformed = rejected(registry, "malformed");
        installs = Counter.builder(INSTALLS).description("Ticket key sets installed from the fleet schedule")
                .register(registry);
        overdue = Counter.builder(OVERDUE)
                .description("Rotations missed: intervals the encrypting ticket key ran past its end with no successor")
                .register(registry);
        Gauge.builder(CURRENT, currentSerial, AtomicLong::get)
                .description("Serial of the fleet ticket key this presenter encrypts with").register(registry);
    }

    /**
     * Starts watching (and, while {@code isLeader} says so, writing) the schedule for the settings'
     * rotation, session lifetime and key-encryption key file; installs into {@code installer}.
     *
     * @throws IOException the key-encryption key file cannot be read
     * @throws IllegalArgumentException the key-encryption key file is malformed
     */
    public static FleetTicketKeys start(CuratorFramework curator, String basePath, TlsSettings tls,
            TicketKeyInstaller installer, BooleanSupplier isLeader, MeterRegistry registry) throws IOException {
        KeyEncryptionKey kek = KeyEncryptionKey.load(tls.ticketKeyEncryptionKeyFile());
        FleetTicketKeys keys = new FleetTicketKeys(curator, basePath, kek, tls.ticketKeyRotation(),
                tls.sessionTimeout(), installer, isLeader, Clock.systemUTC(), registry);
        keys.start();
        log.info("TLS ticket keys: fleet schedule at {} (rotation {}, sealed with key-encryption key {})",
                keys.path, tls.ticketKeyRotation(), kek.id());
        return keys;
    }

    private static Counter rejected(MeterRegistry registry, String reason) {
        return Counter.builder(UPDATES).description("Fleet TLS ticket key schedules read from ZooKeeper")
                .tag("result", "rejected").tag("reason", reason).register(registry);
    }

    /** The schedule's node under {@code basePath}. */
    public static String path(String basePath) {
        return ZKPaths.makePath(basePath, "fleet", "ticket-keys");
    }

    void start() {
        cache.listenable().addListener((type, oldNode, node) -> {
            byte[] data = node == null ? null : node.getData();
            presenter.execute(() -> read(data));
        });
        cache.start();
        presenter.scheduleWithFixedDelay(this::apply, 0, applyPeriod.toMillis(), TimeUnit.MILLISECONDS);
        leader.scheduleWithFixedDelay(writer::tick, 0, writePeriod.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Optional<ChildData> node() {
        return cache.get(path);
    }

    /** A node version from the cache: open, parse, adopt; on failure keep what is installed. */
    private void read(byte[] sealed) {
        if (sealed == null) {
            log.warn("the fleet TLS ticket key schedule {} is gone; keeping the keys in use until the leader writes"
                    + " a new one", path);
            return;
        }
        byte[] plaintext = null;
        try {
            plaintext = kek.open(sealed);
            TicketKeySchedule read = TicketKeySchedule.decode(plaintext);
            accepted.increment();
            if (!read.equals(schedule)) {
                schedule = read;
                apply();
            }
        } catch (KeyEncryptionKey.OpenException e) {
            (e.reason().equals("wrong_key") ? rejectedWrongKey : rejectedMalformed).increment();
            log.warn("fleet TLS ticket key schedule {} rejected ({}), keeping the keys in use: {}", path, e.reason(),
                    e.getMessage());
        } catch (RuntimeException e) {
            rejectedMalformed.increment();
            log.warn("fleet TLS ticket key schedule {} rejected (malformed), keeping the keys in use: {}", path,
                    e.getMessage());
        } finally {
            if (plaintext != null) {
                Arrays.fill(plaintext, (byte) 0);
            }
        }
    }

    /** Installs what the schedule says for now (if it changed) and counts missed rotations. */
    private void apply() {
        try {
            if (schedule == null) {
                return;
            }
            Instant now = clock.instant();
            TicketKeySchedule.Entry encrypting = schedule.encrypting(now);
            TicketKeys keys = schedule.installable(now, lifetime);
            if (installer.install(keys)) {
                installs.increment();
                log.info("TLS ticket keys from the fleet schedule: key #{} encrypts, {} key(s) installed"
                        + " (fingerprint {})", encrypting.serial(), keys.size(), keys.fingerprint());
            }
            currentSerial.set(encrypting.serial());
            countOverdue(encrypting, schedule.overdue(now));
        } catch (RuntimeException e) {
            log.warn("installing fleet TLS ticket keys failed, keeping the keys in use: {}", e.toString());
        }
    }

    private void countOverdue(TicketKeySchedule.Entry encrypting, Duration past) {
        if (past.isZero()) {
            return;
        }
        long missed = past.toMillis() / schedule.rotation().toMillis() + 1;
        if (encrypting.serial() != overdueSerial) {
            overdueSerial = encrypting.serial();
            overdueCounted = 0;
            log.warn("TLS ticket key #{} is past its rotation and no newer key is scheduled (ZooKeeper unreachable"
                    + " or no leader): still encrypting with it so that resumption keeps working",
                    encrypting.serial());
        }
        if (missed > overdueCounted) {
            overdue.increment(missed - overdueCounted);
            overdueCounted = missed;
        }
    }

    /** The serial of the key this presenter encrypts with; 0 before the first schedule. */
    public long currentSerial() {
        return currentSerial.get();
    }

    /** Stops watching and writing; the installed keys stay in the TLS context. */
    @Override
    public void close() {
        leader.shutdownNow();
        cache.close();
        presenter.shutdownNow();
    }

    private static ScheduledExecutorService daemonThread(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }
}
