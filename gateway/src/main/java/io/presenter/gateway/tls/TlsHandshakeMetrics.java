package io.presenter.gateway.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.internal.tcnative.SSL;
import io.presenter.gateway.tls.TlsMeters.FailureReason;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts and times one connection's TLS handshake, right after the {@link SslHandler}.
 *
 * <p>On success it records full or resumed and removes itself (an established connection should
 * not pay a pipeline hop, nor keep this object, for the rest of its life). On failure it records the
 * reason and stays to absorb the exception {@code SslHandler} raises after the failure event, so a
 * port scanner or a plain-text client costs a counter increment, not a warning with a stack trace;
 * {@code SslHandler} has closed the connection already.
 */
public final class TlsHandshakeMetrics extends ChannelInboundHandlerAdapter {

    /** Pipeline name of this handler. */
    public static final String NAME = "tls-handshake-metrics";

    private static final Logger log = LoggerFactory.getLogger(TlsHandshakeMetrics.class);

    private final TlsMeters meters;
    private long startNanos;
    private long startMillis;
    private boolean done;

    public TlsHandshakeMetrics(TlsMeters meters) {
        this.meters = meters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    private void start() {
        if (startNanos == 0) {
            startNanos = System.nanoTime();
            startMillis = System.currentTimeMillis();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        boolean succeeded = false;
        if (event instanceof SslHandshakeCompletionEvent completion && !done) {
            done = true;
            if (completion.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                meters.succeeded(ssl != null && isResumed(ssl.engine(), startMillis),
                        System.nanoTime() - startNanos);
                succeeded = true;
            } else {
                meters.failed(reason(completion.cause()));
            }
        }
        super.userEventTriggered(ctx, event);
        if (succeeded) {
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (done) {
            // The handshake failed and was counted; SslHandler closes the channel. Nothing else
            // downstream can act on a connection that never became TLS.
            log.debug("{} after failed TLS handshake: {}", ctx.channel(), cause.toString());
            ctx.close();
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    /**
     * Whether the handshake resumed an earlier session (ticket or session id). BoringSSL says so
     * directly ({@code SSL_session_reused}); Netty keeps its own accessor package-private, so this
     * asks netty-tcnative with the engine's public SSL pointer. The JDK engine has no such flag: a
     * session created before this connection started must have been resumed.
     */
    static boolean isResumed(SSLEngine engine, long connectionStartMillis) {
        if (engine instanceof ReferenceCountedOpenSslEngine openSsl) {
            long ssl = openSsl.sslPointer();
            return ssl != 0 && SSL.isSessionReused(ssl);
        }
        SSLSession session = engine.getSession();
        return session != null && session.getCreationTime() < connectionStartMillis;
    }

    static FailureReason reason(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof SslHandshakeTimeoutException) {
            return FailureReason.TIMEOUT;
        }
        if (c instanceof NotSslRecordException) {
            return FailureReason.NOT_SSL;
        }
        if (c instanceof ClosedChannelException) {
            return FailureReason.CLOSED;
        }
        if (c instanceof SSLException) {
            return FailureReason.HANDSHAKE;
        }
        return FailureReason.OTHER;
    }
}
