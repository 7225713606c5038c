package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.presenter.protocol.wire.ResetCode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A connection's life: stream id exhaustion, drains with acknowledgement, keepalive on real sockets. */
class MuxLifecycleTest {

    @Test
    void exhaustedStreamIdsStopOpensAndCloseTheConnectionAfterTheLastStream() throws Exception {
        MuxSettings opener = MuxSettings.builder().maxStreamId(5).build();
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.LOCAL, opener, MuxSettings.defaults(),
                EchoHandler.INSTANCE)) {
            MuxStreamChannel first = pair.open(new StreamProbe().on(true));
            assertThat(pair.opener.isAcceptingStreams()).isTrue();
            StreamProbe lastProbe = new StreamProbe();
            MuxStreamChannel last = pair.open(lastProbe.on(true));
            MuxStreamChannel third = pair.open(new StreamProbe().on(true));
            assertThat(third.streamId()).isEqualTo(5);
            assertThat(pair.opener.isAcceptingStreams()).isFalse();
            assertThatThrownBy(() -> pair.open(new StreamProbe().on(true)))
                    .isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(MuxStreamRefusedException.class).hasMessageContaining("stream ids exhausted (max 5)");

            last.writeAndFlush(Unpooled.copiedBuffer("still served", StandardCharsets.UTF_8));
            lastProbe.awaitReceived("still served");
            first.close();
            last.close();
            StreamProbe.await(() -> pair.acceptor.activeStreams() == 1, () -> "resets not seen");
            assertThat(pair.opener.channel().isActive()).as("one stream still runs").isTrue();
            third.close();
            assertThat(pair.opener.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void drainIsAcknowledgedRefusesNewStreamsAndClosesWhenTheLastEnds() throws Exception {
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.LOCAL, MuxSettings.defaults(), EchoHandler.INSTANCE)) {
            StreamProbe probe = new StreamProbe();
            MuxStreamChannel stream = pair.open(probe.on(true));
            // The open is complete here on the opener's side only; an echo shows the acceptor has
            // the stream, so its goaway names it (else it rightly resets it: above last stream id).
            stream.writeAndFlush(Unpooled.copiedBuffer("opened", StandardCharsets.UTF_8));
            probe.awaitReceived("opened");

            pair.acceptor.goAway(true, ResetCode.GOING_AWAY, "deploy").get(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(probe.awaitEvent(MuxGoAwayEvent.class))
                    .isEqualTo(new MuxGoAwayEvent(stream.streamId(), true, ResetCode.GOING_AWAY, "deploy"));
            assertThat(pair.opener.isAcceptingStreams()).isFalse();
            assertThatThrownBy(() -> pair.open(new StreamProbe().on(true))).cause()
                    .isInstanceOf(MuxStreamRefusedException.class).hasMessageContaining("peer sent goaway");

            stream.writeAndFlush(Unpooled.copiedBuffer("finishing", StandardCharsets.UTF_8));
            probe.awaitReceived("openedfinishing");  // everything echoed so far
            stream.shutdownOutput();
            probe.awaitInactive();
            assertThat(pair.acceptor.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(pair.opener.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void drainingAnIdleConnectionClosesItOnceAcknowledged() throws Exception {
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.TCP, MuxSettings.defaults(), EchoHandler.INSTANCE)) {
            assertThat(pair.opener.goAway(true, ResetCode.GOING_AWAY, "scale-in")
                    .await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(pair.opener.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(pair.acceptor.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void keepaliveClosesAConnectionToASilentPeer() throws Exception {
        EventLoopGroup group = MuxPair.Transport.TCP.newGroup();
        try {
            // Accepts and reads, but never sends a byte: a hung chat server.
            Channel silent = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ReferenceCountUtil.release(msg);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            MuxSettings settings = MuxSettings.builder().keepaliveInterval(Duration.ofMillis(200)).build();
            Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(MuxInitializer.opening(settings)).connect(silent.localAddress()).sync().channel();
            var open = MuxConnection.of(client).openStream(new StreamMetadata(1, 1, "", "p", 0), new StreamProbe());

            assertThat(client.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(open.await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(open.cause()).isInstanceOf(MuxStreamRefusedException.class)
                    .hasMessageContaining("connection closed");
            silent.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
