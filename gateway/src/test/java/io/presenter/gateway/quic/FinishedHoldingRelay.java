package io.presenter.gateway.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A UDP relay for one client at a time, with a one-way delay, that can hold back the client's
 * Handshake packets (they carry its TLS Finished) until {@link #release()}: the server's side of
 * the handshake then stays unfinished for as long as a test needs, which is what a 0-RTT test has
 * to control to show what the server does before the handshake ends. Held datagrams are bounded.
 */
final class FinishedHoldingRelay implements AutoCloseable {

    private static final int MAX_HELD = 64;

    private final EventLoop loop;
    private final long delayMillis;
    private final Channel front;
    private final Channel back;
    private final Queue<DatagramPacket> held = new ArrayDeque<>();
    /** Datagrams waiting out their delay: released at close if the loop never sends them. */
    private final Set<DatagramPacket> delayed = Collections.newSetFromMap(new IdentityHashMap<>());
    private volatile InetSocketAddress client;
    private boolean holding;

    FinishedHoldingRelay(EventLoopGroup group, InetSocketAddress server, long oneWayDelayMillis)
            throws InterruptedException {
        loop = group.next();
        delayMillis = oneWayDelayMillis;
        back = new Bootstrap().group(loop).channel(NioDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        later(front, packet.content().retain(), client);
                    }
                })
                .bind(new InetSocketAddress(server.getAddress(), 0)).sync().channel();
        front = new Bootstrap().group(loop).channel(NioDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        client = packet.sender();
                        if (holding && carriesHandshakePacket(packet.content())) {
                            if (held.size() < MAX_HELD) {
                                held.add(new DatagramPacket(packet.content().retain(), server));
                            }
                            return;
                        }
                        later(back, packet.content().retain(), server);
                    }
                })
                .bind(new InetSocketAddress(server.getAddress(), 0)).sync().channel();
    }

    /** Coalesced packets are walked by their long headers: a Handshake one anywhere in it counts. */
    private static boolean carriesHandshakePacket(ByteBuf datagram) {
        int at = datagram.readerIndex();
        int end = datagram.writerIndex();
        while (at < end) {
            int first = datagram.getUnsignedByte(at);
            if ((first & 0x80) == 0) {
                return false;  // a short header runs to the end of the datagram
            }
            int type = (first >> 4) & 0x3;
            if (type == 2) {
                return true;
            }
            int p = at + 5;
            p += 1 + datagram.getUnsignedByte(p);  // destination connection id
            p += 1 + datagram.getUnsignedByte(p);  // source connection id
            if (type == 0) {  // Initial: token
                long[] token = varint(datagram, p);
                p = (int) token[1] + (int) token[0];
            }
            long[] length = varint(datagram, p);
            at = (int) length[1] + (int) length[0];
        }
        return false;
    }

    private static long[] varint(ByteBuf buf, int at) {
        int first = buf.getUnsignedByte(at);
        int size = 1 << (first >> 6);
        long value = first & 0x3f;
        for (int i = 1; i < size; i++) {
            value = (value << 8) | buf.getUnsignedByte(at + i);
        }
        return new long[] {value, at + size};
    }

    private void later(Channel out, ByteBuf content, InetSocketAddress to) {
        if (to == null) {
            content.release();
            return;
        }
        DatagramPacket packet = new DatagramPacket(content, to);
        delayed.add(packet);
        loop.schedule(() -> {
            if (delayed.remove(packet)) {
                out.writeAndFlush(packet);
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) front.localAddress();
    }

    /** From now on the client's Handshake packets wait here. */
    void hold() throws Exception {
        loop.submit(() -> holding = true).sync();
    }

    /** Sends what was held, in order, and stops holding. */
    void release() throws Exception {
        loop.submit(() -> {
            holding = false;
            for (DatagramPacket packet; (packet = held.poll()) != null; ) {
                later(back, packet.content(), packet.recipient());
            }
        }).sync();
    }

    @Override
    public void close() throws Exception {
        front.close().sync();
        back.close().sync();
        loop.submit(() -> {
            held.forEach(DatagramPacket::release);
            held.clear();
            delayed.forEach(DatagramPacket::release);
            delayed.clear();
        }).sync();
    }
}
