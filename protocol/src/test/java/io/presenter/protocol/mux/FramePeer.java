package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MuxFrameDecoder;
import io.presenter.protocol.codec.MuxFrameEncoder;
import io.presenter.protocol.wire.GoAway;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.OpenStream;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.muxConstants;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The far end of a mux session under test, speaking raw frames into an {@link EmbeddedChannel}:
 * it encodes what it sends with the real codec and decodes what the session wrote.
 */
final class FramePeer implements AutoCloseable {

    /** A data frame the session wrote, copied out so the test holds no buffer. */
    record Data(int streamId, String text) {}

    final EmbeddedChannel channel;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder(1 << 20));

    private FramePeer(EmbeddedChannel channel) {
        this.channel = channel;
        channel.freezeTime();
    }

    /** A session on the accepting side; each inbound stream gets {@code streamHandler}. */
    static FramePeer accepting(MuxSettings settings, ChannelHandler streamHandler) {
        return new FramePeer(new EmbeddedChannel(MuxInitializer.accepting(settings, streamHandler)));
    }

    static FramePeer opening(MuxSettings settings) {
        return new FramePeer(new EmbeddedChannel(MuxInitializer.opening(settings)));
    }

    static Settings settings(int streamWindow) {
        return new Settings(muxConstants.PROTOCOL_VERSION, streamWindow, 16 * 1024, 100, 30_000)
                .setInitialConnectionWindow(1 << 20);
    }

    MuxConnection connection() {
        return MuxConnection.of(channel);
    }

    /** Opens a stream on an opening session and returns it once registered. */
    MuxStreamChannel openStream(ChannelHandler handler) {
        var opened = connection().openStream(StreamMetadata.of(1, 1, null, "presenter-1"), handler);
        channel.runPendingTasks();
        assertThat(opened.isSuccess()).as("open: %s", opened.cause()).isTrue();
        return opened.getNow();
    }

    /** Reads the session's preface and answers with ours. */
    FramePeer handshake(Settings ours) {
        assertThat(readFrame().getSettings().getProtocolVersion()).isEqualTo(muxConstants.PROTOCOL_VERSION);
        return send(MuxFrame.settings(ours));
    }

    FramePeer send(MuxFrame frame) {
        return sendBytes(MuxFrameEncoder.encodeControl(ByteBufAllocator.DEFAULT, frame));
    }

    FramePeer open(int streamId) {
        return send(MuxFrame.open(new OpenStream(streamId, 42L, 7L).setClientAddress("10.0.0.1:5555")));
    }

    FramePeer data(int streamId, String text) {
        return data(streamId, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    FramePeer data(int streamId, ByteBuf payload) {
        return sendBytes(MuxFrameEncoder.encodeData(ByteBufAllocator.DEFAULT, new DataFrame(streamId, payload)));
    }

    FramePeer sendBytes(ByteBuf bytes) {
        channel.writeInbound(bytes);
        return this;
    }

    /** Every frame the session wrote since the last call: {@link MuxFrame}s and {@link Data}. */
    List<Object> frames() {
        channel.runPendingTasks();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            decoder.writeInbound(out);
        }
        List<Object> frames = new ArrayList<>();
        for (Object in; (in = decoder.readInbound()) != null; ) {
            if (in instanceof DataFrame data) {
                frames.add(new Data(data.streamId(), data.content().toString(StandardCharsets.UTF_8)));
                data.release();
            } else {
                frames.add(in);
            }
        }
        return frames;
    }

    /** The one frame the session wrote since the last call. */
    MuxFrame readFrame() {
        List<Object> frames = frames();
        assertThat(frames).hasSize(1);
        return (MuxFrame) frames.get(0);
    }

    /** Asserts the session sent a goaway with {@code code} and a reason containing {@code text}, and closed. */
    void assertGoAway(ResetCode code, String text) {
        GoAway goAway = frames().stream().filter(f -> f instanceof MuxFrame m && m.isSetGoAway())
                .map(f -> ((MuxFrame) f).getGoAway()).findFirst().orElseThrow(
                        () -> new AssertionError("no goaway sent"));
        assertThat(goAway.getCode()).isEqualTo(code);
        assertThat(goAway.getReason()).contains(text);
        assertThat(channel.isOpen()).isFalse();
    }

    static String hex(ByteBuf buf) {
        return ByteBufUtil.hexDump(buf);
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
        frames();
        decoder.finishAndReleaseAll();
    }
}
