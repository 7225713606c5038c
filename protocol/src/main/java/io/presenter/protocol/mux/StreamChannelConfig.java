package io.presenter.protocol.mux;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import java.util.Map;

/** A stream channel's options: the defaults plus {@link ChannelOption#ALLOW_HALF_CLOSURE}. */
final class StreamChannelConfig extends DefaultChannelConfig {

    private volatile boolean allowHalfClosure;

    /**
     * Streams never read a socket, so their receive-buffer allocator only has to exist: one
     * shared instance, instead of a 64-byte copy per stream (DefaultChannelConfig's default).
     */
    private static final RecvByteBufAllocator UNUSED_RECV_ALLOCATOR = new AdaptiveRecvByteBufAllocator();

    StreamChannelConfig(Channel channel) {
        super(channel, UNUSED_RECV_ALLOCATOR);
    }

    /**
     * Turning autoRead off stops delivery at once, not after one more batch: a chat server that
     * freezes a stream for a handover must consume nothing after the moment it froze it.
     */
    @Override
    protected void autoReadCleared() {
        if (channel instanceof MuxStream stream) {
            stream.readCleared();
        }
    }

    boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), ChannelOption.ALLOW_HALF_CLOSURE);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(ChannelOption<T> option) {
        if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(allowHalfClosure);
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            allowHalfClosure = (Boolean) value;
            return true;
        }
        return super.setOption(option, value);
    }
}
