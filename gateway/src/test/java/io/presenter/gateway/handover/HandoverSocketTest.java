package io.presenter.gateway.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handover exchange between two listeners in one JVM (the two-process run is
 * {@code ListenerHandoverTest}): the descriptor passes and the adopting side accepts on the same
 * port while the old side stops; a stale socket file is removed and means "bind as usual"; a
 * presenter that must not hand over (draining) refuses; the socket is for its owner only.
 */
class HandoverSocketTest {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final EventLoopGroup oldLoops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final EventLoopGroup newLoops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        executor.shutdownNow();
        oldLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        newLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void theListenerPassesToTheNewSideWhichAcceptsOnTheSamePortOnceTheOldSideStepsDown() throws Exception {
        AtomicInteger oldAccepted = new AtomicInteger();
        AtomicInteger newAccepted = new AtomicInteger();
        Channel listener = listen(oldLoops, oldAccepted).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        AtomicBoolean steppedDown = new AtomicBoolean();
        Path socket = dir.resolve("handover.sock");
        try (ListenerHandover offer = ListenerHandover.offer(socket, oldLoops,
                () -> ((EpollServerSocketChannel) listener).fd(), () -> true, () -> {
                    listener.close().syncUninterruptibly();
                    steppedDown.set(true);
                }, executor)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            connect(port);
            assertThat(oldAccepted.get()).isEqualTo(1);

            ListenerTakeover takeover = ListenerTakeover.take(socket, TIMEOUT).orElseThrow();
            Channel adopted = acceptor(newLoops, newAccepted)
                    .channelFactory(() -> new EpollServerSocketChannel(takeover.listenerFd())).register().sync().channel();
            assertThat(((InetSocketAddress) adopted.localAddress()).getPort()).isEqualTo(port);
            takeover.confirm();
            takeover.close();

            assertThat(steppedDown).isTrue();
            assertThat(offer.handedOver()).isTrue();
            assertThat(socket).as("the old side removed its socket for the new side to bind").doesNotExist();
            for (int i = 0; i < 20; i++) {
                connect(port);
            }
            assertThat(newAccepted.get()).as("every connection after the handover").isEqualTo(20);
            assertThat(oldAccepted.get()).isEqualTo(1);
            adopted.close().sync();
        }
    }

    @Test
    void aStaleSocketFileIsRemovedAndMeansBindAsUsual() throws Exception {
        Path socket = dir.resolve("handover.sock");
        // What a crashed presenter leaves: a socket file nobody listens on (the JDK does not remove it on close).
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
                .bind(java.net.UnixDomainSocketAddress.of(socket)).close();
        assertThat(socket).exists();

        assertThat(ListenerTakeover.take(socket, TIMEOUT)).isEqualTo(Optional.empty());
        assertThat(socket).doesNotExist();
        assertThat(ListenerTakeover.take(dir.resolve("never-there.sock"), TIMEOUT)).isEmpty();
    }

    @Test
    void aPresenterThatMustNotHandOverRefusesAndKeepsServing() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        Channel listener = listen(oldLoops, accepted).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        AtomicBoolean steppedDown = new AtomicBoolean();
        Path socket = dir.resolve("handover.sock");
        try (ListenerHandover offer = ListenerHandover.offer(socket, oldLoops,
                () -> ((EpollServerSocketChannel) listener).fd(), () -> false, () -> steppedDown.set(true), executor)) {
            assertThatThrownBy(() -> ListenerTakeover.take(socket, TIMEOUT)).isInstanceOf(IOException.class)
                    .hasMessageContaining("without passing its listener");
            assertThat(offer.handedOver()).isFalse();
            assertThat(steppedDown).isFalse();
            connect(((InetSocketAddress) listener.localAddress()).getPort());
            assertThat(accepted.get()).isEqualTo(1);
        } finally {
            listener.close().sync();
        }
    }

    private static ServerBootstrap listen(EventLoopGroup loops, AtomicInteger accepted) {
        return acceptor(loops, accepted).channel(EpollServerSocketChannel.class);
    }

    /** Counts and closes every accepted connection; without a channel class, for an adopted listener. */
    private static ServerBootstrap acceptor(EventLoopGroup loops, AtomicInteger accepted) {
        return new ServerBootstrap().group(loops, loops)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel child) {
                        accepted.incrementAndGet();
                        child.close();
                    }
                });
    }

    /** Connects and waits until the server closed the connection: it was accepted. */
    private static void connect(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }
}
