package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.presenter.protocol.wire.ClientPacket;

/**
 * Turns framed packets from {@link ClientPacketFrameDecoder} into {@link ClientPacket}s and
 * outbound {@link ClientPacket}s into framed bytes. Used by chat servers and clients; the
 * presenter never decodes past the auth packet.
 *
 * <p>After the first packet it cannot decode it drops every later one: the handler behind it
 * closes the connection on that error, and one 64 KiB read of tiny bad packets would otherwise
 * raise thousands of exceptions first (a CPU amplification fuzzing found). So: one instance per
 * channel.
 *
 * <p>It counts the bytes of the packets it decoded and passed on ({@link #decodedBytes()}): read
 * between two reads, a packet boundary, which is what a chat server tells the presenter when it
 * hands a stream's session over.
 *
 * <p>Written as a plain duplex handler with the behaviour of Netty's {@code MessageToMessageCodec}
 * (the frame released after decoding, errors as {@code DecoderException}/{@code EncoderException},
 * a read requested when a read produced nothing with auto-read off) without its two inner
 * handler objects: a chat server holds one codec per idle stream, 48 bytes less each.
 */
public final class ClientPacketCodec extends ChannelDuplexHandler {

    public static final String NAME = "client-packet-codec";

    private boolean failed;
    /** Since the last read-complete: a frame came in, and a packet went on. */
    private boolean decodeCalled;
    private boolean packetProduced;
    private long decodedBytes;

    /** Bytes (length prefixes included) of the packets passed on so far; read on the channel's event loop. */
    public long decodedBytes() {
        return decodedBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        decodeCalled = true;
        if (failed) {
            frame.release();
            return;
        }
        ClientPacket packet;
        int bytes = frame.readableBytes();
        try {
            packet = ClientPackets.decode(frame);
        } catch (MalformedFrameException e) {
            failed = true;
            throw e;
        } catch (DecoderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DecoderException(e);
        } finally {
            frame.release();
        }
        decodedBytes += bytes;
        packetProduced = true;
        ctx.fireChannelRead(packet);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (decodeCalled && !packetProduced && !ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
        decodeCalled = false;
        packetProduced = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        encodeAndWrite(ctx, msg, promise);
    }

    /** Writes a {@link ClientPacket} encoded, anything else as it is; shared with {@link ClientPacketFramingCodec}. */
    static void encodeAndWrite(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ClientPacket packet)) {
            ctx.write(msg, promise);
            return;
        }
        ByteBuf encoded;
        try {
            encoded = ClientPackets.encode(ctx.alloc(), packet);
        } catch (EncoderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EncoderException(e);
        }
        ctx.write(encoded, promise);
    }
}
