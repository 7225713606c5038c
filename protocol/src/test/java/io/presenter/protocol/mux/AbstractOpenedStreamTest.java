package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.HandoverTicket;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.WindowUpdate;
import io.presenter.protocol.wire.muxConstants;
import io.presenter.testing.RawMuxPeer;
import io.presenter.testing.RawMuxPeer.Data;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The opening side of a stream, frame by frame against a raw peer, for both kinds of stream an
 * opener can have: a {@link MuxStreamChannel} ({@link MuxOpenedStreamChannelTest}) and a
 * {@link RelayStream} ({@link MuxOpenedRelayStreamTest}). The rules are the same for both, and so
 * are these tests: flow control both ways, a FIN or a handover only after the bytes before it,
 * resets on close and on connection loss, writability by the water mark of bytes queued.
 *
 * <p>The reader does not read on its own (a relay reads only while its client is writable):
 * {@link Opened#read()} asks for one batch. What it sees is recorded as text in {@link #events}.
 */
abstract class AbstractOpenedStreamTest {

    static final int WINDOW = 4096;
    static final int FRAME = 1024;
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(200, 400);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MuxSettings settings = MuxSettings.builder().initialStreamWindow(WINDOW).maxFramePayload(FRAME)
            .initialConnectionWindow(2 * WINDOW).keepaliveInterval(Duration.ofSeconds(10))
            .streamWriteBufferWaterMark(WATER_MARK).stats(new MuxMeters(registry)).handover(true).build();
    /** What the stream's reader saw, in order: "read:text", "read-complete", "input-ended", "closed", events. */
    final List<Object> events = new ArrayList<>();
    EmbeddedChannel channel;
    private RawMuxPeer peer;

    /** One opened stream, whichever its kind. */
    interface Opened {
        int streamId();

        /** Writes and flushes. */
        void write(String text);

        void shutdownOutput();

        void close();

        void read();

        boolean isWritable();

        boolean isOpen();

        int queuedInboundBytes();
    }

    /** Opens a stream on {@code connection} that records what its reader sees in {@link #events}. */
    abstract Opened open(MuxConnection connection);

    /** An opening session facing a raw peer that answered with {@code peerSettings}, and one stream. */
    Opened opened(Settings peerSettings) {
        channel = new EmbeddedChannel(MuxInitializer.opening(settings));
        channel.freezeTime();
        peer = RawMuxPeer.over(channel);
        peer.handshake(peerSettings);
        Opened stream = open(MuxConnection.of(channel));
        channel.runPendingTasks();
        assertThat(peer.readFrame().getOpen().getStreamId()).isEqualTo(stream.streamId());
        return stream;
    }

    Opened opened() {
        return opened(RawMuxPeer.settings(WINDOW));
    }

    RawMuxPeer peer() {
        return peer;
    }

    @AfterEach
    void tearDown() {
        if (peer != null) {
            peer.close();
        }
    }

    /** What the reader saw so far, once the tasks the stream posted (a channel's inactive event) have run. */
    List<Object> events() {
        channel.runPendingTasks();
        return events;
    }

    private double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    private List<Object> frames() {
        channel.runPendingTasks();
        return peer.frames();
    }

    private static Reset resetIn(List<Object> frames) {
        return frames.stream().filter(f -> f instanceof MuxFrame m && m.isSetReset())
                .map(f -> ((MuxFrame) f).getReset()).findFirst().orElse(null);
    }

    @Test
    void dataBeyondTheStreamWindowResetsTheStreamWithAFlowControlErrorAndCountsIt() {
        Opened stream = opened();
        for (int i = 0; i < WINDOW / FRAME; i++) {
            peer.data(stream.streamId(), new byte[FRAME]);
        }
        assertThat(stream.queuedInboundBytes()).as("a full window, unread").isEqualTo(WINDOW);

        peer.data(stream.streamId(), "x");

        Reset reset = resetIn(frames());
        assertThat(reset.getCode()).isEqualTo(ResetCode.FLOW_CONTROL_ERROR);
        assertThat(reset.getReason()).isEqualTo("stream window exceeded: 1 bytes with 0 left");
        assertThat(events()).contains(new MuxStreamResetEvent(ResetCode.FLOW_CONTROL_ERROR,
                "stream window exceeded: 1 bytes with 0 left", "", -1, false)).endsWith("closed");
        assertThat(stream.isOpen()).isFalse();
        assertThat(count("mux.resets", "direction", "sent", "code", "flow_control_error")).isEqualTo(1);
        assertThat(channel.isActive()).as("a stream error, not the connection's").isTrue();
    }

    @Test
    void creditGoesBackOnlyAsTheReaderReadsInBatchesOfHalfTheWindow() {
        Opened stream = opened();
        peer.data(stream.streamId(), new byte[WINDOW / 4]).data(stream.streamId(), new byte[WINDOW / 4]);
        assertThat(frames()).as("nothing read, no credit").isEmpty();

        stream.read();
        assertThat(events()).containsExactly("read:" + WINDOW / 4, "read:" + WINDOW / 4, "read-complete");
        List<Object> frames = frames();
        assertThat(frames).contains(MuxFrame.windowUpdate(new WindowUpdate(stream.streamId(), WINDOW / 2)));

        peer.data(stream.streamId(), new byte[WINDOW / 4]);
        stream.read();
        assertThat(frames()).as("a quarter of the window read: not yet worth an update")
                .noneMatch(f -> f instanceof MuxFrame m && m.isSetWindowUpdate() && m.getWindowUpdate().getStreamId() != 0);
    }

    @Test
    void thePeersFinComesAfterTheQueuedBytesThenTheStreamCloses() {
        Opened stream = opened();
        peer.data(stream.streamId(), "last words");
        peer.send(Frames.halfClose(stream.streamId()));
        assertThat(events()).as("nothing before a read").isEmpty();

        stream.read();

        assertThat(events()).containsExactly("read:last words", "read-complete", "input-ended", "closed");
        assertThat(resetIn(frames()).getCode()).as("this side sent no FIN: the close resets")
                .isEqualTo(ResetCode.CANCEL);
    }

    @Test
    void ourFinGoesOnlyAfterTheBytesWrittenBeforeItHaveTheirCredit() {
        Opened stream = opened(RawMuxPeer.settings(4));
        stream.write("hello world");
        stream.shutdownOutput();
        assertThat(frames()).as("four bytes of credit: four bytes, no FIN")
                .containsExactly(new Data(stream.streamId(), "hell"));

        peer.send(MuxFrame.windowUpdate(new WindowUpdate(stream.streamId(), 100)));

        assertThat(frames()).containsExactly(new Data(stream.streamId(), "o world"),
                Frames.halfClose(stream.streamId()));
        assertThat(stream.isOpen()).as("half-closed: the peer may still send").isTrue();
    }

    @Test
    void aHandoverComesAfterTheQueuedBytesAndTheStreamClosesWithoutAReset() {
        Opened stream = opened(RawMuxPeer.settings(WINDOW).setFeatures(muxConstants.FEATURE_HANDOVER));
        peer.data(stream.streamId(), "before the handover");
        HandoverTicket ticket = new HandoverTicket(ByteBuffer.wrap("state".getBytes(StandardCharsets.US_ASCII)),
                ByteBuffer.wrap(new byte[32]));
        peer.send(MuxFrame.handover(new Handover(stream.streamId(), "chat-4", 12, 77, ticket)));
        assertThat(events()).as("not before the queued bytes are read").isEmpty();

        stream.read();

        assertThat(events()).containsExactly("read:before the handover", "read-complete",
                new MuxHandoverEvent("chat-4", 12, 77, new SessionHandover("state".getBytes(StandardCharsets.US_ASCII),
                        new byte[32])), "closed");
        assertThat(resetIn(frames())).as("the peer forgot the stream").isNull();
    }

    @Test
    void closeResetsThePeersStreamWithCancelAndDropsWhatWaited() {
        Opened stream = opened();
        peer.data(stream.streamId(), "unread");
        stream.close();

        Reset reset = resetIn(frames());
        assertThat(reset.getCode()).isEqualTo(ResetCode.CANCEL);
        assertThat(reset.getReason()).isEqualTo("closed");
        assertThat(events()).containsExactly("closed");
        assertThat(stream.isOpen()).isFalse();
        peer.data(stream.streamId(), "late");  // dropped and counted, not an error
        assertThat(count("mux.dropped.after.reset")).isEqualTo(4);
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void theConnectionGoingResetsTheStreamAndClosesIt() {
        Opened stream = opened();
        stream.write("in flight");
        frames();

        channel.close();

        assertThat(events()).containsExactly(new MuxStreamResetEvent(ResetCode.GOING_AWAY, "connection closed", "", -1,
                false), "closed");
        assertThat(stream.isOpen()).isFalse();
    }

    @Test
    void writabilityFollowsTheWaterMarkOfTheBytesQueuedOnTheStream() {
        // A connection window of 1 byte: what is written stays queued on the stream, with credit
        // on the stream itself, so only the water mark decides (a channel counts 96 bytes more per
        // message: the sizes cross the marks for both).
        Opened stream = opened(RawMuxPeer.settings(WINDOW).setInitialConnectionWindow(1));
        assertThat(stream.isWritable()).isTrue();
        stream.write("a".repeat(300));  // 1 byte sent, the rest queued: below the high mark
        channel.runPendingTasks();
        assertThat(stream.isWritable()).isTrue();

        stream.write("b".repeat(300));  // above it
        channel.runPendingTasks();
        assertThat(stream.isWritable()).isFalse();
        assertThat(events()).containsExactly("writable:false");

        peer.send(MuxFrame.windowUpdate(new WindowUpdate(0, 1000)));
        channel.runPendingTasks();

        assertThat(stream.isWritable()).isTrue();
        assertThat(events()).containsExactly("writable:false", "writable:true");
        assertThat(frames()).containsExactly(new Data(stream.streamId(), "a"),
                new Data(stream.streamId(), "a".repeat(299)), new Data(stream.streamId(), "b".repeat(300)));
    }

    @Test
    void aGoAwayReachesTheStreamsItLetsFinishAndResetsTheOthers() {
        Opened stream = opened();
        peer.send(Frames.goAway(stream.streamId(), true, ResetCode.GOING_AWAY, "deploy"));
        assertThat(events()).containsExactly(new MuxGoAwayEvent(stream.streamId(), true, ResetCode.GOING_AWAY, "deploy"));
        assertThat(stream.isOpen()).isTrue();

        peer.send(Frames.goAway(0, true, ResetCode.GOING_AWAY, "narrower"));
        assertThat(stream.isOpen()).isFalse();
        assertThat(events()).contains(new MuxStreamResetEvent(ResetCode.GOING_AWAY,
                "peer will not process stream above 0", "", -1, false));
    }
}
