package io.presenter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.presenter.protocol.codec.ClientPacketCodec;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.SendMessage;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real chat client for tests: the client framing over TLS, plain TCP or a mux stream, and
 * bounded inboxes of the packets and user events it received. Every wait is bounded.
 */
public final class TestChatClient implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final BlockingQueue<ClientPacket> inbox = new ArrayBlockingQueue<>(4096);
    private final BlockingQueue<Object> events = new ArrayBlockingQueue<>(64);
    private final Channel channel;

    private TestChatClient(EventLoopGroup group, InetSocketAddress server, SslContext tls, byte[] preface)
            throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (preface.length > 0) {
                            ch.pipeline().addLast(new PrefaceWriter(preface));
                        }
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc(),
                                    server.getHostString(), server.getPort()));
                        }
                        addClientStages(ch.pipeline());
                    }
                })
                .connect(server).sync().channel();
    }

    private TestChatClient(MuxConnection connection, StreamMetadata metadata) throws Exception {
        channel = connection.openStream(metadata, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel stream) {
                addClientStages(stream.pipeline());
            }
        }).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private TestChatClient(Opener opener) throws Exception {
        channel = opener.open(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                addClientStages(ch.pipeline());
            }
        });
    }

    /** Opens a channel (a QUIC stream, say) with {@code initializer} in its pipeline. */
    @FunctionalInterface
    public interface Opener {
        Channel open(ChannelInitializer<Channel> initializer) throws Exception;
    }

    /** A client on a channel {@code opener} opens with this client's stages: the client framing on any byte channel. */
    public static TestChatClient over(Opener opener) throws Exception {
        return new TestChatClient(opener);
    }

    private void addClientStages(ChannelPipeline pipeline) {
        pipeline.addLast(new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH));
        pipeline.addLast(new ClientPacketCodec());
        pipeline.addLast(new SimpleChannelInboundHandler<ClientPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ClientPacket p) {
                if (!inbox.offer(p)) {
                    throw new IllegalStateException("test inbox full");
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                events.offer(event);
                ctx.fireUserEventTriggered(event);
            }
        });
    }

    /** A client over TLS (or plain TCP when {@code tls} is null), as a phone would connect. */
    public static TestChatClient connect(EventLoopGroup group, InetSocketAddress server, SslContext tls)
            throws InterruptedException {
        return new TestChatClient(group, server, tls, new byte[0]);
    }

    /**
     * As {@link #connect(EventLoopGroup, InetSocketAddress, SslContext)}, sending {@code preface}
     * before anything else, TLS included: what a load balancer speaking the PROXY protocol puts
     * in front of a client's bytes.
     */
    public static TestChatClient connect(EventLoopGroup group, InetSocketAddress server, SslContext tls,
            byte[] preface) throws InterruptedException {
        return new TestChatClient(group, server, tls, preface.clone());
    }

    /** Writes its bytes when the connection is up, ahead of the TLS handler's ClientHello, and leaves. */
    private static final class PrefaceWriter extends io.netty.channel.ChannelInboundHandlerAdapter {

        private final byte[] preface;

        PrefaceWriter(byte[] preface) {
            this.preface = preface;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(preface));
            ctx.pipeline().remove(this);
            ctx.fireChannelActive();
        }
    }

    /** A client whose bytes travel as one stream of {@code connection}, as a presenter relays them. */
    public static TestChatClient overStream(MuxConnection connection, StreamMetadata metadata) throws Exception {
        return new TestChatClient(connection, metadata);
    }

    /** The next user event of type {@code type} the channel saw (e.g. a stream reset); fails after the timeout. */
    public <T> T nextEvent(Class<T> type) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        for (long left = TIMEOUT.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            Object event = events.poll(left, TimeUnit.NANOSECONDS);
            if (type.isInstance(event)) {
                return type.cast(event);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " within " + TIMEOUT + " on " + channel);
    }

    public static AuthPacket authPacket(long userId, long coupleId, AuthToken token) {
        return new AuthPacket(userId, coupleId, token, "presenter-tests/1");
    }

    /** Sends {@code auth} and returns the server's verdict. */
    public AuthStatus authenticate(AuthPacket auth) throws InterruptedException {
        send(ClientPacket.auth(auth));
        return next(ClientPacket::isSetAuthResult).getAuthResult().getStatus();
    }

    public void sendMessage(long clientMessageId, String body) {
        send(ClientPacket.send(new SendMessage(clientMessageId,
                ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)))));
    }

    public void send(ClientPacket packet) {
        channel.writeAndFlush(packet);
    }

    /** The next received packet matching {@code wanted}, skipping others; fails after the timeout. */
    public ClientPacket next(Predicate<ClientPacket> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        for (long left = TIMEOUT.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            ClientPacket packet = inbox.poll(left, TimeUnit.NANOSECONDS);
            if (packet != null && wanted.test(packet)) {
                return packet;
            }
        }
        throw new AssertionError("no matching packet within " + TIMEOUT + " on " + channel);
    }

    public Channel channel() {
        return channel;
    }

    public void awaitClosed() {
        assertThat(channel.closeFuture().awaitUninterruptibly(TIMEOUT.toMillis()))
                .as("server closed %s", channel).isTrue();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
