package io.presenter.chat;

import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.ScheduledFuture;
import io.presenter.protocol.codec.ClientPacketFramingCodec;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.mux.SessionHandover;
import io.presenter.protocol.wire.ResetCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The old owner's side of moving a couple: hands each of its sessions over to the new owner under
 * the client's open connection, or, where that cannot be done, resets it SHARD_MOVED as before
 * (the client reconnects). Never half: a session is either handed over whole or reset.
 *
 * <p>Two phases, because the couple's sessions may live on different event loops:
 * <ol>
 * <li><b>Freeze.</b> Each session stops reading its stream, on its own event loop, so between two
 *     reads: every whole packet it received has been processed, and the count of bytes its
 *     {@link ClientPacketFramingCodec} decoded is a packet boundary. A partner may still send
 *     until it is frozen too; that is fine, the deliveries go out on the frozen session's stream.
 * <li><b>Seal.</b> Once all are frozen, the couple is marked moved and its sequence read (nothing
 *     can be sequenced any more); each session, on its loop, writes what is queued to it, seals
 *     its state and ends its stream with the handover, which follows those bytes out.
 * </ol>
 */
final class CoupleHandover {

    private static final Logger log = LoggerFactory.getLogger(CoupleHandover.class);

    private final ChatService service;
    private final String selfId;

    CoupleHandover(ChatService service, String selfId) {
        this.service = service;
        this.selfId = selfId;
    }

    void move(Couple couple, String newOwner, long ringVersion) {
        List<ChatSession> sessions = couple.sessions();
        String unavailable = unavailable(sessions);
        if (unavailable != null) {
            service.metrics().handover("fallback_" + unavailable);
            sessions.forEach(s -> s.moveTo(newOwner, ringVersion));
            return;
        }
        AtomicInteger toFreeze = new AtomicInteger(sessions.size());
        for (ChatSession session : sessions) {
            session.channel().eventLoop().execute(() -> {
                session.channel().config().setAutoRead(false);
                if (toFreeze.decrementAndGet() == 0) {
                    seal(couple, sessions, newOwner, ringVersion);
                }
            });
        }
    }

    /** Why the couple cannot be handed over (a metric tag), or null if it can. */
    private String unavailable(List<ChatSession> sessions) {
        if (!service.handovers().config().enabled()) {
            return "disabled";
        }
        if (sessions.isEmpty()) {
            return "no_session";
        }
        for (ChatSession session : sessions) {
            if (!(session.channel() instanceof MuxStreamChannel stream)) {
                return "direct_client";
            }
            if (!MuxConnection.of(stream.parent()).handoverEnabled()) {
                return "not_negotiated";
            }
            if (stream.pipeline().get(ClientPacketFramingCodec.class) == null) {
                return "not_counted";
            }
        }
        return null;
    }

    private void seal(Couple couple, List<ChatSession> sessions, String newOwner, long ringVersion) {
        long sequence = couple.moveOut();
        long now = System.currentTimeMillis();
        for (ChatSession session : sessions) {
            List<String> partners = new ArrayList<>(sessions.size());
            for (ChatSession other : sessions) {
                if (other != session) {
                    partners.add(other.key());
                }
            }
            HandoverState state = new HandoverState(couple.coupleId(), session.userId(), session.deviceId(), sequence,
                    ringVersion, selfId, newOwner, now, partners,
                    couple.recentIds(session.userId(), HandoverState.MAX_RECENT_IDS));
            session.channel().eventLoop().execute(() -> handOver(session, state, newOwner, ringVersion));
        }
    }

    private void handOver(ChatSession session, HandoverState state, String newOwner, long ringVersion) {
        MuxStreamChannel stream = (MuxStreamChannel) session.channel();
        if (!stream.isActive()) {
            return;
        }
        SessionHandover ticket = service.handovers().seal(state);
        HandoverConfig config = service.handovers().config();
        if (ticket.size() > config.maxStateBytes()) {
            service.metrics().handover("fallback_state_too_large");
            session.moveTo(newOwner, ringVersion);
            return;
        }
        ClientPacketFramingCodec consumed = stream.pipeline().get(ClientPacketFramingCodec.class);
        session.flushOutbox();
        ChannelFuture handedOver = stream.handover(newOwner, ringVersion, consumed.decodedBytes(), ticket);
        ScheduledFuture<?> timeout = stream.eventLoop().schedule(() -> {
            if (!handedOver.isDone()) {
                service.metrics().handover("fallback_timeout");
                log.info("handover of user {} couple {} to {} timed out after {}: resetting", state.userId(),
                        state.coupleId(), newOwner, config.timeout());
                session.moveTo(newOwner, ringVersion);
            }
        }, config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        long began = System.nanoTime();
        handedOver.addListener(done -> {
            timeout.cancel(false);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
            if (tookMillis > 1000) {
                log.info("slow handover: user {} couple {} handed over {} ms after it began", state.userId(),
                        state.coupleId(), tookMillis);
            }
            if (done.isSuccess()) {
                service.metrics().handover("sent");
            } else if (stream.isActive()) {
                service.metrics().handover("fallback_failed");
                session.moveTo(newOwner, ringVersion);
            }
        });
    }
}
