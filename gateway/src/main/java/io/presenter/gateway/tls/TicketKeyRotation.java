package io.presenter.gateway.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.OpenSslSessionContext;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the session ticket keys of a running server context in step with the key file: re-reads
 * it every {@code tls.ticket-key-reload-interval} ({@link #schedule}, started by
 * {@link ServerTlsContextFactory#create}) and swaps the keys in place when they changed, so
 * rotation needs no restart and drops no connection. Keys equal to the ones in use are not
 * installed again.
 *
 * <p>A file that cannot be read or parsed at a reload (missing, half-written, mistyped) leaves the
 * current keys in place: it is counted as {@code presenter.tls.ticket.key.reloads{result=failed}}
 * and logged as one line with the reason, and the next reload tries again. It never stops the
 * presenter, because it must not turn every resumption of the fleet into a full handshake. Only
 * the key count and a fingerprint are logged, never key bytes.
 */
public final class TicketKeyRotation implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TicketKeyRotation.class);

    /** Counter of reloads, tag {@code result} = {@code changed}, {@code unchanged} or {@code failed}. */
    public static final String RELOADS = "presenter.tls.ticket.key.reloads";

    /** Outcome of one reload. */
    public enum Result {
        /** New keys were read and installed. */
        CHANGED("changed"),
        /** The file holds the keys in use; nothing installed. */
        UNCHANGED("unchanged"),
        /** The file could not be read, parsed or installed; the keys in use stay. */
        FAILED("failed");

        private final String tag;

        Result(String tag) {
            this.tag = tag;
        }

        /** The value of the {@code result} tag of {@link #RELOADS}. */
        public String tag() {
            return tag;
        }
    }

    private final Path file;
    private Consumer<TicketKeys> installer;
    private final Counter changed;
    private final Counter unchanged;
    private final Counter failed;
    private TicketKeys current;
    private ScheduledFuture<?> schedule;

    /**
     * A rotation whose keys {@code initial} are already in use; {@code installer} puts new keys
     * into the TLS context (for tests: records them).
     */
    TicketKeyRotation(Path file, TicketKeys initial, Consumer<TicketKeys> installer, MeterRegistry registry) {
        this.file = file;
        this.current = initial;
        this.installer = installer;
        changed = counter(registry, Result.CHANGED);
        unchanged = counter(registry, Result.UNCHANGED);
        failed = counter(registry, Result.FAILED);
    }

    private static Counter counter(MeterRegistry registry, Result result) {
        return Counter.builder(RELOADS).description("Re-reads of the TLS session ticket key file")
                .tag("result", result.tag()).register(registry);
    }

    /**
     * Loads the key file and installs its keys; fails (so the daemon does not start) when the file
     * is missing or malformed, because a configured but unusable key file is an operator error.
     * Reloads start with {@link #schedule}.
     */
    public static TicketKeyRotation install(OpenSslSessionContext sessionContext, Path file,
            MeterRegistry registry) throws IOException {
        TicketKeys keys = TicketKeys.load(file);
        keys.installInto(sessionContext);
        log.info("TLS session tickets on: {} key(s) from {} (fingerprint {})", keys.size(), file,
                keys.fingerprint());
        return new TicketKeyRotation(file, keys, k -> k.installInto(sessionContext), registry);
    }

    /**
     * Re-reads the file now and installs its keys when they differ from the current ones. Never
     * throws: a failure keeps the current keys, is counted and logged.
     */
    public synchronized Result reload() {
        TicketKeys keys;
        try {
            keys = TicketKeys.load(file);
            if (keys.equals(current)) {
                unchanged.increment();
                return Result.UNCHANGED;
            }
            installer.accept(keys);
        } catch (IOException | RuntimeException e) {
            failed.increment();
            log.warn("TLS ticket keys not reloaded, keeping the current {} key(s) (fingerprint {}): {}",
                    current.size(), current.fingerprint(), e.getMessage() != null ? e.getMessage() : e.toString());
            return Result.FAILED;
        }
        log.info("TLS ticket keys rotated: {} key(s) from {} (fingerprint {} -> {})", keys.size(), file,
                current.fingerprint(), keys.fingerprint());
        current = keys;
        changed.increment();
        return Result.CHANGED;
    }

    /**
     * Reloads every {@code interval} on {@code executor}, the first time one interval from now,
     * until {@link #close()}.
     */
    public synchronized void schedule(ScheduledExecutorService executor, Duration interval) {
        if (schedule != null) {
            throw new IllegalStateException("already scheduled");
        }
        long millis = interval.toMillis();
        schedule = executor.scheduleWithFixedDelay(this::reload, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Installs the keys in use into {@code next}, a context a reload swapped in, and rotates that
     * one from now on; {@code publish} (making {@code next} the context new handshakes use) runs
     * under the same lock, so no rotation falls between the two and the new context never serves
     * with other keys than the old one.
     */
    synchronized void moveTo(OpenSslSessionContext next, Runnable publish) {
        current.installInto(next);
        installer = k -> k.installInto(next);
        publish.run();
    }

    /** The keys in use (for status pages: count and fingerprint only). */
    public synchronized TicketKeys current() {
        return current;
    }

    /** Stops the scheduled reloads; the keys in use stay. */
    @Override
    public synchronized void close() {
        if (schedule != null) {
            schedule.cancel(false);
            schedule = null;
        }
    }
}
