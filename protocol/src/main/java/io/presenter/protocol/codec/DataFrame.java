package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A mux data frame: some bytes of one stream. On decode the content is a retained slice of the
 * connection's read buffer, and on encode it is written as is behind a small header, so payload
 * bytes are never copied by the codec. Whoever holds a {@code DataFrame} owns one reference.
 */
public final class DataFrame extends DefaultByteBufHolder {

    private final int streamId;

    public DataFrame(int streamId, ByteBuf content) {
        super(content);
        this.streamId = streamId;
    }

    public int streamId() {
        return streamId;
    }

    @Override
    public DataFrame replace(ByteBuf content) {
        return new DataFrame(streamId, content);
    }

    @Override
    public DataFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public DataFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "DataFrame(stream=" + streamId + ", bytes=" + content().readableBytes() + ")";
    }
}
