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
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** One stalled reader must not hold up the other streams of its connection. */
class MuxFlowControlTest {

    private static final int WINDOW = 64 * 1024;
    private static final int BYTES_PER_STREAM = 4 * WINDOW;
    private static final int FLOWING_STREAMS = 100;

    /** Writes {@code bytes} as fast as the stream stays writable, then sends FIN. */
    static final class Sender extends ChannelInboundHandlerAdapter {
        private int remaining;

        Sender(int bytes) {
            this.remaining = bytes;
        }

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
                    ch.pipeline().addLast(new Sender(BYTES_PER_STREAM));
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

    @Test
    void streamsWriteOnlyWhileTheConnectionIsWritableSoItsBufferStaysShallow() throws Exception {
        int streams = 4;
        // Tiny socket buffers make loopback slow (delayed acks): a few windows' worth is enough.
        int bytes = 64 * 1024;
        MuxSettings opener = MuxSettings.defaults();
        // Windows larger than everything sent: only the connection's writability holds writers back.
        MuxSettings acceptor = MuxSettings.builder().initialStreamWindow(2 * bytes)
                .initialConnectionWindow(2 * bytes).build();
        List<StreamProbe> received = new CopyOnWriteArrayList<>();
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.TCP_TIGHT, opener, acceptor,
                StreamProbe.streams(true, ch -> {
                    StreamProbe probe = new StreamProbe();
                    received.add(probe);
                    ch.pipeline().addLast(probe);
                }))) {
            Channel connection = pair.opener.channel();
            pair.acceptor.channel().config().setAutoRead(false); // a peer that stops reading
            List<MuxStreamChannel> writers = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                writers.add(pair.open(StreamProbe.streams(true, ch -> ch.pipeline().addLast(new Sender(bytes)))));
            }
            StreamProbe.await(() -> !connection.isWritable(), () -> "connection never backed up");
            long queued = connection.eventLoop().submit(
                    () -> connection.unsafe().outboundBuffer().totalPendingWriteBytes()).get();
            assertThat(queued).as("parent buffer: high water mark plus at most one frame per stream")
                    .isLessThanOrEqualTo(connection.config().getWriteBufferHighWaterMark()
                            + (long) streams * opener.maxFrameLength());
            assertThat(writers).allMatch(stream -> !stream.isWritable());

            pair.acceptor.channel().config().setAutoRead(true);
            StreamProbe.await(() -> received.size() == streams, () -> received.size() + " streams arrived");
            for (StreamProbe probe : received) {
                probe.awaitEvent(ChannelInputShutdownEvent.class);
                assertThat(probe.receivedBytes()).isEqualTo(bytes);
            }
        }
    }
}
