package io.presenter.chat.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.presenter.chat.ChatService;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running chat server: its listeners, its event loops and every connection it accepted.
 * {@link #close()} stops listening, closes every connection and releases the threads.
 */
public final class ChatServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel directListener;

    private ChatServer(ChatServerConfig config, SslContext sslContext, ChatService service)
            throws InterruptedException {
        Transport transport = Transport.best();
        bossGroup = transport.newGroup(1);
        workerGroup = transport.newGroup(config.eventLoopThreads());
        try {
            directListener = listen(transport, config.directAddress(),
                    new DirectClientInitializer(sslContext, service, config.maxPacketLength()));
        } catch (InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
        log.info("chat server {} listening for direct TLS clients on {} ({} transport)",
                config.serverId(), directListener.localAddress(), transport.name());
    }

    /** Binds the listeners; returns once they accept connections. */
    public static ChatServer start(ChatServerConfig config, SslContext sslContext, ChatService service)
            throws InterruptedException {
        return new ChatServer(config, sslContext, service);
    }

    private Channel listen(Transport transport, InetSocketAddress address,
            ChannelInitializer<SocketChannel> initializer) throws InterruptedException {
        Channel listener = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(transport.serverChannelClass())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channels.add(channel);
                        channel.pipeline().addLast(initializer);
                    }
                })
                .bind(address).sync().channel();
        channels.add(listener);
        return listener;
    }

    /** Where direct TLS clients connect (the bound port when configured with port 0). */
    public InetSocketAddress directAddress() {
        return (InetSocketAddress) directListener.localAddress();
    }

    @Override
    public void close() {
        channels.close().awaitUninterruptibly();
        bossGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
