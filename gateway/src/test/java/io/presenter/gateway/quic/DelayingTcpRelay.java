package io.presenter.gateway.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The TCP counterpart of the harness's {@code UdpRelay} for the setup benchmark: a loopback relay
 * in front of a server that delays every chunk {@code oneWay} in each direction. A user-space
 * relay cannot delay the kernel's SYN / SYN-ACK, so it emulates them: a new connection's first
 * client bytes leave no earlier than one round trip after the accept (the client could not have
 * sent them before the SYN-ACK came back), unless {@code fastOpen}, where they ride in the SYN
 * (TCP Fast Open with a cookie) and only take the one-way delay.
 */
final class DelayingTcpRelay implements AutoCloseable {

    private final long oneWayNanos;
    private final boolean fastOpen;
    private final Channel listener;
    private final Set<ByteBuf> inFlight = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    DelayingTcpRelay(EventLoopGroup group, InetSocketAddress server, long oneWayMillis, boolean fastOpen)
            throws InterruptedException {
        this.oneWayNanos = TimeUnit.MILLISECONDS.toNanos(oneWayMillis);
        this.fastOpen = fastOpen;
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        client.config().setAutoRead(false);
                        long accepted = System.nanoTime();
                        ChannelFuture upstream = new Bootstrap().group(client.eventLoop())
                                .channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                                .handler(new Forward(client, 0))
                                .connect(server);
                        upstream.addListener(connected -> {
                            if (!connected.isSuccess()) {
                                client.close();
                                return;
                            }
                            long handshakeUntil = fastOpen ? 0 : accepted + 2 * oneWayNanos;
                            client.pipeline().addLast(new Forward(upstream.channel(), handshakeUntil));
                            client.config().setAutoRead(true);
                        });
                    }
                })
                .bind(new InetSocketAddress(server.getAddress(), 0)).sync().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Passes what one side sends to the other, one way later (and not before {@code notBefore}), in order. */
    private final class Forward extends ChannelInboundHandlerAdapter {
        private final Channel to;
        private final long notBefore;
        private long lastDue;

        Forward(Channel to, long notBefore) {
            this.to = to;
            this.notBefore = notBefore;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            long due = Math.max(Math.max(System.nanoTime(), notBefore) + oneWayNanos, lastDue);
            lastDue = due;
            inFlight.add(bytes);
            ctx.executor().schedule(() -> {
                if (inFlight.remove(bytes)) {
                    to.writeAndFlush(bytes);
                }
            }, due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> to.close(), oneWayNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        listener.close().sync();
        synchronized (inFlight) {
            inFlight.forEach(ByteBuf::release);
            inFlight.clear();
        }
    }
}
