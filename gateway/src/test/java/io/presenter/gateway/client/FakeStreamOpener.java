package io.presenter.gateway.client;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.RelayStreamListener;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link StreamOpener} that routes nowhere: it records each request and leaves it pending until
 * the test opens it ({@link #succeed}), so a test controls when a stream appears.
 */
final class FakeStreamOpener implements StreamOpener {

    /** One open the relay asked for. */
    record Open(EventLoop loop, StreamRequest request, RelayStreamListener listener, Promise<RelayStream> promise) {}

    private final int maxRetries;
    private final List<Open> opens = new ArrayList<>();
    private final List<FakeRelayStream> streams = new ArrayList<>();

    FakeStreamOpener(int maxRetries) {
        this.maxRetries = maxRetries;
    }

    @Override
    public int maxRetries() {
        return maxRetries;
    }

    @Override
    public Future<RelayStream> open(EventLoop loop, StreamRequest request, RelayStreamListener listener) {
        Promise<RelayStream> promise = loop.newPromise();
        opens.add(new Open(loop, request, listener, promise));
        return promise;
    }

    /** Every open asked for so far, first first. */
    List<Open> opens() {
        return opens;
    }

    /** Completes the latest open with a new stream telling its listener. */
    FakeRelayStream succeed() {
        Open open = opens.get(opens.size() - 1);
        FakeRelayStream stream = new FakeRelayStream(open.loop(), open.request(), open.listener());
        streams.add(stream);
        open.promise().setSuccess(stream);
        return stream;
    }

    /** Releases whatever the streams still hold. */
    void closeAll() {
        streams.forEach(FakeRelayStream::releaseAll);
    }
}
