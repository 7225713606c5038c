package io.presenter.protocol.mux;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real mux connection between an opening and an accepting session, over Netty's in-VM
 * {@link LocalChannel} or over TCP on 127.0.0.1, each side on its own event loop.
 */
final class MuxPair implements AutoCloseable {

    enum Transport {
        LOCAL, TCP,
        /** TCP with tiny socket buffers: a peer that stops reading backs the sender up at once. */
        TCP_TIGHT;

        private static final int TIGHT_SOCKET_BUFFER = 8 * 1024;

        void configure(ServerBootstrap server, Bootstrap client) {
            if (this == TCP_TIGHT) {
                server.childOption(ChannelOption.SO_RCVBUF, TIGHT_SOCKET_BUFFER);
                client.option(ChannelOption.SO_SNDBUF, TIGHT_SOCKET_BUFFER);
            }
        }

        EventLoopGroup newGroup() {
            return new MultiThreadIoEventLoopGroup(2, this == LOCAL ? LocalIoHandler.newFactory() : NioIoHandler.newFactory());
        }

        Class<? extends ServerChannel> serverChannel() {
            return this == LOCAL ? LocalServerChannel.class : NioServerSocketChannel.class;
        }

        Class<? extends Channel> channel() {
            return this == LOCAL ? LocalChannel.class : NioSocketChannel.class;
        }

        SocketAddress bindAddress() {
            return this == LOCAL ? new LocalAddress(MuxPair.class) : new InetSocketAddress("127.0.0.1", 0);
        }
    }

    static final long TIMEOUT_SECONDS = 20;

    private final EventLoopGroup group;
    private final Channel server;
    final MuxConnection opener;
    final MuxConnection acceptor;

    private MuxPair(EventLoopGroup group, Channel server, MuxConnection opener, MuxConnection acceptor) {
        this.group = group;
        this.server = server;
        this.opener = opener;
        this.acceptor = acceptor;
    }

    static MuxPair connect(Transport transport, MuxSettings settings, ChannelHandler inboundStreamHandler)
            throws Exception {
        return connect(transport, settings, settings, inboundStreamHandler);
    }

    static MuxPair connect(Transport transport, MuxSettings openerSettings, MuxSettings acceptorSettings,
            ChannelHandler inboundStreamHandler) throws Exception {
        EventLoopGroup group = transport.newGroup();
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        ServerBootstrap serverBootstrap = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(MuxInitializer.accepting(acceptorSettings, inboundStreamHandler));
                        accepted.complete(ch);
                    }
                });
        Bootstrap clientBootstrap = new Bootstrap().group(group).channel(transport.channel())
                .handler(MuxInitializer.opening(openerSettings));
        transport.configure(serverBootstrap, clientBootstrap);
        Channel server = serverBootstrap.bind(transport.bindAddress()).sync().channel();
        Channel client = clientBootstrap.connect(server.localAddress()).sync().channel();
        Channel acceptedChannel = accepted.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        // The accepted channel's initializer has run once it is registered, on its own loop.
        acceptedChannel.eventLoop().submit(() -> { }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return new MuxPair(group, server, MuxConnection.of(client), MuxConnection.of(acceptedChannel));
    }

    /** Opens a stream on the opening side and waits for it. */
    MuxStreamChannel open(ChannelHandler streamHandler) throws Exception {
        return opener.openStream(new StreamMetadata(7L, 3L, "192.0.2.1:4242", "presenter-1", 0), streamHandler)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        server.close().sync();
        opener.channel().close().sync();
        acceptor.channel().close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
