package io.presenter.gateway.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The one way session ticket keys reach BoringSSL, whichever source they come from (the key file's
 * {@link TicketKeyRotation} or the fleet schedule in ZooKeeper): installs a key set when it differs
 * from the one in use, so a source that re-reads often does not reinstall the same keys. The first
 * key encrypts new tickets, the others only decrypt ({@link TicketKeys#installInto}).
 *
 * <p>A certificate reload swaps in a new TLS context: {@link #moveTo} carries the keys in use over,
 * so tickets issued before the swap still resume and the sources install into the new context.
 *
 * <p>Other TLS contexts that must issue and accept the same tickets (the QUIC listener's, whose
 * BoringSSL context is separate) {@linkplain #follow follow} the installs.
 *
 * <p>Callers log what they install (count and fingerprint, never key bytes); this class does not,
 * because only the caller knows where the keys came from.
 */
public final class TicketKeyInstaller {

    private OpenSslSessionContext context;
    private TicketKeys current;
    private final List<Consumer<TicketKeys>> followers = new ArrayList<>();

    TicketKeyInstaller(OpenSslSessionContext context) {
        this.context = context;
    }

    /** Installs {@code keys} unless they are the keys in use; returns whether it installed them. */
    public synchronized boolean install(TicketKeys keys) {
        if (keys.equals(current)) {
            return false;
        }
        keys.installInto(context);
        current = keys;
        followers.forEach(follower -> follower.accept(keys));
        return true;
    }

    /**
     * {@code follower} gets every key set installed from now on, and the one in use now if there
     * is one (while there is none, it keeps its own process-local keys, as the TCP context does).
     */
    public synchronized void follow(Consumer<TicketKeys> follower) {
        followers.add(follower);
        if (current != null) {
            follower.accept(current);
        }
    }

    /**
     * Installs the keys in use into {@code next} (a context a reload swapped in; it keeps its
     * process-local keys while none were installed) and installs into it from now on;
     * {@code publish}, which makes {@code next} the context of new handshakes, runs under the same
     * lock, so no install falls between the two and the new context never serves other keys.
     */
    synchronized void moveTo(OpenSslSessionContext next, Runnable publish) {
        if (current != null) {
            current.installInto(next);
        }
        context = next;
        publish.run();
    }

    /** The keys installed last; empty while BoringSSL still uses its process-local keys. */
    public synchronized Optional<TicketKeys> current() {
        return Optional.ofNullable(current);
    }
}
