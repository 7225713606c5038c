package io.presenter.loadtest.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A UDP relay on loopback in front of a server, working like a NAT: each client source address
 * gets its own upstream socket (its "public" port). It can add a one-way delay each way (so a
 * round trip costs {@code 2 x delay}, as {@code tc netem} would on a path) and can
 * {@linkplain #rebind() rebind}: every client's upstream socket is replaced by a new one on a new
 * port, which the server sees as the client's address changing mid-connection (NAT rebinding, a
 * phone changing network). Everything runs on one event loop; mappings are capped.
 */
public final class UdpRelay implements AutoCloseable {

    /** Client addresses mapped at most; further clients are dropped (the relay is a test tool, bounded anyway). */
    public static final int MAX_MAPPINGS = 20_000;
    /** Packets held for their delay at most; more are dropped, as on a full link. */
    public static final int MAX_DELAYED = 65_536;
    /**
     * Socket buffers of the relay's sockets, as large as the kernel allows without privileges
     * ({@code net.core.rmem_max} here). With the default (208 KiB) a relay sharing its loop with
     * dozens of QUIC clients overflowed in the burst after a rebind and dropped thousands of
     * datagrams: loss the relay added, not the path it stands for.
     */
    static final int SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
    /**
     * How long a {@linkplain #rebind() rebind} keeps the old upstream sockets open, passing on what
     * the server still sends to the old port, as a NAT's old mapping stays usable until it expires.
     * Long enough that nothing the server sent before it learned the new port is lost even when the
     * clients' event loop is seconds behind (a loaded test machine): a move that loses data on the
     * old path is another case, one quiche 0.29 does not recover from (README, QUIC transport,
     * Migration). At one second, round trips of 1-2 s in a loaded test made 5 runs of 15 lose
     * deliveries that way.
     */
    public static final Duration OLD_MAPPING_LINGER = Duration.ofSeconds(10);

    private final EventLoop loop;
    private final InetSocketAddress upstream;
    private final long delayNanos;
    private final Channel front;
    /** Client address to its upstream socket, bound or binding (a bind may not block the loop). */
    private final Map<InetSocketAddress, ChannelFuture> mappings = new HashMap<>();
    /** Upstream sockets a rebind replaced, open until {@link #OLD_MAPPING_LINGER} is up (relay's loop only). */
    private final java.util.Set<Channel> lingering = new java.util.HashSet<>();
    /** Packets waiting out their delay (touched on the relay's loop only). */
    private final java.util.Set<DatagramPacket> delayed =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    public UdpRelay(EventLoopGroup group, InetSocketAddress upstream, Duration oneWayDelay) throws InterruptedException {
        this.loop = group.next();
        this.upstream = upstream;
        this.delayNanos = oneWayDelay.toNanos();
        front = socket()
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        fromClient(packet);
                    }
                })
                .bind(new InetSocketAddress(upstream.getAddress(), 0)).sync().channel();
    }

    private Bootstrap socket() {
        return new Bootstrap().group(loop).channel(NioDatagramChannel.class)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES);
    }

    /** Where clients send: the relay's front port. */
    public InetSocketAddress address() {
        return (InetSocketAddress) front.localAddress();
    }

    private void fromClient(DatagramPacket packet) {
        InetSocketAddress client = packet.sender();
        ChannelFuture out = mappings.get(client);
        if (out == null) {
            if (mappings.size() >= MAX_MAPPINGS) {
                return;
            }
            out = newUpstream(client, true);
            mappings.put(client, out);
        }
        DatagramPacket copy = new DatagramPacket(packet.content().retain(), upstream);
        ChannelFuture via = out;
        if (via.isDone()) {
            forward(via.channel(), copy);
        } else {
            via.addListener(bound -> forward(via.channel(), copy));  // in order: listeners run in turn
        }
    }

    private ChannelFuture newUpstream(InetSocketAddress client, boolean returnPath) {
        return socket()
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        if (returnPath) {
                            forward(front, new DatagramPacket(packet.content().retain(), client));
                        }  // else dropped: released by SimpleChannelInboundHandler
                    }
                })
                .bind(new InetSocketAddress(upstream.getAddress(), 0));
    }

    private void forward(Channel via, DatagramPacket packet) {
        if (delayNanos == 0) {
            via.writeAndFlush(packet, via.voidPromise());
            return;
        }
        if (delayed.size() >= MAX_DELAYED) {
            packet.release();  // a full link drops, as a real one does
            return;
        }
        // Held until its delay is up; close() releases what is still held (a scheduled task that
        // never runs would otherwise leak the packet).
        delayed.add(packet);
        loop.schedule(() -> {
            if (delayed.remove(packet)) {
                via.writeAndFlush(packet, via.voidPromise());
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Moves every client to a new upstream port now. The old sockets stay open for
     * {@link #OLD_MAPPING_LINGER} to pass on what the server still sends to the old address, then close.
     */
    public void rebind() {
        rebind(true);
    }

    /**
     * As {@link #rebind()}, but the new mappings only work outwards: what the server sends to a
     * client's new port is dropped (a network that lets the client send and not receive), so the
     * server's validation of the new path cannot succeed.
     */
    public void rebindWithoutReturnPath() {
        rebind(false);
    }

    private void rebind(boolean returnPath) {
        loop.submit(() -> {
            List<Channel> old = new ArrayList<>();
            for (Map.Entry<InetSocketAddress, ChannelFuture> mapping : mappings.entrySet()) {
                old.add(mapping.getValue().channel());
                mapping.setValue(newUpstream(mapping.getKey(), returnPath));
            }
            lingering.addAll(old);
            loop.schedule(() -> old.forEach(this::closeLingering), OLD_MAPPING_LINGER.toMillis(), TimeUnit.MILLISECONDS);
        }).syncUninterruptibly();
    }

    private void closeLingering(Channel old) {
        if (lingering.remove(old)) {
            old.close();
        }
    }

    /** The upstream (server-facing) port each client has now. */
    public Map<InetSocketAddress, Integer> upstreamPorts() {
        return loop.submit(() -> {
            Map<InetSocketAddress, Integer> ports = new HashMap<>();
            mappings.forEach((client, out) -> ports.put(client, ((InetSocketAddress) out.channel().localAddress()).getPort()));
            return ports;
        }).syncUninterruptibly().getNow();
    }

    @Override
    public void close() {
        loop.submit(() -> {
            mappings.values().forEach(out -> out.channel().close());
            mappings.clear();
            lingering.forEach(Channel::close);
            lingering.clear();
            front.close();
            delayed.forEach(DatagramPacket::release);
            delayed.clear();
        }).syncUninterruptibly();
    }
}
