package io.presenter.gateway.client;

import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.protocol.mux.MuxStreamChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link StreamOpener} that routes nowhere: it records each request and leaves it pending until
 * the test opens it ({@link #succeed}), so a test controls when a stream appears.
 * Its streams share one parent standing for the mux connection.
 */
final class FakeStreamOpener implements StreamOpener {

    /** One open the relay asked for. */
    record Open(StreamRequest request, ChannelHandler streamHandler, Promise<MuxStreamChannel> promise) {}

    private final int maxRetries;
    private final EmbeddedChannel connection = new EmbeddedChannel();
    private final List<Open> opens = new ArrayList<>();
    private final List<FakeMuxStream> streams = new ArrayList<>();

    FakeStreamOpener(int maxRetries) {
        this.maxRetries = maxRetries;
    }

    @Override
    public int maxRetries() {
        return maxRetries;
    }

    @Override
    public Future<MuxStreamChannel> open(EventLoop loop, StreamRequest request, ChannelHandler streamHandler) {
        Promise<MuxStreamChannel> promise = loop.newPromise();
        opens.add(new Open(request, streamHandler, promise));
        return promise;
    }

    /** Every open asked for so far, first first. */
    List<Open> opens() {
        return opens;
    }

    /** Completes the latest open with a new stream running its handler. */
    FakeMuxStream succeed() {
        Open open = opens.get(opens.size() - 1);
        FakeMuxStream stream = new FakeMuxStream(connection, open.request(), open.streamHandler());
        streams.add(stream);
        open.promise().setSuccess(stream);
        return stream;
    }

    /** Closes the streams and the connection, releasing whatever they still hold. */
    void closeAll() {
        streams.forEach(EmbeddedChannel::finishAndReleaseAll);
        connection.finishAndReleaseAll();
    }
}
