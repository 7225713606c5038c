package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The auth deadline ({@code limits.auth-timeout}) counts from the end of the TLS handshake, which
 * has its own ({@code tls.handshake-timeout}): a handshake that took long (a client on a slow
 * network, or a presenter's event loop busy with a reconnect wave) does not eat the client's time
 * for its auth packet. Before, the deadline ran from accept, and under a reconnect wave into a new
 * presenter process clients whose handshake had completed were closed as {@code auth_timeout} and
 * came back for another full handshake.
 */
class AuthDeadlineTest {

    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(1);

    private final EventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private EdgeServer edge;

    @AfterEach
    void stop() {
        if (edge != null) {
            edge.close();
        }
        clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aHandshakeLongerThanTheAuthTimeoutStillLeavesTheClientItsWholeAuthTime() throws Exception {
        edge = new EdgeServer(EdgeSettings.DEFAULTS, 0, AUTH_TIMEOUT);  // tls.handshake-timeout: the default 10 s
        // The client's ClientHello leaves twice the auth timeout after its connection was accepted.
        Channel client = new Bootstrap().group(clientLoop).channel(NioSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(edge.address()).sync().channel();
        client.eventLoop().schedule(() -> {
            SslHandler tls = TestTls.client().newHandler(client.alloc());
            client.pipeline().addLast(tls, new AuthOnHandshake());
            return null;
        }, 2 * AUTH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

        assertThat(edge.nextOpen().coupleId()).as("the client is routed").isEqualTo(10);
        assertThat(edge.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_timeout")).isZero();
        assertThat(edge.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", "auth_timeout")).isZero();
        client.close().sync();
    }

    @Test
    void aClientSilentAfterItsHandshakeIsClosedAtTheAuthTimeout() throws Exception {
        edge = new EdgeServer(EdgeSettings.DEFAULTS, 0, AUTH_TIMEOUT);
        TestChatClient silent = edge.connect(new byte[0]);
        silent.channel().pipeline().get(SslHandler.class).handshakeFuture().sync();

        silent.awaitClosed();
        edge.awaitCounter(1, ClientMeters.AUTH_REJECTED, "reason", "auth_timeout", ClientMeters.TRANSPORT,
                ClientMeters.TCP);
    }

    /** Sends the auth packet once the handshake is done. */
    private static final class AuthOnHandshake extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess()) {
                ctx.writeAndFlush(ClientPackets.encode(ctx.alloc(), ClientPacket.auth(TestChatClient.authPacket(1, 10,
                        new AuthToken("k1", 0, ByteBuffer.allocate(32))))));
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
