package io.presenter.gateway.backend;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.ring.RingMember;
import java.util.function.Consumer;

/** {@link BackendTls#mutual}: the mux preface waits in the {@code SslHandler} until the handshake is done. */
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
                tls.addTo(ch, member.host(), member.muxPort(), handshakeFailed);
                ch.pipeline().addLast(mux);
            }
        };
    }

    /** Completes when the TCP connect and then the TLS handshake have succeeded; fails (and closes) otherwise. */
    @Override
    public ChannelFuture ready(ChannelFuture connect) {
        ChannelPromise ready = connect.channel().newPromise();
        connect.addListener(connected -> {
            if (!connected.isSuccess()) {
                ready.tryFailure(connected.cause());
                return;
            }
            MuxTls.handshakeOf(connect.channel()).addListener(handshake -> {
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
