package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/**
 * A {@link RelayStream} as the presenter's relay drives one, over TCP loopback against an echoing
 * stream channel: it writes only while writable (picking up again on each writability event),
 * reads one batch per read-complete, and ends with a FIN. A megabyte through a 64 KiB window
 * comes back whole and in order, and the stream ends cleanly on both sides.
 */
class MuxRelayStreamOverTcpTest {

    private static final int WINDOW = 64 * 1024;
    private static final int BYTES = 1024 * 1024;
    private static final int CHUNK = 8 * 1024;

    /** Writes the pattern while the stream is writable, reads what comes back a batch at a time. */
    private static final class Relay extends RecordingRelayListener {
        volatile int received;
        volatile boolean mismatch;
        private int sent;
        private boolean finished;

        void pump(RelayStream stream) {
            while (sent < BYTES && stream.isWritable()) {
                ByteBuf chunk = Unpooled.buffer(CHUNK);
                for (int i = 0; i < CHUNK; i++) {
                    chunk.writeByte((sent + i) % 251);
                }
                sent += CHUNK;
                stream.write(chunk);
            }
            stream.flush();
            if (sent == BYTES && !finished) {
                finished = true;
                stream.shutdownOutput();
            }
        }

        @Override
        public void streamRead(RelayStream stream, ByteBuf data) {
            for (int i = data.readerIndex(); i < data.writerIndex(); i++) {
                mismatch |= data.getByte(i) != (byte) ((received + i - data.readerIndex()) % 251);
            }
            received += data.readableBytes();
            data.release();
        }

        @Override
        public void streamReadComplete(RelayStream stream) {
            stream.read();
        }

        @Override
        public void streamWritabilityChanged(RelayStream stream) {
            super.streamWritabilityChanged(stream);
            pump(stream);
        }
    }

    @Test
    void aMegabyteEchoedThroughASmallWindowComesBackWholeAndTheStreamEndsCleanly() throws Exception {
        MuxSettings settings = MuxSettings.builder().initialStreamWindow(WINDOW).build();
        StreamProbe echoed = new StreamProbe();
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.TCP, settings,
                StreamProbe.streams(true, ch -> { }, EchoHandler.INSTANCE, echoed))) {
            Relay relay = new Relay();
            RelayStream stream = pair.opener.openRelayStream(new StreamMetadata(7L, 3L, "192.0.2.1:4242",
                    "presenter-1", 0), relay).get(MuxPair.TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            stream.eventLoop().execute(() -> {
                relay.pump(stream);
                stream.read();
            });

            StreamProbe.await(() -> relay.events.contains("closed"),
                    () -> "received " + relay.received + " of " + BYTES + ", events " + relay.events);
            assertThat(relay.received).isEqualTo(BYTES);
            assertThat(relay.mismatch).as("every byte in order").isFalse();
            assertThat(relay.events).as("the window held the writer back and let it go again")
                    .contains("writable:false", "writable:true")
                    .endsWith("input-ended", "closed")
                    .noneMatch(MuxStreamResetEvent.class::isInstance);
            echoed.awaitInactive();
            assertThat(echoed.event(MuxStreamResetEvent.class)).as("both FINs went: no reset either way").isNull();
            StreamProbe.await(() -> pair.acceptor.activeStreams() == 0 && pair.opener.activeStreams() == 0,
                    () -> "streams still open");
        }
    }
}
