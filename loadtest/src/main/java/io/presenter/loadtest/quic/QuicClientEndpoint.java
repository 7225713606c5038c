package io.presenter.loadtest.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.codec.quic.SslEarlyDataReadyEvent;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A QUIC client of presenters: one UDP socket, many connections, one TLS context whose session
 * cache keeps each server's ticket, so that the next connection to the same address and port
 * resumes and, with {@code earlyData}, may send its first stream bytes as 0-RTT.
 *
 * <p>{@link #open} resolves to the session stream as early as it can be written: at
 * {@link SslEarlyDataReadyEvent} (0-RTT: what the caller writes now travels as early data), else
 * when the handshake completes.
 */
public final class QuicClientEndpoint implements AutoCloseable {

    public static final String ALPN = "presenter/1";
    /** The {@code max_ack_delay} quiche announces unless told otherwise (RFC 9000's default as well). */
    public static final Duration DEFAULT_MAX_ACK_DELAY = Duration.ofMillis(25);

    private final QuicSslContext tls;
    private final Channel socket;

    /** Binds an ephemeral UDP port on {@code localAddress}; trusts any server certificate (test and load use). */
    public QuicClientEndpoint(EventLoopGroup group, InetSocketAddress localAddress, boolean earlyData,
            long idleTimeoutMillis) throws InterruptedException {
        this(group, localAddress, earlyData, idleTimeoutMillis, true, null);
    }

    /**
     * As above, and: {@code resume} false gives every connection a full handshake (its engine has
     * no session-cache key, as a TCP client's without host and port); {@code trustedCertificates}
     * (PEM), when not null, is what the server's certificate must chain to, else any is accepted.
     */
    public QuicClientEndpoint(EventLoopGroup group, InetSocketAddress localAddress, boolean earlyData,
            long idleTimeoutMillis, boolean resume, java.io.File trustedCertificates) throws InterruptedException {
        this(group, localAddress, earlyData, idleTimeoutMillis, resume, trustedCertificates, DEFAULT_MAX_ACK_DELAY);
    }

    /**
     * As above, and: {@code maxAckDelay} is the {@code max_ack_delay} transport parameter this
     * client announces (quiche's default is {@link #DEFAULT_MAX_ACK_DELAY}). quiche acknowledges
     * without delay whatever it announces; the server adds the announced value to every
     * probe timeout (PTO) it runs towards this client. See {@code QuicMigrationTest} for why a
     * test whose client stack is slow announces more.
     */
    public QuicClientEndpoint(EventLoopGroup group, InetSocketAddress localAddress, boolean earlyData,
            long idleTimeoutMillis, boolean resume, java.io.File trustedCertificates, Duration maxAckDelay)
            throws InterruptedException {
        QuicSslContextBuilder builder = QuicSslContextBuilder.forClient();
        tls = (trustedCertificates == null ? builder.trustManager(InsecureTrustManagerFactory.INSTANCE)
                : builder.trustManager(trustedCertificates))
                .applicationProtocols(ALPN)
                .earlyData(earlyData)
                .build();
        ChannelHandler codec = new QuicClientCodecBuilder()
                .sslContext(tls)
                // With the server's host and port the engine has a session-cache key: resumption and 0-RTT.
                .sslEngineProvider(q -> resume ? tls.newEngine(q.alloc(),
                        ((InetSocketAddress) q.remoteSocketAddress()).getHostString(),
                        ((InetSocketAddress) q.remoteSocketAddress()).getPort()) : tls.newEngine(q.alloc()))
                .maxIdleTimeout(idleTimeoutMillis, TimeUnit.MILLISECONDS)
                .maxAckDelay(maxAckDelay.toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(1 << 20)
                .initialMaxStreamDataBidirectionalLocal(256 * 1024)
                .initialMaxStreamDataBidirectionalRemote(256 * 1024)
                .build();
        // Many connections share this socket: room for their handshake flights arriving together.
        socket = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .option(io.netty.channel.ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .option(io.netty.channel.ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                .handler(codec)
                .bind(localAddress).sync().channel();
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.localAddress();
    }

    /** What {@link #open} resolves to: the session stream, and whether it opened in 0-RTT. */
    public record Session(QuicChannel connection, QuicStreamChannel stream, boolean earlyData) {}

    /**
     * Connects to {@code server} and opens the session stream with {@code streamHandler} in its
     * pipeline; completes exceptionally if the connection fails.
     */
    public CompletableFuture<Session> open(InetSocketAddress server, ChannelHandler streamHandler) {
        CompletableFuture<Session> session = new CompletableFuture<>();
        QuicChannel.newBootstrap(socket)
                .remoteAddress(server)
                .streamHandler(new ChannelInboundHandlerAdapter())  // the server opens no stream
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                        if (event instanceof SslEarlyDataReadyEvent) {
                            // Not inside the event: Netty raises it within the connection's send, and
                            // what is written and flushed there leaves only after the server's answer,
                            // as 1-RTT data (QuicheQuicChannel.connectionSend, 4.2.18).
                            QuicChannel connection = (QuicChannel) ctx.channel();
                            connection.eventLoop().execute(() -> openStream(connection, streamHandler, true, session));
                        }
                        ctx.fireUserEventTriggered(event);
                    }

                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        openStream((QuicChannel) ctx.channel(), streamHandler, false, session);
                        ctx.fireChannelActive();
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        session.completeExceptionally(new IllegalStateException("QUIC connection closed"));
                        ctx.fireChannelInactive();
                    }
                })
                .connect()
                .addListener(connected -> {
                    if (!connected.isSuccess()) {
                        session.completeExceptionally(connected.cause());
                    }
                });
        return session;
    }

    /** Once: at early-data-ready, or at connect when there was no early data. */
    private static void openStream(QuicChannel connection, ChannelHandler handler, boolean earlyData,
            CompletableFuture<Session> session) {
        if (connection.attr(Attrs.STREAM_OPENING).setIfAbsent(Boolean.TRUE) != null) {
            return;
        }
        connection.createStream(QuicStreamType.BIDIRECTIONAL, handler).addListener(created -> {
            if (created.isSuccess()) {
                session.complete(new Session(connection, (QuicStreamChannel) created.getNow(), earlyData));
            } else {
                session.completeExceptionally(created.cause());
                connection.close();
            }
        });
    }

    private static final class Attrs {
        static final io.netty.util.AttributeKey<Boolean> STREAM_OPENING =
                io.netty.util.AttributeKey.valueOf(QuicClientEndpoint.class, "streamOpening");
    }

    @Override
    public void close() {
        socket.close().syncUninterruptibly();
    }
}
