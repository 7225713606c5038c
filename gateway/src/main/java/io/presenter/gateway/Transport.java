package io.presenter.gateway;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The socket transport of one presenter: epoll where the native library loads, NIO elsewhere.
 * Client sockets and backend mux connections share the event loops, so both must use the same one.
 */
public enum Transport {
    EPOLL(EpollServerSocketChannel.class, EpollSocketChannel.class),
    NIO(NioServerSocketChannel.class, NioSocketChannel.class);

    private final Class<? extends ServerSocketChannel> serverChannelClass;
    private final Class<? extends SocketChannel> socketChannelClass;

    Transport(Class<? extends ServerSocketChannel> serverChannelClass,
            Class<? extends SocketChannel> socketChannelClass) {
        this.serverChannelClass = serverChannelClass;
        this.socketChannelClass = socketChannelClass;
    }

    /** Epoll when available. */
    public static Transport best() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    public IoHandlerFactory ioHandlerFactory() {
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    public Class<? extends ServerSocketChannel> serverChannelClass() {
        return serverChannelClass;
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return socketChannelClass;
    }
}
