package io.presenter.chat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.protocol.wire.AuthStatus;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;

/** The chat server's meters; names are stable (dashboards depend on them). */
final class ChatMetrics {

    private final MeterRegistry registry;
    private final Counter messagesIn;
    private final Counter deliveriesOut;
    private final Counter slowSessionsClosed;
    private final Counter couplesMoved;
    private final Counter sessionsReplaced;
    private final Map<AuthStatus, Counter> authResults = new EnumMap<>(AuthStatus.class);

    ChatMetrics(MeterRegistry registry, IntSupplier sessions) {
        this.registry = registry;
        Gauge.builder("chat.sessions", sessions::getAsInt)
                .description("Authenticated chat sessions (direct connections and mux streams)")
                .register(registry);
        messagesIn = Counter.builder("chat.messages.received")
                .description("Messages accepted from clients").register(registry);
        deliveriesOut = Counter.builder("chat.deliveries.sent")
                .description("Messages queued to recipient sessions").register(registry);
        slowSessionsClosed = Counter.builder("chat.sessions.closed.slow")
                .description("Sessions closed because their pending deliveries hit the limit")
                .register(registry);
        couplesMoved = Counter.builder("chat.couples.moved")
                .description("Couples whose sessions were ended because another server owns them now")
                .register(registry);
        sessionsReplaced = Counter.builder("chat.sessions.replaced")
                .description("Sessions ended because a newer session of the same device logged in")
                .register(registry);
        for (AuthStatus status : AuthStatus.values()) {
            authResults.put(status, Counter.builder("chat.auth.results")
                    .tag("status", status.name().toLowerCase(Locale.ROOT))
                    .description("Auth packets by outcome").register(registry));
        }
    }

    void authResult(AuthStatus status) {
        authResults.get(status).increment();
    }

    void messageReceived(int deliveries) {
        messagesIn.increment();
        deliveriesOut.increment(deliveries);
    }

    void coupleMoved() {
        couplesMoved.increment();
    }

    void sessionsReplaced(int count) {
        sessionsReplaced.increment(count);
    }

    void slowSessionClosed() {
        slowSessionsClosed.increment();
    }

    /**
     * Counts a handover step under {@code chat.handovers{result}}: {@code sent} and
     * {@code resumed} on success, a fallback or refusal reason otherwise.
     */
    void handover(String result) {
        registry.counter("chat.handovers", "result", result).increment();
    }

    /** Counts a rejected connection or packet under {@code chat.rejections{reason}}. */
    void rejected(String reason) {
        registry.counter("chat.rejections", "reason", reason).increment();
    }
}
