package io.presenter.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.StreamData;
import java.nio.ByteBuffer;

/** Converts between the generated {@link MuxFrame} and what the mux codec handles. */
public final class MuxFrames {

    private MuxFrames() {}

    public static MuxFrame data(int streamId, byte[] payload) {
        return MuxFrame.data(new StreamData(streamId, ByteBuffer.wrap(payload)));
    }

    /** What a sender hands {@link MuxFrameEncoder} for {@code frame}. */
    public static Object toMessage(MuxFrame frame) {
        if (frame.isSetData()) {
            StreamData data = frame.getData();
            return new DataFrame(data.getStreamId(), Unpooled.wrappedBuffer(data.bufferForPayload()));
        }
        return frame;
    }

    /** The generated frame for what {@link MuxFrameDecoder} produced, releasing it. */
    public static MuxFrame fromDecoded(Object decoded) {
        if (decoded instanceof DataFrame data) {
            return data(data.streamId(), Bytes.drain(data.content()));
        }
        assertThat(decoded).isInstanceOf(MuxFrame.class);
        return (MuxFrame) decoded;
    }
}
