package io.presenter.gateway.handover;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The new process's side of a listener handover (see {@link ListenerHandover}): at start, asks the
 * presenter offering its listener on {@code handover.socket}, if any, for the listener's
 * descriptor. The caller starts accepting on it, then {@link #confirm()}s, which waits until the
 * old process has stopped accepting and freed the socket path and the admin port.
 */
public final class ListenerTakeover implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ListenerTakeover.class);

    private final EventLoopGroup group;
    private final Channel channel;
    private final FileDescriptor listener;
    private final Duration timeout;

    private ListenerTakeover(EventLoopGroup group, Channel channel, FileDescriptor listener, Duration timeout) {
        this.group = group;
        this.channel = channel;
        this.listener = listener;
        this.timeout = timeout;
    }

    /**
     * The listener of the presenter offering it at {@code path}; empty when no file is there or
     * nobody answers on it (a stale file, which is removed: the caller binds as usual).
     *
     * @throws IOException a presenter answered but did not pass a listener within {@code timeout}
     */
    public static Optional<ListenerTakeover> take(Path path, Duration timeout) throws IOException, InterruptedException {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        CompletableFuture<FileDescriptor> received = new CompletableFuture<>();
        ChannelFuture connected;
        try {
            connected = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                    .option(UnixChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof FileDescriptor fd) {
                                if (!received.complete(fd)) {
                                    closeQuietly(fd);
                                }
                            } else {
                                ReferenceCountUtil.release(msg);
                            }
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            received.completeExceptionally(new IOException("the old presenter closed the handover "
                                    + "connection without passing its listener (it refuses while draining or after a handover)"));
                        }
                    })
                    .connect(new DomainSocketAddress(path.toFile())).await();
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        // Stale only when the connect itself failed: a presenter that refuses closes the connection
        // at once, and then the channel may already be inactive here (channelInactive reports it).
        if (!connected.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            log.warn("handover: nobody answers on {} ({}); removing the stale socket, binding the listener anew",
                    path, connected.cause());
            Files.deleteIfExists(path);
            return Optional.empty();
        }
        Channel channel = connected.channel();
        try {
            FileDescriptor fd = received.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            log.info("handover: received the client listener from the presenter on {}", path);
            return Optional.of(new ListenerTakeover(group, channel, fd, timeout));
        } catch (ExecutionException | TimeoutException e) {
            channel.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("handover on " + path + " failed: "
                    + (e instanceof ExecutionException ? e.getCause().getMessage() : "no listener within " + timeout), e);
        }
    }

    /** The listener's descriptor, for {@code new EpollServerSocketChannel(fd)}. */
    public int listenerFd() {
        return listener.intValue();
    }

    /**
     * Tells the old process this one accepts on the listener, and waits (bounded) until it has
     * stopped accepting, freed its admin port and the socket path.
     */
    public void confirm() throws IOException, InterruptedException {
        channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {ListenerHandover.ACCEPTING}));
        if (!channel.closeFuture().await(timeout.toMillis())) {
            throw new IOException("handover: the old presenter did not step down within " + timeout);
        }
        log.info("handover: the old presenter stopped accepting; this one serves the listener alone");
    }

    @Override
    public void close() {
        channel.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException ignored) {
            // nothing to do about a descriptor that will not close
        }
    }
}
