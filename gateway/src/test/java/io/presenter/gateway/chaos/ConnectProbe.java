package io.presenter.gateway.chaos;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * New connections at a steady rate, each a TCP connect and a whole TLS handshake, then a close: the
 * clients that arrive while a presenter is restarted or upgraded. Every attempt ends counted:
 * {@code ok}, or its failure by kind ({@code refused}: the connect was refused, nobody listening;
 * {@code reset}: the connection was reset, e.g. dropped from a closed listener's accept queue;
 * {@code closed}: closed before the handshake finished; {@code timeout}; {@code other}).
 */
final class ConnectProbe implements AutoCloseable {

    private final InetSocketAddress target;
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final SslContext tls;
    private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    private final Map<String, String> firstFailure = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ScheduledFuture<?> schedule;

    /** Starts connecting to {@code target} every {@code interval}. */
    ConnectProbe(InetSocketAddress target, Duration interval) throws Exception {
        this.target = target;
        this.tls = TestTls.client();
        schedule = loops.scheduleAtFixedRate(this::attempt, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void attempt() {
        inFlight.incrementAndGet();
        SslHandler[] ssl = new SslHandler[1];
        ChannelFuture connect = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ssl[0] = tls.newHandler(ch.alloc(), target.getHostString(), target.getPort());
                        ssl[0].setHandshakeTimeoutMillis(10_000);
                        ch.pipeline().addLast(ssl[0]);
                    }
                })
                .connect(target);
        connect.addListener(connected -> {
            if (!connected.isSuccess()) {
                done(classify(connected.cause()), connected.cause());
                return;
            }
            Channel channel = connect.channel();
            ssl[0].handshakeFuture().addListener(handshake -> {
                done(handshake.isSuccess() ? "ok" : classify(handshake.cause()), handshake.cause());
                channel.close();
            });
        });
    }

    private static String classify(Throwable cause) {
        String text = String.valueOf(cause);
        if (text.contains("refused")) {
            return "refused";
        }
        if (text.contains("reset")) {
            return "reset";
        }
        if (text.contains("timed out") || text.contains("Timeout")) {
            return "timeout";
        }
        if (text.contains("Closed") || text.contains("closed")) {
            return "closed";
        }
        return "other";
    }

    private void done(String outcome, Throwable cause) {
        outcomes.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
        if (cause != null) {
            firstFailure.putIfAbsent(outcome, cause.toString());
        }
        inFlight.decrementAndGet();
    }

    int count(String outcome) {
        AtomicInteger count = outcomes.get(outcome);
        return count == null ? 0 : count.get();
    }

    /** Attempts that ended, any way. */
    int ended() {
        return outcomes.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Every outcome with its count. */
    Map<String, Integer> outcomes() {
        Map<String, Integer> copy = new TreeMap<>();
        outcomes.forEach((outcome, count) -> copy.put(outcome, count.get()));
        return copy;
    }

    /** The first failure of each kind, in its own words. */
    Map<String, String> firstFailures() {
        return new TreeMap<>(firstFailure);
    }

    /** Stops starting attempts; those under way still end (see {@link #inFlight}). */
    void stop() {
        schedule.cancel(false);
    }

    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void close() {
        stop();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
