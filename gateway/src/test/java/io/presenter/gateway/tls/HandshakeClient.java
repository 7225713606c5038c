package io.presenter.gateway.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;

/**
 * A BoringSSL TLS client for tests: handshakes, waits for the server's ready byte (so session
 * tickets sent after the handshake are stored), reports what was negotiated and closes. Its
 * {@link SslContext} caches sessions per logical {@code host:port}, like a real client.
 */
final class HandshakeClient implements AutoCloseable {

    /** The name clients connect to; the test certificates carry it. */
    static final String HOST = "localhost";
    /** The logical port in the clients' session cache key: all test servers look like one service. */
    static final int LOGICAL_PORT = 443;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    /** What one handshake negotiated. */
    record Result(String protocol, String cipherSuite, String peerKeyAlgorithm) {}

    /**
     * A client context trusting {@code trustedCertificate}, with tickets enabled for TLS 1.2 too
     * (Netty's client leaves them off there, like the JDK).
     */
    static SslContext clientContext(Path trustedCertificate, List<String> protocols, List<String> ciphers)
            throws Exception {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL unavailable", OpenSsl.unavailabilityCause());
        }
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(SslProvider.OPENSSL)
                .trustManager(trustedCertificate.toFile())
                .protocols(protocols);
        if (ciphers != null) {
            builder.ciphers(ciphers);
        }
        SslContext context = builder.build();
        ((OpenSslSessionContext) context.sessionContext()).setTicketKeys();
        return context;
    }

    Result handshake(SslContext context, InetSocketAddress server) throws Exception {
        Promise<Void> ready = group.next().newPromise();
        SslHandler[] ssl = new SslHandler[1];
        ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ssl[0] = context.newHandler(ch.alloc(), HOST, LOGICAL_PORT);
                        ch.pipeline().addLast(ssl[0]);
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                                ready.trySuccess(null);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ready.tryFailure(cause);
                                ctx.close();
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                ready.tryFailure(new IllegalStateException("closed before the ready byte"));
                            }
                        });
                    }
                })
                .connect(server);
        Channel channel = await(connect).channel();
        try {
            await(ssl[0].handshakeFuture());
            await(ready);
            SSLSession session = ssl[0].engine().getSession();
            X509Certificate peer = (X509Certificate) session.getPeerCertificates()[0];
            return new Result(session.getProtocol(), session.getCipherSuite(), peer.getPublicKey().getAlgorithm());
        } finally {
            channel.close();
            channel.closeFuture().await(TlsTestServer.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static <F extends Future<?>> F await(F future) throws Exception {
        if (!future.await(TlsTestServer.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("not done within " + TlsTestServer.TIMEOUT);
        }
        if (future.cause() != null) {
            throw new AssertionError("failed: " + future.cause(), future.cause());
        }
        return future;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
