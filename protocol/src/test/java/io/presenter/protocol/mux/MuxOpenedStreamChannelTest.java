package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;

/** {@link AbstractOpenedStreamTest} on a {@link MuxStreamChannel} whose handler reads on demand. */
class MuxOpenedStreamChannelTest extends AbstractOpenedStreamTest {

    @Override
    Opened open(MuxConnection connection) {
        var opening = connection.openStream(StreamMetadata.of(42, 7, null, "p"), new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.config().setAutoRead(false);
                ch.pipeline().addLast(new Recorder());
            }
        });
        channel.runPendingTasks();
        MuxStreamChannel stream = opening.getNow();
        return new Opened() {
            @Override
            public int streamId() {
                return stream.streamId();
            }

            @Override
            public void write(String text) {
                stream.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
            }

            @Override
            public void shutdownOutput() {
                stream.shutdownOutput();
            }

            @Override
            public void close() {
                stream.close();
            }

            @Override
            public void read() {
                stream.read();
            }

            @Override
            public boolean isWritable() {
                return stream.isWritable();
            }

            @Override
            public boolean isOpen() {
                return stream.isOpen();
            }

            @Override
            public int queuedInboundBytes() {
                return ((MuxStream) stream).queuedInboundBytes();
            }
        };
    }

    /** The reader: what reaches the end of the stream's pipeline, as {@link #events} text. */
    private final class Recorder extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            events.add("read:" + text(data));
            data.release();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            events.add("read-complete");
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            events.add("writable:" + ctx.channel().isWritable());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                events.add("input-ended");
            } else if (event instanceof MuxStreamResetEvent || event instanceof MuxHandoverEvent
                    || event instanceof MuxGoAwayEvent) {
                events.add(event);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            events.add("closed");
        }
    }

    /** The bytes as text when they are text, else their count (a test's zero-filled payloads). */
    static String text(ByteBuf data) {
        return data.getByte(data.readerIndex()) == 0 ? Integer.toString(data.readableBytes())
                : data.toString(StandardCharsets.UTF_8);
    }
}
