package io.presenter.gateway.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.codec.MalformedFrameException;
import io.presenter.protocol.auth.TokenStatus;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthResult;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a client's first packet, the auth packet, under a size cap and a deadline, has a
 * {@link ClientRelay} open the couple's stream (where to is the {@link StreamOpener}'s decision),
 * and replaces itself with that relay.
 *
 * <p>Modelled on Netty's {@code SniHandler}: once the packet is complete the client is not read
 * any more ({@code autoRead} off) while the stream opens, and whatever else arrived in the same
 * read stays in this decoder's cumulation. On success {@code pipeline.replace(this, ...)} installs
 * the relay in this handler's place, and {@link ByteToMessageDecoder#handlerRemoved} hands that
 * cumulation to the relay, which sends it right after the auth packet: the chat server sees
 * exactly the client's byte stream.
 *
 * <p>Every rejection is counted ({@code presenter.auth.rejected{reason}}) and closes only this
 * client: {@code auth_timeout}, {@code auth_too_large}, {@code malformed_<reason>},
 * {@code not_auth}, {@code bad_token} / {@code expired_token} / {@code unknown_key} (edge
 * verification, unless the verifier is {@link TokenVerifier#ACCEPT_ALL}), {@code no_shard} (empty
 * ring), {@code backend_unavailable}. A client whose token is refused is told why first: an
 * {@code AuthResult} with the token's status, as a chat server answers on a direct connection.
 */
public final class AuthStage extends ByteToMessageDecoder {

    /** Pipeline name of the auth stage. */
    public static final String NAME = "auth";
    /** Default auth packet cap, length prefix included: an auth packet is well under 1 KiB. */
    public static final int DEFAULT_MAX_AUTH_PACKET_BYTES = 4 * 1024;
    /** Default time from the end of the TLS handshake (from accept without one) to a routed auth packet. */
    public static final Duration DEFAULT_AUTH_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(AuthStage.class);

    private final Duration authTimeout;
    private final int maxAuthPacketBytes;
    private final TokenVerifier verifier;
    private final StreamOpener opener;
    private final ClientMeters meters;
    /** What the relay may spend on carrying the session to a new chat server. */
    private final HandoverLimits handover;
    /** Null until it starts: at the end of the TLS handshake, or at once without one. */
    private ScheduledFuture<?> deadline;
    /** Rejected (and counted) already: no deadline may start and count a second time. */
    private boolean rejected;
    /** The auth packet is complete: nothing more is decoded, the rest is the relay's. */
    private boolean packetRead;
    private ClientRelay relay;
    /** Where the client connected from, as accepted: for the stream's metadata, never re-read. */
    private final java.net.SocketAddress clientAddress;

    /**
     * @param verifier checks tokens at the edge, or {@link TokenVerifier#ACCEPT_ALL} to leave that to
     *     the chat servers
     */
    AuthStage(Duration authTimeout, int maxAuthPacketBytes, TokenVerifier verifier, StreamOpener opener,
            ClientMeters meters) {
        this(authTimeout, maxAuthPacketBytes, verifier, opener, meters, null, HandoverLimits.DEFAULTS);
    }

    /**
     * @param clientAddress the client's source address at accept, or null to take the channel's remote address
     * @param handover what the relay may spend on carrying the session to a new chat server
     */
    AuthStage(Duration authTimeout, int maxAuthPacketBytes, TokenVerifier verifier, StreamOpener opener,
            ClientMeters meters, java.net.SocketAddress clientAddress, HandoverLimits handover) {
        this.handover = handover;
        this.clientAddress = clientAddress;
        this.authTimeout = authTimeout;
        this.maxAuthPacketBytes = maxAuthPacketBytes;
        this.verifier = verifier;
        this.opener = opener;
        this.meters = meters;
    }

    /**
     * Starts the deadline when the TLS handshake has completed, not at accept: the handshake has a
     * deadline of its own ({@code tls.handshake-timeout}), and a handshake that waited in a busy
     * event loop (a reconnect wave into a presenter, a freshly started one above all) must not eat
     * the client's time for its auth packet, or a client that did everything in time is closed as
     * {@code auth_timeout} after the presenter paid for its handshake, and comes back to pay again.
     * Without a TLS handler before this stage (a QUIC stream: its handshake is the connection's),
     * or with a handshake that has no deadline of its own, the deadline starts now.
     */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls == null || tls.handshakeFuture().isDone() || tls.getHandshakeTimeoutMillis() <= 0) {
            startDeadline(ctx);
            return;
        }
        tls.handshakeFuture().addListener(handshake -> {
            // A failed handshake closes the connection (userEventTriggered); a removed stage has no deadline.
            if (handshake.isSuccess() && !ctx.isRemoved() && deadline == null && !rejected) {
                startDeadline(ctx);
            }
        });
    }

    private void startDeadline(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> reject(ctx, "auth_timeout"),
                authTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (packetRead || in.readableBytes() < Integer.BYTES) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        if (length < 0 || length > maxAuthPacketBytes - Integer.BYTES) {
            in.skipBytes(in.readableBytes());
            reject(ctx, length < 0 ? "malformed_" + MalformedFrameException.Reason.BAD_LENGTH.tag() : "auth_too_large");
            return;
        }
        if (in.readableBytes() < Integer.BYTES + length) {
            return;
        }
        // A copy, not a slice: it outlives this read and must not pin the cumulation.
        route(ctx, in.readBytes(Integer.BYTES + length));
    }

    private void route(ChannelHandlerContext ctx, ByteBuf authBytes) {
        packetRead = true;
        ctx.channel().config().setAutoRead(false);
        AuthPacket auth;
        try {
            auth = authPacket(authBytes);
        } catch (Rejection rejection) {
            authBytes.release();
            if (rejection.status != null) {
                tellAndReject(ctx, rejection.reason, rejection.status);
            } else {
                reject(ctx, rejection.reason);
            }
            return;
        }
        relay = new ClientRelay(ctx.channel(), clientAddress == null ? ClientAddress.of(ctx.channel()) : clientAddress,
                auth.getCoupleId(), authBytes, opener, meters, handover);
        relay.open().addListener(opened -> streamOpened(ctx, opened));
    }

    /** The auth packet in {@code authBytes}, with an acceptable token. */
    private AuthPacket authPacket(ByteBuf authBytes) throws Rejection {
        ClientPacket packet;
        try {
            packet = ClientPackets.decode(authBytes);
        } catch (MalformedFrameException e) {
            throw new Rejection("malformed_" + e.reason().tag());
        }
        if (!packet.isSetAuth()) {
            throw new Rejection("not_auth");
        }
        TokenStatus token = verifier.verify(packet.getAuth());
        switch (token) {
            case OK -> { }
            case EXPIRED -> throw new Rejection("expired_token", token.toAuthStatus());
            case UNKNOWN_KEY -> throw new Rejection("unknown_key", token.toAuthStatus());
            case BAD_SIGNATURE, MALFORMED -> throw new Rejection("bad_token", token.toAuthStatus());
        }
        return packet.getAuth();
    }

    /** Why an auth packet is refused; a checked exception so no path forgets the packet's bytes. */
    private static final class Rejection extends Exception {

        final String reason;
        /** What the client is told before the close, or null to close without a word. */
        final AuthStatus status;

        Rejection(String reason) {
            this(reason, null);
        }

        Rejection(String reason, AuthStatus status) {
            super(reason, null, false, false);
            this.reason = reason;
            this.status = status;
        }
    }

    private void streamOpened(ChannelHandlerContext ctx, Future<?> opened) {
        if (ctx.isRemoved() || !ctx.channel().isActive()) {
            return;  // closed meanwhile (deadline, client gone): channelInactive abandoned the relay
        }
        ClientRelay routed = relay;
        relay = null;
        if (!opened.isSuccess()) {
            log.debug("client {}: no stream: {}", ctx.channel(), opened.cause().toString());
            routed.abandon();
            reject(ctx, ClientRelay.openFailureReason(opened.cause()));
            return;
        }
        ctx.pipeline().replace(this, ClientRelay.NAME, routed);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (packetRead) {
            // ByteToMessageDecoder would ask for another read when it produced nothing with autoRead
            // off; here that would keep reading a client that is supposed to wait for its stream.
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
            ClientConnections.close(ctx.channel(), "tls_handshake_failed");  // counted by TlsHandshakeMetrics too
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (relay != null) {
            relay.abandon();
            relay = null;
        }
        super.channelInactive(ctx);
    }

    private void reject(ChannelHandlerContext ctx, String reason) {
        counted(ctx, reason);
        ClientConnections.close(ctx.channel(), reason);
    }

    /**
     * Rejects a client whose token the edge refused, telling it why first, as a chat server does
     * on a direct connection: an {@code AuthResult} with the status (bad signature, expired,
     * unknown key, malformed), so that it fetches a new token instead of retrying a dead one. The
     * close follows the write (a few dozen bytes into an empty socket buffer), whatever its outcome.
     */
    private void tellAndReject(ChannelHandlerContext ctx, String reason, AuthStatus status) {
        counted(ctx, reason);
        Channel client = ctx.channel();
        ClientPacket result = ClientPacket.authResult(new AuthResult(status).setReason(status.name()));
        ctx.writeAndFlush(ClientPackets.encode(ctx.alloc(), result))
                .addListener(written -> ClientConnections.close(client, reason));
    }

    private void counted(ChannelHandlerContext ctx, String reason) {
        packetRead = true;
        rejected = true;
        if (deadline != null) {
            deadline.cancel(false);  // one rejection per client: the deadline must not count a second
        }
        meters.authRejected(reason);
        log.debug("client {} ({}) rejected: {}", ctx.channel(), ClientAddress.of(ctx.channel()), reason);
    }
}
