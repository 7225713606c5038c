package io.presenter.gateway.backend;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.RelayStreamListener;

/**
 * Opens a client's stream at the chat server that owns its couple. The one place where routing is
 * decided, for a first open and for a retry after a wrong-shard, refused or going-away reset alike;
 * the client path ({@code io.presenter.gateway.client}) only says what it wants opened.
 */
public interface StreamOpener {

    /**
     * How many times a client's stream is opened again after a wrong-shard, refused or going-away
     * reset that came before the chat server answered.
     */
    int maxRetries();

    /**
     * Picks the owner for {@code request} (the member its reset named, else the ring's owner, on a
     * ring at least as new as the reset's) and opens a stream there whose events go to
     * {@code listener}. Completes on {@code loop}; fails with {@link NoShardException} when the ring
     * has no member, or with the pool's or the connection's error when the stream cannot be opened.
     */
    Future<RelayStream> open(EventLoop loop, StreamRequest request, RelayStreamListener listener);
}
