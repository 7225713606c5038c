package io.presenter.gateway.client;

import io.micrometer.core.instrument.Gauge;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.presenter.gateway.drain.DrainTarget;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admits client connections up to a limit, in total and per source address, and counts why each
 * one closed. Whoever closes a client on purpose says why with {@link #close(Channel, String)}; a
 * connection closed without a reason was closed by the client (or its TCP connection broke).
 */
public final class ClientConnections implements DrainTarget {

    /** Close reason of a connection refused because the presenter is full. */
    public static final String OVER_LIMIT = "over_limit";
    /** Close reason of a connection refused because its source address has too many. */
    public static final String OVER_ADDRESS_LIMIT = "over_address_limit";
    /** Close reason of a connection whose client went away. */
    public static final String CLIENT_CLOSED = "client_closed";

    private static final AttributeKey<String> CLOSE_REASON = AttributeKey.valueOf(ClientConnections.class, "closeReason");

    private volatile int maxConnections;
    private volatile int maxPerAddress;
    private final ClientMeters meters;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong lastAdmittedNanos = new AtomicLong(System.nanoTime());
    /** Open connections per source address; an entry lives only while its address has one, so at most maxConnections. */
    private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    /** Admitted clients; a closed channel leaves by itself. */
    private final ChannelGroup clients = new DefaultChannelGroup("presenter-clients", GlobalEventExecutor.INSTANCE);

    /**
     * @param maxPerAddress connections allowed from one source address, 0 for no limit
     */
    public ClientConnections(int maxConnections, int maxPerAddress, ClientMeters meters) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.meters = meters;
        Gauge.builder(ClientMeters.CONNECTIONS_ACTIVE, active, AtomicInteger::get)
                .description("client connections open now").register(meters.registry());
    }

    /**
     * Counts {@code client} in, or closes it at once when the presenter or its source address is
     * full: refusing early costs no TLS handshake, and the client's reconnect goes to another presenter.
     */
    boolean admit(Channel client) {
        return admit(client, addressOf(client), meters);
    }

    /**
     * As {@link #admit(Channel)}, for a client whose address is {@code source} (behind a PROXY
     * protocol balancer, the one its header named; null when it has none).
     */
    boolean admit(Channel client, InetAddress source) {
        return admit(client, source, meters);
    }

    /**
     * As {@link #admit(Channel)} for a client of another transport, counted in its {@code transport}
     * meters. The source address is read once, here: a QUIC client that migrates later stays counted
     * under the address it came from, once.
     */
    public boolean admit(Channel client, ClientMeters transport) {
        return admit(client, addressOf(client), transport);
    }

    private boolean admit(Channel client, InetAddress source, ClientMeters transport) {
        if (active.incrementAndGet() > maxConnections) {
            active.decrementAndGet();
            refuse(client, OVER_LIMIT, transport);
            return false;
        }
        InetAddress address = maxPerAddress > 0 ? source : null;
        if (address != null && !admitFrom(address)) {
            active.decrementAndGet();
            refuse(client, OVER_ADDRESS_LIMIT, transport);
            return false;
        }
        transport.connectionOpened();
        lastAdmittedNanos.set(System.nanoTime());
        clients.add(client);
        client.closeFuture().addListener(closed -> {
            if (address != null) {
                perAddress.computeIfPresent(address, (a, count) -> count.decrementAndGet() == 0 ? null : count);
            }
            active.decrementAndGet();
            String reason = client.attr(CLOSE_REASON).get();
            transport.connectionClosed(reason == null ? CLIENT_CLOSED : reason);
        });
        return true;
    }

    /**
     * Where {@code client} comes from: the end client a PROXY header named, else the socket's peer;
     * a QUIC connection's remote address is its connection id, its socket address is the source.
     */
    private static InetAddress addressOf(Channel client) {
        java.net.SocketAddress source = client instanceof io.netty.handler.codec.quic.QuicChannel quic
                ? quic.remoteSocketAddress() : ClientAddress.of(client);
        return source instanceof InetSocketAddress remote ? remote.getAddress() : null;
    }

    private boolean admitFrom(InetAddress address) {
        boolean[] admitted = {false};
        perAddress.compute(address, (a, count) -> {
            AtomicInteger current = count == null ? new AtomicInteger() : count;
            admitted[0] = current.get() < maxPerAddress;
            if (admitted[0]) {
                current.incrementAndGet();
            }
            return current.get() == 0 ? null : current;
        });
        return admitted[0];
    }

    private static void refuse(Channel client, String reason, ClientMeters meters) {
        meters.connectionClosed(reason);
        client.close();
    }

    /**
     * New limits, from the next admission on (a reload). Connections already admitted stay, even
     * above a lowered limit: a reload never closes a client.
     */
    public void limits(int maxConnections, int maxPerAddress) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
    }

    @Override
    public int active() {
        return active.get();
    }

    /** {@link System#nanoTime()} when the last client was admitted (construction time before any). */
    @Override
    public long lastAdmittedNanos() {
        return lastAdmittedNanos.get();
    }

    @Override
    public int closeSome(int count, String reason) {
        int closed = 0;
        for (Iterator<Channel> it = clients.iterator(); it.hasNext() && closed < count; ) {
            Channel client = it.next();
            if (client.isActive()) {
                close(client, reason);
                closed++;
            }
        }
        return closed;
    }

    /** Closes every client now, counting {@code reason} (shutdown). */
    public void closeAll(String reason) {
        clients.forEach(client -> client.attr(CLOSE_REASON).setIfAbsent(reason));
        clients.close().awaitUninterruptibly();
    }

    /** Why {@code client} was closed on purpose, or {@value #CLIENT_CLOSED}. */
    public static String closeReason(Channel client) {
        String reason = client.attr(CLOSE_REASON).get();
        return reason == null ? CLIENT_CLOSED : reason;
    }

    /** Closes {@code client}, counting {@code reason} unless an earlier reason was given. */
    public static void close(Channel client, String reason) {
        client.attr(CLOSE_REASON).setIfAbsent(reason);
        client.close();
    }
}
