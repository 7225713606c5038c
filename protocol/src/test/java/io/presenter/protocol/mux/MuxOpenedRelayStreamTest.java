package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link AbstractOpenedStreamTest} on a {@link RelayStream}, and what only it has. */
class MuxOpenedRelayStreamTest extends AbstractOpenedStreamTest {

    private MuxRelayStream stream;

    @Override
    Opened open(MuxConnection connection) {
        var opening = connection.openRelayStream(StreamMetadata.of(42, 7, null, "p"), new Recorder());
        channel.runPendingTasks();
        stream = (MuxRelayStream) opening.getNow();
        return new Opened() {
            @Override
            public int streamId() {
                return stream.streamId();
            }

            @Override
            public void write(String text) {
                stream.write(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
                stream.flush();
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
                return stream.queuedInboundBytes();
            }
        };
    }

    @Test
    void readToEndDeliversEverythingToTheFinWithoutFurtherReads() {
        Opened opened = opened();
        peer().data(opened.streamId(), "one");
        assertThat(events()).isEmpty();

        stream.readToEnd();
        peer().data(opened.streamId(), "two");
        peer().send(Frames.halfClose(opened.streamId()));

        assertThat(events()).containsExactly("read:one", "read-complete", "read:two", "read-complete",
                "input-ended", "closed");
    }

    @Test
    void aWriteAfterCloseIsReleasedAndAListenerThatThrowsResetsOnlyItsStream() {
        Opened opened = opened();
        opened.close();
        ByteBuf late = Unpooled.copiedBuffer("late", StandardCharsets.UTF_8);
        stream.write(late);
        assertThat(late.refCnt()).isZero();

        Opened second = open(MuxConnection.of(channel));
        channel.runPendingTasks();
        peer().frames();
        throwOnRead = true;
        peer().data(second.streamId(), "boom");
        second.read();
        assertThat(second.isOpen()).isFalse();
        assertThat(events()).contains(new MuxStreamResetEvent(io.presenter.protocol.wire.ResetCode.INTERNAL,
                "listener failed: java.lang.IllegalStateException: boom", "", -1, false));
        assertThat(channel.isActive()).as("the connection serves the other streams on").isTrue();
    }

    private boolean throwOnRead;

    /** The listener: what the stream tells, as {@link #events} text; it throws on a read when asked to. */
    private final class Recorder extends RecordingRelayListener {
        Recorder() {
            super(MuxOpenedRelayStreamTest.this.events);
        }

        @Override
        public void streamRead(RelayStream from, ByteBuf data) {
            super.streamRead(from, data);
            if (throwOnRead) {
                throw new IllegalStateException("boom");
            }
        }
    }
}
