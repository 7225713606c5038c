package io.presenter.chat;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.LongPredicate;

/**
 * What every session of one chat server shares: the couples, the authenticator, the limits, the
 * meters, and who owns which couple. One instance per server; handlers are per connection.
 */
public final class ChatService {

    private final String serverId;
    private final Authenticator authenticator;
    private final LongPredicate ownsCouple;
    private final ChatLimits limits;
    private final CoupleHub hub;
    private final ChatMetrics metrics;

    /**
     * @param ownsCouple whether this server owns a couple under its current ring; a direct client
     *     of a couple owned elsewhere is told {@code WRONG_SHARD}
     */
    public ChatService(String serverId, Authenticator authenticator, LongPredicate ownsCouple,
            ChatLimits limits, MeterRegistry registry) {
        this.serverId = serverId;
        this.authenticator = authenticator;
        this.ownsCouple = ownsCouple;
        this.limits = limits;
        this.metrics = new ChatMetrics(registry, this::sessionCount);
        this.hub = new CoupleHub(limits, metrics::slowSessionClosed);
    }

    /** A handler for one new connection or stream; see {@link ChatSessionHandler}. */
    public ChatSessionHandler newSessionHandler() {
        return new ChatSessionHandler(this);
    }

    public int sessionCount() {
        return hub.sessionCount();
    }

    String serverId() {
        return serverId;
    }

    Authenticator authenticator() {
        return authenticator;
    }

    boolean ownsCouple(long coupleId) {
        return ownsCouple.test(coupleId);
    }

    ChatLimits limits() {
        return limits;
    }

    CoupleHub hub() {
        return hub;
    }

    ChatMetrics metrics() {
        return metrics;
    }
}
