package io.presenter.chat;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import java.util.List;
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
        this.hub = new CoupleHub(limits, metrics);
    }

    /**
     * A handler for one direct connection: a client may join any couple this server owns under
     * its current ring.
     */
    public ChatSessionHandler newSessionHandler() {
        return new ChatSessionHandler(this, ownsCouple);
    }

    /**
     * A handler for one mux stream opened for {@code shardKey}: ownership was settled when the
     * stream was admitted, so the client may join that couple and no other. This is what stops a
     * client from authenticating for one couple on a stream the presenter routed for another.
     */
    public ChatSessionHandler newStreamSessionHandler(long shardKey) {
        return new ChatSessionHandler(this, coupleId -> coupleId == shardKey);
    }

    public int sessionCount() {
        return hub.sessionCount();
    }

    /** The channels (connections or streams) of a couple's live sessions, for diagnostics and tests. */
    public List<Channel> sessionChannels(long coupleId) {
        Couple couple = hub.couple(coupleId);
        return couple == null ? List.of() : couple.sessions().stream().map(ChatSession::channel).toList();
    }

    String serverId() {
        return serverId;
    }

    Authenticator authenticator() {
        return authenticator;
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
