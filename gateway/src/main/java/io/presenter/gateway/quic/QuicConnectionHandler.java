package io.presenter.gateway.quic;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicPathEvent;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.presenter.gateway.client.ClientConnections;
import io.presenter.gateway.client.ClientSessions;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QUIC connection of a client: admitted into the shared client connections when its first
 * Initial arrives (source address read once, then: a migrating client stays counted once, under
 * its first address), it carries exactly one session stream. The first bidirectional stream the
 * client opens is the session; any further stream is refused and counted ({@code extra_stream}),
 * and a client that keeps opening them is closed ({@code too_many_streams}). When the session
 * stream ends the connection ends with it, with the stream's close reason.
 */
final class QuicConnectionHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "quic-connection";
    /** Refused streams tolerated before the connection is closed: enough for a confused client, not a flood. */
    static final int MAX_REFUSED_STREAMS = 8;

    private static final Logger log = LoggerFactory.getLogger(QuicConnectionHandler.class);

    private final QuicChannel connection;
    private final ClientSessions sessions;
    private final QuicMeters meters;
    private final AtomicInteger handshakesInFlight;
    /** The client's source address at accept, which its stream's metadata names; never re-read. */
    private final SocketAddress clientAddress;
    private final Promise<Void> handshake;
    private final Duration handshakeTimeout;
    private QuicStreamChannel session;
    private int refused;
    private boolean handshakeCounted = true;
    private Future<?> handshakeDeadline;

    /** @param handshakeTimeout {@code tls.handshake-timeout}: as long as a TCP client's handshake may take */
    QuicConnectionHandler(QuicChannel connection, ClientSessions sessions, QuicMeters meters,
            AtomicInteger handshakesInFlight, Duration handshakeTimeout) {
        this.connection = connection;
        this.sessions = sessions;
        this.meters = meters;
        this.handshakesInFlight = handshakesInFlight;
        this.handshakeTimeout = handshakeTimeout;
        this.clientAddress = connection.remoteSocketAddress();
        this.handshake = connection.eventLoop().newPromise();
        handshakesInFlight.incrementAndGet();
        connection.closeFuture().addListener(closed -> {
            handshakeOver();
            handshake.tryFailure(new IllegalStateException("connection closed before its handshake finished"));
        });
    }

    /**
     * Asks for the connection's streams now, before it is active: Netty's QUIC channel hands out
     * the streams a client opened only once a read was requested, and autoRead requests the first
     * one at channelActive, which for a server connection is the end of the handshake. Without
     * this a stream that arrived in 0-RTT would wait a round trip for the client's Finished.
     *
     * <p>Also starts the handshake deadline: the connection counts as a client (limits, load,
     * drain) from its first Initial, and one whose client vanished mid-handshake would otherwise
     * stay counted until quiche's idle backstop, an hour when the idle timeout is off.
     */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (!handshakeTimeout.isZero()) {
            handshakeDeadline = ctx.executor().schedule(this::handshakeTimedOut, handshakeTimeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        ctx.read();
    }

    private void handshakeTimedOut() {
        if (!handshake.isDone() && connection.isOpen()) {
            meters.handshakeTimedOut();
            log.debug("QUIC client {}: no handshake within {}", clientAddress, handshakeTimeout);
            ClientConnections.close(connection, "tls_handshake_failed");
        }
    }

    private void handshakeOver() {
        if (handshakeCounted) {
            handshakeCounted = false;
            handshakesInFlight.decrementAndGet();
            if (handshakeDeadline != null) {
                handshakeDeadline.cancel(false);
            }
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent completion) {
            // Success here is not the end of the handshake: BoringSSL reports it as soon as it has
            // accepted 0-RTT, while the client's Finished is still to come. channelActive is the end.
            if (!completion.isSuccess()) {
                handshakeOver();
                log.debug("QUIC client {}: handshake failed: {}", clientAddress, completion.cause().toString());
                ClientConnections.close(connection, "tls_handshake_failed");
            }
        } else if (event instanceof QuicPathEvent.PeerMigrated migrated) {
            meters.migrated();
            log.debug("QUIC client {} moved to {}", clientAddress, migrated.remote());
        } else if (event instanceof QuicPathEvent.FailedValidation failed) {
            meters.pathValidationFailed();
            log.debug("QUIC client {}: its new path to {} failed validation", clientAddress, failed.remote());
        }
        ctx.fireUserEventTriggered(event);
    }

    /**
     * The handshake is complete: quiche calls the connection established (client Finished
     * received), which is when Netty activates a server connection. Until then, data is 0-RTT.
     */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        handshakeOver();
        handshake.trySuccess(null);
        ctx.fireChannelActive();
    }

    /** A connection-level QUIC error (e.g. a protocol violation quiche found): this client only. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("QUIC client {} failed: {}", clientAddress, cause.toString());
        ClientConnections.close(connection, "quic_error");
    }

    /** A stream the client opened: the session, or one too many. */
    void streamOpened(QuicStreamChannel stream) {
        if (session != null || stream.type() != QuicStreamType.BIDIRECTIONAL || stream.isLocalCreated()) {
            refuse(stream);
            return;
        }
        session = stream;
        log.debug("QUIC client {}: session stream {} opened, connection active {}, handshake done {}", clientAddress,
                stream.streamId(), connection.isActive(), handshake.isDone());
        if (!handshake.isDone()) {
            stream.pipeline().addLast(EarlyDataGate.NAME,
                    new EarlyDataGate(sessions.limits().maxAuthPacketBytes(), handshake, meters));
        }
        sessions.addSessionStages(stream, clientAddress, meters.clients());
        stream.closeFuture().addListener(closed -> {
            log.debug("QUIC client {}: session closed: {}", clientAddress, ClientConnections.closeReason(stream));
            ClientConnections.close(connection, ClientConnections.closeReason(stream));
        });
    }

    private void refuse(QuicStreamChannel stream) {
        meters.streamRefused("extra_stream");
        stream.close();
        if (++refused > MAX_REFUSED_STREAMS) {
            log.debug("QUIC client {}: {} streams refused, closing", clientAddress, refused);
            ClientConnections.close(connection, "too_many_streams");
        }
    }
}
