package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.presenter.protocol.wire.ResetCode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A chat-style handler written for TCP runs unchanged on a mux stream. */
class SameHandlerOverTcpAndMuxTest {

    /** Answers each line, and closes on "bye", as a chat server would on a client socket. */
    static final class LineChatHandler extends SimpleChannelInboundHandler<String> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            if (line.equals("bye")) {
                ctx.writeAndFlush("see you\n").addListener(f -> ctx.close());
            } else {
                ctx.writeAndFlush("echo: " + line + "\n");
            }
        }
    }

    /** The chat server's per-connection pipeline, for a socket or a stream alike. */
    static ChannelHandler chatPipeline() {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new LineBasedFrameDecoder(1024), new StringDecoder(StandardCharsets.UTF_8),
                        new StringEncoder(StandardCharsets.UTF_8), new LineChatHandler());
            }
        };
    }

    private static final String SAID = "hi\nhow are you\nbye\n";
    private static final String ANSWERED = "echo: hi\necho: how are you\nsee you\n";

    private static void converse(Channel channel, StreamProbe probe) {
        channel.writeAndFlush(Unpooled.copiedBuffer(SAID, StandardCharsets.UTF_8));
        probe.awaitReceived(ANSWERED).awaitInactive();
    }

    @Test
    void overADirectTcpConnection() throws Exception {
        EventLoopGroup group = MuxPair.Transport.TCP.newGroup();
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(chatPipeline()).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            StreamProbe probe = new StreamProbe();
            Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(probe)
                    .connect(server.localAddress()).sync().channel();
            converse(client, probe);
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void overAMuxStream() throws Exception {
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.TCP, MuxSettings.defaults(), chatPipeline())) {
            StreamProbe probe = new StreamProbe();
            converse(pair.open(probe.on(true)), probe);
            assertThat(probe.event(MuxStreamResetEvent.class).code())
                    .as("the server's close() ends the stream").isEqualTo(ResetCode.CANCEL);
        }
    }
}
