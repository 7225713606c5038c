package io.presenter.protocol.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.presenter.protocol.codec.MuxFrameDecoder;
import io.presenter.protocol.codec.MuxFrameEncoder;
import java.util.Objects;

/**
 * Turns a TCP connection into a mux connection: frame codec plus session. The accepting side (a
 * chat server) passes the handler that sets up each inbound stream's pipeline, as with Netty's
 * {@code Http2MultiplexHandler}; the opening side (a presenter) opens streams through
 * {@link MuxConnection#of(Channel)}.
 */
public final class MuxInitializer extends ChannelInitializer<Channel> {

    private final MuxSettings settings;
    private final ChannelHandler inboundStreamHandler;

    private MuxInitializer(MuxSettings settings, ChannelHandler inboundStreamHandler) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.inboundStreamHandler = inboundStreamHandler;
    }

    /**
     * For accepted connections: every stream the peer opens gets {@code inboundStreamHandler},
     * which is therefore shared: a {@code ChannelInitializer} or another {@code @Sharable} handler.
     */
    public static MuxInitializer accepting(MuxSettings settings, ChannelHandler inboundStreamHandler) {
        Objects.requireNonNull(inboundStreamHandler, "inboundStreamHandler");
        if (inboundStreamHandler instanceof ChannelHandlerAdapter adapter && !adapter.isSharable()) {
            throw new IllegalArgumentException(inboundStreamHandler.getClass().getName()
                    + " is added to every stream, so it must be @Sharable (or a ChannelInitializer)");
        }
        return new MuxInitializer(settings, inboundStreamHandler);
    }

    /** For connections this side opens streams on. */
    public static MuxInitializer opening(MuxSettings settings) {
        return new MuxInitializer(settings, null);
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline().addLast(MuxFrameDecoder.NAME, new MuxFrameDecoder(settings.maxFrameLength()))
                .addLast(MuxFrameEncoder.NAME, MuxFrameEncoder.INSTANCE)
                .addLast(MuxSession.NAME, new MuxSession(settings, inboundStreamHandler));
    }
}
