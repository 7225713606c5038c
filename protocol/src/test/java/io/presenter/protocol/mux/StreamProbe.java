package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Records what reaches the end of a stream's pipeline: bytes, user events, inactivity. */
final class StreamProbe extends ChannelInboundHandlerAdapter {

    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Object> events = new CopyOnWriteArrayList<>();
    volatile boolean inactive;
    volatile int reads;

    /**
     * A stream initializer that allows half-closure, sets {@code autoRead} and adds
     * {@code handlers}; {@code onInit} sees each stream first.
     */
    static ChannelHandler streams(boolean autoRead, Consumer<Channel> onInit,
            ChannelHandler... handlers) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.config().setAutoRead(autoRead);
                ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
                onInit.accept(ch);
                ch.pipeline().addLast(handlers);
            }
        };
    }

    /** This probe as a stream's only handler. */
    ChannelHandler on(boolean autoRead) {
        return streams(autoRead, ch -> { }, this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        synchronized (received) {
            received.writeBytes(ByteBufUtil.getBytes(buf));
        }
        buf.release();
        reads++;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        events.add(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
    }

    String received() {
        synchronized (received) {
            return received.toString(StandardCharsets.UTF_8);
        }
    }

    int receivedBytes() {
        synchronized (received) {
            return received.size();
        }
    }

    @SuppressWarnings("unchecked")
    <T> T event(Class<T> type) {
        return (T) events.stream().filter(type::isInstance).findFirst().orElse(null);
    }

    StreamProbe awaitReceived(String text) {
        await(() -> received().equals(text), () -> "received '" + received() + "', expected '" + text + "'");
        return this;
    }

    <T> T awaitEvent(Class<T> type) {
        await(() -> event(type) != null, () -> "no " + type.getSimpleName() + " in " + events);
        return event(type);
    }

    StreamProbe awaitInactive() {
        await(() -> inactive, () -> "still active");
        return this;
    }

    /** Waits, with a bound, until {@code condition} holds; fails with {@code what} otherwise. */
    static void await(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }
}
