package io.presenter.gateway.backend;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.ring.RingMember;
import java.util.function.Consumer;

/**
 * {@link BackendTls#mutual}: the mux preface waits in the {@code SslHandler} until the handshake is
 * done; the connection is handed out once the chat server's certificate names the member dialled.
 */
final class MutualBackendTls implements BackendTls {

    private final MuxTls tls;

    MutualBackendTls(MuxTls tls) {
        if (tls.isServer()) {
            throw new IllegalArgumentException("the backend pool needs a client MuxTls, got " + tls);
        }
        this.tls = tls;
    }

    @Override
    public ChannelHandler handler(RingMember member, ChannelHandler mux, Consumer<Throwable> handshakeFailed) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                tls.addTo(ch, member.host(), member.muxPort(),
                        session -> tls.peerNames().mismatchForMember(session, member.id()), handshakeFailed);
                ch.pipeline().addLast(mux);
            }
        };
    }

    /**
     * Completes when the TCP connect, the TLS handshake and the member name check have succeeded;
     * fails (and closes) otherwise. Nothing but the mux preface is sent before: a chat server
     * answering with another member's certificate never sees a client's stream.
     */
    @Override
    public ChannelFuture ready(ChannelFuture connect) {
        ChannelPromise ready = connect.channel().newPromise();
        connect.addListener(connected -> {
            if (!connected.isSuccess()) {
                ready.tryFailure(connected.cause());
                return;
            }
            MuxTls.verifiedOf(connect.channel()).addListener(handshake -> {
                if (handshake.isSuccess()) {
                    ready.trySuccess();
                } else {
                    connect.channel().close();
                    ready.tryFailure(handshake.cause());
                }
            });
        });
        return ready;
    }

    @Override
    public String toString() {
        return "mutual TLS (" + tls + ")";
    }
}
