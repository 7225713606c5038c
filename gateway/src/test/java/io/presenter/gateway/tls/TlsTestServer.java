package io.presenter.gateway.tls;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TLS server running the production TLS stage ({@link TlsStage}) with a real
 * {@link ServerTls}, on epoll when available (as the daemon does). After a successful handshake it
 * writes one byte ({@link #READY}): a client that has read it has also processed everything the
 * server sent before it, including TLS 1.3 session tickets.
 */
final class TlsTestServer implements AutoCloseable {

    static final byte READY = 'K';
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    final MeterRegistry registry = new SimpleMeterRegistry();
    final ServerTls tls;
    private final EventLoopGroup group;
    private final Channel listener;
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    TlsTestServer(TlsSettings settings) throws IOException, InterruptedException {
        this(new ServerTlsContextFactory(), settings);
    }

    TlsTestServer(ServerTlsContextFactory factory, TlsSettings settings) throws IOException, InterruptedException {
        tls = factory.create(settings, registry);
        TlsMeters meters = new TlsMeters(registry);
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        listener = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.add(ch);
                        TlsStage.addTo(ch, tls, meters);
                        ch.pipeline().addLast(new ReadyWriter());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** The server's only event loop (it accepts and serves every connection). */
    io.netty.channel.EventLoop eventLoop() {
        return listener.eventLoop();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** The next connection this server accepted (bounded wait). */
    Channel nextAccepted() throws InterruptedException {
        Channel ch = accepted.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (ch == null) {
            throw new AssertionError("server accepted no connection within " + TIMEOUT);
        }
        return ch;
    }

    double handshakes(String result) {
        var counter = registry.find(TlsMeters.HANDSHAKES).tag("result", result).counters();
        return counter.stream().mapToDouble(c -> c.count()).sum();
    }

    double failures(String reason) {
        var counter = registry.find(TlsMeters.HANDSHAKES).tag("result", "failed").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Override
    public void close() {
        tls.close();
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Writes {@link #READY} when the handshake succeeds; discards application data. */
    private static final class ReadyWriter extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {READY}));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
