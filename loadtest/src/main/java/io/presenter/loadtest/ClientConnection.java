package io.presenter.loadtest;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.presenter.loadtest.quic.QuicClientEndpoint;
import io.presenter.protocol.codec.ClientPacketCodec;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import java.lang.reflect.Method;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;

/**
 * One load-test client: TCP connect (optionally from a chosen local address), TLS handshake, the
 * auth packet, then chat packets; or, over QUIC, one QUIC connection whose one bidirectional
 * stream carries the same packets (README, QUIC transport). {@link #established()} completes once the server accepted the
 * auth packet, or completes exceptionally with a {@link Failure} whose reason is a stable tag for
 * the report (every way a connection can fail lands in exactly one bucket). Timings are taken on
 * the channel's event loop with {@link System#nanoTime()}.
 */
final class ClientConnection {

    /** Why a connection did not get to an authenticated session. */
    static final class Failure extends RuntimeException {
        final String reason;
        /** What went wrong in words (the exception's own message), for the report's failure details. */
        final String detail;

        Failure(String reason, String detail) {
            super(reason + ": " + detail, null, false, false);
            this.reason = reason;
            this.detail = detail;
        }
    }

    /**
     * The tag of a failed TLS handshake. A certificate the client refused gets its own, since the
     * cure differs: with {@code --ca} the certificate must chain to that CA <em>and</em> name the
     * {@code --target} host, and an IP target matches only an IP address in the certificate's
     * subjectAltName, which self-signed certificates for a host name rarely have.
     */
    static String handshakeFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) {
                return "certificate_rejected";
            }
        }
        return "handshake_failed";
    }

    /** The innermost message of {@code cause}'s chain: the reason, rather than its wrappers. */
    static String rootMessage(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root);
    }

    /** What a chat scenario wants to hear about; called on the connection's event loop. */
    interface Listener {
        void delivered(ClientConnection to, Delivery delivery);

        default void acked(ClientConnection from) {}

        default void closedAfterAuth(ClientConnection connection) {}
    }

    static final Listener NO_LISTENER = (to, delivery) -> {};

    private final int index;
    private final long startNanos = System.nanoTime();
    private final CompletableFuture<ClientConnection> established = new CompletableFuture<>();
    private final Listener listener;
    /** Where packets go: the TCP channel, or the QUIC session stream once it is open. */
    private volatile Channel channel;
    /** What closing closes: the TCP channel, or the QUIC connection once it exists. */
    private volatile Channel connection;
    /** A close asked for before the QUIC connection existed: done as soon as it does. */
    private volatile boolean closeRequested;
    private long tcpNanos;
    private long handshakeNanos;
    private long authNanos;
    private long authSentAt;
    private long setupNanos;
    private Boolean resumed;
    private String protocol;

    private ClientConnection(int index, Listener listener) {
        this.index = index;
        this.listener = listener;
    }

    /**
     * Starts connecting; never blocks. {@code local} may be null (the kernel picks the source
     * address). The whole attempt (connect + handshake + auth) is bounded by {@code timeout}.
     */
    static ClientConnection open(int index, Bootstrap prototype, SslContext tls, boolean resume, InetSocketAddress target,
            SocketAddress local, AuthPacket auth, Duration timeout, boolean authAfterFinished, Listener listener) {
        ClientConnection c = new ClientConnection(index, listener);
        Bootstrap b = prototype.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                // Host and port name the client session cache entry: that is what lets a reconnect
                // to the same endpoint offer its previous session (resumption). Without them the
                // engine has no cache key, so every handshake is full (and no SNI is sent).
                SslHandler ssl = resume ? tls.newHandler(ch.alloc(), target.getHostString(), target.getPort())
                        : tls.newHandler(ch.alloc());
                ssl.setHandshakeTimeoutMillis(timeout.toMillis());
                ch.pipeline().addLast(ssl,
                        new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH),
                        new ClientPacketCodec(), c.new Handler(ssl, auth, authAfterFinished));
            }
        });
        ChannelFuture connect = local == null ? b.connect(target) : b.connect(target, local);
        c.channel = connect.channel();
        c.connection = connect.channel();
        ScheduledFuture<?> deadline = connect.channel().eventLoop().schedule(
                () -> c.fail("timeout", "no authenticated session within " + timeout), timeout.toMillis(),
                TimeUnit.MILLISECONDS);
        c.established.whenComplete((ok, error) -> deadline.cancel(false));
        connect.addListener(f -> {
            if (f.isSuccess()) {
                if (c.tcpNanos == 0) {
                    c.tcpNanos = System.nanoTime() - c.startNanos;
                }
            } else {
                Throwable cause = f.cause();
                String reason = cause instanceof ConnectTimeoutException ? "timeout"
                        : cause instanceof ConnectException && String.valueOf(cause.getMessage()).contains("refused")
                                ? "connect_refused" : "connect_failed";
                c.fail(reason, String.valueOf(cause));
            }
        });
        return c;
    }

    /**
     * Starts a QUIC client; never blocks. Its handshake time runs to the session stream being open
     * (handshake done, or early data allowed); there is no TCP connect (0). Failures before the
     * stream: {@code certificate_rejected} / {@code handshake_failed} when the TLS handshake inside
     * QUIC failed, {@code closed_before_auth} when the connection closed, {@code timeout} when no
     * answer came (a UDP port with nobody behind it does not refuse: it stays silent).
     */
    static ClientConnection openQuic(int index, QuicClientEndpoint endpoint, EventLoop loop, InetSocketAddress target,
            AuthPacket auth, Duration timeout, Listener listener) {
        ClientConnection c = new ClientConnection(index, listener);
        ScheduledFuture<?> deadline = loop.schedule(
                () -> c.fail("timeout", "no authenticated session within " + timeout), timeout.toMillis(),
                TimeUnit.MILLISECONDS);
        c.established.whenComplete((ok, error) -> deadline.cancel(false));
        endpoint.open(target, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel stream) {
                c.channel = stream;
                c.connection = stream.parent();
                stream.pipeline().addLast(
                        new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH),
                        new ClientPacketCodec(), c.new Handler(null, auth, false));
            }
        }).whenComplete((session, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                boolean closed = cause instanceof IllegalStateException;
                c.fail(closed ? "closed_before_auth" : handshakeFailure(cause), rootMessage(cause));
            } else {
                c.connection = session.connection();
                if (c.closeRequested) {
                    session.connection().close();
                }
            }
        });
        return c;
    }

    private void fail(String reason, String detail) {
        if (established.completeExceptionally(new Failure(reason, detail))) {
            close();
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<ClientPacket> {
        private final SslHandler ssl;
        private final AuthPacket auth;
        private final boolean authAfterFinished;

        Handler(SslHandler ssl, AuthPacket auth, boolean authAfterFinished) {
            this.ssl = ssl;
            this.auth = auth;
            this.authAfterFinished = authAfterFinished;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (ssl == null) {
                // A QUIC session stream is opened once the handshake is done (or early data may go).
                secured(ctx, isSessionReused(((QuicChannel) ctx.channel().parent())
                        .sslEngine()), "TLSv1.3");
                ctx.fireChannelActive();
                return;
            }
            // The TCP connection is up now, whichever of this and the connect listener runs first.
            if (tcpNanos == 0) {
                tcpNanos = System.nanoTime() - startNanos;
            }
            ssl.handshakeFuture().addListener(f -> {
                if (!f.isSuccess()) {
                    fail(handshakeFailure(f.cause()), rootMessage(f.cause()));
                    return;
                }
                secured(ctx, isSessionReused(ssl.engine()), ssl.engine().getSession().getProtocol());
            });
            ctx.fireChannelActive();
        }

        /** The secure channel is up: note how, and send the auth packet. */
        private void secured(ChannelHandlerContext ctx, Boolean reused, String tlsProtocol) {
            long now = System.nanoTime();
            handshakeNanos = now - startNanos - tcpNanos;
            resumed = reused;
            protocol = tlsProtocol;
            authSentAt = now;
            if (authAfterFinished) {
                // Like a blocking client: the handshake call returns once the Finished is sent,
                // and the auth packet is a later write (here: after this read's flush).
                ctx.channel().eventLoop().execute(() -> ctx.writeAndFlush(ClientPacket.auth(auth)));
            } else {
                ctx.writeAndFlush(ClientPacket.auth(auth));
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ClientPacket packet) {
            switch (packet.getSetField()) {
                case AUTH_RESULT -> {
                    AuthStatus status = packet.getAuthResult().getStatus();
                    if (status == AuthStatus.OK) {
                        long now = System.nanoTime();
                        if (ssl == null) {
                            // A resuming QUIC client opens its stream at early-data-ready, before
                            // the engine knows the handshake resumed; by the answer it does.
                            resumed = isSessionReused(((QuicChannel) ctx.channel().parent())
                                    .sslEngine());
                        }
                        authNanos = now - authSentAt;
                        setupNanos = now - startNanos;
                        established.complete(ClientConnection.this);
                    } else {
                        fail("auth_" + status.name().toLowerCase(), String.valueOf(packet.getAuthResult().getReason()));
                    }
                }
                case DELIVERY -> listener.delivered(ClientConnection.this, packet.getDelivery());
                case SEND_ACK -> listener.acked(ClientConnection.this);
                case ERROR -> {
                    if (!established.isDone()) {
                        fail("server_error_" + packet.getError().getCode().name().toLowerCase(),
                                String.valueOf(packet.getError().getReason()));
                    }
                }
                default -> { } // presence, pong: not measured
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!established.isDone()) {
                fail(handshakeNanos == 0 && ssl != null && ssl.handshakeFuture().isDone() ? "handshake_failed"
                        : "closed_before_auth",
                        "connection closed");
            } else if (!established.isCompletedExceptionally()) {
                listener.closedAfterAuth(ClientConnection.this);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(handshakeNanos == 0 ? handshakeFailure(cause) : "protocol_error", rootMessage(cause));
            ctx.close();
        }
    }

    /**
     * Whether BoringSSL resumed a session. Netty keeps {@code isSessionReused()} package-private,
     * and no public API tells a resumed handshake from a full one, so we ask it reflectively and
     * report "unknown" (null) if a Netty upgrade takes it away.
     */
    private static Boolean isSessionReused(SSLEngine engine) {
        Method m = engine != null && QUIC_SESSION_REUSED != null
                && QUIC_SESSION_REUSED.getDeclaringClass().isInstance(engine) ? QUIC_SESSION_REUSED : SESSION_REUSED;
        if (m == null || engine == null) {
            return null;
        }
        try {
            return (Boolean) m.invoke(engine);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static final Method SESSION_REUSED = findSessionReused("io.netty.handler.ssl.ReferenceCountedOpenSslEngine");
    /** The same question of a QUIC connection's engine (also package-private in Netty). */
    private static final Method QUIC_SESSION_REUSED = findSessionReused("io.netty.handler.codec.quic.QuicheQuicSslEngine");

    private static Method findSessionReused(String engineClass) {
        try {
            Method m = Class.forName(engineClass).getDeclaredMethod("isSessionReused");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    int index() {
        return index;
    }

    CompletableFuture<ClientConnection> established() {
        return established;
    }

    /** Where packets go; null for a QUIC client whose session stream is not open yet. */
    Channel channel() {
        return channel;
    }

    /** Completes when the connection (TCP, or the QUIC connection) is closed; only once {@link #established()}. */
    Future<Void> closeFuture() {
        return connection.closeFuture();
    }

    long tcpConnectNanos() {
        return tcpNanos;
    }

    long handshakeNanos() {
        return handshakeNanos;
    }

    long authNanos() {
        return authNanos;
    }

    /** Connect started to the auth answer received: what a user waits for before the first message. */
    long setupNanos() {
        return setupNanos;
    }

    /** True resumed, false full, null unknown. */
    Boolean resumed() {
        return resumed;
    }

    String protocol() {
        return protocol;
    }

    void send(ClientPacket packet) {
        channel.writeAndFlush(packet, channel.voidPromise());
    }

    /**
     * Closes the connection (the whole QUIC connection, not only its stream); the future completes
     * when it is closed, or at once when there was nothing to close yet (a QUIC connection still
     * being set up is closed as soon as it exists).
     */
    CompletableFuture<Void> close() {
        closeRequested = true;
        Channel c = connection;
        CompletableFuture<Void> closed = new CompletableFuture<>();
        if (c == null) {
            closed.complete(null);
        } else {
            c.close().addListener(f -> closed.complete(null));
        }
        return closed;
    }
}
