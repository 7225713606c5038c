package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** One stalled reader must not hold up the other streams of its connection. */
class MuxFlowControlTest {

    private static final int WINDOW = 64 * 1024;
    private static final int BYTES_PER_STREAM = 4 * WINDOW;
    private static final int FLOWING_STREAMS = 100;

    /** Writes {@code BYTES_PER_STREAM} as fast as the stream stays writable, then sends FIN. */
    static final class Sender extends ChannelInboundHandlerAdapter {
        private int remaining = BYTES_PER_STREAM;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        private void pump(ChannelHandlerContext ctx) {
            while (remaining > 0 && ctx.channel().isWritable()) {
                int chunk = Math.min(8192, remaining);
                remaining -= chunk;
                ctx.write(Unpooled.wrappedBuffer(new byte[chunk]));
            }
            ctx.flush();
            if (remaining == 0) {
                remaining = -1;
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            }
        }
    }

    @Test
    void aStalledStreamQueuesAtMostItsWindowWhileAHundredOthersFinish() throws Exception {
        Map<Integer, Channel> senders = new ConcurrentHashMap<>();
        MuxSettings settings = MuxSettings.builder().initialStreamWindow(WINDOW).build();
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.TCP, settings,
                StreamProbe.streams(true, ch -> {
                    senders.put(((MuxStreamChannel) ch).streamId(), ch);
                    ch.pipeline().addLast(new Sender());
                }))) {
            StreamProbe stalledProbe = new StreamProbe();
            MuxStreamChannel stalled = pair.open(stalledProbe.on(false));
            List<StreamProbe> flowing = new ArrayList<>();
            for (int i = 0; i < FLOWING_STREAMS; i++) {
                StreamProbe probe = new StreamProbe();
                pair.open(probe.on(true));
                flowing.add(probe);
            }

            for (StreamProbe probe : flowing) {
                probe.awaitEvent(ChannelInputShutdownEvent.class);
                assertThat(probe.receivedBytes()).isEqualTo(BYTES_PER_STREAM);
            }
            StreamProbe.await(() -> AbstractMuxStreamTest.queued(stalled) == WINDOW, () -> "window not filled");
            assertThat(stalledProbe.receivedBytes()).isZero();
            assertThat(senders.get(stalled.streamId()).isWritable()).as("the stalled sender is held back").isFalse();

            // Reading releases credit; the stalled stream then completes too, never above its window.
            stalled.config().setAutoRead(true);
            stalledProbe.awaitEvent(ChannelInputShutdownEvent.class);
            assertThat(stalledProbe.receivedBytes()).isEqualTo(BYTES_PER_STREAM);
        }
    }
}
