package io.presenter.protocol.mux;

import io.netty.channel.ChannelId;

/**
 * A stream channel's id: its connection's id and its stream id (as Netty's HTTP/2 child channels
 * do), unique within the process for as long as the connection's is. Cheaper to make and to hold
 * than a {@code DefaultChannelId}, of which a connection carries thousands of streams.
 */
final class MuxStreamId implements ChannelId {

    private static final long serialVersionUID = 1L;

    private final ChannelId connection;
    private final int streamId;

    MuxStreamId(ChannelId connection, int streamId) {
        this.connection = connection;
        this.streamId = streamId;
    }

    /** The stream's id within its connection (its channel keeps no copy). */
    int streamId() {
        return streamId;
    }

    @Override
    public String asShortText() {
        return connection.asShortText() + '/' + streamId;
    }

    @Override
    public String asLongText() {
        return connection.asLongText() + '/' + streamId;
    }

    @Override
    public int compareTo(ChannelId other) {
        if (other instanceof MuxStreamId stream) {
            int byConnection = connection.compareTo(stream.connection);
            return byConnection != 0 ? byConnection : Integer.compare(streamId, stream.streamId);
        }
        // As DefaultChannelId orders ids of other kinds: by their long text, both ways alike.
        return asLongText().compareTo(other.asLongText());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MuxStreamId stream && streamId == stream.streamId
                && connection.equals(stream.connection);
    }

    @Override
    public int hashCode() {
        return connection.hashCode() * 31 + streamId;
    }

    @Override
    public String toString() {
        return asShortText();
    }
}
