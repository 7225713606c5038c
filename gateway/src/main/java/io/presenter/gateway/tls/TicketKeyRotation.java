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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the session ticket keys of a running server context in step with the key file: re-reads
 * it on a schedule (or on demand, e.g. on SIGHUP or from the admin endpoint) and swaps the keys in
 * place, so rotation needs no restart and drops no connection.
 *
 * <p>A file that cannot be read or parsed leaves the current keys in place (logged and counted as
 * {@code presenter.tls.ticket.key.reloads{result=failed}}): a half-written or mistyped file must not
 * turn every resumption of the fleet into a full handshake. Only the key count and a fingerprint are
 * logged, never key bytes.
 */
public final class TicketKeyRotation implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TicketKeyRotation.class);

    /** Outcome of one reload. */
    public enum Result { CHANGED, UNCHANGED, FAILED }

    private final OpenSslSessionContext sessionContext;
    private final Path file;
    private final Counter changed;
    private final Counter unchanged;
    private final Counter failed;
    private TicketKeys current;
    private ScheduledFuture<?> schedule;

    private TicketKeyRotation(OpenSslSessionContext sessionContext, Path file, TicketKeys initial,
            MeterRegistry registry) {
        this.sessionContext = sessionContext;
        this.file = file;
        this.current = initial;
        String name = "presenter.tls.ticket.key.reloads";
        String description = "Re-reads of the TLS session ticket key file";
        changed = Counter.builder(name).description(description).tag("result", "changed").register(registry);
        unchanged = Counter.builder(name).description(description).tag("result", "unchanged").register(registry);
        failed = Counter.builder(name).description(description).tag("result", "failed").register(registry);
    }

    /**
     * Loads the key file and installs its keys; fails (so the daemon does not start) when the file
     * is missing or malformed, because a configured but unusable key file is an operator error.
     */
    public static TicketKeyRotation install(OpenSslSessionContext sessionContext, Path file,
            MeterRegistry registry) throws IOException {
        TicketKeys keys = TicketKeys.load(file);
        keys.installInto(sessionContext);
        log.info("TLS session tickets on: {} key(s) from {} (fingerprint {})", keys.size(), file,
                keys.fingerprint());
        return new TicketKeyRotation(sessionContext, file, keys, registry);
    }

    /** Re-reads the file now; installs the keys when they differ from the current ones. */
    public synchronized Result reload() {
        TicketKeys keys;
        try {
            keys = TicketKeys.load(file);
        } catch (IOException | IllegalArgumentException e) {
            failed.increment();
            log.error("TLS ticket key reload failed, keeping the current {} key(s) (fingerprint {}): {}",
                    current.size(), current.fingerprint(), e.getMessage());
            return Result.FAILED;
        }
        if (keys.equals(current)) {
            unchanged.increment();
            return Result.UNCHANGED;
        }
        keys.installInto(sessionContext);
        log.info("TLS ticket keys rotated: {} key(s) from {} (fingerprint {} -> {})", keys.size(), file,
                current.fingerprint(), keys.fingerprint());
        current = keys;
        changed.increment();
        return Result.CHANGED;
    }

    /** Reloads every {@code interval} on {@code executor} until {@link #close()}. */
    public synchronized void schedule(ScheduledExecutorService executor, Duration interval) {
        if (schedule != null) {
            throw new IllegalStateException("already scheduled");
        }
        long millis = interval.toMillis();
        schedule = executor.scheduleWithFixedDelay(this::reload, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** The keys in use (for status pages: count and fingerprint only). */
    public synchronized TicketKeys current() {
        return current;
    }

    @Override
    public synchronized void close() {
        if (schedule != null) {
            schedule.cancel(false);
            schedule = null;
        }
    }
}
