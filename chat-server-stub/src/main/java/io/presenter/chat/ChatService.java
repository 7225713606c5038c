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
    private final HandoverSeal handovers;

    public ChatService(String serverId, Authenticator authenticator, LongPredicate ownsCouple,
            ChatLimits limits, MeterRegistry registry) {
        this(serverId, authenticator, ownsCouple, limits, registry, HandoverConfig.OFF);
    }

    /**
     * @param ownsCouple whether this server owns a couple under its current ring; a direct client
     *     of a couple owned elsewhere is told {@code WRONG_SHARD}
     */
    public ChatService(String serverId, Authenticator authenticator, LongPredicate ownsCouple,
            ChatLimits limits, MeterRegistry registry, HandoverConfig handover) {
        this.serverId = serverId;
        this.handovers = new HandoverSeal(handover);
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
        return new ChatSessionHandler(this, shardKey, null);
    }

    /**
     * A handler for a mux stream that continues a session handed over by the couple's previous
     * owner, or null (counted under {@code chat.handovers{result=refused_*}}) when its ticket is
     * refused: handover off, too large, forged, malformed, expired, or for another couple.
     */
    public ChatSessionHandler newHandedOverSessionHandler(long shardKey, io.presenter.protocol.mux.SessionHandover ticket) {
        HandoverState state;
        try {
            state = handovers.open(ticket, System.currentTimeMillis());
        } catch (HandoverSeal.Refused refused) {
            metrics.handover("refused_" + refused.getMessage());
            return null;
        }
        if (state.coupleId() != shardKey) {
            metrics.handover("refused_mismatch");
            return null;
        }
        return new ChatSessionHandler(this, shardKey, state);
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

    HandoverSeal handovers() {
        return handovers;
    }
}
