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

    private TicketStatsMeters() {}

    /** Binds the counters of {@code context} to {@code registry}. */
    public static void bind(OpenSslSessionContext context, MeterRegistry registry) {
        // The context (held by the SslContext for the process's life) is the meters' strong anchor;
        // the stats object is a thin view that could be collected.
        ticket(registry, context, "new", OpenSslSessionStats::ticketKeyNew);
        ticket(registry, context, "resumed", OpenSslSessionStats::ticketKeyResume);
        ticket(registry, context, "renewed", OpenSslSessionStats::ticketKeyRenew);
        ticket(registry, context, "failed", OpenSslSessionStats::ticketKeyFail);
        cache(registry, context, "hit", OpenSslSessionStats::hits);
        cache(registry, context, "miss", OpenSslSessionStats::misses);
        cache(registry, context, "timeout", OpenSslSessionStats::timeouts);
    }

    private static void ticket(MeterRegistry registry, OpenSslSessionContext context, String result,
            ToLongFunction<OpenSslSessionStats> value) {
        FunctionCounter.builder(TICKETS, context, c -> value.applyAsLong(c.stats()))
                .description("TLS session tickets received by the server, by outcome (netty-tcnative)")
                .tag("result", result).register(registry);
    }

    private static void cache(MeterRegistry registry, OpenSslSessionContext context, String result,
            ToLongFunction<OpenSslSessionStats> value) {
        FunctionCounter.builder(SESSION_CACHE, context, c -> value.applyAsLong(c.stats()))
                .description("TLS server session cache lookups, by outcome (BoringSSL)")
                .tag("result", result).register(registry);
    }
}
