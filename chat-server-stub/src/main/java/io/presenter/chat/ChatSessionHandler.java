package io.presenter.chat;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.presenter.protocol.codec.MalformedFrameException;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthResult;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.protocol.wire.ErrorPacket;
import io.presenter.protocol.wire.SendMessage;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks the chat protocol with one client, over a direct TLS connection or a mux stream alike
 * (the class does not know which). The first packet must authenticate; after that the client
 * sends messages and pings, and receives deliveries, acks and presence.
 */
public final class ChatSessionHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "chat-session";

    private static final Logger log = LoggerFactory.getLogger(ChatSessionHandler.class);

    private final ChatService service;
    /** The couples a direct client may join; unused on a stream, which is routed to one couple. */
    private final LongPredicate ownsCouple;
    /** A stream's: it may join only {@link #coupleId}, the couple it was routed on. */
    private final boolean routed;
    /** The state of a session handed over by the couple's previous owner, or null for a new one. */
    private final HandoverState handedOver;
    private ChatSession session;
    /** The couple joined; on a stream, from the start, the only one it may join. */
    private long coupleId;

    /** For a direct connection: the client may join any couple {@code ownsCouple} accepts. */
    ChatSessionHandler(ChatService service, LongPredicate ownsCouple) {
        this.service = service;
        this.ownsCouple = ownsCouple;
        this.routed = false;
        this.handedOver = null;
    }

    /**
     * For a mux stream routed on {@code routedCouple}: the client may join that couple only (a
     * field, not a capturing predicate: 24 bytes less per idle stream).
     */
    ChatSessionHandler(ChatService service, long routedCouple, HandoverState handedOver) {
        this.service = service;
        this.ownsCouple = couple -> false;
        this.routed = true;
        this.coupleId = routedCouple;
        this.handedOver = handedOver;
    }

    private boolean mayJoin(long couple) {
        return routed ? couple == coupleId : ownsCouple.test(couple);
    }

    /**
     * Packets only (they hold no buffers, so nothing to release); anything else goes on. A plain
     * adapter rather than a {@code SimpleChannelInboundHandler}, whose type matcher and release
     * flag are 8 bytes more per idle stream.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ClientPacket packet) {
            packetRead(ctx, packet);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void packetRead(ChannelHandlerContext ctx, ClientPacket packet) {
        if (session == null) {
            authenticate(ctx, packet);
            return;
        }
        switch (packet.getSetField()) {
            case SEND -> send(ctx, packet.getSend());
            case PING -> ctx.writeAndFlush(ClientPacket.pong(packet.getPing()));
            default -> reject(ctx, ErrorCode.PROTOCOL_ERROR, "unexpected_packet",
                    "clients do not send " + packet.getSetField().getFieldName());
        }
    }

    private void authenticate(ChannelHandlerContext ctx, ClientPacket packet) {
        if (!packet.isSetAuth()) {
            reject(ctx, ErrorCode.NOT_AUTHENTICATED, "not_authenticated",
                    "first packet must be auth, got " + packet.getSetField().getFieldName());
            return;
        }
        AuthPacket auth = packet.getAuth();
        if (handedOver != null) {
            resume(ctx, auth);
            return;
        }
        AuthStatus status = service.authenticator().authenticate(auth);
        if (status == AuthStatus.OK && !mayJoin(auth.getCoupleId())) {
            status = AuthStatus.WRONG_SHARD;
        }
        AuthResult result = new AuthResult(status).setServerId(service.serverId());
        if (status == AuthStatus.OK) {
            session = service.hub().join(auth, ctx.channel(), result);
            if (session == null) {
                status = AuthStatus.SERVER_BUSY;
                result.setStatus(status);
            }
        }
        service.metrics().authResult(status);
        if (status != AuthStatus.OK) {
            log.debug("auth refused for user {} couple {}: {}", auth.getUserId(), auth.getCoupleId(), status);
            ctx.writeAndFlush(ClientPacket.authResult(result.setReason(status.name())))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        coupleId = auth.getCoupleId();
    }

    /**
     * The auth packet of a handed-over session, replayed by the presenter: the sealed state
     * vouches for it (a token that expired since does not end the session), it must name the same
     * user, device and couple, and the client gets no second AuthResult.
     */
    private void resume(ChannelHandlerContext ctx, AuthPacket auth) {
        String device = auth.isSetDeviceId() ? auth.getDeviceId() : "";
        if (auth.getUserId() != handedOver.userId() || auth.getCoupleId() != handedOver.coupleId()
                || !device.equals(handedOver.deviceId()) || !mayJoin(auth.getCoupleId())) {
            service.metrics().handover("refused_mismatch");
            log.info("handover for user {} couple {} refused: the auth packet names user {} couple {}",
                    handedOver.userId(), handedOver.coupleId(), auth.getUserId(), auth.getCoupleId());
            ctx.close();
            return;
        }
        session = service.hub().resume(auth, ctx.channel(), handedOver,
                service.handovers().config().partnerWait().toNanos());
        if (session == null) {
            service.metrics().handover("refused_busy");
            ctx.close();
            return;
        }
        coupleId = auth.getCoupleId();
        service.metrics().handover("resumed");
        long tookMillis = System.currentTimeMillis() - handedOver.sealedAtMillis();
        if (tookMillis > 1000) {
            log.info("slow handover: user {} couple {} resumed {} ms after {} sealed it", handedOver.userId(),
                    handedOver.coupleId(), tookMillis, handedOver.fromServer());
        }
    }

    private void send(ChannelHandlerContext ctx, SendMessage message) {
        if (message.bufferForBody().remaining() > service.limits().maxMessageBytes()) {
            service.metrics().rejected("message_too_large");
            session.sendError(ErrorCode.MESSAGE_TOO_LARGE, "body exceeds "
                    + service.limits().maxMessageBytes() + " bytes");
            return;
        }
        Couple couple = service.hub().couple(coupleId);
        int deliveries = couple == null ? Couple.REPLACED : couple.send(session, message);
        if (deliveries == Couple.REPLACED) {
            // Late bytes of a connection whose device has logged in again: sequencing them now
            // would put them after what the new session already sent.
            service.metrics().rejected("session_replaced");
        } else if (deliveries == Couple.DUPLICATE) {
            service.metrics().rejected("duplicate_message");  // a resend or a replay: acked, not delivered again
        } else {
            service.metrics().messageReceived(deliveries);
        }
    }

    private void reject(ChannelHandlerContext ctx, ErrorCode code, String reason, String detail) {
        service.metrics().rejected(reason);
        log.debug("closing {}: {}", ctx.channel(), detail);
        ctx.writeAndFlush(ClientPacket.error(new ErrorPacket(code).setReason(detail)))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (session != null) {
            service.hub().leave(coupleId, session);
            session = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof MalformedFrameException malformed) {
            reject(ctx, ErrorCode.PROTOCOL_ERROR, "malformed_" + malformed.reason().tag(),
                    malformed.getMessage());
        } else {
            service.metrics().rejected("internal_error");
            log.warn("closing {} after unexpected error", ctx.channel(), cause);
            ctx.close();
        }
    }
}
