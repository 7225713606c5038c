package io.presenter.chat;

import io.presenter.protocol.wire.AuthResult;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import io.presenter.protocol.wire.Presence;
import io.presenter.protocol.wire.SendAck;
import io.presenter.protocol.wire.SendMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The live sessions of one couple and its message sequence. Every method holds the couple's lock
 * while it queues packets, so all sessions see the couple's messages in sequence order even when
 * the two members live on different event loops. The lock is per couple: two users, a handful of
 * devices, no contention worth a lock-free design.
 */
final class Couple {

    /** {@link #send} from a session that a newer one of its device replaced. */
    static final int REPLACED = -1;
    /** {@link #send} of a {@code clientMessageId} its sender already sent: acked again, not delivered again. */
    static final int DUPLICATE = -2;
    /**
     * Message ids remembered per sender: a resend (a reconnect's, or a replayed 0-RTT flight) is
     * recognised among the sender's last this many messages while the couple is live.
     */
    static final int RECENT_IDS_PER_SENDER = 1024;

    private final long coupleId;
    private final List<ChatSession> sessions = new ArrayList<>(2);
    private long sequence;
    /** Per sender user: its recent clientMessageIds and the sequence each got (bounded, oldest out). */
    private final java.util.Map<Long, java.util.LinkedHashMap<Long, Long>> recentIds = new java.util.HashMap<>(4);
    /** Set when the couple was frozen to be handed over: nothing more is sequenced here. */
    private boolean movedOut;
    /**
     * Handed-over sessions of this couple not arrived yet (by {@link HandoverState#sessionKey}),
     * with the deliveries kept for them: at most a few devices, each at most {@code maxBuffered}.
     */
    private final Map<String, Awaited> awaited = new HashMap<>(2);
    private final ChatMetrics metrics;
    private final int maxBuffered;

    Couple(long coupleId) {
        this(coupleId, null, 0);
    }

    Couple(long coupleId, ChatMetrics metrics, int maxBuffered) {
        this.coupleId = coupleId;
        this.metrics = metrics;
        this.maxBuffered = maxBuffered;
    }

    /** Deliveries kept for a handed-over session still on its way, until a deadline. */
    private static final class Awaited {
        final long userId;
        final long deadlineNanos;
        final ArrayDeque<ClientPacket> kept = new ArrayDeque<>();

        Awaited(long userId, long deadlineNanos) {
            this.userId = userId;
            this.deadlineNanos = deadlineNanos;
        }
    }

    long coupleId() {
        return coupleId;
    }

    synchronized long sequence() {
        return sequence;
    }

    synchronized boolean isEmpty() {
        return sessions.isEmpty();
    }

    synchronized List<ChatSession> sessions() {
        return List.copyOf(sessions);
    }

    /**
     * Adds {@code session}: queues {@code welcome} (with the couple's sequence) to it first, so no
     * delivery can overtake it, then tells the partner it came online and the newcomer who is.
     * A live session of the same device is replaced: it leaves the couple now, under this lock, so
     * nothing its connection still carries (a reconnecting client's last bytes, in flight through
     * a presenter) can be sequenced after what the new session sends. Returns how many sessions
     * it replaced (0 or 1).
     */
    synchronized int join(ChatSession session, AuthResult welcome) {
        boolean firstOfUser = !isOnline(session.userId());  // a replaced session kept the user online
        int replaced = replaceSameDevice(session);
        session.deliver(ClientPacket.authResult(welcome.setCoupleSequence(sequence)));
        sessions.add(session);
        deliverKept(session);
        for (ChatSession other : sessions) {
            if (other.userId() != session.userId()) {
                if (firstOfUser) {
                    other.deliver(presence(session.userId(), true));
                }
                session.deliver(presence(other.userId(), true));
            }
        }
        return replaced;
    }

    /** Removes (and tells) the live sessions of {@code session}'s device; returns how many. */
    private int replaceSameDevice(ChatSession session) {
        int replaced = 0;
        for (Iterator<ChatSession> it = sessions.iterator(); it.hasNext(); ) {
            ChatSession old = it.next();
            if (old.sameDevice(session)) {
                it.remove();
                old.replaced();
                replaced++;
            }
        }
        return replaced;
    }

    /**
     * Freezes the couple for a handover (every session already stopped reading): nothing more is
     * sequenced here and leaving sessions announce nothing. Returns the sequence to hand over.
     */
    synchronized long moveOut() {
        movedOut = true;
        return sequence;
    }

    /**
     * Takes in a session handed over by the couple's previous owner: no welcome (the client is
     * authenticated and answered already), the sequence goes on from where the old owner stopped,
     * deliveries kept for this session follow, and the partners that were live with it on the old
     * owner and are not here yet get theirs kept until they arrive or {@code waitNanos} passes.
     */
    synchronized int resume(ChatSession session, HandoverState state, long nowNanos, long waitNanos) {
        int replaced = replaceSameDevice(session);
        sequence = Math.max(sequence, state.coupleSequence());
        java.util.LinkedHashMap<Long, Long> recent = recentOf(state.userId());
        state.recentIds().forEach(recent::putIfAbsent);  // the old owner's memory: a resend is not new here either
        sessions.add(session);
        deliverKept(session);
        for (String partner : state.partners()) {
            if (!isLive(partner) && !awaited.containsKey(partner) && awaited.size() < 8) {
                long userId = Long.parseLong(partner.substring(0, partner.indexOf('/')));
                awaited.put(partner, new Awaited(userId, nowNanos + waitNanos));
            }
        }
        return replaced;
    }

    private boolean isLive(String sessionKey) {
        for (ChatSession s : sessions) {
            if (s.key().equals(sessionKey)) {
                return true;
            }
        }
        return false;
    }

    private void deliverKept(ChatSession session) {
        Awaited waiting = awaited.remove(session.key());
        if (waiting != null) {
            for (ClientPacket packet; (packet = waiting.kept.poll()) != null; ) {
                session.deliver(packet);
            }
        }
    }

    /** Keeps {@code packet} for every awaited session it is for; drops those past their deadline. */
    private void keepForAwaited(ChatSession from, SendMessage message, ClientPacket packet) {
        if (awaited.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (Iterator<Awaited> it = awaited.values().iterator(); it.hasNext(); ) {
            Awaited waiting = it.next();
            if (now - waiting.deadlineNanos > 0) {
                it.remove();
                count("partner_wait_expired");
                org.slf4j.LoggerFactory.getLogger(Couple.class).info(
                        "couple {}: deliveries kept for user {} dropped, its handover did not arrive in time",
                        coupleId, waiting.userId);
            } else if (!message.isEcho() && waiting.userId != from.userId()) {
                if (waiting.kept.size() >= maxBuffered) {
                    it.remove();
                    count("partner_buffer_full");
                } else {
                    waiting.kept.add(packet);
                }
            }
        }
    }

    private void count(String result) {
        if (metrics != null) {
            metrics.handover(result);
        }
    }

    /** Removes {@code session}; tells the partner when the user's last session went away. */
    synchronized void leave(ChatSession session) {
        if (!sessions.remove(session) || movedOut || isOnline(session.userId())) {
            return;
        }
        for (ChatSession other : sessions) {
            other.deliver(presence(session.userId(), false));
        }
    }

    /**
     * Gives {@code message} the couple's next sequence number, delivers it to every session of the
     * other member (or back to the sender's sessions when {@code echo} is set) and acks it to the
     * sender. Returns the number of sessions it was queued to, or {@link #REPLACED} (nothing
     * sequenced, no ack) when {@code from} was replaced by a newer session of its device, or
     * {@link #DUPLICATE} when its sender already sent this {@code clientMessageId} (idempotent per
     * sender: acked again with the sequence it got, delivered once).
     */
    synchronized int send(ChatSession from, SendMessage message) {
        if (!sessions.contains(from) || movedOut) {
            return REPLACED;
        }
        java.util.LinkedHashMap<Long, Long> recent = recentOf(from.userId());
        Long earlier = recent.get(message.getClientMessageId());
        if (earlier != null) {
            from.deliver(ClientPacket.sendAck(new SendAck(message.getClientMessageId(), earlier)));
            return DUPLICATE;
        }
        long seq = ++sequence;
        recent.put(message.getClientMessageId(), seq);
        Delivery delivery = new Delivery(from.userId(), message.getClientMessageId(), seq,
                message.bufferForBody());
        if (message.isSetSentAtMicros()) {
            delivery.setSentAtMicros(message.getSentAtMicros());
        }
        ClientPacket packet = ClientPacket.delivery(delivery);
        int delivered = 0;
        for (ChatSession to : sessions) {
            boolean recipient = message.isEcho() ? to == from : to.userId() != from.userId();
            if (recipient && to.deliver(packet)) {
                delivered++;
            }
        }
        keepForAwaited(from, message, packet);
        from.deliver(ClientPacket.sendAck(new SendAck(message.getClientMessageId(), seq)));
        return delivered;
    }

    private java.util.LinkedHashMap<Long, Long> recentOf(long userId) {
        return recentIds.computeIfAbsent(userId, user -> new java.util.LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(java.util.Map.Entry<Long, Long> eldest) {
                return size() > RECENT_IDS_PER_SENDER;
            }
        });
    }

    /** The last {@code max} clientMessageIds {@code userId} sent here and their sequences, oldest first (a copy). */
    synchronized java.util.LinkedHashMap<Long, Long> recentIds(long userId, int max) {
        java.util.LinkedHashMap<Long, Long> copy = new java.util.LinkedHashMap<>();
        java.util.LinkedHashMap<Long, Long> recent = recentIds.get(userId);
        if (recent != null) {
            int skip = Math.max(0, recent.size() - max);
            for (java.util.Map.Entry<Long, Long> sent : recent.entrySet()) {
                if (skip-- <= 0) {
                    copy.put(sent.getKey(), sent.getValue());
                }
            }
        }
        return copy;
    }

    private boolean isOnline(long userId) {
        for (ChatSession s : sessions) {
            if (s.userId() == userId) {
                return true;
            }
        }
        return false;
    }

    private static ClientPacket presence(long userId, boolean online) {
        return ClientPacket.presence(new Presence(userId, online));
    }
}
