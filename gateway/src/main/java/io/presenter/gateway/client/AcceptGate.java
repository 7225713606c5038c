package io.presenter.gateway.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The listener's own handler, ahead of Netty's {@code ServerBootstrapAcceptor}: each accepted
 * connection passes the {@link AcceptRates} on the acceptor thread, before it is registered with
 * an event loop. One over the rate is closed there and then: its refusal never waits in an event
 * loop's queue behind the TLS work of the handshakes already admitted, which is what the cap is for.
 *
 * <p>The per-address rate is checked here only when the socket's peer is the client; behind a
 * PROXY protocol balancer the address is known after the header, where
 * {@link ClientChannelInitializer} checks it.
 */
final class AcceptGate extends ChannelInboundHandlerAdapter {

    static final String NAME = "accept-gate";

    /** The rates in force: a reload may replace them. */
    private final Supplier<AcceptRates> rates;
    private final boolean peerIsClient;

    AcceptGate(Supplier<AcceptRates> rates, boolean peerIsClient) {
        this.rates = rates;
        this.peerIsClient = peerIsClient;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        InetAddress source = peerIsClient && child.remoteAddress() instanceof InetSocketAddress peer
                ? peer.getAddress() : null;
        if (rates.get().admit(child, source)) {
            ctx.fireChannelRead(child);
        }
    }
}
