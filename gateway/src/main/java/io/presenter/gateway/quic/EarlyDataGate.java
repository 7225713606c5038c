package io.presenter.gateway.quic;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import io.presenter.gateway.client.ClientConnections;

/**
 * The 0-RTT rule, on a session stream that opened before its connection's handshake finished:
 * early data can be replayed by an attacker, so only the first client packet (the auth packet,
 * whose replay only opens a session, see the README) goes on to the auth stage before the
 * handshake completes. Everything after it is held here, unread by anyone, and released in order
 * once the handshake is done; this handler then leaves the pipeline.
 *
 * <p>Held bytes are capped at the auth packet cap: a client that sends more than that in early
 * data is closed ({@code early_data_too_large}). A first packet whose length prefix is already too
 * large goes on as it is, for the auth stage to reject ({@code auth_too_large}).
 */
final class EarlyDataGate extends ChannelInboundHandlerAdapter {

    static final String NAME = "early-data-gate";
    static final String TOO_LARGE = "early_data_too_large";

    private final int maxAuthPacketBytes;
    private final Future<?> handshake;
    private final QuicMeters meters;
    /** What arrived and was not passed on: the start of the auth packet, or what came after it. */
    private ByteBuf held;
    private boolean authPassed;
    private boolean restHeld;

    EarlyDataGate(int maxAuthPacketBytes, Future<?> handshake, QuicMeters meters) {
        this.maxAuthPacketBytes = maxAuthPacketBytes;
        this.handshake = handshake;
        this.meters = meters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        held = ctx.alloc().buffer(0, maxAuthPacketBytes);
        handshake.addListener(done -> open(ctx));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf bytes = (ByteBuf) msg;
        if (held == null) {  // opened meanwhile: nothing to hold any more
            ctx.fireChannelRead(bytes);
            return;
        }
        try {
            if (bytes.readableBytes() > held.maxWritableBytes()) {
                meters.earlyData("too_large");
                ClientConnections.close(ctx.channel(), TOO_LARGE);
                return;
            }
            held.writeBytes(bytes);
        } finally {
            bytes.release();
        }
        passAuthPacket(ctx);
        if (authPassed && held.isReadable() && !restHeld) {
            restHeld = true;
            meters.earlyData("held_until_handshake");
        }
    }

    /** Passes the auth packet on as soon as it is complete, or a first packet the auth stage will refuse. */
    private void passAuthPacket(ChannelHandlerContext ctx) {
        if (authPassed || held.readableBytes() < Integer.BYTES) {
            return;
        }
        int length = held.getInt(held.readerIndex());
        boolean refusable = length < 0 || length > maxAuthPacketBytes - Integer.BYTES;
        if (refusable || held.readableBytes() >= Integer.BYTES + length) {
            authPassed = true;
            meters.earlyData("auth_in_early_data");
            ctx.fireChannelRead(held.readRetainedSlice(refusable ? held.readableBytes() : Integer.BYTES + length));
            ctx.fireChannelReadComplete();
        }
    }

    /** The handshake is over (either way): what was held goes on, in order, and the gate goes. */
    private void open(ChannelHandlerContext ctx) {
        if (ctx.isRemoved()) {
            return;
        }
        ByteBuf rest = held;
        held = null;
        ctx.pipeline().remove(this);
        if (rest.isReadable() && ctx.channel().isActive()) {
            ctx.fireChannelRead(rest);
            ctx.fireChannelReadComplete();
        } else {
            rest.release();
        }
        if (ctx.channel().config().isAutoRead()) {
            ctx.read();  // a read asked for while the gate held the bytes back may have found nothing
        }
    }
}
