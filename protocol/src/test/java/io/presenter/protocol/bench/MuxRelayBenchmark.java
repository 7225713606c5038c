package io.presenter.protocol.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.EchoHandler;
import io.presenter.protocol.mux.MuxInitializer;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.StreamMetadata;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Messages per second through one mux connection on loopback: {@code streams} streams, each
 * keeping {@code depth} fixed-size messages in flight to an echoing chat-server side, as a relay
 * of many clients over one internal connection would. Not a test; run it with
 * <pre>
 * mvn -q -pl protocol test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp protocol/target/test-classes:protocol/target/classes:$(cat protocol/target/cp.txt) \
 *     io.presenter.protocol.bench.MuxRelayBenchmark [streams=1000] [seconds=10] [messageBytes=128] [depth=4]
 * </pre>
 */
public final class MuxRelayBenchmark {

    private MuxRelayBenchmark() {}

    /** The client side of one stream: sends a message for every one that comes back. */
    static final class PingPong extends ChannelInboundHandlerAdapter {
        private final int messageBytes;
        private final int depth;
        private final LongAdder messages;
        private int partial;

        PingPong(int messageBytes, int depth, LongAdder messages) {
            this.messageBytes = messageBytes;
            this.depth = depth;
            this.messages = messages;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            for (int i = 0; i < depth; i++) {
                send(ctx);
            }
            ctx.flush();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            partial += buf.readableBytes();
            buf.release();
            for (; partial >= messageBytes; partial -= messageBytes) {
                messages.increment();
                send(ctx);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        private void send(ChannelHandlerContext ctx) {
            ctx.write(ctx.alloc().buffer(messageBytes).writeZero(messageBytes));
        }
    }

    public static void main(String[] args) throws Exception {
        int streams = arg(args, 0, 1000);
        int seconds = arg(args, 1, 10);
        int messageBytes = arg(args, 2, 128);
        int depth = arg(args, 3, 4);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            MuxSettings settings = MuxSettings.builder().maxConcurrentStreams(streams).build();
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(MuxInitializer.accepting(settings, EchoHandler.INSTANCE))
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(MuxInitializer.opening(settings)).connect(server.localAddress()).sync().channel();
            MuxConnection connection = MuxConnection.of(client);
            LongAdder messages = new LongAdder();
            for (int i = 0; i < streams; i++) {
                connection.openStream(new StreamMetadata(i, 1, "", "bench", 0),
                        new PingPong(messageBytes, depth, messages)).sync();
            }
            TimeUnit.SECONDS.sleep(1); // warm-up, not synchronisation
            long start = System.nanoTime();
            long before = messages.sum();
            long[] perSecond = new long[seconds];
            long last = before;
            for (int s = 0; s < seconds; s++) {
                TimeUnit.SECONDS.sleep(1); // sampling interval, not synchronisation
                long now = messages.sum();
                perSecond[s] = now - last;
                last = now;
            }
            long count = messages.sum() - before;
            double elapsed = (System.nanoTime() - start) / 1e9;
            System.out.printf("streams=%d messageBytes=%d depth=%d: %.0f round trips/s, %.1f MB/s each way;"
                    + " per second %s%n", streams, messageBytes, depth, count / elapsed,
                    count * messageBytes / elapsed / 1e6, java.util.Arrays.toString(perSecond));
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static int arg(String[] args, int index, int fallback) {
        return args.length > index ? Integer.parseInt(args[index]) : fallback;
    }
}
