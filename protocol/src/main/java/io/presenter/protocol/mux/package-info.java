/**
 * The mux protocol: many end clients' byte streams over one presenter-to-chat-server TCP
 * connection, each stream a Netty {@link io.netty.channel.Channel} (or, on the opening side, a
 * lighter {@link io.presenter.protocol.mux.RelayStream}).
 *
 * <p>Accepting side (chat server): put {@link io.presenter.protocol.mux.MuxInitializer#accepting}
 * on each accepted connection with the handler for new streams; every stream the presenter opens
 * arrives as a {@link io.presenter.protocol.mux.MuxStreamChannel} with its own pipeline, carrying
 * plain {@code ByteBuf}s. Opening side (presenter): {@link io.presenter.protocol.mux.MuxInitializer#opening},
 * then {@link io.presenter.protocol.mux.MuxConnection#openStream}, or
 * {@link io.presenter.protocol.mux.MuxConnection#openRelayStream} for the same stream as a plain
 * {@link io.presenter.protocol.mux.RelayStream} whose events go to one
 * {@link io.presenter.protocol.mux.RelayStreamListener} (no pipeline: about 64 bytes a stream).
 *
 * <p>Flow control: each stream has a window per direction; the receiver grants credit as its
 * pipeline reads the bytes, so a slow reader makes its peer's stream unwritable without pausing
 * the connection or the other streams. Drain: {@link io.presenter.protocol.mux.MuxConnection#goAway}
 * with {@code drain}; the peer acknowledges, opens nothing more, and the connection closes when
 * its last stream ends.
 *
 * <p>The public types are the whole API. The engine behind them (the session, the stream channel,
 * windows, keep-alive, frame building) is package-private, as in Netty's codec-http2, so no
 * dependent can come to rely on it: a module descriptor would not stop a dependent that runs on
 * the class path, which is how every module of this build and most chat servers run.
 */
package io.presenter.protocol.mux;
