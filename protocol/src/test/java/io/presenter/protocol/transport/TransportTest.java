package io.presenter.protocol.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Transport#of}: every transport a presenter can be told to use ({@code listen.transport})
 * carries bytes here; one that cannot load refuses with its reason, and {@code auto} falls back to
 * NIO instead. The refusal is shown in a child JVM with Netty's natives switched off
 * ({@code -Dio.netty.transport.noNative=true}): availability is decided once per JVM.
 */
class TransportTest {

    @Test
    void everyTransportEchoesOverLoopback() throws Exception {
        assertThat(Transport.of(TransportChoice.AUTO).name()).as("auto on this Linux").isEqualTo("epoll");
        for (TransportChoice choice : TransportChoice.values()) {
            Transport transport = Transport.of(choice);
            assertThat(echo(transport, "hello over " + transport)).isEqualTo("hello over " + transport);
        }
        assertThat(Transport.of(TransportChoice.IO_URING).channelClass()).isEqualTo(IoUringSocketChannel.class);
        assertThat(Transport.of(TransportChoice.EPOLL).channelClass()).isEqualTo(EpollSocketChannel.class);
        assertThat(Transport.of(TransportChoice.IO_URING).tcpFastOpen()).isPresent();
        assertThat(Transport.of(TransportChoice.NIO).tcpFastOpen()).isEmpty();
        assertThat(Transport.of(TransportChoice.EPOLL).handsOverListeners()).isTrue();
        assertThat(Transport.of(TransportChoice.IO_URING).handsOverListeners()).isFalse();
    }

    @Test
    void aTransportThatCannotLoadRefusesWithItsReasonAndAutoFallsBackToNio() throws Exception {
        assertThat(probeWithoutNatives("io_uring"))
                .contains("transport io_uring was asked for but is not available here")
                .contains("noNative");
        assertThat(probeWithoutNatives("epoll"))
                .contains("transport epoll was asked for but is not available here");
        assertThat(probeWithoutNatives("auto")).isEqualTo("running on nio");
    }

    /** What {@link Probe} prints in a JVM where Netty's native transports are off. */
    private static String probeWithoutNatives(String choice) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-Dio.netty.transport.noNative=true", "-cp",
                System.getProperty("java.class.path"), Probe.class.getName(), choice))
                .redirectErrorStream(true).start();
        // Bounded: the child only loads classes and prints one line.
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("probe finished").isTrue();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return out.lines().filter(line -> line.startsWith("running on") || line.startsWith("refused:"))
                .findFirst().orElse(out);
    }

    /** Child JVM: picks a transport as the presenter does and prints the outcome. */
    public static final class Probe {
        public static void main(String[] args) {
            try {
                System.out.println("running on " + Transport.of(TransportChoice.fromConfig(args[0])));
            } catch (IllegalStateException e) {
                System.out.println("refused: " + e.getMessage());
            }
        }
    }

    private static String echo(Transport transport, String text) throws Exception {
        EventLoopGroup group = transport.newGroup(1);
        try {
            Channel server = new ServerBootstrap().group(group).channel(transport.serverChannelClass())
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            CompletableFuture<String> answer = new CompletableFuture<>();
            StringBuilder received = new StringBuilder();
            Channel client = new Bootstrap().group(group).channel(transport.channelClass())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                    received.append(msg.toString(StandardCharsets.UTF_8));
                                    if (received.length() >= text.length()) {
                                        answer.complete(received.toString());
                                    }
                                }
                            });
                        }
                    }).connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
            String result = answer.get(10, TimeUnit.SECONDS);
            client.close().sync();
            server.close().sync();
            return result;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
