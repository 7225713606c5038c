package io.presenter.gateway.tls;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionStats;
import java.util.function.ToLongFunction;

/**
 * The session counters BoringSSL and netty-tcnative keep per server context, read as Micrometer
 * {@link FunctionCounter}s when scraped (no cost per handshake):
 * <ul>
 *   <li>{@value #TICKETS} {@code result}: {@code new} (no usable ticket came, a new one was issued),
 *       {@code resumed} (a ticket of the encrypting key), {@code renewed} (a ticket of a decrypt-only
 *       key: resumed, and a new ticket under the encrypting key issued), {@code failed} (a ticket
 *       whose key name matches no installed key: a full handshake). Counted by tcnative's ticket key
 *       callback, so only while keys are installed (a key file or the fleet schedule), not with
 *       BoringSSL's process-local keys.</li>
 *   <li>{@value #SESSION_CACHE} {@code result}: {@code hit}, {@code miss}, {@code timeout} of the
 *       server session cache (TLS 1.2 session ids; {@code tls.session-cache-size}).</li>
 * </ul>
 * Registered once per registry: a second server context on the same registry keeps the first
 * one's counters (every presenter process has one context).
 */
public final class TicketStatsMeters {

    public static final String TICKETS = "presenter.tls.session.tickets";
    public static final String SESSION_CACHE = "presenter.tls.session.cache";

    /** One tcnative counter and the meter that shows it. */
    private enum Stat {
        TICKET_NEW(TICKETS, "new", OpenSslSessionStats::ticketKeyNew),
        TICKET_RESUMED(TICKETS, "resumed", OpenSslSessionStats::ticketKeyResume),
        TICKET_RENEWED(TICKETS, "renewed", OpenSslSessionStats::ticketKeyRenew),
        TICKET_FAILED(TICKETS, "failed", OpenSslSessionStats::ticketKeyFail),
        CACHE_HIT(SESSION_CACHE, "hit", OpenSslSessionStats::hits),
        CACHE_MISS(SESSION_CACHE, "miss", OpenSslSessionStats::misses),
        CACHE_TIMEOUT(SESSION_CACHE, "timeout", OpenSslSessionStats::timeouts);

        final String meter;
        final String result;
        final ToLongFunction<OpenSslSessionStats> value;

        Stat(String meter, String result, ToLongFunction<OpenSslSessionStats> value) {
            this.meter = meter;
            this.result = result;
            this.value = value;
        }
    }

    /** What contexts swapped out by reloads had counted: the meters never go backwards. */
    private final long[] retired = new long[Stat.values().length];
    private OpenSslSessionContext context;

    private TicketStatsMeters(OpenSslSessionContext context) {
        this.context = context;
    }

    /** Binds the counters of {@code context} (and of the contexts it is swapped for) to {@code registry}. */
    public static TicketStatsMeters bind(OpenSslSessionContext context, MeterRegistry registry) {
        TicketStatsMeters meters = new TicketStatsMeters(context);
        for (Stat stat : Stat.values()) {
            FunctionCounter.builder(stat.meter, meters, m -> m.value(stat))
                    .description(stat.meter.equals(TICKETS)
                            ? "TLS session tickets received by the server, by outcome (netty-tcnative)"
                            : "TLS server session cache lookups, by outcome (BoringSSL)")
                    .tag("result", stat.result).register(registry);
        }
        return meters;
    }

    /** Counts from {@code next} on, a context a reload swapped in, keeping what the old one counted. */
    synchronized void moveTo(OpenSslSessionContext next) {
        for (Stat stat : Stat.values()) {
            retired[stat.ordinal()] += stat.value.applyAsLong(context.stats());
        }
        context = next;
    }

    private synchronized double value(Stat stat) {
        return retired[stat.ordinal()] + stat.value.applyAsLong(context.stats());
    }
}
