package io.presenter.gateway.quic;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.gateway.client.ClientMeters;

/**
 * What only the QUIC edge has to count, beside the client meters it shares with TCP (tagged
 * {@code transport=quic}): datagrams dropped before the codec, Retry tokens, refused streams and
 * 0-RTT. Tagged counters for rare events are looked up per event (Micrometer caches them).
 */
public final class QuicMeters {

    /** Datagrams dropped or answered without a connection: {@code reason} garbage / version_negotiation / bad_token. */
    public static final String DATAGRAMS_REJECTED = "presenter.quic.datagrams.rejected";
    /** Retry packets sent (address validation demanded). */
    public static final String RETRIES = "presenter.quic.retries";
    /** Streams refused: {@code reason} extra_stream (one session per connection). */
    public static final String STREAMS_REFUSED = "presenter.quic.streams.refused";
    /** 0-RTT sessions: {@code outcome} auth_in_early_data / held_until_handshake / too_large. */
    public static final String EARLY_DATA = "presenter.quic.early_data";
    /**
     * Connections whose client address changed under them (QUIC path migration, NAT rebinding),
     * including quiche's fall back to an older path after a failed validation.
     */
    public static final String MIGRATIONS = "presenter.quic.migrations";
    /**
     * New client paths that quiche gave up validating (a PATH_CHALLENGE unanswered in time): the
     * connection falls back to an older path and usually ends (README, QUIC transport, Migration).
     */
    public static final String PATH_VALIDATION_FAILURES = "presenter.quic.path_validation_failures";
    /** Connections closed because their handshake did not finish within {@code tls.handshake-timeout}. */
    public static final String HANDSHAKE_TIMEOUTS = "presenter.quic.handshake.timeouts";

    private final MeterRegistry registry;
    private final ClientMeters clients;
    private final Counter retries;
    private final Counter migrations;
    private final Counter pathValidationFailures;
    private final Counter handshakeTimeouts;

    public QuicMeters(MeterRegistry registry) {
        this.registry = registry;
        this.clients = new ClientMeters(registry, ClientMeters.QUIC);
        retries = Counter.builder(RETRIES).description("QUIC Retry packets sent to validate a client address")
                .register(registry);
        migrations = Counter.builder(MIGRATIONS).description("QUIC connections that moved to a new client address")
                .register(registry);
        pathValidationFailures = Counter.builder(PATH_VALIDATION_FAILURES)
                .description("New QUIC client paths whose validation failed").register(registry);
        handshakeTimeouts = Counter.builder(HANDSHAKE_TIMEOUTS)
                .description("QUIC connections closed because their handshake did not finish in time")
                .register(registry);
    }

    /** The shared client-path meters, tagged {@code transport=quic}. */
    public ClientMeters clients() {
        return clients;
    }

    void datagramRejected(String reason) {
        registry.counter(DATAGRAMS_REJECTED, "reason", reason).increment();
    }

    void retrySent() {
        retries.increment();
    }

    void streamRefused(String reason) {
        registry.counter(STREAMS_REFUSED, "reason", reason).increment();
    }

    void earlyData(String outcome) {
        registry.counter(EARLY_DATA, "outcome", outcome).increment();
    }

    void migrated() {
        migrations.increment();
    }

    void pathValidationFailed() {
        pathValidationFailures.increment();
    }

    void handshakeTimedOut() {
        handshakeTimeouts.increment();
    }
}
