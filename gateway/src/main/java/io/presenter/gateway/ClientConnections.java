package io.presenter.gateway;

import io.micrometer.core.instrument.Gauge;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admits client connections up to a limit and counts why each one closed. Whoever closes a client
 * on purpose says why with {@link #close(Channel, String)}; a connection closed without a reason
 * was closed by the client (or its TCP connection broke).
 */
public final class ClientConnections {

    /** Close reason of a connection refused because the presenter is full. */
    public static final String OVER_LIMIT = "over_limit";
    /** Close reason of a connection whose client went away. */
    public static final String CLIENT_CLOSED = "client_closed";

    private static final AttributeKey<String> CLOSE_REASON = AttributeKey.valueOf(ClientConnections.class, "closeReason");

    private final int maxConnections;
    private final GatewayMeters meters;
    private final AtomicInteger active = new AtomicInteger();
    /** Admitted clients; a closed channel leaves by itself. */
    private final ChannelGroup clients = new DefaultChannelGroup("presenter-clients", GlobalEventExecutor.INSTANCE);

    public ClientConnections(int maxConnections, GatewayMeters meters) {
        this.maxConnections = maxConnections;
        this.meters = meters;
        Gauge.builder(GatewayMeters.CONNECTIONS_ACTIVE, active, AtomicInteger::get)
                .description("client connections open now").register(meters.registry());
    }

    /**
     * Counts {@code client} in, or closes it at once when the presenter is full: refusing early
     * costs no TLS handshake, and the client's reconnect goes to another presenter.
     */
    public boolean admit(Channel client) {
        if (active.incrementAndGet() > maxConnections) {
            active.decrementAndGet();
            meters.connectionClosed(OVER_LIMIT);
            client.close();
            return false;
        }
        meters.connectionOpened();
        clients.add(client);
        client.closeFuture().addListener(closed -> {
            active.decrementAndGet();
            String reason = client.attr(CLOSE_REASON).get();
            meters.connectionClosed(reason == null ? CLIENT_CLOSED : reason);
        });
        return true;
    }

    /** Closes every client now, counting {@code reason} (shutdown; a drain comes later). */
    void closeAll(String reason) {
        clients.forEach(client -> client.attr(CLOSE_REASON).setIfAbsent(reason));
        clients.close().awaitUninterruptibly();
    }

    /** Closes {@code client}, counting {@code reason} unless an earlier reason was given. */
    public static void close(Channel client, String reason) {
        client.attr(CLOSE_REASON).setIfAbsent(reason);
        client.close();
    }
}
