package io.presenter.chat;

import io.netty.channel.Channel;
import io.presenter.protocol.wire.AuthPacket;
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
    private final ChatMetrics metrics;

    CoupleHub(ChatLimits limits, ChatMetrics metrics) {
        this.limits = limits;
        this.metrics = metrics;
    }

    /**
     * Joins {@code channel}, authenticated by {@code auth}, to its couple (replacing a live
     * session of the same device) and queues {@code welcome} to it, or returns null when the
     * server is full.
     */
    ChatSession join(AuthPacket auth, Channel channel, AuthResult welcome) {
        if (sessions.incrementAndGet() > limits.maxSessions()) {
            sessions.decrementAndGet();
            return null;
        }
        ChatSession session = new ChatSession(auth.getUserId(), deviceOf(auth), channel,
                limits.maxPendingDeliveries(), metrics::slowSessionClosed);
        // compute() makes join and the last leave's removal atomic for one couple id.
        couples.compute(auth.getCoupleId(), (id, couple) -> {
            Couple joined = couple != null ? couple : new Couple(id, metrics, limits.maxPendingDeliveries());
            metrics.sessionsReplaced(joined.join(session, welcome));
            return joined;
        });
        return session;
    }

    /**
     * Takes in a session handed over by the couple's previous owner ({@link Couple#resume}), or
     * returns null when the server is full.
     */
    ChatSession resume(AuthPacket auth, Channel channel, HandoverState state, long partnerWaitNanos) {
        if (sessions.incrementAndGet() > limits.maxSessions()) {
            sessions.decrementAndGet();
            return null;
        }
        ChatSession session = new ChatSession(auth.getUserId(), deviceOf(auth), channel,
                limits.maxPendingDeliveries(), metrics::slowSessionClosed);
        couples.compute(auth.getCoupleId(), (id, couple) -> {
            Couple joined = couple != null ? couple : new Couple(id, metrics, limits.maxPendingDeliveries());
            metrics.sessionsReplaced(joined.resume(session, state, System.nanoTime(), partnerWaitNanos));
            return joined;
        });
        return session;
    }

    /** A client that names no device has one: all its sessions are the same device. */
    private static String deviceOf(AuthPacket auth) {
        return auth.isSetDeviceId() ? auth.getDeviceId() : "";
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
