package io.presenter.gateway.fleet.tickets;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's half of the fleet ticket keys: on every tick, if this presenter leads, advances the
 * schedule (a new key one rotation ahead, expired keys out) and writes it, sealed, to the node.
 *
 * <p>It reads the node from the presenters' own watch (no read per tick) and writes with the
 * version it read (create when there is none), so two presenters that both believe they lead (a
 * paused JVM) cannot lose each other's keys: the second write fails as a conflict and the next
 * tick starts from what won. It checks leadership again just before writing. A node it cannot open
 * (another key-encryption key, damage) is never overwritten: that would cut the presenters that
 * can read it off their keys; it is counted and logged, and an operator deletes the node (the
 * leader then starts a fresh schedule) or fixes the key file.
 *
 * <p>Meter {@value #WRITES} {@code result}: {@code written}, {@code conflict} (another writer won
 * the race), {@code unreadable} (the node it would advance cannot be opened), {@code failed}
 * (ZooKeeper error; the next tick retries).
 */
final class TicketKeyScheduleWriter {

    private static final Logger log = LoggerFactory.getLogger(TicketKeyScheduleWriter.class);

    static final String WRITES = "presenter.tls.fleet.ticket.keys.writes";

    private final CuratorFramework curator;
    private final String path;
    private final KeyEncryptionKey kek;
    private final Duration rotation;
    private final Duration lifetime;
    private final BooleanSupplier isLeader;
    private final Supplier<Optional<ChildData>> node;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Counter written;
    private final Counter conflict;
    private final Counter unreadable;
    private final Counter failed;
    private int lastUnreadableVersion = -1;

    TicketKeyScheduleWriter(CuratorFramework curator, String path, KeyEncryptionKey kek, Duration rotation,
            Duration lifetime, BooleanSupplier isLeader, Supplier<Optional<ChildData>> node, Clock clock,
            MeterRegistry registry) {
        this.curator = curator;
        this.path = path;
        this.kek = kek;
        this.rotation = rotation;
        this.lifetime = lifetime;
        this.isLeader = isLeader;
        this.node = node;
        this.clock = clock;
        written = counter(registry, "written");
        conflict = counter(registry, "conflict");
        unreadable = counter(registry, "unreadable");
        failed = counter(registry, "failed");
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder(WRITES).description("Writes of the fleet TLS ticket key schedule by the leader")
                .tag("result", result).register(registry);
    }

    /** One step; never throws (it runs on a schedule). */
    void tick() {
        if (!isLeader.getAsBoolean()) {
            return;
        }
        try {
            Optional<ChildData> current = node.get();
            int version = current.map(d -> d.getStat().getVersion()).orElse(-1);
            TicketKeySchedule schedule;
            if (current.isEmpty() || current.get().getData() == null) {
                schedule = TicketKeySchedule.empty(rotation);
            } else {
                byte[] plaintext = null;
                try {
                    plaintext = kek.open(current.get().getData());
                    schedule = TicketKeySchedule.decode(plaintext);
                } catch (KeyEncryptionKey.OpenException | IllegalArgumentException e) {
                    unreadable.increment();
                    if (version != lastUnreadableVersion) {  // one line per node version, not per tick
                        lastUnreadableVersion = version;
                        log.warn("leader: the fleet TLS ticket key schedule at {} cannot be opened ({}); not"
                                + " overwriting it. Fix tls.ticket-key-encryption-key-file, or delete the node to"
                                + " start a new schedule", path, e.getMessage());
                    }
                    return;
                } finally {
                    if (plaintext != null) {
                        Arrays.fill(plaintext, (byte) 0);
                    }
                }
            }
            TicketKeySchedule next = schedule.advance(clock.instant(), rotation, lifetime, random);
            if (next == schedule || !isLeader.getAsBoolean()) {
                return;
            }
            byte[] plaintext = next.encode();
            byte[] sealed = kek.seal(plaintext);
            Arrays.fill(plaintext, (byte) 0);
            if (version < 0) {
                curator.create().creatingParentsIfNeeded().forPath(path, sealed);
            } else {
                curator.setData().withVersion(version).forPath(path, sealed);
            }
            written.increment();
            TicketKeySchedule.Entry newest = next.entries().get(next.entries().size() - 1);
            log.info("leader: fleet TLS ticket key schedule written: {} key(s), newest {} (rotation {})",
                    next.entries().size(), newest, rotation);
        } catch (KeeperException.NodeExistsException | KeeperException.BadVersionException e) {
            conflict.increment();
            log.info("leader: the fleet TLS ticket key schedule changed under this write ({}); next tick starts"
                    + " from the new one", e.code());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failed.increment();
            log.warn("leader: writing the fleet TLS ticket key schedule failed, retrying next tick: {}", e.toString());
        }
    }
}
