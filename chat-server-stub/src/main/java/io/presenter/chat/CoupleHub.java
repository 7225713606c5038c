package io.presenter.chat;

import io.netty.channel.Channel;
import io.presenter.protocol.wire.AuthResult;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every live couple on this server. Bounded: at most {@code maxSessions} sessions, and a couple
 * exists only while it has a session, so the map never holds more couples than sessions.
 */
final class CoupleHub {

    private final ConcurrentHashMap<Long, Couple> couples = new ConcurrentHashMap<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private final ChatLimits limits;
    private final Runnable onSlowSession;

    CoupleHub(ChatLimits limits, Runnable onSlowSession) {
        this.limits = limits;
        this.onSlowSession = onSlowSession;
    }

    /**
     * Joins {@code channel} to its couple and queues {@code welcome} to it, or returns null when
     * the server is full.
     */
    ChatSession join(long coupleId, long userId, Channel channel, AuthResult welcome) {
        if (sessions.incrementAndGet() > limits.maxSessions()) {
            sessions.decrementAndGet();
            return null;
        }
        ChatSession session = new ChatSession(userId, channel, limits.maxPendingDeliveries(),
                onSlowSession);
        // compute() makes join and the last leave's removal atomic for one couple id.
        couples.compute(coupleId, (id, couple) -> {
            Couple joined = couple != null ? couple : new Couple(id);
            joined.join(session, welcome);
            return joined;
        });
        return session;
    }

    void leave(long coupleId, ChatSession session) {
        couples.computeIfPresent(coupleId, (id, couple) -> {
            couple.leave(session);
            return couple.isEmpty() ? null : couple;
        });
        sessions.decrementAndGet();
    }

    /** The couple's state, or null if none of its members is connected here. */
    Couple couple(long coupleId) {
        return couples.get(coupleId);
    }

    Collection<Couple> couples() {
        return couples.values();
    }

    int sessionCount() {
        return sessions.get();
    }
}
