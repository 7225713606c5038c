package io.presenter.protocol.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Optional;

/**
 * The socket transport a server or client runs on: native epoll when the platform has it (the
 * daemons ship its linux-x86_64 library), NIO otherwise, or native io_uring when asked for
 * ({@link #of}). Callers log {@link #name()} at startup.
 *
 * @param name "epoll", "io_uring" or "nio"
 * @param ioHandlerFactory for the transport's event loop groups
 * @param serverChannelClass for {@code ServerBootstrap.channel}
 * @param channelClass for {@code Bootstrap.channel} (outgoing connections, e.g. to chat servers)
 * @param datagramChannelClass for UDP sockets (the QUIC listener)
 * @param tcpFastOpen the listener option that enables TCP Fast Open, if the transport has one
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannelClass, Class<? extends Channel> channelClass,
        Class<? extends DatagramChannel> datagramChannelClass, Optional<ChannelOption<Integer>> tcpFastOpen) {

    /** Epoll if its native library loads here, NIO otherwise. */
    public static Transport best() {
        return Epoll.isAvailable() ? epoll() : nio();
    }

    /**
     * The transport {@code choice} names; {@link TransportChoice#AUTO} is {@link #best()}.
     *
     * @throws IllegalStateException if the transport asked for cannot run here (its native library
     *     does not load, or the kernel lacks it), with the reason
     */
    public static Transport of(TransportChoice choice) {
        return switch (choice) {
            case AUTO -> best();
            case NIO -> nio();
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw unavailable(choice, Epoll.unavailabilityCause());
                }
                yield epoll();
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw unavailable(choice, IoUring.unavailabilityCause());
                }
                yield ioUring();
            }
        };
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                NioDatagramChannel.class, Optional.empty());
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDatagramChannel.class, Optional.of(EpollChannelOption.TCP_FASTOPEN));
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringDatagramChannel.class,
                Optional.of(IoUringChannelOption.TCP_FASTOPEN));
    }

    private static IllegalStateException unavailable(TransportChoice choice, Throwable cause) {
        return new IllegalStateException("transport " + choice.configValue() + " was asked for but is not available "
                + "here (" + (cause == null ? "unknown reason" : cause.toString()) + "); use auto or nio", cause);
    }

    /** Whether a listening socket can be handed to a successor process (the handover needs epoll's fds). */
    public boolean handsOverListeners() {
        return "epoll".equals(name);
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }

    @Override
    public String toString() {
        return name;
    }
}
