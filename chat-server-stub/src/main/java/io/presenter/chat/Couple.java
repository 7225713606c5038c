package io.presenter.chat;

import io.presenter.protocol.wire.AuthResult;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import io.presenter.protocol.wire.Presence;
import io.presenter.protocol.wire.SendAck;
import io.presenter.protocol.wire.SendMessage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

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

    Couple(long coupleId) {
        this.coupleId = coupleId;
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
        int replaced = 0;
        for (Iterator<ChatSession> it = sessions.iterator(); it.hasNext(); ) {
            ChatSession old = it.next();
            if (old.sameDevice(session)) {
                it.remove();
                old.replaced();
                replaced++;
            }
        }
        session.deliver(ClientPacket.authResult(welcome.setCoupleSequence(sequence)));
        sessions.add(session);
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

    /** Removes {@code session}; tells the partner when the user's last session went away. */
    synchronized void leave(ChatSession session) {
        if (!sessions.remove(session) || isOnline(session.userId())) {
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
        if (!sessions.contains(from)) {
            return REPLACED;
        }
        java.util.LinkedHashMap<Long, Long> recent = recentIds.computeIfAbsent(from.userId(), user -> new java.util.LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(java.util.Map.Entry<Long, Long> eldest) {
                return size() > RECENT_IDS_PER_SENDER;
            }
        });
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
        from.deliver(ClientPacket.sendAck(new SendAck(message.getClientMessageId(), seq)));
        return delivered;
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
