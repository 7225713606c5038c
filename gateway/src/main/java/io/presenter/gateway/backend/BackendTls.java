package io.presenter.gateway.backend;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.ring.RingMember;
import java.util.function.Consumer;

/**
 * How the pool's mux connections to chat servers are secured: {@link #PLAINTEXT}, the default on a
 * private network, or {@link #mutual} TLS. The pool hands a connection out only once it is
 * {@link #ready}.
 */
public interface BackendTls {

    /** Mux in the clear: a connection is ready as soon as TCP connects. */
    BackendTls PLAINTEXT = new BackendTls() {
        @Override
        public ChannelHandler handler(RingMember member, ChannelHandler mux, Consumer<Throwable> handshakeFailed) {
            return mux;
        }

        @Override
        public ChannelFuture ready(ChannelFuture connect) {
            return connect;
        }

        @Override
        public String toString() {
            return "plaintext";
        }
    };

    /**
     * Mutual TLS with {@code tls}, a client {@link MuxTls}: the presenter's certificate, and the CA
     * chat servers' certificates must chain to. With its {@link MuxTls#peerNames()}, a chat
     * server's certificate must also name the member id dialled; a mismatch is refused and counted
     * in {@link BackendPool#TLS_IDENTITY_REFUSED}.
     */
    static BackendTls mutual(MuxTls tls) {
        return new MutualBackendTls(tls);
    }

    /** The handler of a new connection to {@code member}: {@code mux}, with whatever secures it below. */
    ChannelHandler handler(RingMember member, ChannelHandler mux, Consumer<Throwable> handshakeFailed);

    /** Completes when {@code connect} has succeeded and the link is secured; fails (and closes it) otherwise. */
    ChannelFuture ready(ChannelFuture connect);
}
