package io.presenter.gateway.handover;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The old process's side of a listener handover, as HAProxy's {@code expose-fd listeners}: a Unix
 * socket at {@code handover.socket} on which a successor receives the client listener's file
 * descriptor ({@code SCM_RIGHTS}).
 *
 * <p>The exchange, one successor at a time:
 * <ol>
 *   <li>the successor connects; this side sends the listener's descriptor;</li>
 *   <li>the successor registers its copy with its own event loop, so both processes accept from
 *       the one socket and its one accept queue, then writes one byte: "accepting";</li>
 *   <li>this side runs {@code handedOver} (stop accepting by closing its own descriptor, which
 *       leaves the socket open because the successor holds it: nothing queued is reset, no
 *       connection attempt refused; free the admin port; start the slow drain), closes this socket
 *       (which removes its path, for the successor to bind) and then the connection, which tells
 *       the successor it may bind the path.</li>
 * </ol>
 * A successor that goes away before step 2 changes nothing here: this process keeps serving and
 * keeps offering the handover.
 */
public final class ListenerHandover implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ListenerHandover.class);

    /** The byte a successor writes once it accepts on the listener. */
    static final byte ACCEPTING = 'A';

    private final Path path;
    private final AtomicBoolean handedOver = new AtomicBoolean();
    private volatile Channel server;

    private ListenerHandover(Path path) {
        this.path = path;
    }

    /**
     * Offers the listener at {@code path} (a stale socket file there is replaced), readable and
     * writable by this user only: whoever can connect can take the presenter's clients.
     *
     * @param group an epoll event loop group (the listener's acceptor)
     * @param listener the client listener's descriptor
     * @param mayHandOver false while the process must not hand over (already draining)
     * @param handedOver runs on {@code executor} once the successor accepts; when it returns the
     *     successor is told to go on
     */
    public static ListenerHandover offer(Path path, EventLoopGroup group, Supplier<FileDescriptor> listener,
            BooleanSupplier mayHandOver, Runnable handedOver, Executor executor) throws IOException, InterruptedException {
        Files.deleteIfExists(path);
        ListenerHandover self = new ListenerHandover(path);
        self.server = new ServerBootstrap().group(group, group).channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel successor) {
                        successor.pipeline().addLast(self.new Giver(listener, mayHandOver, handedOver, executor));
                    }
                })
                .bind(new DomainSocketAddress(path.toFile())).sync().channel();
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        log.info("handover: offering the client listener to a successor on {}", path);
        return self;
    }

    /** Whether the listener went to a successor. */
    public boolean handedOver() {
        return handedOver.get();
    }

    /** Stops offering; removes the socket's path. */
    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    private final class Giver extends ChannelInboundHandlerAdapter {
        private final Supplier<FileDescriptor> listener;
        private final BooleanSupplier mayHandOver;
        private final Runnable handedOverAction;
        private final Executor executor;
        private boolean sent;

        Giver(Supplier<FileDescriptor> listener, BooleanSupplier mayHandOver, Runnable handedOverAction,
                Executor executor) {
            this.listener = listener;
            this.mayHandOver = mayHandOver;
            this.handedOverAction = handedOverAction;
            this.executor = executor;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (handedOver.get() || !mayHandOver.getAsBoolean()) {
                log.warn("handover: a successor connected on {}, refused: {}", path,
                        handedOver.get() ? "already handed over" : "draining");
                ctx.close();
                return;
            }
            log.info("handover: successor connected on {}, passing the client listener", path);
            sent = true;
            ctx.writeAndFlush(listener.get()).addListener(done -> {
                if (!done.isSuccess()) {
                    log.warn("handover: passing the listener failed, still serving: {}", done.cause().toString());
                    ctx.close();
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean accepting = msg instanceof ByteBuf bytes && bytes.isReadable()
                    && bytes.getByte(bytes.readerIndex()) == ACCEPTING;
            ReferenceCountUtil.release(msg);
            if (!sent || !accepting || !handedOver.compareAndSet(false, true)) {
                ctx.close();
                return;
            }
            log.info("handover: the successor accepts on the listener; this process stops accepting and drains");
            executor.execute(() -> {
                try {
                    handedOverAction.run();
                } catch (RuntimeException e) {
                    log.warn("handover: while stepping down: {}", e.toString());
                } finally {
                    server.close().syncUninterruptibly();
                    ctx.close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (sent && !handedOver.get()) {
                log.warn("handover: the successor went away before accepting; still serving, still offering");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("handover connection: {}", cause.toString());
            ctx.close();
        }
    }
}
