package io.presenter.chat;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
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
public final class ChatSessionHandler extends SimpleChannelInboundHandler<ClientPacket> {

    public static final String NAME = "chat-session";

    private static final Logger log = LoggerFactory.getLogger(ChatSessionHandler.class);

    private final ChatService service;
    private final LongPredicate mayJoin;
    private ChatSession session;
    private long coupleId;

    ChatSessionHandler(ChatService service, LongPredicate mayJoin) {
        this.service = service;
        this.mayJoin = mayJoin;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ClientPacket packet) {
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
        AuthStatus status = service.authenticator().authenticate(auth);
        if (status == AuthStatus.OK && !mayJoin.test(auth.getCoupleId())) {
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
